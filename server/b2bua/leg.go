package b2bua

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// leg is one SIP dialog between the server and a party, with the relay leg facing that party.
// Identity fields are set before the leg is published in Engine.legs and never change after.
type leg struct {
	callID    string
	localTag  string
	remoteTag string
	local     sip.Uri // our URI in this dialog (From when we are UAC, To when UAS)
	localName string
	remote    sip.Uri
	transport string // "UDP", "TCP", "TLS"
	dest      string // host:port to send to; empty means resolve from route set / target
	auth      *sipgo.DigestAuth

	media *relay.Leg

	// party is who this leg talks to, for the call log and caller identity on transfers.
	party party

	mu          sync.Mutex
	cseq        uint32
	target      sip.Uri
	routes      []sip.Uri
	call        *call // guarded by Engine.mu
	remoteMedia sdpmedia.Media
	codec       sdpmedia.Codec
	offeredDir  sdpmedia.Direction // direction of our last offer to this party
	sdpID       uint64
	sdpVer      uint64
	reinvite    sync.Mutex // one outgoing re-INVITE at a time
	ended       bool
	ackCh       chan struct{} // closed when the ACK for our 2xx with CSeq ackSeq arrives
	ackSeq      uint32
	rec         *store.CallRecord // this party's call-log entry, written when the leg ends
	// pres is the party's part as presence sees it (nil for trunk parties and losing forks);
	// set before the leg is published, reported idle when the leg ends. Guarded by mu once
	// published.
	pres *presParty
	// svc is the media application of a service call (then media is nil); set before the leg
	// is published.
	svc *service
	// ringTarget is the index of the rung party among a multi-party attempt's targets that
	// this leg answered for (-1 otherwise); set before the leg is published.
	ringTarget int
	// release gives back the outside-call slot of a leg to the trunk (allowOutside); called
	// once when the leg ends. Guarded by mu.
	release func()
}

// party identifies the person or number at the far end of a leg.
type party struct {
	user    store.User // ID 0 for an external party
	number  string     // extension or E.164 as shown to others
	display string
}

func (p party) uri(domain string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: p.number, Host: domain}
}

func (l *leg) key() string { return dialogKey(l.callID, l.localTag) }

// hasEnded reports whether the leg has ended.
func (l *leg) hasEnded() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ended
}

func (l *leg) nextCSeq() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cseq++
	return l.cseq
}

// allowed lists the methods the engine handles, advertised so that phones offer transfer.
const allowed = "INVITE, ACK, CANCEL, BYE, REFER, INFO, NOTIFY, UPDATE, OPTIONS"

// newRequest builds an in-dialog request (RFC 3261 section 12.2.1.1).
func (e *Engine) newRequest(l *leg, method sip.RequestMethod) *sip.Request {
	l.mu.Lock()
	target, routes := l.target, l.routes
	l.mu.Unlock()
	req := sip.NewRequest(method, target)
	from := &sip.FromHeader{DisplayName: l.localName, Address: l.local, Params: sip.NewParams()}
	from.Params.Add("tag", l.localTag)
	to := &sip.ToHeader{Address: l.remote, Params: sip.NewParams()}
	if l.remoteTag != "" {
		to.Params.Add("tag", l.remoteTag)
	}
	cid := sip.CallIDHeader(l.callID)
	maxfwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	if method != sip.ACK {
		req.AppendHeader(&sip.CSeqHeader{SeqNo: l.nextCSeq(), MethodName: method})
	}
	req.AppendHeader(&maxfwd)
	for _, r := range routes {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	req.AppendHeader(e.contact(l.transport))
	e.addressRequest(req, l.transport, l.dest)
	return req
}

// addressRequest sets transport and destination of an outgoing request.
func (e *Engine) addressRequest(req *sip.Request, transport, dest string) {
	signaling.AddressRequest(req, transport, dest, e.deps.UA, e.cfg.UDPLocal)
}

// do sends a non-INVITE in-dialog request and waits for its final response, answering one
// digest challenge when the leg has credentials (trunk).
func (e *Engine) do(ctx context.Context, l *leg, req *sip.Request) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	res, err := e.deps.Client.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Method, err)
	}
	if (res.StatusCode == 401 || res.StatusCode == 407) && l.auth != nil {
		l.mu.Lock()
		l.cseq++ // DoDigestAuth raises the CSeq of req by one
		l.mu.Unlock()
		res, err = e.deps.Client.DoDigestAuth(ctx, req, res, *l.auth)
		if err != nil {
			return nil, fmt.Errorf("%s with auth: %w", req.Method, err)
		}
	}
	return res, nil
}

