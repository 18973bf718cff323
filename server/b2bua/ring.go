package b2bua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// Ringing people from a media application (mediaapp.Ringer, mediaapp.Connector) and from the
// server itself (mediaapp.Originator). The waiting party stays on its relay leg, the one RTP
// endpoint of its call, hearing ringback (or the flow's clip) from its LegChannel while the
// others ring; the first to answer is bridged to that same leg by the relay, so the waiting
// party is never re-INVITEd. The leg may later be taken by an application again (Unbridge and
// a new LegChannel on it): a leg's channel comes and goes, the leg stays.

// errHandedOver: the service leg's media belongs to a person's call now.
var errHandedOver = errors.New("b2bua: service call handed over")

// service returns the leg's media application, nil for a leg of a call between people.
func (l *leg) service() *service {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.svc
}

// ringback is the tone a waiting caller hears while the person's devices ring (425 Hz, 1 s on,
// 4 s off: the European ringing tone).
var ringback = func() mediaapp.Clip {
	on, off := mediaapp.Tone(425, time.Second), mediaapp.Silence(4*time.Second)
	return mediaapp.Clip{Name: "ringback", Samples: append(append([]int16{}, on.Samples...), off.Samples...)}
}()

// Device kinds of mediaapp.Ring.Devices.
const (
	deviceSoftphone = "softphone"
	deviceDesk      = "desk"
	deviceMobile    = "mobile"
)

// softphoneAgent is how the Vaihde Softphone names itself in User-Agent (client/phone).
const softphoneAgent = "Vaihde Softphone"

// Headers that tell a rung party which group a call came through (mediaapp.GroupInfo).
const (
	hdrQueue       = "X-Vaihde-Queue"
	hdrQueueNumber = "X-Vaihde-Queue-Number"
	hdrCallback    = "X-Vaihde-Callback"
)

// noTimeout stands for "ring until the context ends" (mediaapp.Ring.Timeout 0).
const noTimeout = 24 * time.Hour

// ringTarget is one party a ring attempt rings: their devices (or the trunk) and the caller as
// presented to them.
type ringTarget struct {
	callee party
	r      reach
}

// ringReq is one ring attempt.
type ringReq struct {
	org     store.Org
	callID  string // Call-ID of the call-log entries
	what    string // for errors and logs
	targets []ringTarget
	timeout time.Duration // 0: the engine's RingTimeout
	group   mediaapp.GroupInfo
	prefer  sdpmedia.Codec
	// wait is the waiting party's channel, which hears hear while it rings (nil: nobody waits);
	// gone is closed when that party hangs up.
	wait *mediaapp.LegChannel
	hear mediaapp.Clip
	gone <-chan struct{}
	// caller is the waiting party's user ID (0: an outside caller or nobody), never offered
	// the call by pickup.
	caller int64
	// missedUnanswered: user targets get a missed entry when nobody answered (plain hand-over,
	// hunt groups); missedLosers: also when a colleague answered (hunt groups, CALL-13).
	missedUnanswered, missedLosers bool
}

