package b2bua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// call is two connected legs whose relay legs are bridged. Its fields are guarded by Engine.mu.
type call struct {
	org  store.Org
	a, b *leg
	// back is the leg that goes back to its application (mediaapp.Ring.Resume) when the other
	// party hangs up first; nil: the call ends with either party.
	back *leg

	doneInit, doneClose sync.Once
	done                chan struct{}
}

// ended is closed when the call is over (mediaapp.Answered.Done).
func (c *call) ended() <-chan struct{} {
	c.doneInit.Do(func() { c.done = make(chan struct{}) })
	return c.done
}

// finish closes ended; the engine calls it when it forgets the call.
func (c *call) finish() {
	c.ended()
	c.doneClose.Do(func() { close(c.done) })
}

// other returns the leg of the call that is not l (nil if l is not in the call).
func (c *call) other(l *leg) *leg {
	switch l {
	case c.a:
		return c.b
	case c.b:
		return c.a
	}
	return nil
}

// replace puts n in the place of old.
func (c *call) replace(old, n *leg) {
	switch old {
	case c.a:
		c.a = n
	case c.b:
		c.b = n
	}
}

// partner returns the leg l is connected to.
func (e *Engine) partner(l *leg) *leg {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l.call == nil {
		return nil
	}
	return l.call.other(l)
}

// safe wraps a handler so that a bug triggered by a peer's message never crashes the server.
func (e *Engine) safe(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			if r := recover(); r != nil {
				e.log.Error("handler panicked", "method", req.Method, "panic", r)
				respond(tx, req, 500, "Server Internal Error")
			}
		}()
		h(req, tx)
	}
}