// sendBye ends the leg's dialog from our side.
func (e *Engine) sendBye(l *leg) {
	req := e.newRequest(l, sip.BYE)
	e.goOwned(func() {
		res, err := e.do(e.ctx, l, req)
		if err != nil {
			e.log.Debug("bye failed", "call_id", l.callID, "error", err)
			return
		}
		if res.StatusCode >= 300 {
			e.log.Debug("bye rejected", "call_id", l.callID, "status", res.StatusCode)
		}
	})
}

// reinvite sends an offer to the leg's party in a re-INVITE and applies the answer.
func (e *Engine) reinvite(ctx context.Context, l *leg, dir sdpmedia.Direction) error {
	l.reinvite.Lock()
	defer l.reinvite.Unlock()
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return nil
	}
	prev := l.offeredDir
	l.offeredDir = dir
	current := l.codec
	l.mu.Unlock()
	ok := false
	defer func() {
		if !ok { // not offered after all (e.g. 491 on glare): let the next change try again
			l.mu.Lock()
			l.offeredDir = prev
			l.mu.Unlock()
		}
	}()
	body, err := e.offer(l, dir, current)
	if err != nil {
		return err
	}
	req := e.newRequest(l, sip.INVITE)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(body)
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout+20*time.Second)
	defer cancel()
	tx, err := e.deps.Client.TransactionRequest(ctx, req)
	if err != nil {
		return fmt.Errorf("re-INVITE: %w", err)
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if (res.StatusCode == 401 || res.StatusCode == 407) && l.auth != nil {
				l.mu.Lock()
				l.cseq++
				l.mu.Unlock()
				tx.Terminate()
				tx, err = e.deps.Client.TransactionDigestAuth(ctx, req, res, *l.auth)
				if err != nil {
					return fmt.Errorf("re-INVITE auth: %w", err)
				}
				continue
			}
			if !res.IsSuccess() {
				return fmt.Errorf("re-INVITE: %d %s", res.StatusCode, res.Reason)
			}
			ok = true
			e.sendAck(l, req.CSeq().SeqNo)
			if m, err := sdpmedia.Parse(res.Body()); err == nil {
				e.applyAnswer(l, m)
			}
			return nil
		case <-tx.Done():
			return fmt.Errorf("re-INVITE: %w", tx.Err())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sendAck acknowledges a 2xx to an INVITE with CSeq seq.
func (e *Engine) sendAck(l *leg, seq uint32) {
	ack := e.newRequest(l, sip.ACK)
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.ACK})
	if err := e.deps.Client.WriteRequest(ack); err != nil {
		e.log.Debug("ack failed", "call_id", l.callID, "error", err)
	}
}

// offer builds our SDP offer for the party of l: preferred codec first, then the others. It
// keeps SRTP as the party last negotiated it; to a party with no SDP yet that reached us over
// TLS it offers SRTP.
func (e *Engine) offer(l *leg, dir sdpmedia.Direction, prefer sdpmedia.Codec) ([]byte, error) {
	m := sdpmedia.Media{Codecs: offerCodecs(prefer), DTMFPT: sdpmedia.DefaultDTMFPT, Direction: dir, Ptime: 20}
	l.mu.Lock()
	party, media := l.remoteMedia, l.media
	l.mu.Unlock()
	switch {
	case media == nil: // a typed nil must not reach the keyer interface
	case party.Port == 0 && len(party.Codecs) == 0 && strings.EqualFold(l.transport, "tls"):
		if err := offerCrypto(media, &m); err != nil {
			return nil, err
		}
	default:
		if err := withCrypto(media, &m, party); err != nil {
			return nil, err
		}
	}
	return e.sdp(l, m)
}

// answer builds our SDP answer to the party's offer m with the chosen codec, with the leg's
// SRTP key when m offers one.
func (e *Engine) answer(l *leg, m sdpmedia.Media, c sdpmedia.Codec) ([]byte, error) {
	a := sdpmedia.Media{Codecs: []sdpmedia.Codec{c}, DTMFPT: m.DTMFPT, Direction: offeredDirection(m).Reverse(), Ptime: m.Ptime}
	l.mu.Lock()
	media := l.media
	l.mu.Unlock()
	if media != nil {
		if err := withCrypto(media, &a, m); err != nil {
			return nil, err
		}
	}
	return e.sdp(l, a)
}

