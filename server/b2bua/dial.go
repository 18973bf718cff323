package b2bua

import (
	"context"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// dest is one place an outgoing INVITE goes: a registered device or the trunk.
type dest struct {
	uri       sip.Uri // Request-URI
	addr      string  // host:port to send to (NAT address of a registration), "" to resolve
	transport string
	auth      *sipgo.DigestAuth
	userAgent string // the registration's User-Agent ("" for the trunk)
	// ring, when set, overrides the attempt's identity, To and callee for this dest: one ring
	// attempt may ring several people at once (mediaapp.Ring.Users).
	ring *ringDest
}

// ringDest is one rung party of a multi-party attempt: the INVITE's From, headers and To, the
// party the answered leg talks to, and its index in the attempt's targets.
type ringDest struct {
	from     sip.Uri
	fromName string
	headers  []header
	to       sip.Uri
	callee   party
	target   int
}

// dialSpec describes an outgoing call attempt, forked to every dest at once.
type dialSpec struct {
	from     sip.Uri
	fromName string
	headers  []header // caller identity (P-Asserted-Identity, Privacy)
	to       sip.Uri
	dests    []dest
	media    *relay.Leg // the relay leg facing the callee, shared by all forks
	prefer   sdpmedia.Codec
	callee   party
	timeout  time.Duration
	// onProvisional is called for 18x responses, possibly from several forks at once.
	onProvisional func(*sip.Response)
	// outcome, when set, receives what a failed attempt saw (for personal routing).
	outcome *dialOutcome
	// release, when set, gives back the attempt's outside-call slot: the answered leg keeps it
	// until it ends, a failed attempt gives it back at once.
	release func()
	// pickup, when set, lets colleagues pick the call up while it rings (pickup.go).
	pickup *pickable
}

// dialing is the state the forks of one attempt share.
type dialing struct {
	mu     sync.Mutex
	done   bool
	winner *leg
	stopCh chan struct{}
}

// claim makes l the answering fork; false if another fork won or the attempt was abandoned.
func (d *dialing) claim(l *leg) bool { return d.claimThen(l, func() {}) }

// claimThen is claim that runs answer before anyone else sees the winner (a picked-up call's
// 200 to the picker).
func (d *dialing) claimThen(l *leg, answer func()) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return false
	}
	d.done, d.winner = true, l
	close(d.stopCh)
	answer()
	return true
}

// stop abandons the attempt and returns the winner if one had already claimed it.
func (d *dialing) stop() *leg {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.done {
		d.done = true
		close(d.stopCh)
	}
	return d.winner
}

type forkResult struct {
	leg  *leg
	code int
}

// dial rings every dest; the first 2xx wins (the other forks are cancelled and any late 2xx is
// ACKed and ended with BYE). It returns the answered leg (already ACKed, SDP applied), or nil
// and the SIP status to give the caller. Cancelling ctx abandons the attempt (487).
func (e *Engine) dial(ctx context.Context, s dialSpec) (*leg, int) {
	l, code := e.dialForks(ctx, s)
	if s.release != nil {
		if l == nil {
			s.release()
		} else {
			l.mu.Lock()
			l.release = s.release
			l.mu.Unlock()
		}
	}
	return l, code
}