func (e *Engine) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		e.onReInvite(req, tx)
		return
	}
	if req.CallID() == nil || req.From() == nil || req.To() == nil || req.CSeq() == nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	if bad := unsupported(req); bad != "" {
		res := sip.NewResponseFromRequest(req, 420, "Bad Extension", nil)
		res.AppendHeader(sip.NewHeader("Unsupported", bad))
		_ = tx.Respond(res)
		return
	}
	if h := req.GetHeader("Replaces"); h != nil {
		e.onInviteReplaces(req, tx, h.Value())
		return
	}
	ctx := e.ctx
	var (
		org      store.Org
		caller   party
		internal bool
		err      error
	)
	dialled := req.Recipient.User
	did := "" // the pool number a trunk call came in on, for ServiceCall.DID
	if e.isTrunk(req) {
		org, dialled, err = e.inboundDID(ctx, dialled)
		if n, perr := number.Parse(req.Recipient.User, org.CountryCode); err == nil && perr == nil &&
			n.Kind == number.E164 && n.Value != dialled && dialled != req.Recipient.User {
			did = n.Value
		}
		if err != nil {
			e.log.Warn("trunk call without organisation", "number", dialled, "error", err)
			respond(tx, req, 404, "Not Found")
			return
		}
		caller = party{number: req.From().Address.User, display: req.From().DisplayName}
		if n, err := number.Parse(caller.number, org.CountryCode); err == nil {
			caller.number = n.Value
		}
	} else {
		var ok bool
		if org, caller, ok = e.authenticateUser(ctx, req, tx); !ok {
			return
		}
		internal = true
	}
	if dialled == "" {
		dialled = req.To().Address.User
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 100, "Trying", nil))

	// Emergency calls (CALL-10) go straight out on the trunk: no service number, forward,
	// activity, queue or rule applies, and neither barring nor the outside-call limits.
	emergency := internal && routing.IsEmergency(dialled, org.EmergencyNumbers)

	// Call pickup is the engine's own: only a user of the organisation picks up its calls.
	if internal && !emergency && e.isPickup(dialled) {
		e.pickup(ctx, req, tx, org, caller, dialled)
		return
	}

	// Service numbers (feature codes, voicemail, IVRs) are answered by the server itself.
	if e.deps.Services != nil && !emergency {
		sc := ServiceCall{Org: org, Caller: caller.user, CallerNumber: caller.number, Dialled: dialled, Internal: internal, DID: did}
		if flow, ok := e.deps.Services.Service(ctx, sc); ok && flow != nil {
			e.serveService(req, tx, org, caller, dialled, flow, "")
			return
		}
	}

	var target routing.Target
	if emergency {
		target = emergencyTarget(caller, dialled)
	} else if target, err = routing.Route(ctx, e.deps.Store, org, dialled, routing.Caller{Internal: internal, UserID: caller.user.ID}); err != nil {
		e.log.Error("route call", "error", err)
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	started := time.Now()
	callID := string(*req.CallID())
	switch target.Kind {
	case routing.Reject:
		respond(tx, req, 484, "Address Incomplete")
		e.logOutcome(ctx, callID, caller, caller, party{number: target.Number.Value}, store.Failed, started, false)
		return
	case routing.NotFound:
		respond(tx, req, 404, "Not Found")
		e.logOutcome(ctx, callID, caller, caller, party{number: target.Number.Value}, store.Failed, started, false)
		return
	case routing.Trunk:
		if e.cfg.Trunk.Host == "" {
			if emergency {
				e.log.Error("emergency call but no trunk configured", "org", org.Domain, "ext", caller.user.Extension)
				respond(tx, req, 503, "No trunk for emergency calls")
				e.logOutcome(ctx, callID, caller, caller, party{number: target.Number.Value}, store.Failed, started, false)
				return
			}
			respond(tx, req, 404, "Not Found")
			e.logOutcome(ctx, callID, caller, caller, party{number: target.Number.Value}, store.Failed, started, false)
			return
		}
	}
	// The caller as colleagues see it (PRES-3): by role for a user, as the carrier sent it for
	// a call from the trunk.
	shown := e.internalIdentity(caller, e.role(ctx, caller.user.ID), org).shown
	// Our To tag for the caller's dialog, kept when voicemail answers after ringing.
	tag := sip.GenerateTagN(16)
	// Personal routing (forwarding, presence, away notice) before anything rings.
	p := plan{target: target}
	if !emergency {
		p = e.arrive(ctx, org, shown, caller, target, 0, false)
	}
	if p.flow != nil {
		e.logOutcome(ctx, callID, party{}, shown, calleeOf(p.target), store.Missed, started, true)
		e.serveService(req, tx, org, caller, dialled, p.flow, tag)
		return
	}
	target = p.target

	offer, codecA, hasOffer, ok := inviteOffer(tx, req)
	if !ok {
		return
	}

	// Presence follows the caller from here on; the legs take over once answered.
	callerPres := newPresParty(caller, callID, false, calleeOf(target))
	e.report(callerPres, presence.PhoneDialing)
	var calleePres *presParty
	e.mu.Lock()
	e.setup++
	e.mu.Unlock()
	inSetup := true // guarded by e.mu; the answered call takes over the count atomically
	defer func() {
		e.mu.Lock()
		stillSetup := inSetup
		if inSetup {
			e.setup--
		}
		e.mu.Unlock()
		if stillSetup {
			e.report(callerPres, presence.PhoneIdle)
			e.report(calleePres, presence.PhoneIdle)
		}
	}()

	mediaA, err := e.deps.Relay.NewLeg()
	if err != nil {
		respond(tx, req, 503, "Service Unavailable")
		return
	}
	mediaB, err := e.deps.Relay.NewLeg()
	if err != nil {
		mediaA.Close()
		respond(tx, req, 503, "Service Unavailable")
		return
	}
	a := uasLeg(req, mediaA, caller)
	a.localTag = tag
	if hasOffer {
		a.remoteMedia, a.codec = offer, codecA
		if err := mediaA.SetRemote(offer, codecA); err != nil {
			e.log.Warn("relay set remote", "error", err)
		}
	}
	var answerA []byte
	if hasOffer {
		answerA, err = e.answer(a, offer, codecA)
	} else {
		answerA, err = e.offer(a, sdpmedia.SendRecv, sdpmedia.Codec{})
	}
	if err != nil {
		mediaA.Close()
		mediaB.Close()
		respond(tx, req, 500, "Server Internal Error")
		return
	}

	// Caller CANCEL (or a dead transaction) abandons the attempt.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tx.OnCancel(func(*sip.Request) { cancel() })
	go func() {
		select {
		case <-tx.Done():
			cancel()
		case <-dctx.Done():
		}
	}()

	var provMu sync.Mutex
	provSent, finalSent := false, false
	onProv := func(res *sip.Response) {
		provMu.Lock()
		defer provMu.Unlock()
		if provSent || finalSent {
			return
		}
		provSent = true
		var r *sip.Response
		if m, err := sdpmedia.Parse(res.Body()); err == nil && hasOffer && res.StatusCode == 183 {
			// Early media (a carrier's ringback): connect it now.
			if c, err := sdpmedia.Negotiate(m, sdpmedia.Supported); err == nil && mediaB.SetRemote(m, c) == nil {
				relay.Bridge(mediaA, mediaB)
				r = e.dialogResponse(req, a, 183, "Session Progress", answerA)
			}
		}
		if r == nil {
			r = e.dialogResponse(req, a, 180, "Ringing", nil)
		}
		_ = tx.Respond(r)
	}

	// Ring the target; when it fails, personal routing may forward the call (ring again) or
	// send it to voicemail.
	var (
		b           *leg
		code        int
		failReason  string
		id          identity
		calleeParty party
	)
	for {
		failReason = ""
		r, err := e.reachFor(ctx, org, caller, target, dialled)
		if err != nil {
			e.log.Error("user devices", "user", target.User.Extension, "error", err)
		}
		if target.Kind == routing.User && caller.number == "" {
			r.id.from = req.From().Address // a carrier's caller without a number
		}
		id, calleeParty = r.id, r.callee
		var out dialOutcome
		if len(r.dests) == 0 {
			code, failReason = r.failure(480)
		} else {
			e.report(calleePres, presence.PhoneIdle) // the previous target of a forward
			calleePres = newPresParty(calleeParty, "", true, id.shown)
			e.report(calleePres, presence.PhoneRinging)
			spec := r.spec(mediaB, codecA)
			spec.onProvisional, spec.timeout, spec.outcome = onProv, p.ring, &out
			if target.Kind == routing.User {
				spec.pickup = &pickable{orgID: org.ID, caller: caller.user.ID, users: map[int64]int{target.User.ID: -1}}
			}
			if b, code = e.dial(dctx, spec); b != nil {
				break
			}
		}
		if target.Kind != routing.User || code == 487 || dctx.Err() != nil {
			break
		}
		d := e.divert(ctx, org, shown, caller, target, out.stage(), p.hops, false)
		e.log.Debug("ring failed", "call_id", callID, "user", target.User.Extension, "code", code,
			"stage", out.stage().String(), "action", d.Action.Kind.String(), "reason", d.Action.Reason)
		if d.Action.Kind == routing.Forward {
			nt, ok := e.forwardTarget(ctx, org, target, d.Action)
			if !ok {
				break
			}
			e.logOutcome(ctx, callID, party{}, shown, calleeParty, store.Missed, started, true)
			p = e.arrive(ctx, org, shown, caller, nt, p.hops+1, false)
			if p.flow == nil {
				target = p.target
				continue
			}
			d.Flow = p.flow
		}
		if d.Flow == nil {
			break
		}
		// Voicemail answers instead: the caller's dialog goes on with the same tag.
		provMu.Lock()
		finalSent = true
		provMu.Unlock()
		mediaA.Close()
		mediaB.Close()
		e.logOutcome(ctx, callID, party{}, shown, calleeOf(p.target), store.Missed, started, true)
		e.serveService(req, tx, org, caller, dialled, d.Flow, tag)
		return
	}
	provMu.Lock()
	finalSent = true
	provMu.Unlock()
	if b == nil {
		mediaA.Close()
		mediaB.Close()
		if code != 487 { // sipgo already answered a CANCEL with 487
			if failReason == "" {
				failReason = reasonFor(code)
			}
			respond(tx, req, code, failReason)
		}
		outcome := store.Failed
		switch code {
		case 486, 603:
			outcome = store.Busy
		case 487:
			outcome = store.Cancelled
		}
		e.logOutcome(ctx, callID, caller, id.shown, calleeParty, outcome, started, true)
		return
	}

	if b.hasEnded() {
		// A picker who hung up at once (their BYE ended the leg before the call existed).
		mediaA.Close()
		respond(tx, req, 480, "Temporarily Unavailable")
		e.logOutcome(ctx, callID, caller, id.shown, calleeParty, store.Failed, started, true)
		return
	}
	// Answered: publish the call before answering so an immediate BYE finds it. Presence
	// hears of the answer first, so that the idle of an immediate BYE comes after it.
	now := time.Now()
	c := &call{org: org, a: a, b: b}
	a.call, b.call = c, c
	picked := b.party.user.ID != calleeParty.user.ID
	if picked {
		// A colleague picked the call up: the callee missed it, the picker talks.
		e.report(calleePres, presence.PhoneIdle)
		e.logOutcome(ctx, callID, party{}, id.shown, calleeParty, store.Missed, started, true)
		calleePres = newPresParty(b.party, "", true, id.shown)
	}
	a.rec = e.newRecord(callID, caller, b.party, store.Outgoing, started, now)
	b.rec = e.newRecord(callID, b.party, id.shown, store.Incoming, started, now)
	a.pres, b.pres = callerPres, calleePres
	e.report(callerPres, presence.PhoneOnCall)
	e.report(calleePres, presence.PhoneOnCall)
	if picked {
		e.repeer(a, b.party) // the caller talks to the picker
	}
	e.mu.Lock()
	e.calls[c] = struct{}{}
	e.legs[a.key()] = a
	e.legs[b.key()] = b
	e.setup--
	inSetup = false
	e.mu.Unlock()
	relay.Bridge(mediaA, mediaB)
	e.callConnected(c)
	if err := e.respond2xx(tx, req, a, e.dialogResponse(req, a, 200, "OK", answerA)); err != nil {
		e.log.Debug("answer caller failed", "call_id", callID, "error", err)
		e.hangup(c, a)
		return
	}
	e.log.Info("call answered", "call_id", callID, "from", caller.number, "to", b.party.number)
}