// groupHeaders are the INVITE headers of a group call.
func groupHeaders(g mediaapp.GroupInfo) []header {
	var h []header
	clean := func(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
	if g.Name != "" {
		h = append(h, header{hdrQueue, clean(g.Name)})
	}
	if g.Number != "" {
		h = append(h, header{hdrQueueNumber, clean(g.Number)})
	}
	if g.Callback != "" {
		h = append(h, header{hdrCallback, clean(g.Callback)})
	}
	return h
}

// shownTo is the caller as target t's call log and presence see it.
func (q *ringReq) shownTo(t ringTarget) party {
	if q.group.Shown != "" {
		return party{number: q.group.Shown, display: t.r.id.shown.display}
	}
	return t.r.id.shown
}

// ringParties rings every target at once while q.wait hears q.hear; the first to answer wins
// and the other forks are cancelled. It returns the answered leg (SDP applied, not yet
// published nor bridged, its presence and call-log entry set), or an error wrapping
// mediaapp.ErrNoAnswer, ErrBusy, ErrUnreachable, ErrHangup or ctx's error. It writes the
// rung parties' missed entries as q asks and reports their presence.
func (e *Engine) ringParties(ctx context.Context, q ringReq) (*leg, error) {
	started := time.Now()
	var dests []dest
	refusal := ""
	for i, t := range q.targets {
		if t.r.refused != 0 && refusal == "" {
			refusal = fmt.Sprintf("%d %s", t.r.refused, t.r.reason)
		}
		id := t.r.id
		rd := &ringDest{from: id.from, fromName: id.fromName, to: t.r.to, callee: t.callee, target: i,
			headers: append(append([]header(nil), id.headers...), t.r.headers...)}
		if s := q.group.Shown; s != "" {
			// The member sees Shown (GRP-1); a Shown that is no SIP user part (a name) goes in
			// the display name only.
			if sipUserPart(s) {
				rd.from.User = s
			}
			rd.fromName = s
			rd.headers = dropHeader(rd.headers, "P-Asserted-Identity")
		}
		rd.headers = append(rd.headers, groupHeaders(q.group)...)
		for _, d := range t.r.dests {
			d.ring = rd
			dests = append(dests, d)
		}
	}
	releaseAll := func(keep int) {
		for i, t := range q.targets {
			if i != keep {
				t.r.drop()
			}
		}
	}
	if len(dests) == 0 {
		releaseAll(-1)
		if refusal != "" {
			return nil, fmt.Errorf("ring %s: %s: %w", q.what, refusal, mediaapp.ErrUnreachable)
		}
		return nil, fmt.Errorf("ring %s: nothing registered: %w", q.what, mediaapp.ErrUnreachable)
	}
	media, err := e.deps.Relay.NewLeg()
	if err != nil {
		releaseAll(-1)
		return nil, fmt.Errorf("ring %s: %w", q.what, err)
	}

	// Presence: every rung user rings (once, whatever the number of their devices).
	pres := map[int64]*presParty{}
	for _, t := range q.targets {
		if u := t.callee.user.ID; u != 0 && pres[u] == nil && len(t.r.dests) > 0 {
			pres[u] = newPresParty(t.callee, "", true, q.shownTo(t))
			e.report(pres[u], presence.PhoneRinging)
		}
	}

	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hungUp := make(chan struct{})
	if q.gone != nil {
		e.goOwned(func() {
			select {
			case <-q.gone:
				close(hungUp)
				cancel()
			case <-dctx.Done():
			}
		})
	}
	rctx, stopRing := context.WithCancel(dctx)
	ringDone := make(chan struct{})
	if q.wait != nil {
		hear := q.hear
		if len(hear.Samples) == 0 {
			hear = ringback
		}
		e.goOwned(func() {
			defer close(ringDone)
			_ = q.wait.Loop(rctx, hear)
		})
	} else {
		close(ringDone)
	}
	timeout := q.timeout
	if timeout <= 0 {
		timeout = e.cfg.RingTimeout
	}
	// Colleagues may pick up the call ringing at any rung user.
	pick := &pickable{orgID: q.org.ID, caller: q.caller, users: map[int64]int{}}
	for i, t := range q.targets {
		if u := t.callee.user.ID; u != 0 && len(t.r.dests) > 0 {
			if _, ok := pick.users[u]; !ok {
				pick.users[u] = i
			}
		}
	}
	var out dialOutcome
	b, code := e.dial(dctx, dialSpec{dests: dests, media: media, prefer: q.prefer, timeout: timeout, outcome: &out, pickup: pick})
	// A picked-up call: the picker answered for a rung user, who missed it (unless rung by a queue).
	picked := b != nil && b.ringTarget >= 0 && b.party.user.ID != q.targets[b.ringTarget].callee.user.ID
	stopRing()
	<-ringDone // the waiting party's ringback has stopped before anyone is bridged to it
	winner := -1
	if b != nil {
		winner = b.ringTarget
	}
	releaseAll(winner)
	if b != nil && winner >= 0 && q.targets[winner].r.release != nil {
		b.mu.Lock()
		b.release = q.targets[winner].r.release
		b.mu.Unlock()
	}
	now := time.Now()
	logged := map[int64]bool{}
	for i, t := range q.targets {
		u := t.callee.user.ID
		if u == 0 || logged[u] || len(t.r.dests) == 0 || (b != nil && u == b.party.user.ID) {
			continue
		}
		logged[u] = true
		e.report(pres[u], presence.PhoneIdle)
		if (b == nil && q.missedUnanswered) || (b != nil && q.missedLosers) || (picked && q.missedUnanswered) {
			e.logOutcome(ctx, q.callID, party{}, q.shownTo(q.targets[i]), t.callee, store.Missed, started, true)
		}
	}
	if b == nil {
		media.Close()
		select {
		case <-hungUp:
			return nil, fmt.Errorf("ring %s: %w", q.what, mediaapp.ErrHangup)
		default:
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("ring %s: %w", q.what, err)
		}
		return nil, fmt.Errorf("ring %s: %d %s: %w", q.what, code, reasonFor(code), ringFailure(out, code))
	}
	if u := b.party.user.ID; u != 0 {
		b.pres = pres[u]
		if picked {
			b.pres = newPresParty(b.party, "", true, q.shownTo(q.targets[winner]))
		}
		e.report(b.pres, presence.PhoneOnCall)
	}
	b.rec = e.newRecord(q.callID, b.party, q.shownTo(q.targets[winner]), store.Incoming, started, now)
	return b, nil
}

// ringFailure classifies a failed attempt for mediaapp: the ring time passed or a device
// declined as unavailable (no answer), every device busy, or nobody reachable.
func ringFailure(out dialOutcome, code int) error {
	if out.timedOut {
		return mediaapp.ErrNoAnswer
	}
	busy := false
	for _, c := range out.codes {
		switch c {
		case 480, 603:
			return mediaapp.ErrNoAnswer
		case 486, 600:
			busy = true
		}
	}
	if busy || code == 486 {
		return mediaapp.ErrBusy
	}
	return mediaapp.ErrUnreachable
}

// sipUserPart reports whether s may stand unescaped as the user of a SIP URI (RFC 3261 25.1:
// unreserved and user-unreserved characters): numbers with +, * and # affixes such as "1*0401234567".
func sipUserPart(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case strings.ContainsRune("-_.!~*'()&=+$,;?/", r):
		default:
			return false
		}
	}
	return true
}

