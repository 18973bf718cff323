package b2bua

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// Personal applies users' personal routing: forwarding (ROUTE-1, ROUTE-2), presence-based
// routing (PRES-5), voicemail (VM-3) and the away notice (AWAY-1).
type Personal interface {
	// Divert decides what happens to a call for call.Callee at call.Stage. When the action
	// sends the caller to voicemail or the away notice, Flow is the application that answers;
	// a nil Flow then means the call fails as if the action were routing.Fail (or rings, when
	// arriving). It must not block long: the caller waits.
	Divert(ctx context.Context, call PersonalCall) Diversion
}

// PersonalCall is a call for a user, at one stage of its life.
type PersonalCall struct {
	Org    store.Org
	Callee store.User
	Via    routing.Via
	Stage  routing.Stage
	// Caller is the calling colleague (ID 0 for an outside caller); CallerNumber and
	// CallerName are the caller as the callee sees them ("anonymous" for a hidden caller).
	Caller       store.User
	CallerNumber string
	CallerName   string
	// Hops counts forwards already taken; Bypass: the caller asked for the person (VM-3 "press 2").
	Hops   int
	Bypass bool
}

// Diversion is personal routing's answer. The zero Diversion diverts nothing: an arriving
// call rings, a failed one fails.
type Diversion struct {
	Action routing.Action
	Flow   mediaapp.Flow
}

// plan is where a call goes after the arriving rules: ring target (for ring), or answer with
// flow.
type plan struct {
	target routing.Target
	hops   int
	ring   time.Duration
	flow   mediaapp.Flow
}

// viaFor tells how a call reached a user: by the mobile number or by the user's own numbers.
func viaFor(t routing.Target) routing.Via {
	if t.Number.Kind == number.E164 && t.User.MobileNumber != "" && t.Number.Value == t.User.MobileNumber {
		return routing.ViaMobile
	}
	return routing.ViaOwn
}

// divert asks personal routing about a call to t.User; the zero Diversion (ring) without it.
func (e *Engine) divert(ctx context.Context, org store.Org, shown party, caller party, t routing.Target, stage routing.Stage, hops int, bypass bool) Diversion {
	if e.deps.Personal == nil || t.Kind != routing.User {
		return Diversion{}
	}
	return e.deps.Personal.Divert(ctx, PersonalCall{Org: org, Callee: t.User, Via: viaFor(t), Stage: stage,
		Caller: caller.user, CallerNumber: shown.number, CallerName: shown.display, Hops: hops, Bypass: bypass})
}

// arrive applies the arriving rules to a call for t, following immediate and activity
// forwards (at most routing.MaxHops).
func (e *Engine) arrive(ctx context.Context, org store.Org, shown, caller party, t routing.Target, hops int, bypass bool) plan {
	for {
		d := e.divert(ctx, org, shown, caller, t, routing.Arriving, hops, bypass)
		switch d.Action.Kind {
		case routing.Forward:
			nt, ok := e.forwardTarget(ctx, org, t, d.Action)
			if !ok {
				return plan{target: t, hops: hops}
			}
			t, hops = nt, hops+1
			continue
		case routing.ToVoicemail, routing.Announce:
			if d.Flow != nil {
				return plan{target: t, hops: hops, flow: d.Flow}
			}
		}
		return plan{target: t, hops: hops, ring: d.Action.RingTime}
	}
}

// forwardTarget routes a forward of from's call; false when the target is no one (logged).
func (e *Engine) forwardTarget(ctx context.Context, org store.Org, from routing.Target, a routing.Action) (routing.Target, bool) {
	// The forwarding user authorised the call, so it may go out through the trunk.
	nt, err := routing.Route(ctx, e.deps.Store, org, a.Number, routing.Caller{Internal: true, UserID: from.User.ID})
	if err != nil || (nt.Kind != routing.User && nt.Kind != routing.Trunk) || (nt.Kind == routing.User && nt.User.ID == from.User.ID) ||
		(nt.Kind == routing.Trunk && e.cfg.Trunk.Host == "") {
		e.log.Warn("forward target unusable", "user", from.User.Extension, "target", a.Number, "reason", a.Reason, "error", err)
		return routing.Target{}, false
	}
	e.log.Info("call forwarded", "user", from.User.Extension, "target", nt.Number.Value, "reason", a.Reason)
	return nt, true
}