// authenticateUser resolves the organisation of a request from a local user and authenticates
// the user (digest challenge); when ok is false the request has been answered.
func (e *Engine) authenticateUser(ctx context.Context, req *sip.Request, tx sip.ServerTransaction) (org store.Org, p party, ok bool) {
	org, err := e.deps.Directory.OrgForRequest(ctx, req)
	if err != nil {
		respond(tx, req, 404, "Not Found")
		return store.Org{}, party{}, false
	}
	u, ok := e.deps.Directory.AuthenticateRequest(ctx, req, tx, org)
	if !ok {
		return store.Org{}, party{}, false
	}
	return org, party{user: u, number: u.Extension, display: u.Name}, true
}

// dialogResponse builds a response of the caller's dialog (our To tag, our Contact, SDP body).
func (e *Engine) dialogResponse(req *sip.Request, a *leg, code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	if to := res.To(); to != nil { // sipgo puts a random tag in; ours names the dialog
		to.Params.Add("tag", a.localTag)
	}
	res.AppendHeader(e.contact(a.transport))
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	if len(body) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	return res
}

func reasonFor(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 408:
		return "Request Timeout"
	case 480:
		return "Temporarily Unavailable"
	case 484:
		return "Address Incomplete"
	case 486:
		return "Busy Here"
	case 488:
		return "Not Acceptable Here"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Call Failed"
}