// dropHeader removes the headers named name.
func dropHeader(hs []header, name string) []header {
	out := hs[:0:0]
	for _, h := range hs {
		if !strings.EqualFold(h.name, name) {
			out = append(out, h)
		}
	}
	return out
}

// wantDevice reports whether devices (mediaapp.Ring.Devices; nil = all) includes kind.
func wantDevice(devices []string, kind string) bool {
	if devices == nil {
		return true
	}
	for _, d := range devices {
		if strings.EqualFold(d, kind) {
			return true
		}
	}
	return false
}

// userTargets are the ways to ring user u for a group call: their registrations filtered by
// devices ("softphone": the Vaihde Softphone, "desk": other registrations) and "mobile": their
// mobile number out on the trunk, on the authority of by (the member themself when 0). Group
// calls never follow personal forwarding (ROUTE-1).
func (e *Engine) userTargets(ctx context.Context, org store.Org, caller party, u store.User, devices []string, by int64) ([]ringTarget, error) {
	callee := party{user: u, number: u.Extension, display: u.Name}
	var out []ringTarget
	if wantDevice(devices, deviceSoftphone) || wantDevice(devices, deviceDesk) {
		target := routing.Target{Kind: routing.User, User: u}
		target.Number.Value = u.Extension
		r, err := e.reachFor(ctx, org, caller, target, u.Extension)
		if err != nil {
			return nil, err
		}
		kept := r.dests[:0:0]
		for _, d := range r.dests {
			soft := strings.Contains(d.userAgent, softphoneAgent)
			if (soft && wantDevice(devices, deviceSoftphone)) || (!soft && wantDevice(devices, deviceDesk)) {
				kept = append(kept, d)
			}
		}
		r.dests = kept
		out = append(out, ringTarget{callee: callee, r: r})
	}
	if devices != nil && wantDevice(devices, deviceMobile) && u.MobileNumber != "" && e.cfg.Trunk.Host != "" {
		if by == 0 {
			by = u.ID
		}
		target := routing.Target{Kind: routing.Trunk, By: by}
		target.Number.Value = u.MobileNumber
		r, err := e.reachFor(ctx, org, caller, target, u.MobileNumber)
		if err != nil {
			return nil, err
		}
		out = append(out, ringTarget{callee: callee, r: r})
	}
	return out, nil
}