// offeredDirection is the direction an offer asks for; the old hold style c=0.0.0.0 counts as
// sendonly (RFC 3264 section 8.4).
func offeredDirection(m sdpmedia.Media) sdpmedia.Direction {
	dir := m.Direction
	if dir == "" {
		dir = sdpmedia.SendRecv
	}
	if m.Addr.IsValid() && m.Addr.IsUnspecified() && dir == sdpmedia.SendRecv {
		dir = sdpmedia.SendOnly
	}
	return dir
}

func (e *Engine) sdp(l *leg, m sdpmedia.Media) ([]byte, error) {
	l.mu.Lock()
	if l.sdpID == 0 {
		l.sdpID = uint64(time.Now().UnixNano()&0x7fffffff) + 1
	}
	l.sdpVer++
	id, ver := l.sdpID, l.sdpVer
	l.mu.Unlock()
	return e.buildSDP(l.media, m, id, ver)
}

func equalName(a, b string) bool { return strings.EqualFold(a, b) }

func staticPT(c sdpmedia.Codec) uint8 {
	switch strings.ToUpper(c.Name) {
	case "PCMU":
		return 0
	case "PCMA":
		return 8
	}
	return c.PT
}

// applyAnswer records the party's SDP (answer or offer) on the leg and its relay leg.
func (e *Engine) applyAnswer(l *leg, m sdpmedia.Media) {
	c, err := sdpmedia.Negotiate(m, sdpmedia.Supported)
	if err != nil {
		e.log.Debug("no common codec in answer", "call_id", l.callID)
		return
	}
	l.mu.Lock()
	l.remoteMedia, l.codec = m, c
	l.mu.Unlock()
	if err := l.media.SetRemote(m, c); err != nil {
		e.log.Warn("relay set remote", "call_id", l.callID, "error", err)
	}
}

// pickCodec chooses the codec for the party's offer: the leg's current codec when still offered
// (no change mid-call), else the party's first supported codec.
func pickCodec(m sdpmedia.Media, current sdpmedia.Codec) (sdpmedia.Codec, error) {
	if current.Name != "" {
		for _, c := range m.Codecs {
			if strings.EqualFold(c.Name, current.Name) && c.Rate == current.Rate {
				return c, nil
			}
		}
	}
	return sdpmedia.Negotiate(m, sdpmedia.Supported)
}

// setTarget updates the remote target from a Contact header (target refresh).
func (l *leg) setTarget(h *sip.ContactHeader) {
	if h == nil {
		return
	}
	l.mu.Lock()
	l.target = h.Address
	l.mu.Unlock()
}

// respond2xx sends a 2xx to an INVITE of l's party and, over UDP, retransmits it until the ACK
// arrives (RFC 3261 section 13.3.1.4); without an ACK after 32 s the call is ended.
func (e *Engine) respond2xx(tx sip.ServerTransaction, req *sip.Request, l *leg, res *sip.Response) error {
	ch := make(chan struct{})
	l.mu.Lock()
	if l.ackCh != nil { // a newer INVITE implies the older 2xx got through
		close(l.ackCh)
	}
	l.ackCh, l.ackSeq = ch, req.CSeq().SeqNo
	l.mu.Unlock()
	if err := tx.Respond(res); err != nil {
		return err
	}
	if !strings.EqualFold(req.Transport(), "udp") {
		return nil
	}
	e.goOwned(func() {
		interval := 500 * time.Millisecond
		timer := time.NewTimer(interval)
		defer timer.Stop()
		deadline := time.Now().Add(32 * time.Second)
		for {
			select {
			case <-ch:
				return
			case ack := <-tx.Acks():
				// An ACK reusing the INVITE's branch (SIPp, older UAs) is matched to the
				// INVITE transaction by sipgo and delivered here instead of to onAck.
				if ack != nil {
					e.handleAck(l, ack)
				}
				return
			case <-e.ctx.Done():
				return
			case <-timer.C:
			}
			l.mu.Lock()
			ended := l.ended
			l.mu.Unlock()
			if ended {
				return
			}
			if time.Now().After(deadline) {
				e.log.Warn("no ACK for 2xx, ending call", "call_id", l.callID)
				e.mu.Lock()
				c := l.call
				e.mu.Unlock()
				if c != nil {
					e.hangup(c, nil)
				} else {
					e.endLeg(l, true)
				}
				return
			}
			_ = tx.Respond(res)
			if interval *= 2; interval > 4*time.Second {
				interval = 4 * time.Second
			}
			timer.Reset(interval)
		}
	})
	return nil
}

// acked records an ACK from l's party.
func (l *leg) acked(seq uint32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ackCh != nil && seq == l.ackSeq {
		close(l.ackCh)
		l.ackCh = nil
	}
}
