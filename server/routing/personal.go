package routing

import (
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// Personal routing (ROUTE-1, ROUTE-2, PRES-5, AWAY-1) decides what happens to a call for a user
// at each stage of its life: when it arrives, and when the user's devices are busy, do not
// answer or are not registered. Decide is pure: the caller gathers the facts.

// Stage of a call to a user at which personal routing is asked.
type Stage int

const (
	// Arriving: before any device rings.
	Arriving Stage = iota
	// Busy: every device answered busy (486/600/603).
	Busy
	// NoAnswer: the devices rang for the ring time.
	NoAnswer
	// Unreachable: the user has no registered device, or none could be reached.
	Unreachable
)

func (s Stage) String() string {
	switch s {
	case Busy:
		return "busy"
	case NoAnswer:
		return "no-answer"
	case Unreachable:
		return "unreachable"
	}
	return "arriving"
}

// Via is how a call reached the user.
type Via int

const (
	// ViaOwn: the user's extension or company number.
	ViaOwn Via = iota
	// ViaMobile: the user's mobile number; red activities do not divert it (PRES-5).
	ViaMobile
	// ViaGroup: a group number; personal forwarding never touches it (ROUTE-1).
	ViaGroup
)

// Facts are what personal routing looks at.
type Facts struct {
	Stage      Stage
	Via        Via
	Forwarding store.Forwarding
	// Activity is the user's current activity number and whether it is red (unavailable).
	Activity int
	Red      bool
	// AwayNotice: the user's role is Away notice (PRES-3 role 5).
	AwayNotice bool
	// VIP: the caller's number is on the user's VIP list (AWAY-1).
	VIP bool
	// Voicemail: the user has voicemail (VM-5).
	Voicemail bool
	// OutsideHours: the call arrives outside the user's office hours (ROUTE-3); Forwarding.Hours
	// says where it goes.
	OutsideHours bool
	// Bypass: the caller asked to reach the person anyway (VM-3 "press 2", AWAY-1): ring,
	// whatever the rules say.
	Bypass bool
	// Hops counts forwards the call already went through; past MaxHops no forward applies.
	Hops int
}

// MaxHops bounds forwarding chains (and loops such as A→B→A).
const MaxHops = 3

// ActionKind is what to do with the call.
type ActionKind int

const (
	// Ring the user's devices for RingTime.
	Ring ActionKind = iota
	// Forward the call to Number.
	Forward
	// ToVoicemail: the caller reaches the user's voicemail.
	ToVoicemail
	// Announce: the away notice (AWAY-1) answers the call.
	Announce
	// Fail: the call ends with the stage's failure (busy, unavailable).
	Fail
)

func (k ActionKind) String() string {
	switch k {
	case Forward:
		return "forward"
	case ToVoicemail:
		return "voicemail"
	case Announce:
		return "away-notice"
	case Fail:
		return "fail"
	}
	return "ring"
}

// Action is personal routing's decision.
type Action struct {
	Kind     ActionKind
	Number   string        // Forward: the target (extension or E.164)
	RingTime time.Duration // Ring: how long before NoAnswer
	// Diverted: a rule sent the call to voicemail before anyone rang (the greeting may offer
	// "press 2 to reach the person anyway", VM-3).
	Diverted bool
	// Reason names the rule, for logs and tests.
	Reason string
}

// Decide applies the user's personal routing to a call.
func Decide(f Facts) Action {
	ring := Action{Kind: Ring, RingTime: f.Forwarding.Ring(), Reason: "ring"}
	if f.Via == ViaGroup {
		if f.Stage == Arriving {
			ring.Reason = "group call"
			return ring
		}
		return Action{Kind: Fail, Reason: "group call"}
	}
	if f.Stage == Arriving {
		if f.Bypass {
			ring.Reason = "caller asked for the person"
			return ring
		}
		if f.Forwarding.Immediate != "" && f.Hops < MaxHops {
			return Action{Kind: Forward, Number: f.Forwarding.Immediate, Reason: "immediate forward"}
		}
		// Outside office hours, calls to the company number go where the user said; the mobile
		// number rings through, as it does for a red activity.
		if f.OutsideHours && f.Via == ViaOwn && f.Forwarding.Hours != nil {
			if a := f.target(f.Forwarding.Hours.Outside, "outside office hours", true, ring); a.Kind != Ring {
				return a
			}
		}
		if f.AwayNotice && f.Red {
			if f.VIP {
				ring.Reason = "VIP caller passes the away notice"
				return ring
			}
			return Action{Kind: Announce, Reason: "away notice"}
		}
		if t, ok := f.Forwarding.Activities[f.Activity]; ok {
			return f.target(t, "activity routing", true, ring)
		}
		if f.Red && f.Via == ViaOwn {
			if f.Voicemail {
				return Action{Kind: ToVoicemail, Diverted: true, Reason: "red activity"}
			}
			ring.Reason = "red activity, no voicemail"
			return ring
		}
		return ring
	}
	var t string
	switch f.Stage {
	case Busy:
		t = f.Forwarding.Busy
	case NoAnswer:
		t = f.Forwarding.NoAnswer
	default:
		t = f.Forwarding.Unreachable
	}
	return f.target(t, f.Stage.String()+" forward", false, Action{Kind: Fail, Reason: f.Stage.String()})
}

// target turns a stored target into an action; none is what "none" means at this stage.
func (f Facts) target(t, reason string, diverted bool, none Action) Action {
	switch t {
	case "", store.ForwardVoicemail:
		if !f.Voicemail {
			none.Reason = reason + ": no voicemail"
			return none
		}
		return Action{Kind: ToVoicemail, Diverted: diverted, Reason: reason}
	case store.ForwardNone:
		none.Reason = reason + ": none"
		return none
	}
	if f.Hops >= MaxHops {
		none.Reason = reason + ": too many forwards"
		return none
	}
	return Action{Kind: Forward, Number: t, Reason: reason}
}
