// Package sdpmedia owns the audio part of SDP offers and answers (RFC 4566/3264) as Vaihde uses
// them: one audio stream, G.711 codecs, RFC 4733 telephone-events, a direction for hold, and
// SRTP keys by SDES (crypto.go). It parses and writes SDP through pion/sdp, never by hand.
package sdpmedia

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Direction of the media stream (RFC 3264 section 5.1).
type Direction string

const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Codec is one audio payload format of an offer.
type Codec struct {
	PT   uint8
	Name string // encoding name as in rtpmap, e.g. "PCMU"
	Rate int
}

// The codecs Vaihde supports, in its default order of preference.
var (
	PCMU = Codec{PT: 0, Name: "PCMU", Rate: 8000}
	PCMA = Codec{PT: 8, Name: "PCMA", Rate: 8000}
	// Supported lists the audio codecs the server and the Softphone can relay and play.
	Supported = []Codec{PCMU, PCMA}
)

// DefaultDTMFPT is the dynamic payload type Vaihde offers for telephone-event.
const DefaultDTMFPT = 101

// Errors returned by Parse.
var (
	ErrNoAudio    = errors.New("sdpmedia: no audio stream")
	ErrNoAddress  = errors.New("sdpmedia: no connection address")
	ErrNoCodec    = errors.New("sdpmedia: no common codec")
	ErrBadPayload = errors.New("sdpmedia: bad payload type")
)

// Media describes the first audio stream of a session description.
type Media struct {
	Addr      netip.Addr // connection address; unspecified (0.0.0.0) means hold (RFC 2543 style)
	Port      int        // 0 means the stream is rejected
	Codecs    []Codec    // audio codecs in the sender's order of preference, telephone-event excluded
	DTMFPT    uint8      // payload type of telephone-event/8000, 0 if not offered
	Direction Direction
	Ptime     int // milliseconds, 0 if not given
	// Secure is set when the profile is RTP/SAVP: the party accepts SRTP only. Build writes
	// RTP/SAVP when it is set, else RTP/AVP (an a=crypto there offers SRTP as an option).
	Secure bool
	// Crypto are the stream's a=crypto attributes (SDES, RFC 4568) in order; see crypto.go.
	Crypto []Crypto
}

// OnHold reports whether the stream asks the other side to stop sending to it or stop listening.
func (m Media) OnHold() bool {
	return m.Direction == SendOnly || m.Direction == Inactive || (m.Addr.IsValid() && m.Addr.IsUnspecified())
}

// AddrPort is the RTP destination the description names.
func (m Media) AddrPort() netip.AddrPort { return netip.AddrPortFrom(m.Addr, uint16(m.Port)) }

// Reverse returns the direction the answerer uses for an offered direction.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// Negotiate returns the first codec of the offer that appears in local (by name, so a
// non-standard payload number still matches).
func Negotiate(offer Media, local []Codec) (Codec, error) {
	for _, c := range offer.Codecs {
		for _, l := range local {
			if strings.EqualFold(c.Name, l.Name) && c.Rate == l.Rate {
				return c, nil
			}
		}
	}
	return Codec{}, ErrNoCodec
}

// ParseNegotiate parses body (an offer or answer) and negotiates its codec against local.
func ParseNegotiate(body []byte, local []Codec) (Media, Codec, error) {
	m, err := Parse(body)
	if err != nil {
		return Media{}, Codec{}, err
	}
	c, err := Negotiate(m, local)
	return m, c, err
}

// Parse reads the first audio stream of an SDP body.
func Parse(body []byte) (Media, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return Media{}, fmt.Errorf("parse sdp: %w", err)
	}
	var md *sdp.MediaDescription
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" {
			md = m
			break
		}
	}
	if md == nil {
		return Media{}, ErrNoAudio
	}
	out := Media{Port: md.MediaName.Port.Value, Direction: SendRecv}
	for _, p := range md.MediaName.Protos {
		if strings.HasPrefix(strings.ToUpper(p), "SAVP") {
			out.Secure = true
		}
	}
	if out.Port < 0 || out.Port > 65535 {
		return Media{}, fmt.Errorf("parse sdp: port %d out of range", out.Port)
	}
	conn := md.ConnectionInformation
	if conn == nil {
		conn = sd.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return Media{}, ErrNoAddress
	}
	host := conn.Address.Address
	if i := strings.IndexByte(host, '/'); i >= 0 { // multicast TTL suffix
		host = host[:i]
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return Media{}, fmt.Errorf("parse sdp connection address %q: %w", host, err)
	}
	out.Addr = addr

	// Session-level direction applies unless the media level overrides it.
	for _, a := range sd.Attributes {
		if d, ok := direction(a.Key); ok {
			out.Direction = d
		}
	}
	rtpmap := map[uint8]Codec{}
	for _, a := range md.Attributes {
		if d, ok := direction(a.Key); ok {
			out.Direction = d
		}
		switch a.Key {
		case "rtpmap":
			c, err := parseRtpmap(a.Value)
			if err != nil {
				return Media{}, err
			}
			rtpmap[c.PT] = c
		case "crypto":
			// A malformed one is kept as unusable: the others may still do.
			c, err := parseCrypto(a.Value)
			if err != nil {
				c = Crypto{Suite: a.Value, Unusable: true}
			}
			out.Crypto = append(out.Crypto, c)
		case "ptime":
			if n, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil && n > 0 && n <= 1000 {
				out.Ptime = n
			}
		}
	}
	for _, f := range md.MediaName.Formats {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 127 {
			return Media{}, fmt.Errorf("parse sdp format %q: %w", f, ErrBadPayload)
		}
		pt := uint8(n)
		c, ok := rtpmap[pt]
		if !ok {
			switch pt { // static types may come without rtpmap
			case 0:
				c = PCMU
			case 8:
				c = PCMA
			default:
				continue
			}
		}
		if strings.EqualFold(c.Name, "telephone-event") {
			if c.Rate == 8000 && out.DTMFPT == 0 {
				out.DTMFPT = pt
			}
			continue
		}
		out.Codecs = append(out.Codecs, c)
	}
	return out, nil
}