// uasLeg builds the dialog state of an incoming INVITE (RFC 3261 section 12.1.1).
func uasLeg(req *sip.Request, media *relay.Leg, p party) *leg {
	fromTag, _ := req.From().Params.Get("tag")
	l := &leg{
		callID:     string(*req.CallID()),
		localTag:   sip.GenerateTagN(16),
		remoteTag:  fromTag,
		local:      req.To().Address,
		remote:     req.From().Address,
		localName:  req.To().DisplayName,
		transport:  req.Transport(),
		dest:       req.Source(),
		media:      media,
		party:      p,
		cseq:       uint32(time.Now().UnixNano()%1000000) + 1,
		target:     req.From().Address,
		routes:     signaling.RouteSet(req.GetHeaders("Record-Route"), false),
		offeredDir: sdpmedia.SendRecv,
	}
	l.setTarget(req.Contact())
	return l
}

func (e *Engine) userDests(ctx context.Context, userID int64) ([]dest, error) {
	ts, err := e.deps.Directory.Targets(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]dest, 0, len(ts))
	for _, t := range ts {
		tp := t.Transport
		if tp == "" {
			tp = "udp"
		}
		out = append(out, dest{uri: t.Contact, addr: t.Destination, transport: tp, userAgent: t.UserAgent})
	}
	return out, nil
}