// ringTargets works out whom r rings for caller: r.Users at once (group calls), else r.Number
// routed as dialled from inside the organisation on the authority of r.By (0: the caller). A
// plain hand-over to a user follows that user's personal rules (bypass rings the person
// whatever the rules), never into another application; ringTime is then the rules' ring time.
func (e *Engine) ringTargets(ctx context.Context, org store.Org, caller party, r mediaapp.Ring, bypass bool) (targets []ringTarget, ringTime time.Duration, err error) {
	if len(r.Users) > 0 {
		seen := map[int64]bool{}
		for _, id := range r.Users {
			if seen[id] {
				continue
			}
			seen[id] = true
			u, err := e.deps.Store.UserByID(ctx, id)
			if err != nil || u.OrgID != org.ID {
				e.log.Warn("ring out: no such user in the organisation", "org", org.Domain, "user_id", id, "error", err)
				continue
			}
			ts, err := e.userTargets(ctx, org, caller, u, r.Devices, r.By)
			if err != nil {
				return nil, 0, fmt.Errorf("devices of %s: %w", u.Extension, err)
			}
			targets = append(targets, ts...)
		}
		return targets, 0, nil
	}
	by := r.By
	if by == 0 {
		by = caller.user.ID
	}
	target, err := routing.Route(ctx, e.deps.Store, org, r.Number, routing.Caller{Internal: true, UserID: by})
	if err != nil {
		return nil, 0, err
	}
	if target.Kind != routing.User && target.Kind != routing.Trunk {
		return nil, 0, fmt.Errorf("%s: %w", target.Kind, mediaapp.ErrUnreachable)
	}
	if target.Kind == routing.User && r.Group.Kind == "" {
		shown := e.internalIdentity(caller, e.role(ctx, caller.user.ID), org).shown
		p := e.arrive(ctx, org, shown, caller, target, 0, bypass)
		if p.flow != nil {
			return nil, 0, fmt.Errorf("diverted again: %w", mediaapp.ErrUnreachable)
		}
		target, ringTime = p.target, p.ring
	}
	if target.Kind == routing.User && len(r.Devices) > 0 {
		ts, err := e.userTargets(ctx, org, caller, target.User, r.Devices, r.By)
		return ts, ringTime, err
	}
	rc, err := e.reachFor(ctx, org, caller, target, r.Number)
	if err != nil {
		rc.drop()
		return nil, 0, err
	}
	return []ringTarget{{callee: rc.callee, r: rc}}, ringTime, nil
}

// ringFromService rings r for the caller of service leg l while the caller hears r.Hear from
// the application; on answer the caller's relay leg is bridged to the answering party's and the
// application ends (no re-INVITE). On failure the caller is still in the application.
func (e *Engine) ringFromService(ctx context.Context, l *leg, svc *service, r mediaapp.Ring, bypass bool) (mediaapp.Answered, error) {
	what := r.Number
	if len(r.Users) > 0 {
		what = fmt.Sprintf("%d users", len(r.Users))
	}
	targets, ringTime, err := e.ringTargets(ctx, svc.org, svc.caller, r, bypass)
	if err != nil {
		return mediaapp.Answered{}, fmt.Errorf("ring %s: %w", what, err)
	}
	timeout := r.Timeout
	switch {
	case timeout == 0 && len(r.Users) == 0 && r.Group.Kind == "":
		timeout = ringTime // a plain hand-over rings as long as the person's rules say
	case timeout == 0:
		timeout = noTimeout
	}
	l.mu.Lock()
	prefer := l.codec
	l.mu.Unlock()
	hear := mediaapp.Clip{}
	if r.Hear != nil {
		hear = *r.Hear
	}
	b, err := e.ringParties(ctx, ringReq{org: svc.org, callID: l.callID, what: what, targets: targets,
		timeout: timeout, group: r.Group, prefer: prefer, wait: svc.ch, hear: hear, gone: svc.ch.Done(), caller: svc.caller.user.ID,
		missedUnanswered: r.Group.Kind != "queue", missedLosers: r.Group.Kind == "hunt"})
	if err != nil {
		return mediaapp.Answered{}, err
	}
	c, err := e.joinService(l, svc, b, r.Resume)
	if err != nil {
		return mediaapp.Answered{}, fmt.Errorf("ring %s: %w", what, err)
	}
	e.log.Info("service call handed over", "call_id", l.callID, "from", svc.caller.number, "to", b.party.number)
	return mediaapp.Answered{UserID: b.party.user.ID, At: time.Now(), Done: c.ended()}, nil
}