func direction(key string) (Direction, bool) {
	switch d := Direction(key); d {
	case SendRecv, SendOnly, RecvOnly, Inactive:
		return d, true
	}
	return "", false
}

func parseRtpmap(v string) (Codec, error) {
	// "0 PCMU/8000" or "101 telephone-event/8000"
	num, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return Codec{}, fmt.Errorf("parse rtpmap %q: %w", v, ErrBadPayload)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 127 {
		return Codec{}, fmt.Errorf("parse rtpmap %q: %w", v, ErrBadPayload)
	}
	name, rate, _ := strings.Cut(strings.TrimSpace(rest), "/")
	if r, _, _ := strings.Cut(rate, "/"); r != "" {
		rate = r
	}
	c := Codec{PT: uint8(n), Name: name, Rate: 8000}
	if rate != "" {
		if c.Rate, err = strconv.Atoi(rate); err != nil {
			return Codec{}, fmt.Errorf("parse rtpmap rate %q: %w", v, ErrBadPayload)
		}
	}
	return c, nil
}

// Build writes a session description offering or answering m. sessionID and version fill the
// o= line; raise version on every re-offer of the same session (RFC 3264 section 8).
func Build(m Media, sessionID, version uint64) ([]byte, error) {
	if !m.Addr.IsValid() {
		return nil, ErrNoAddress
	}
	nettype, addrtype := "IN", "IP4"
	if m.Addr.Is6() && !m.Addr.Is4In6() {
		addrtype = "IP6"
	}
	host := m.Addr.Unmap().String()
	formats := make([]string, 0, len(m.Codecs)+1)
	attrs := make([]sdp.Attribute, 0, len(m.Codecs)+4)
	for _, c := range m.Codecs {
		formats = append(formats, strconv.Itoa(int(c.PT)))
		attrs = append(attrs, sdp.NewAttribute("rtpmap", fmt.Sprintf("%d %s/%d", c.PT, c.Name, c.Rate)))
	}
	if m.DTMFPT != 0 {
		formats = append(formats, strconv.Itoa(int(m.DTMFPT)))
		attrs = append(attrs,
			sdp.NewAttribute("rtpmap", fmt.Sprintf("%d telephone-event/8000", m.DTMFPT)),
			sdp.NewAttribute("fmtp", fmt.Sprintf("%d 0-16", m.DTMFPT)))
	}
	if m.Ptime > 0 {
		attrs = append(attrs, sdp.NewAttribute("ptime", strconv.Itoa(m.Ptime)))
	}
	for _, c := range m.Crypto {
		attrs = append(attrs, sdp.NewAttribute("crypto", c.attribute()))
	}
	profile := "AVP"
	if m.Secure {
		profile = "SAVP"
	}
	dir := m.Direction
	if dir == "" {
		dir = SendRecv
	}
	attrs = append(attrs, sdp.NewPropertyAttribute(string(dir)))
	sd := sdp.SessionDescription{
		Origin: sdp.Origin{
			Username: "vaihde", SessionID: sessionID, SessionVersion: version,
			NetworkType: nettype, AddressType: addrtype, UnicastAddress: host,
		},
		SessionName: "vaihde",
		ConnectionInformation: &sdp.ConnectionInformation{
			NetworkType: nettype, AddressType: addrtype, Address: &sdp.Address{Address: host},
		},
		TimeDescriptions: []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions: []*sdp.MediaDescription{{
			MediaName: sdp.MediaName{
				Media: "audio", Port: sdp.RangedPort{Value: m.Port},
				Protos: []string{"RTP", profile}, Formats: formats,
			},
			Attributes: attrs,
		}},
	}
	return sd.Marshal()
}
