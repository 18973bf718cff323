package b2bua

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// replaces is the dialog named by a Replaces header (RFC 3891).
type replaces struct {
	callID, toTag, fromTag string
}

// parseReplaces reads "callid;to-tag=x;from-tag=y".
func parseReplaces(v string) (replaces, error) {
	parts := strings.Split(strings.TrimSpace(v), ";")
	r := replaces{callID: strings.TrimSpace(parts[0])}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "to-tag":
			r.toTag = val
		case "from-tag":
			r.fromTag = val
		}
	}
	if r.callID == "" || r.toTag == "" || r.fromTag == "" {
		return replaces{}, fmt.Errorf("parse replaces %q: missing call-id or tags", v)
	}
	return r, nil
}

// parseReferTo reads a Refer-To value: the target URI and an embedded Replaces, if any.
func parseReferTo(v string) (sip.Uri, *replaces, error) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.LastIndexByte(v, '>')
		if j < i {
			return sip.Uri{}, nil, fmt.Errorf("parse refer-to %q: unbalanced <>", v)
		}
		v = v[i+1 : j]
	}
	raw, headers, _ := strings.Cut(v, "?")
	var u sip.Uri
	if err := sip.ParseUri(raw, &u); err != nil {
		return sip.Uri{}, nil, fmt.Errorf("parse refer-to uri: %w", err)
	}
	for _, h := range strings.Split(headers, "&") {
		k, val, ok := strings.Cut(h, "=")
		if !ok || !strings.EqualFold(k, "Replaces") {
			continue
		}
		dec, err := url.QueryUnescape(val)
		if err != nil {
			return sip.Uri{}, nil, fmt.Errorf("parse refer-to replaces: %w", err)
		}
		r, err := parseReplaces(dec)
		if err != nil {
			return sip.Uri{}, nil, err
		}
		return u, &r, nil
	}
	return u, nil, nil
}

// onRefer performs a transfer requested by a party (CALL-6): blind when Refer-To names a
// number, attended when it carries Replaces naming another dialog of the server.
func (e *Engine) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	l := e.lookup(req)
	if l == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		respond(tx, req, 400, "Missing Refer-To")
		return
	}
	target, rep, err := parseReferTo(h.Value())
	if err != nil {
		respond(tx, req, 400, "Bad Refer-To")
		return
	}
	e.mu.Lock()
	c := l.call
	var other *leg
	if c != nil {
		other = c.other(l)
	}
	e.mu.Unlock()
	if c == nil || other == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if code, reason := e.mayRefer(e.ctx, req, l, c, target, rep); code != 0 {
		respond(tx, req, code, reason)
		return
	}
	res := sip.NewResponseFromRequest(req, 202, "Accepted", nil)
	res.AppendHeader(e.contact(l.transport))
	if err := tx.Respond(res); err != nil {
		return
	}
	e.goOwned(func() {
		e.notifyRefer(l, 100, "Trying", false)
		if rep != nil {
			e.attendedTransfer(l, *rep)
			return
		}
		e.blindTransfer(l, c, other, target.User)
	})
}