// releaseService ends the application of service leg l for good: the leg lives on in a call.
func (e *Engine) releaseService(l *leg, svc *service) {
	svc.mu.Lock()
	svc.handed = true
	svc.mu.Unlock()
	l.mu.Lock()
	l.svc = nil
	l.mu.Unlock()
	e.retireService(svc)
}

// joinService bridges service leg l's relay leg to answered leg b in a new call and ends the
// application, unless resume keeps it for when b hangs up (mediaapp.Ring.Resume). If the caller
// hung up meanwhile b is hung up and ErrHangup returned.
func (e *Engine) joinService(l *leg, svc *service, b *leg, resume bool) (*call, error) {
	l.mu.Lock()
	gone := l.ended
	l.mu.Unlock()
	if gone {
		e.endLeg(b, true)
		return nil, mediaapp.ErrHangup
	}
	c := &call{org: svc.org, a: l, b: b}
	if resume {
		c.back = l
	} else {
		e.releaseService(l, svc)
	}
	e.mu.Lock()
	l.call, b.call = c, c
	e.calls[c] = struct{}{}
	e.legs[b.key()] = b
	e.mu.Unlock()
	l.mu.Lock()
	gone = l.ended
	l.mu.Unlock()
	// The caller, or a picker who hung up at once (pickup.go), left while the call was
	// published: end it as a whole.
	if gone || b.hasEnded() {
		e.hangup(c, nil)
		return nil, mediaapp.ErrHangup
	}
	e.repeer(l, b.party)
	relay.Bridge(l.media, b.media)
	e.callConnected(c)
	return c, nil
}

// handOver connects the caller of service leg l to number (VM-3 press 1 / press 2, AWAY-1):
// the number rings while the caller hears ringback; once answered the caller's relay leg is
// bridged to the new party's and the application ends. An outside number is called on the
// authority of user by (who set the number), or of the caller when by is 0 (allowOutside).
func (e *Engine) handOver(ctx context.Context, l *leg, svc *service, by int64, number string, bypass bool) error {
	_, err := e.ringFromService(ctx, l, svc, mediaapp.Ring{Number: number, By: by}, bypass)
	if err != nil {
		return fmt.Errorf("hand over: %w", err)
	}
	return nil
}

// RingOut implements mediaapp.Ringer.
func (c *serviceChannel) RingOut(ctx context.Context, r mediaapp.Ring) (mediaapp.Answered, error) {
	if c.svc.handedOver() {
		return mediaapp.Answered{}, errHandedOver
	}
	return c.e.ringFromService(ctx, c.l, c.svc, r, false)
}

var (
	_ mediaapp.Ringer      = (*serviceChannel)(nil)
	_ mediaapp.Connector   = (*serviceChannel)(nil)
	_ mediaapp.ConnectorAs = (*serviceChannel)(nil)
	_ mediaapp.Originator  = (*Engine)(nil)
)

