package mediaapp

import (
	"context"
	"errors"
	"time"
)

// Errors of Ringer.RingOut.
var (
	ErrNoAnswer    = errors.New("mediaapp: no answer")
	ErrBusy        = errors.New("mediaapp: busy")
	ErrUnreachable = errors.New("mediaapp: not reachable")
)

// GroupInfo tells a rung agent or member which group a call came through. The call engine sends
// it on the INVITE as X-Vaihde-Queue (Name), X-Vaihde-Queue-Number (Number) and
// X-Vaihde-Callback (Callback), and shows Shown as the caller.
type GroupInfo struct {
	Kind     string // "queue" or "hunt"
	ID       int64
	Name     string
	Number   string
	Shown    string // the caller as the member sees it (GRP-1: group number or caller with affix)
	Callback string // callback text (GRP-6) for a callback
}

// Ring is one ringing attempt from a flow: the caller stays in the flow, on the same media
// stream, while Users (at once) or Number ring.
type Ring struct {
	Users []int64 // ring these users at once; the first to answer wins, the others are cancelled
	// Number, when Users is empty, is rung as if dialled from inside the organisation (a user,
	// an outside number on the authority of By, 0 = the caller).
	Number string
	By     int64
	// Devices: which of each user's devices ring: "softphone", "desk", "mobile"; nil = all.
	Devices []string
	Timeout time.Duration // 0: until ctx ends
	// Hear is what the caller hears while it rings; nil = ringback (425 Hz, 1 s on 4 s off).
	Hear *Clip
	// Group is shown to the rung party; zero for a plain hand-over.
	Group GroupInfo
	// Resume keeps the flow on the call after the answer: when the answered party hangs up
	// first, the caller is not hung up but is back in the flow on the same stream (Done closes;
	// the flow's channel plays, collects and records again). While the two talk the flow's
	// channel is quiet (what it plays is not heard, keys are not its). A flow that returns during
	// the conversation leaves the caller with the person. Without Resume the flow must return on
	// answer and the call ends with either party.
	Resume bool
}

// Answered is a RingOut that connected: the caller now talks to UserID (0 for a number that
// is not a user) and the flow must return. Done is closed when that conversation ends (either
// side hung up), so queues can start wrap-up and measure handling time.
type Answered struct {
	UserID int64
	At     time.Time
	Done   <-chan struct{}
}

// Ringer is implemented by channels of the call engine. RingOut rings r while the caller hears
// r.Hear; when someone answers, the caller is bridged to them on the same media stream (never a
// re-INVITE) and RingOut returns. On ErrNoAnswer, ErrBusy, ErrUnreachable, ErrHangup or ctx's
// error the caller is still in the flow (except after ErrHangup).
type Ringer interface {
	RingOut(ctx context.Context, r Ring) (Answered, error)
}

// Originator places a call from the server (GRP-6 callbacks, later CALL-12 click-to-call): it
// rings first (e.g. an agent, with Group showing the callback text); when first answers it plays
// announce to them, then rings second (e.g. the caller's number, on the organisation's authority
// second.By) with first hearing second.Hear; when second answers the two are bridged. The error
// says which side failed: wrapped ErrNoAnswer etc. plus FirstFailed/SecondFailed.
type Originator interface {
	Originate(ctx context.Context, orgID int64, first Ring, announce []Clip, second Ring) (Answered, error)
}

// Which side of an Originate failed (use errors.Is).
var (
	ErrFirstFailed  = errors.New("mediaapp: first party not reached")
	ErrSecondFailed = errors.New("mediaapp: second party not reached")
)

// ErrNotJoinable is returned by Joiner.Join when the other channel is not a call of the same
// engine and organisation, or has already left its application.
var ErrNotJoinable = errors.New("mediaapp: channels cannot be joined")

// Joiner is implemented by channels of the call engine: Join connects this channel's caller
// with the caller of other, another application's channel in the same organisation (a parked
// call being retrieved), each on its own relay leg, which the relay bridges (no re-INVITE).
// Both applications end: their channels return ErrHangup from then on, and both flows must
// return. On error both callers are still in their applications.
type Joiner interface {
	Join(ctx context.Context, other Channel) (Answered, error)
}