// mayRefer checks a REFER on leg l of call c before it is accepted; a non-zero code refuses it.
// Only a user of the call's organisation may transfer (toll-fraud protection: an outside
// caller's REFER would make the server dial for it), and only within the organisation: a
// Refer-To naming another organisation's domain, or Replaces naming a dialog of another
// organisation's call, is refused.
func (e *Engine) mayRefer(ctx context.Context, req *sip.Request, l *leg, c *call, target sip.Uri, rep *replaces) (int, string) {
	if e.isTrunk(req) || l.party.user.ID == 0 || l.party.user.OrgID != c.org.ID {
		e.log.Warn("refer refused", "reason", "not a user of the organisation", "call_id", l.callID, "source", req.Source(), "party", l.party.number)
		return 403, "Only the organisation's users may transfer"
	}
	// The dialog's identifiers are no secret to whoever saw the signalling: the REFER must come
	// from the address the party's phone uses (by IP; the port may differ over TCP or NAT).
	if want, _, err := net.SplitHostPort(l.dest); err == nil && want != "" {
		if got, _, err := net.SplitHostPort(req.Source()); err != nil || !sameIP(got, want) {
			e.log.Warn("refer refused", "reason", "not from the party's address", "call_id", l.callID, "source", req.Source(), "party_addr", l.dest)
			return 403, "Forbidden"
		}
	}
	if h := target.Host; h != "" && !strings.EqualFold(h, c.org.Domain) {
		if o, err := e.deps.Store.OrgByDomain(ctx, strings.ToLower(h)); err == nil && o.ID != c.org.ID {
			e.log.Warn("refer refused", "reason", "target in another organisation", "call_id", l.callID, "ext", l.party.user.Extension, "target", target.String())
			return 403, "Transfer target in another organisation"
		}
	}
	if rep != nil {
		if r := e.findDialog(rep.callID, rep.toTag, rep.fromTag); r != nil {
			e.mu.Lock()
			rc := r.call
			e.mu.Unlock()
			if rc != nil && rc.org.ID != c.org.ID {
				e.log.Warn("refer refused", "reason", "replaces a dialog of another organisation", "call_id", l.callID, "ext", l.party.user.Extension)
				return 403, "Dialog of another organisation"
			}
		}
	}
	return 0, ""
}

// sameIP compares two IP address strings (IPv4-mapped forms alike); unparsable ones as text.
func sameIP(a, b string) bool {
	x, errA := netip.ParseAddr(strings.Trim(a, "[]"))
	y, errB := netip.ParseAddr(strings.Trim(b, "[]"))
	if errA != nil || errB != nil {
		return strings.EqualFold(a, b)
	}
	return x.Unmap() == y.Unmap()
}

// notifyRefer reports transfer progress to the transferor (RFC 3515 section 2.4.4).
func (e *Engine) notifyRefer(l *leg, code int, reason string, final bool) {
	req := e.newRequest(l, sip.NOTIFY)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(fmt.Sprintf("SIP/2.0 %d %s\r\n", code, reason)))
	if _, err := e.do(e.ctx, l, req); err != nil {
		e.log.Debug("refer notify failed", "call_id", l.callID, "error", err)
	}
}

// blindTransfer performs a REFER without Replaces: dialled is called on behalf of other (the
// transferee) and, once answered, connected with other; the transferor l hears of the progress
// in NOTIFYs and its leg ends.
func (e *Engine) blindTransfer(l *leg, c *call, other *leg, dialled string) {
	code := e.transferTo(l, c, other, dialled, nil)
	if code != 200 {
		e.notifyRefer(l, code, reasonFor(code), true)
		return
	}
	e.notifyRefer(l, 200, "OK", true)
	e.endLeg(l, true)
	e.log.Info("blind transfer done", "transferee", other.party.number, "target", dialled)
}