// Originate implements mediaapp.Originator: a call the server places (GRP-6 callbacks). It rings
// first; the party who answers hears announce, then second rings (an outside number on the
// authority of second.By, through allowOutside's barring and limits) while first hears
// second.Hear (nil: ringback); when second answers the two are bridged. Answered.UserID is the
// user who answered first (the agent). Errors wrap mediaapp.ErrFirstFailed or ErrSecondFailed
// and the cause.
func (e *Engine) Originate(ctx context.Context, orgID int64, first mediaapp.Ring, announce []mediaapp.Clip, second mediaapp.Ring) (mediaapp.Answered, error) {
	org, err := e.deps.Store.OrgByID(ctx, orgID)
	if err != nil {
		return mediaapp.Answered{}, fmt.Errorf("originate: organisation %d: %w: %w", orgID, mediaapp.ErrFirstFailed, err)
	}
	callID := uuid.NewString()
	// The agent sees whom the server calls for (the group's Shown, else the number rung second).
	callee := party{number: second.Number}
	if n, err := number.Parse(second.Number, org.CountryCode); err == nil {
		callee.number = n.Value
	}
	shown := first.Group
	if shown.Shown == "" {
		shown.Shown = callee.number
	}
	firstTargets, _, err := e.ringTargets(ctx, org, callee, mediaapp.Ring{Users: first.Users, Number: first.Number,
		By: first.By, Devices: first.Devices, Group: shown}, true)
	if err != nil {
		return mediaapp.Answered{}, fmt.Errorf("originate: %w: %w", mediaapp.ErrFirstFailed, err)
	}
	timeout := first.Timeout
	if timeout == 0 {
		timeout = noTimeout
	}
	a, err := e.ringParties(ctx, ringReq{org: org, callID: callID, what: "first party", targets: firstTargets,
		timeout: timeout, group: shown, missedUnanswered: first.Group.Kind != "queue", missedLosers: first.Group.Kind == "hunt"})
	if err != nil {
		return mediaapp.Answered{}, fmt.Errorf("originate: %w: %w", mediaapp.ErrFirstFailed, err)
	}
	// The agent's leg runs an application (announce, ringback) until second answers.
	svc := &service{org: org, caller: a.party}
	svc.ch = mediaapp.NewLegChannel(a.media, mediaapp.LegOptions{Logger: e.log.With("call_id", a.callID, "service", "originate")})
	a.svc = svc
	e.mu.Lock()
	e.legs[a.key()] = a
	e.services++
	e.mu.Unlock()
	fail := func(err error) (mediaapp.Answered, error) {
		e.endLeg(a, true)
		return mediaapp.Answered{}, fmt.Errorf("originate: %w", err)
	}
	if err := svc.ch.Play(ctx, announce...); err != nil && !errors.Is(err, mediaapp.ErrBargeIn) {
		return fail(fmt.Errorf("%w: announce: %w", mediaapp.ErrFirstFailed, err))
	}
	// The second call is placed in the group's name, on the authority of second.By.
	caller := party{number: first.Group.Number, display: first.Group.Name}
	secondTargets, _, err := e.ringTargets(ctx, org, caller, mediaapp.Ring{Users: second.Users, Number: second.Number,
		By: second.By, Devices: second.Devices, Group: mediaapp.GroupInfo{Kind: "callback"}}, true)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", mediaapp.ErrSecondFailed, err))
	}
	hear := mediaapp.Clip{}
	if second.Hear != nil {
		hear = *second.Hear
	}
	a.mu.Lock()
	prefer := a.codec
	a.mu.Unlock()
	timeout = second.Timeout
	if timeout == 0 {
		timeout = noTimeout
	}
	b, err := e.ringParties(ctx, ringReq{org: org, callID: callID, what: "second party", targets: secondTargets,
		timeout: timeout, prefer: prefer, wait: svc.ch, hear: hear, gone: svc.ch.Done(), caller: a.party.user.ID})
	if err != nil {
		if errors.Is(err, mediaapp.ErrHangup) {
			return fail(fmt.Errorf("%w: %w", mediaapp.ErrFirstFailed, err))
		}
		return fail(fmt.Errorf("%w: %w", mediaapp.ErrSecondFailed, err))
	}
	c, err := e.joinService(a, svc, b, false)
	if err != nil {
		return mediaapp.Answered{}, fmt.Errorf("originate: %w: %w", mediaapp.ErrFirstFailed, err)
	}
	e.log.Info("originated call connected", "call_id", callID, "first", a.party.number, "second", b.party.number)
	return mediaapp.Answered{UserID: a.party.user.ID, At: time.Now(), Done: c.ended()}, nil
}