func (e *Engine) trunkDest(e164 string) dest {
	t := e.cfg.Trunk
	u := sip.Uri{Scheme: "sip", User: e164, Host: t.Host, Port: t.Port}
	if tp := strings.ToLower(t.Transport); tp != "udp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", tp)
	}
	d := dest{uri: u, transport: t.Transport}
	if t.Username != "" {
		d.auth = &sipgo.DigestAuth{Username: t.Username, Password: t.Password}
	} else {
		d.auth = &sipgo.DigestAuth{} // marks the trunk; an empty password never answers a challenge usefully
	}
	return d
}

// inboundDID resolves the number a call from the trunk dialled (CALL-3, ORG-1): a DID of an
// organisation's number pool rings its extension in that organisation; otherwise the trunk's
// own organisation (Trunk.OrgDomain) takes the call, with the configured DIDs map. It returns
// the organisation and what to route there.
func (e *Engine) inboundDID(ctx context.Context, dialled string) (store.Org, string, error) {
	n, err := number.Parse(dialled, "")
	if err != nil || n.Kind != number.E164 {
		// A national number: in the trunk organisation's country.
		if o, oerr := e.trunkOrg(ctx); oerr == nil {
			n, err = number.Parse(dialled, o.CountryCode)
		}
	}
	if err == nil && n.Kind == number.E164 {
		did, err := e.deps.Store.DIDByNumber(ctx, n.Value)
		switch {
		case err == nil:
			org, err := e.deps.Store.OrgByID(ctx, did.OrgID)
			if err != nil {
				return store.Org{}, dialled, fmt.Errorf("b2bua: organisation of DID %s: %w", n.Value, err)
			}
			if did.Extension == "" {
				// An unassigned pool number rings nobody.
				return org, n.Value, nil
			}
			return org, did.Extension, nil
		case !errors.Is(err, store.ErrNotFound):
			return store.Org{}, dialled, fmt.Errorf("b2bua: look up DID %s: %w", n.Value, err)
		}
	}
	org, err := e.trunkOrg(ctx)
	if err != nil {
		return store.Org{}, dialled, err
	}
	if n, err := number.Parse(dialled, org.CountryCode); err == nil {
		if ext, ok := e.cfg.Trunk.DIDs[n.Value]; ok {
			return org, ext, nil
		}
	}
	return org, dialled, nil
}

func (e *Engine) trunkOrg(ctx context.Context) (store.Org, error) {
	if d := e.cfg.Trunk.OrgDomain; d != "" {
		return e.deps.Store.OrgByDomain(ctx, d)
	}
	return e.deps.Store.DemoOrg(ctx)
}

// hangup ends a call: BYE to every leg except from, relay legs closed, call log written.
func (e *Engine) hangup(c *call, from *leg) {
	e.mu.Lock()
	if _, ok := e.calls[c]; !ok {
		e.mu.Unlock()
		if from != nil {
			e.endLeg(from, false)
		}
		return
	}
	if from != nil && from != c.a && from != c.b {
		// from was replaced (transfer, Replaces) before its BYE was handled: the call has
		// other parties now and goes on.
		e.mu.Unlock()
		e.endLeg(from, false)
		return
	}
	if back := c.back; back != nil && from != nil && from != back && back.service() != nil {
		// The person hung up: the caller goes back to its flow on the same relay leg.
		delete(e.calls, c)
		back.call = nil
		e.mu.Unlock()
		c.finish()
		e.endLeg(from, false)
		if m := back.mediaLeg(); m != nil {
			m.Unbridge()
		}
		e.log.Info("caller back in the application", "call_id", back.callID)
		return
	}
	delete(e.calls, c)
	legs := []*leg{c.a, c.b}
	e.mu.Unlock()
	c.finish()
	for _, l := range legs {
		if l != nil {
			e.endLeg(l, l != from)
		}
	}
}