// transferTo is the common part of blind transfer (REFER) and the DTMF transfer code: it calls
// dialled on behalf of other (the transferee), presented by other's identity as if other had
// dialled, and once answered puts the new leg in the place of l (the transferor) in c, bridged
// with other. beforeBridge, when not nil, runs just before other's media is bridged to the new
// party. It returns 200 when other is connected (l has left the call then, and the caller ends
// it), else the SIP status of the failure; the call log has the failed attempt. A number of
// Deps.Transfers (call park) runs its flow on other's relay leg instead (transferIntoService).
func (e *Engine) transferTo(l *leg, c *call, other *leg, dialled string, beforeBridge func()) int {
	ctx := e.ctx
	started := time.Now()
	if flow, ok := e.transferFlow(ctx, l, c, other, dialled); ok {
		return e.transferIntoService(l, c, other, dialled, flow, beforeBridge)
	}
	target, err := routing.Route(ctx, e.deps.Store, c.org, dialled, routing.Caller{Internal: true, UserID: l.party.user.ID})
	if err != nil || (target.Kind != routing.User && target.Kind != routing.Trunk) {
		return 404
	}
	// The transferee calls the target now: presented by its own role, as if it dialled.
	r, err := e.reachFor(ctx, c.org, other.party, target, dialled)
	id, callee := r.id, r.callee
	if err != nil || len(r.dests) == 0 {
		r.drop()
		e.logOutcome(ctx, l.callID, party{}, id.shown, callee, store.Failed, started, true)
		code, _ := r.failure(480)
		return code
	}
	media, err := e.deps.Relay.NewLeg()
	if err != nil {
		r.drop()
		return 503
	}
	other.mu.Lock()
	prefer := other.codec
	other.mu.Unlock()
	spec := r.spec(media, prefer)
	// The target rings until it answers (and is on the call) or the attempt ends.
	targetPres := newPresParty(callee, "", true, id.shown)
	e.report(targetPres, presence.PhoneRinging)
	handedOver := false
	defer func() {
		if !handedOver {
			e.report(targetPres, presence.PhoneIdle)
		}
	}()
	// The transfer is abandoned if the call ends while the target rings.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.goOwned(func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-dctx.Done():
				return
			case <-t.C:
				if e.partner(other) != l {
					cancel()
					return
				}
			}
		}
	})
	w, code := e.dial(dctx, spec)
	if w == nil {
		media.Close()
		e.logOutcome(ctx, l.callID, party{}, id.shown, callee, store.Failed, started, true)
		return code
	}
	// Presence hears of the answer before the leg is published (and could end); from here
	// the leg reports the target's idle.
	w.pres = targetPres
	e.report(targetPres, presence.PhoneOnCall)
	handedOver = true
	e.mu.Lock()
	if _, ok := e.calls[c]; !ok || c.other(l) != other {
		e.mu.Unlock()
		e.endLeg(w, true)
		return 487
	}
	c.replace(l, w)
	w.call = c
	// The transferor's leg leaves the call now: its own BYE, which may cross the final NOTIFY,
	// must end only that leg, not the call it has handed over.
	l.call = nil
	e.legs[w.key()] = w
	e.mu.Unlock()
	w.rec = e.newRecord(w.callID, callee, id.shown, store.Incoming, started, time.Now())
	if beforeBridge != nil {
		beforeBridge()
	}
	relay.Bridge(other.media, w.media)
	e.callConnected(c)
	e.repeer(other, callee)
	e.resume(other)
	return 200
}

// attendedTransfer joins the transferor's two calls: l's partner is connected with the partner
// of the dialog rep names, and both of the transferor's legs end.
func (e *Engine) attendedTransfer(l *leg, rep replaces) {
	r := e.findDialog(rep.callID, rep.toTag, rep.fromTag)
	if r == nil || r == l {
		e.notifyRefer(l, 481, "Call/Transaction Does Not Exist", true)
		return
	}
	e.mu.Lock()
	c1, c2 := l.call, r.call
	var b, cc *leg
	if c1 != nil && c2 != nil && c1 != c2 {
		b, cc = c1.other(l), c2.other(r)
	}
	if b == nil || cc == nil {
		e.mu.Unlock()
		e.notifyRefer(l, 481, "Call/Transaction Does Not Exist", true)
		return
	}
	c1.replace(l, cc)
	cc.call = c1
	c2.a, c2.b = nil, nil
	delete(e.calls, c2)
	// Both of the transferor's legs leave the calls now. Phones (linphonec among them) send
	// BYE on their legs as soon as they get the final NOTIFY, often before endLeg below runs;
	// a leg still pointing at c1 would take that BYE as hanging up the joined call.
	l.call, r.call = nil, nil
	e.mu.Unlock()
	c2.finish()
	relay.Bridge(b.media, cc.media)
	e.callConnected(c1)
	e.repeer(b, cc.party)
	e.repeer(cc, b.party)
	e.resume(b)
	e.resume(cc)
	e.notifyRefer(l, 200, "OK", true)
	e.endLeg(l, true)
	e.endLeg(r, true)
	e.log.Info("attended transfer done", "a", b.party.number, "b", cc.party.number)
}