func (e *Engine) dialForks(ctx context.Context, s dialSpec) (*leg, int) {
	if len(s.dests) == 0 {
		return nil, 480
	}
	if s.timeout <= 0 {
		s.timeout = e.cfg.RingTimeout
	}
	sdpID := uint64(time.Now().UnixNano()&0x7fffffff) + 1
	body, err := e.buildSDP(s.media, sdpmedia.Media{
		Codecs: offerCodecs(s.prefer), DTMFPT: sdpmedia.DefaultDTMFPT, Direction: sdpmedia.SendRecv, Ptime: 20,
	}, sdpID, 1)
	if err != nil {
		e.log.Error("build offer", "error", err)
		return nil, 500
	}
	// Devices reached over TLS are offered SRTP (the same relay leg and key for every fork).
	var secureBody []byte
	for _, dst := range s.dests {
		if e.secureDest(dst) && secureBody == nil {
			m := sdpmedia.Media{Codecs: offerCodecs(s.prefer), DTMFPT: sdpmedia.DefaultDTMFPT, Direction: sdpmedia.SendRecv, Ptime: 20}
			if err := offerCrypto(s.media, &m); err == nil {
				secureBody, err = e.buildSDP(s.media, m, sdpID, 1)
			}
			if err != nil {
				e.log.Error("build srtp offer", "error", err)
				return nil, 500
			}
		}
	}
	d := &dialing{stopCh: make(chan struct{})}
	// One result per fork, and one from a pickup.
	results := make(chan forkResult, len(s.dests)+1)
	if s.pickup != nil {
		defer e.addRinging(&ringingAttempt{p: s.pickup, started: time.Now(), d: d, media: s.media,
			prefer: s.prefer, results: results})()
	}
	for _, dst := range s.dests {
		b := body
		if e.secureDest(dst) {
			b = secureBody
		}
		e.goOwned(func() { e.fork(d, s, dst, b, sdpID, results) })
	}
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	codes := make([]int, 0, len(s.dests))
	for pending := len(s.dests); pending > 0; {
		select {
		case r := <-results:
			pending--
			if r.leg != nil {
				return r.leg, 200
			}
			codes = append(codes, r.code)
		case <-ctx.Done():
			if w := d.stop(); w != nil {
				e.endLeg(w, true)
			}
			return nil, 487
		case <-timer.C:
			if w := d.stop(); w != nil {
				return w, 200
			}
			if s.outcome != nil {
				s.outcome.timedOut = true
			}
			return nil, 480
		case <-e.stopping:
			if w := d.stop(); w != nil {
				e.endLeg(w, true)
			}
			return nil, 503
		}
	}
	if w := d.stop(); w != nil { // picked up: the forks' CANCELled answers came first
		return w, 200
	}
	if s.outcome != nil {
		s.outcome.codes = codes
	}
	return nil, failureCode(codes)
}

// failureCode maps the forks' final responses to the one the caller gets.
func failureCode(codes []int) int {
	best := 0
	for _, c := range codes {
		switch {
		case c == 486 || c == 600:
			return 486
		case c == 603:
			best = 603
		case best == 0 && (c == 404 || c == 484 || c == 403 || c == 488):
			best = c
		}
	}
	if best == 0 {
		best = 480
	}
	return best
}

func offerCodecs(prefer sdpmedia.Codec) []sdpmedia.Codec {
	codecs := []sdpmedia.Codec{}
	if prefer.Name != "" {
		codecs = append(codecs, sdpmedia.Codec{PT: staticPT(prefer), Name: prefer.Name, Rate: 8000})
	}
	for _, c := range sdpmedia.Supported {
		if len(codecs) == 0 || !equalName(c.Name, prefer.Name) {
			codecs = append(codecs, c)
		}
	}
	return codecs
}

