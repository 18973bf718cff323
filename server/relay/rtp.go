package relay

import (
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// ParseRTP parses one received datagram as RTP into hdr and returns where its payload is,
// without padding: pkt[start:end]; ok is false for anything that is not an RTP packet (too short, another version,
// RTCP multiplexed on the RTP port (RFC 5761: second byte 192..223), bad padding). Cheap checks
// come first so garbage never reaches the parser's error path, which allocates. Any bytes are
// safe here.
func ParseRTP(pkt []byte, hdr *rtp.Header) (start, end int, ok bool) {
	if len(pkt) < 12 || pkt[0]>>6 != 2 || (pkt[1] >= 192 && pkt[1] <= 223) {
		return 0, 0, false
	}
	start, err := hdr.Unmarshal(pkt)
	if err != nil || start > len(pkt) {
		return 0, 0, false
	}
	end = len(pkt)
	if hdr.Padding {
		pad := int(pkt[end-1])
		if pad == 0 || start+pad > end {
			return 0, 0, false
		}
		end -= pad
	}
	return start, end, true
}

// Latch decides which source address a party's media is taken from, and so where media for the
// party goes (symmetric RTP, RFC 4961): without it anyone who can reach the port could inject
// audio into the call or take it over ("RTP bleed"). The rules, from the party's SDP address:
//
//   - Packets from the SDP address itself are always taken, and that source is final.
//   - Within a learning window after the SDP (Arm) and whenever an unlatched leg starts carrying
//     media (Reopen), the leg may latch once for NAT: onto a source with the SDP's IP address
//     (a NAT that keeps the address but not the port), or, when the SDP address cannot be where
//     packets come from (a private, link-local or missing address: the party is behind NAT),
//     onto the first source at all.
//   - Every other source is ignored, also after the latched source falls silent: only a new SDP
//     address (a re-INVITE that moves the party) forgets the latch.
//
// Methods are safe for concurrent use; the zero Latch has no SDP and an ended window (Arm it).
type Latch struct {
	mu    sync.Mutex
	armed bool
	sdp   netip.AddrPort // from the party's SDP; invalid when it gives none
	nat   bool           // the SDP address is not one packets can come from: any first source may latch
	until int64          // unix nanos: end of the learning window
	addr  netip.AddrPort // the latched source; invalid before
	rank  int8           // how good addr is: rankSDP, rankSameIP, rankAny
}

// Ranks of a source: higher ones replace lower ones within the learning window.
const (
	rankNone int8 = iota - 1
	rankAny
	rankSameIP
	rankSDP
)

// Load returns the latched address, if any.
func (l *Latch) Load() (netip.AddrPort, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.addr, l.addr.IsValid()
}

// Arm records the party's SDP address (invalid when the SDP gives none) at now (unix nanos).
// A different address than before forgets the latch; an unlatched leg learns for window from now.
func (l *Latch) Arm(sdp netip.AddrPort, now int64, window time.Duration) {
	if sdp.IsValid() {
		sdp = netip.AddrPortFrom(sdp.Addr().Unmap(), sdp.Port())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.armed || sdp != l.sdp {
		l.armed, l.sdp = true, sdp
		l.nat = !sdp.IsValid() || behindNAT(sdp.Addr())
		l.addr, l.rank = netip.AddrPort{}, rankNone
	}
	if !l.addr.IsValid() {
		l.until = now + int64(window)
	}
}

// Reopen starts a new learning window at now if nothing is latched yet: a party that sent
// nothing while the call rang starts when it is answered.
func (l *Latch) Reopen(now int64, window time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.armed && !l.addr.IsValid() {
		l.until = now + int64(window)
	}
}

// Learn reports whether a packet from src at now (unix nanos) is to be taken. moved is the
// source given up for src, when that happened.
func (l *Latch) Learn(src netip.AddrPort, now int64) (ok bool, moved netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addr.IsValid() && src == l.addr {
		return true, netip.AddrPort{}
	}
	r := l.rankOf(src)
	if r == rankSDP || (now <= l.until && r > l.rank && r != rankNone) {
		moved = l.addr
		l.addr, l.rank = src, r
		return true, moved
	}
	return false, netip.AddrPort{}
}

func (l *Latch) rankOf(src netip.AddrPort) int8 {
	switch {
	case l.sdp.IsValid() && src == l.sdp:
		return rankSDP
	case l.sdp.IsValid() && src.Addr() == l.sdp.Addr():
		return rankSameIP
	case l.nat:
		return rankAny
	}
	return rankNone
}

// behindNAT reports whether an SDP address is one a party behind NAT would give: private
// (RFC 1918, RFC 6598 shared, IPv6 ULA), link-local or unspecified. Packets from such a party
// come from its NAT's public address instead.
func behindNAT(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
		return true
	}
	return a.Is4() && sharedSpace.Contains(a)
}

// sharedSpace is the carrier-grade NAT range (RFC 6598).
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