// dialOutcome is what a failed ring attempt saw.
type dialOutcome struct {
	timedOut bool  // the ring time passed
	codes    []int // the devices' final responses
}

// stage classifies a failed ring: every device busy, no answer within the ring time, or nobody
// reachable.
func (o dialOutcome) stage() routing.Stage {
	if o.timedOut {
		return routing.NoAnswer
	}
	noAnswer := false
	for _, c := range o.codes {
		switch c {
		case 486, 600, 603:
			return routing.Busy
		case 480:
			noAnswer = true // a device that declines as unavailable (do-not-disturb)
		}
	}
	if noAnswer {
		return routing.NoAnswer
	}
	return routing.Unreachable
}

// reach is how a call reaches its target: the devices (or the trunk) to ring, the caller as
// presented there, the party rung and the To of the INVITE.
type reach struct {
	dests  []dest
	id     identity
	callee party
	to     sip.Uri
	// refused is the status (and reason) of an outside call that may not go out
	// (allowOutside); dests is empty then.
	refused int
	reason  string
	release func()
	headers []header // added to the INVITE (the emergency area)
}

// failure is the status and reason for a caller whose call could not ring r.
func (r reach) failure(code int) (int, string) {
	if r.refused != 0 {
		return r.refused, r.reason
	}
	return code, reasonFor(code)
}

// reachFor works out how a call from caller to target, dialled as dialled, rings: a user's
// registered devices with the caller's internal identity, or the trunk with the caller's
// trunk identity (no dests when no trunk is configured). The error is the device lookup's.
func (e *Engine) reachFor(ctx context.Context, org store.Org, caller party, target routing.Target, dialled string) (reach, error) {
	r := reach{callee: calleeOf(target), to: sip.Uri{Scheme: "sip", User: dialled, Host: org.Domain}}
	role := e.role(ctx, caller.user.ID)
	if target.Kind == routing.User {
		r.id = e.internalIdentity(caller, role, org)
		var err error
		r.dests, err = e.userDests(ctx, target.User.ID)
		return r, err
	}
	if target.Emergency && role == presence.RoleHidden {
		role = presence.RoleLandline // the emergency centre must be able to call back
	}
	r.id = e.trunkIdentity(caller, role, org)
	if e.cfg.Trunk.Host == "" {
		return r, nil
	}
	release, by, code, reason := e.allowOutside(ctx, org, target)
	if release == nil {
		r.refused, r.reason = code, reason
		return r, nil
	}
	r.release = release
	num := target.Number.Value
	if target.Emergency {
		area := by.EmergencyArea
		switch {
		case area == "":
			e.log.Warn("emergency call without an emergency area", "org", org.Domain, "ext", by.Extension)
		case e.emergencyPrefix:
			num = area + num
		default:
			r.headers = append(r.headers, header{e.emergencyHeader, area})
		}
		e.log.Warn("emergency call", "org", org.Domain, "ext", by.Extension, "number", target.Number.Value, "area", area)
	}
	r.dests = []dest{e.trunkDest(num)}
	r.to = r.dests[0].uri
	return r, nil
}

// drop gives back the outside-call slot of a reach that is not dialled after all.
func (r reach) drop() {
	if r.release != nil {
		r.release()
	}
}

// spec is the dial attempt of r over the relay leg media.
func (r reach) spec(media *relay.Leg, prefer sdpmedia.Codec) dialSpec {
	return dialSpec{from: r.id.from, fromName: r.id.fromName, headers: append(append([]header(nil), r.id.headers...), r.headers...), to: r.to,
		dests: r.dests, media: media, prefer: prefer, callee: r.callee, release: r.release}
}

// calleeOf is the party a target names.
func calleeOf(t routing.Target) party {
	if t.Kind == routing.User {
		return party{user: t.User, number: t.User.Extension, display: t.User.Name}
	}
	return party{number: t.Number.Value}
}