// onInviteReplaces lets a party take the place of an existing leg (RFC 3891), e.g. a phone
// completing an attended transfer or picking up a call on another device.
func (e *Engine) onInviteReplaces(req *sip.Request, tx sip.ServerTransaction, value string) {
	rep, err := parseReplaces(value)
	if err != nil {
		respond(tx, req, 400, "Bad Replaces")
		return
	}
	r := e.findDialog(rep.callID, rep.toTag, rep.fromTag)
	if r == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	ctx := e.ctx
	var p party
	e.mu.Lock()
	var rOrg int64
	if r.call != nil {
		rOrg = r.call.org.ID
	}
	e.mu.Unlock()
	if e.isTrunk(req) {
		// The carrier may replace only a dialog that faces it, never a user's.
		if r.party.user.ID != 0 {
			e.log.Warn("replaces refused", "reason", "trunk replacing a user's dialog", "call_id", rep.callID, "source", req.Source())
			respond(tx, req, 403, "Forbidden")
			return
		}
	} else {
		var ok bool
		var org store.Org
		if org, p, ok = e.authenticateUser(ctx, req, tx); !ok {
			return
		}
		if rOrg != 0 && rOrg != org.ID {
			e.log.Warn("replaces refused", "reason", "dialog of another organisation", "call_id", rep.callID, "ext", p.user.Extension, "org", org.Domain)
			respond(tx, req, 403, "Dialog of another organisation")
			return
		}
	}
	m, codec, err := sdpmedia.ParseNegotiate(req.Body(), sdpmedia.Supported)
	if err != nil || srtpRefused(m) {
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	media, err := e.deps.Relay.NewLeg()
	if err != nil {
		respond(tx, req, 503, "Service Unavailable")
		return
	}
	x := uasLeg(req, media, p)
	x.remoteMedia, x.codec = m, codec
	x.pres = newPresParty(p, x.callID, false, party{})
	_ = media.SetRemote(m, codec)
	body, err := e.answer(x, m, codec)
	if err != nil {
		media.Close()
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	e.mu.Lock()
	c := r.call
	var other *leg
	if c != nil {
		other = c.other(r)
	}
	if other == nil {
		e.mu.Unlock()
		media.Close()
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if x.pres != nil {
		x.pres.peer = other.party.number
	}
	// On the call before the leg is published and before the replaced party goes idle, so
	// that a user picking up on another device never flickers to idle.
	e.report(x.pres, presence.PhoneOnCall)
	c.replace(r, x)
	x.call = c
	r.call = nil // a BYE from the replaced party ends only its own leg
	e.legs[x.key()] = x
	e.mu.Unlock()
	x.rec = e.newRecord(x.callID, p, other.party, store.Incoming, time.Now(), time.Now())
	relay.Bridge(other.media, media)
	e.callConnected(c)
	e.repeer(other, p)
	_ = e.respond2xx(tx, req, x, e.dialogResponse(req, x, 200, "OK", body))
	e.endLeg(r, true)
	e.resume(other)
}

// resume takes a party that the transferor had put on hold off hold: after a transfer the party
// talks to someone new, so it must send and receive again.
func (e *Engine) resume(l *leg) {
	l.mu.Lock()
	held := l.offeredDir != sdpmedia.SendRecv
	l.mu.Unlock()
	if !held {
		return
	}
	e.goOwned(func() {
		if err := e.reinvite(e.ctx, l, sdpmedia.SendRecv); err != nil {
			e.log.Debug("resume after transfer failed", "call_id", l.callID, "error", err)
		}
	})
}
