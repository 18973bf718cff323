package ui

import (
	"fmt"
	"time"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

// AgentQueueRow is one queue of the agent view.
type AgentQueueRow struct {
	ID       int64
	Name     string
	Detail   string // "8000 · skill 1 · 2 waiting"
	LoggedIn bool
	Button   string // Log in / Log out
	Busy     bool   // its login or logout is under way: the button is disabled
}

// AgentPanel is what the agent bar and the Queues tab show, computed from one snapshot of
// client/agent and the login profile.
type AgentPanel struct {
	// Visible: the user is an agent (the profile says so, or the server lists queues); the
	// bar and the tab exist only then.
	Visible bool
	State   string // "Available", "Wrap-up · 0:25 left", "Paused: Lunch"
	Tone    Tone
	Bar     string // the always-visible line: "Agent: Available"
	Summary string // "Logged in to 2 of 3 queues"
	// Countdown is the wrap-up time left ("0:25"); "" outside wrap-up.
	Countdown string
	// Ticking: wrap-up counts down, so the view needs a tick each second.
	Ticking   bool
	Paused    bool
	CanPause  bool // logged in somewhere and not paused
	CanResume bool
	PauseBusy bool
	Offer     string // the queue call ringing or connected now: "Asiakaspalvelu — +358401234567"
	Callback  string // its callback text
	Queues    []AgentQueueRow
	Empty     string // shown instead of the list when the user is in no queue
	Error     string
}

// PauseReasons are the reasons offered in the pause field; the user may type any other.
func PauseReasons(tr Strings) []string {
	return []string{tr.T(KAgentReasonLunch), tr.T(KAgentReasonBreak), tr.T(KAgentReasonMeet),
		tr.T(KAgentReasonTrain), tr.T(KAgentReasonAdmin)}
}

// WrapUpLeft formats the wrap-up time left, rounded up to whole seconds so that "0:00"
// shows only when it is over: "1:05", "0:09".
func WrapUpLeft(until, now time.Time) string {
	d := until.Sub(now)
	if d < 0 {
		d = 0
	}
	s := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// AgentPanelOf renders snapshot s for the user of profile p at now (the UI's clock: the
// countdown is computed here, never by the server's ticks).
func AgentPanelOf(s agent.Snapshot, p api.Profile, tr Strings, now time.Time) AgentPanel {
	v := s.View
	a := AgentPanel{Visible: (p.Agent || len(v.Queues) > 0) && !s.NotAgent, Error: s.Error}
	if !a.Visible {
		return a
	}
	in := 0
	for _, q := range v.Queues {
		r := AgentQueueRow{ID: q.ID, Name: q.Name, LoggedIn: q.LoggedIn, Busy: s.Busy == q.ID,
			Detail: tr.F(KAgentQueueDetail, q.Number, q.Skill)}
		if q.Waiting > 0 {
			r.Detail += " · " + tr.F(KAgentQueueWaiting, q.Waiting)
		}
		r.Button = tr.T(KAgentLogIn)
		if q.LoggedIn {
			r.Button = tr.T(KAgentLogOut)
			in++
		}
		a.Queues = append(a.Queues, r)
	}
	if len(v.Queues) == 0 && s.Loaded {
		a.Empty = tr.T(KAgentNoQueues)
	}
	a.Summary = tr.F(KAgentQueuesIn, in, len(v.Queues))
	state := v.State
	if state == "" {
		state = api.AgentLoggedOut
	}
	switch state {
	case api.AgentLoggedOut:
		a.State, a.Tone = tr.T(KAgentLoggedOut), ToneNeutral
	case api.AgentAvailable:
		a.State, a.Tone = tr.T(KAgentAvailable), ToneOK
	case api.AgentRinging:
		a.State, a.Tone = tr.T(KAgentRinging), ToneWarn
	case api.AgentInCall:
		a.State, a.Tone = tr.T(KAgentInCall), ToneWarn
	case api.AgentWrapUp:
		// Wrap-up is never "available" (the complaint about other systems), even once the
		// countdown reached zero and the server has not said so yet.
		a.State, a.Tone = tr.T(KAgentWrapUp), ToneWarn
		if v.WrapUpUntil != nil {
			a.Countdown = WrapUpLeft(*v.WrapUpUntil, now)
			a.State = tr.F(KAgentWrapUpLeft, a.Countdown)
			a.Ticking = v.WrapUpUntil.After(now)
		}
	case api.AgentPaused:
		a.State, a.Tone, a.Paused = tr.T(KAgentPaused), ToneError, true
		if v.PauseReason != "" {
			a.State = tr.F(KAgentPausedWhy, v.PauseReason)
		}
		// Paused during wrap-up (GRP-5): the wrap-up time still counts down.
		if v.WrapUpUntil != nil && v.WrapUpUntil.After(now) {
			a.Countdown = WrapUpLeft(*v.WrapUpUntil, now)
			a.State += " · " + tr.F(KAgentWrapUpLeft, a.Countdown)
			a.Ticking = true
		}
	default:
		a.State, a.Tone = tr.F(KAgentUnknownState, state), ToneNeutral
	}
	a.Bar = tr.F(KAgentBar, a.State)
	a.PauseBusy = s.Busy == agent.BusyPause
	a.CanResume = a.Paused && !a.PauseBusy
	// During wrap-up the agent may pause (GRP-5); the pause starts when wrap-up ends.
	a.CanPause = in > 0 && !a.Paused && !a.PauseBusy
	if o := v.Offer; o != nil {
		a.Offer = tr.F(KAgentOffer, tr.F(KGroupCall, o.Queue, o.Caller))
		if o.Callback != "" {
			a.Callback = tr.F(KAgentCallback, o.Callback)
		}
	}
	return a
}

// groupLine is how a call through a queue or hunt group is introduced: the group's name and
// the caller as the server presents them, "Asiakaspalvelu — +358401234567".
func groupLine(c phone.Call, tr Strings) string {
	if c.Group.IsZero() {
		return ""
	}
	caller := c.Remote
	if caller == "" {
		caller = displayName(c, tr)
	}
	return tr.F(KGroupCall, c.Group.Name, caller)
}