// fork runs one INVITE client transaction of a dial attempt.
func (e *Engine) fork(d *dialing, s dialSpec, dst dest, body []byte, sdpID uint64, results chan<- forkResult) {
	req := sip.NewRequest(sip.INVITE, dst.uri)
	fromURI, fromName, headers, toURI := s.from, s.fromName, s.headers, s.to
	if r := dst.ring; r != nil {
		fromURI, fromName, headers, toURI = r.from, r.fromName, r.headers, r.to
	}
	from := &sip.FromHeader{DisplayName: fromName, Address: fromURI, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	to := &sip.ToHeader{Address: toURI, Params: sip.NewParams()}
	cid := sip.CallIDHeader(uuid.NewString())
	maxfwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	req.AppendHeader(&maxfwd)
	req.AppendHeader(e.contact(dst.transport))
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	for _, h := range headers {
		req.AppendHeader(sip.NewHeader(h.name, h.value))
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(body)
	e.addressRequest(req, dst.transport, dst.addr)

	tx, err := e.deps.Client.TransactionRequest(e.ctx, req)
	if err != nil {
		e.log.Debug("fork invite failed", "uri", dst.uri.String(), "error", err)
		results <- forkResult{code: 503}
		return
	}
	answered := false
	defer func() {
		if !answered { // an answered INVITE transaction stays to absorb 2xx retransmissions
			tx.Terminate()
		}
	}()
	var (
		provisional, cancelSent, authed bool
		stopCh                          = d.stopCh
		giveUp                          <-chan time.Time
	)
	sendCancel := func() {
		cancelSent = true
		c := cancelFor(req)
		e.goOwned(func() {
			ctx, cancel := context.WithTimeout(e.ctx, e.cfg.RequestTimeout)
			defer cancel()
			_, _ = e.deps.Client.Do(ctx, c)
		})
	}
	for {
		select {
		case res, ok := <-tx.Responses():
			if !ok {
				results <- forkResult{code: 503}
				return
			}
			switch {
			case res.IsProvisional():
				provisional = true
				if stopCh == nil && !cancelSent {
					sendCancel()
				} else if res.StatusCode > 100 && s.onProvisional != nil && stopCh != nil {
					s.onProvisional(res)
				}
			case res.IsSuccess():
				answered = true
				l := e.uacLeg(req, res, dst, s, sdpID)
				seq := req.CSeq().SeqNo
				e.sendAck(l, seq)
				// Our ACK may be lost: answer every retransmitted 2xx with another (RFC 6026).
				tx.OnRetransmission(func(r *sip.Response) {
					if r.IsSuccess() {
						e.sendAck(l, seq)
					}
				})
				if !d.claim(l) {
					// Answered after another device (or after the caller gave up): hang it up,
					// leaving the relay leg, which the forks share, to the winner.
					l.media = nil
					e.endLeg(l, true)
					results <- forkResult{code: 487}
					return
				}
				// Only the winner's answer may steer the shared relay leg.
				if m, err := sdpmedia.Parse(res.Body()); err == nil {
					e.applyAnswer(l, m)
				}
				results <- forkResult{leg: l}
				return
			case (res.StatusCode == 401 || res.StatusCode == 407) && dst.auth != nil && !authed:
				authed = true
				tx.Terminate()
				tx, err = e.deps.Client.TransactionDigestAuth(e.ctx, req, res, *dst.auth)
				if err != nil {
					results <- forkResult{code: 503}
					return
				}
			default:
				results <- forkResult{code: res.StatusCode}
				return
			}
		case <-stopCh:
			stopCh = nil
			giveUp = time.After(32 * time.Second)
			if provisional && !cancelSent {
				sendCancel()
			}
		case <-giveUp:
			results <- forkResult{code: 408}
			return
		case <-tx.Done():
			results <- forkResult{code: 408}
			return
		case <-e.ctx.Done():
			results <- forkResult{code: 503}
			return
		}
	}
}

// cancelFor builds the CANCEL of an INVITE (RFC 3261 section 9.1): same Request-URI, top Via,
// Call-ID, From, To, CSeq number and route.
func cancelFor(inv *sip.Request) *sip.Request {
	c := sip.NewRequest(sip.CANCEL, inv.Recipient)
	c.AppendHeader(sip.HeaderClone(inv.Via()))
	c.AppendHeader(sip.HeaderClone(inv.From()))
	c.AppendHeader(sip.HeaderClone(inv.To()))
	c.AppendHeader(sip.HeaderClone(inv.CallID()))
	c.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	maxfwd := sip.MaxForwardsHeader(70)
	c.AppendHeader(&maxfwd)
	sip.CopyHeaders("Route", inv, c)
	c.SetTransport(inv.Transport())
	c.SetDestination(inv.Destination())
	c.Laddr = inv.Laddr
	return c
}

// uacLeg builds the dialog state of an answered outgoing INVITE and applies the callee's SDP.
func (e *Engine) uacLeg(req *sip.Request, res *sip.Response, dst dest, s dialSpec, sdpID uint64) *leg {
	fromTag, _ := req.From().Params.Get("tag")
	toTag, _ := res.To().Params.Get("tag")
	l := &leg{
		callID:     string(*req.CallID()),
		localTag:   fromTag,
		remoteTag:  toTag,
		local:      req.From().Address,
		localName:  req.From().DisplayName,
		remote:     req.To().Address,
		transport:  dst.transport,
		dest:       dst.addr,
		auth:       dst.auth,
		media:      s.media,
		party:      s.callee,
		cseq:       req.CSeq().SeqNo,
		target:     req.Recipient,
		routes:     signaling.RouteSet(res.GetHeaders("Record-Route"), true),
		offeredDir: sdpmedia.SendRecv,
		sdpID:      sdpID,
		sdpVer:     1,
		ringTarget: -1,
	}
	if r := dst.ring; r != nil {
		l.party, l.ringTarget = r.callee, r.target
	}
	if len(l.routes) > 0 && !e.isTrunkDest(dst) {
		l.dest = "" // a proxy on the path: follow the route set
	}
	l.setTarget(res.Contact())
	return l
}

func (e *Engine) isTrunkDest(dst dest) bool { return dst.auth != nil }

func (e *Engine) buildSDP(media *relay.Leg, m sdpmedia.Media, id, ver uint64) ([]byte, error) {
	la := media.LocalAddr()
	m.Addr = e.cfg.MediaIP
	if !m.Addr.IsValid() {
		m.Addr = la.Addr()
	}
	m.Port = int(la.Port())
	return sdpmedia.Build(m, id, ver)
}