// endLeg removes a leg: optionally BYE to its party, relay leg closed, call-log entry written.
func (e *Engine) endLeg(l *leg, bye bool) {
	e.mu.Lock()
	if e.legs[l.key()] == l {
		delete(e.legs, l.key())
	}
	l.call = nil
	e.mu.Unlock()
	l.mu.Lock()
	already := l.ended
	l.ended = true
	rec := l.rec
	l.rec = nil
	svc, media := l.svc, l.media
	release := l.release
	l.release = nil
	if !already {
		// Under l.mu, so that no later change of peer (repeer) can follow the idle.
		e.report(l.pres, presence.PhoneIdle)
	}
	l.mu.Unlock()
	if release != nil {
		release()
	}
	if already {
		return
	}
	if bye {
		e.sendBye(l)
	}
	if svc != nil {
		e.endService(l, svc)
	}
	if media != nil {
		st := media.Stats()
		l.mu.Lock()
		codecName := l.codec.Name
		l.mu.Unlock()
		e.log.Debug("leg ended", "call_id", l.callID, "party", l.party.number, "codec", codecName,
			"rtp_in", st.PacketsIn, "rtp_out", st.PacketsOut, "dropped", st.Dropped,
			"remote", st.Remote.String(), "latched", st.Latched.String())
		_ = media.Close()
	}
	if rec != nil {
		rec.EndedAt = time.Now()
		e.addRecord(*rec)
	}
}

func (e *Engine) newRecord(callID string, self, peer party, dir store.Direction, started, answered time.Time) *store.CallRecord {
	if self.user.ID == 0 {
		return nil
	}
	return &store.CallRecord{
		UserID: self.user.ID, CallID: callID, Direction: dir, Peer: peer.number, PeerName: peer.display,
		Outcome: store.Answered, StartedAt: started, AnsweredAt: answered,
	}
}

// logOutcome writes the entries of a call that was never answered: the caller's outcome and,
// when the callee was a user who should have rung, a missed call from the caller as shown to
// the callee (anonymous for a hidden caller).
func (e *Engine) logOutcome(ctx context.Context, callID string, caller, shown, callee party, outcome store.Outcome, started time.Time, calleeMissed bool) {
	now := time.Now()
	if caller.user.ID != 0 {
		e.addRecord(store.CallRecord{UserID: caller.user.ID, CallID: callID, Direction: store.Outgoing,
			Peer: callee.number, PeerName: callee.display, Outcome: outcome, StartedAt: started, EndedAt: now})
	}
	if calleeMissed && callee.user.ID != 0 {
		e.addRecord(store.CallRecord{UserID: callee.user.ID, CallID: callID, Direction: store.Incoming,
			Peer: shown.number, PeerName: shown.display, Outcome: store.Missed, StartedAt: started, EndedAt: now})
	}
}

func (e *Engine) addRecord(r store.CallRecord) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.deps.Store.AddCall(ctx, r); err != nil && !errors.Is(err, context.Canceled) {
		e.log.Warn("call log write failed", "user_id", r.UserID, "error", err)
	}
}

// unsupported returns the option tags of the request's Require headers that the engine does
// not implement (RFC 3261 section 8.2.2.3), comma-separated, or "".
func unsupported(req *sip.Request) string {
	var bad []string
	for _, h := range req.GetHeaders("Require") {
		for _, tag := range strings.Split(h.Value(), ",") {
			switch tag = strings.TrimSpace(strings.ToLower(tag)); tag {
			case "", "replaces":
			default:
				bad = append(bad, tag)
			}
		}
	}
	return strings.Join(bad, ", ")
}
