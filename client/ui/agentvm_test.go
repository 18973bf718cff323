package ui

import (
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

func agentSnap(state string, in ...int64) agent.Snapshot {
	qs := []api.AgentQueue{
		{ID: 1, Name: "Asiakaspalvelu", Number: "8000", Skill: 1, Waiting: 3},
		{ID: 2, Name: "Laskutus", Number: "8002", Skill: 2},
		{ID: 3, Name: "Vaihde", Number: "8010", Skill: 3},
	}
	for i := range qs {
		qs[i].LoggedIn = slices.Contains(in, qs[i].ID)
	}
	return agent.Snapshot{Loaded: true, View: api.AgentView{UserID: 1004, State: state, Queues: qs}}
}

func TestAgentPanelOnlyForAgents(t *testing.T) {
	tr := NewStrings("en")
	if a := AgentPanelOf(agent.Snapshot{Loaded: true}, api.Profile{}, tr, t0); a.Visible {
		t.Fatal("a user without the agent role and without queues sees the agent view")
	}
	if a := AgentPanelOf(agent.Snapshot{Loaded: true, NotAgent: true}, api.Profile{Agent: true}, tr, t0); a.Visible {
		t.Fatal("shown although the server says the user is no agent")
	}
	a := AgentPanelOf(agent.Snapshot{Loaded: true}, api.Profile{Agent: true}, tr, t0)
	if !a.Visible || a.State != "Logged out of all queues" || a.Empty == "" || a.CanPause || a.Tone != ToneNeutral {
		t.Fatalf("agent in no queue: %+v", a)
	}
	// An older server that does not say the role in the profile: the queue list tells.
	if a := AgentPanelOf(agentSnap(api.AgentLoggedOut), api.Profile{}, tr, t0); !a.Visible {
		t.Fatal("member of three queues but not shown")
	}
}

func TestAgentPanelEveryState(t *testing.T) {
	tr := NewStrings("en")
	p := api.Profile{Agent: true}
	for _, tc := range []struct {
		state, reason     string
		text              string
		tone              Tone
		canPause, canResu bool
	}{
		{api.AgentLoggedOut, "", "Logged out of all queues", ToneNeutral, false, false},
		{api.AgentAvailable, "", "Available", ToneOK, true, false},
		{api.AgentRinging, "", "Queue call ringing", ToneWarn, true, false},
		{api.AgentInCall, "", "In a call", ToneWarn, true, false},
		{api.AgentWrapUp, "", "Wrap-up", ToneWarn, true, false},
		{api.AgentPaused, "Lunch", "Paused: Lunch", ToneError, false, true},
		{api.AgentPaused, "", "Paused", ToneError, false, true},
		{"on-strike", "", "Unknown state (on-strike)", ToneNeutral, true, false},
	} {
		in := []int64{1, 2}
		if tc.state == api.AgentLoggedOut {
			in = nil
		}
		s := agentSnap(tc.state, in...)
		s.View.PauseReason = tc.reason
		a := AgentPanelOf(s, p, tr, t0)
		if a.State != tc.text || a.Tone != tc.tone || a.CanPause != tc.canPause || a.CanResume != tc.canResu ||
			a.Bar != "Agent: "+tc.text {
			t.Errorf("%s: %+v", tc.state, a)
		}
	}
}

func TestAgentPanelQueues(t *testing.T) {
	tr := NewStrings("en")
	s := agentSnap(api.AgentAvailable, 1, 2)
	s.Busy = 3
	a := AgentPanelOf(s, api.Profile{Agent: true}, tr, t0)
	if a.Summary != "Logged in to 2 of 3 queues" || len(a.Queues) != 3 {
		t.Fatalf("summary %q, %d rows", a.Summary, len(a.Queues))
	}
	want := []AgentQueueRow{
		{ID: 1, Name: "Asiakaspalvelu", Detail: "8000 · skill 1 · 3 waiting", LoggedIn: true, Button: "Log out"},
		{ID: 2, Name: "Laskutus", Detail: "8002 · skill 2", LoggedIn: true, Button: "Log out"},
		{ID: 3, Name: "Vaihde", Detail: "8010 · skill 3", Button: "Log in", Busy: true},
	}
	if !slices.Equal(a.Queues, want) {
		t.Fatalf("rows\n got %+v\nwant %+v", a.Queues, want)
	}
	fi := AgentPanelOf(s, api.Profile{Agent: true}, NewStrings("fi"), t0)
	if fi.Summary != "Kirjautunut 2/3 jonoon" || fi.Queues[0].Detail != "8000 · taito 1 · 3 jonossa" || fi.State != "Vapaa" {
		t.Fatalf("Finnish %+v", fi)
	}
}

// TestWrapUpCountdown drives the countdown with an injected clock: it counts whole seconds up,
// ticks only while time is left and never turns into "available" on its own.
func TestWrapUpCountdown(t *testing.T) {
	tr := NewStrings("en")
	s := agentSnap(api.AgentWrapUp, 1, 2)
	end := t0.Add(65 * time.Second)
	s.View.WrapUpUntil = &end
	for _, tc := range []struct {
		at      time.Duration
		left    string
		ticking bool
	}{
		{0, "1:05", true},
		{500 * time.Millisecond, "1:05", true},
		{time.Second, "1:04", true},
		{56*time.Second + time.Millisecond, "0:09", true},
		{65 * time.Second, "0:00", false},
		{90 * time.Second, "0:00", false},
	} {
		a := AgentPanelOf(s, api.Profile{Agent: true}, tr, t0.Add(tc.at))
		if a.Countdown != tc.left || a.Ticking != tc.ticking || a.State != "Wrap-up · "+tc.left+" left" || a.Tone == ToneOK {
			t.Errorf("at +%v: %+v", tc.at, a)
		}
	}
	if WrapUpLeft(t0, t0.Add(-10*time.Minute)) != "10:00" {
		t.Error("ten minutes of wrap-up")
	}
	// Paused during wrap-up: the pause shows and the wrap-up still counts down.
	s.View.State, s.View.PauseReason = api.AgentPaused, "Lunch"
	p := AgentPanelOf(s, api.Profile{Agent: true}, tr, t0.Add(5*time.Second))
	if p.State != "Paused: Lunch · Wrap-up · 1:00 left" || p.Countdown != "1:00" || !p.Ticking || !p.CanResume {
		t.Errorf("paused in wrap-up: %+v", p)
	}
	if p = AgentPanelOf(s, api.Profile{Agent: true}, tr, t0.Add(2*time.Minute)); p.State != "Paused: Lunch" || p.Ticking || p.Countdown != "" {
		t.Errorf("paused after wrap-up: %+v", p)
	}
	s.View.State, s.View.PauseReason = api.AgentWrapUp, ""
	sv := AgentPanelOf(s, api.Profile{Agent: true}, NewStrings("sv"), t0)
	if sv.State != "Efterarbete · 1:05 kvar" {
		t.Errorf("Swedish %q", sv.State)
	}
}

func TestAgentPanelOfferAndBusyPause(t *testing.T) {
	tr := NewStrings("en")
	s := agentSnap(api.AgentRinging, 1)
	s.View.Offer = &api.QueueOffer{QueueID: 1, Queue: "Asiakaspalvelu", Caller: "+358401234567", Callback: "Invoice 1234"}
	s.Busy = agent.BusyPause
	a := AgentPanelOf(s, api.Profile{Agent: true}, tr, t0)
	if a.Offer != "Now: Asiakaspalvelu — +358401234567" || a.Callback != "Callback: Invoice 1234" {
		t.Fatalf("offer %q callback %q", a.Offer, a.Callback)
	}
	if !a.PauseBusy || a.CanPause || a.CanResume {
		t.Fatalf("pause under way: %+v", a)
	}
	if len(PauseReasons(tr)) < 3 {
		t.Fatal("too few pause reasons offered")
	}
}

func TestGroupCallView(t *testing.T) {
	tr := NewStrings("en")
	c := phone.Call{ID: "q", Direction: phone.IncomingCall, Remote: "+358401234567", RemoteName: "Matti",
		State: phone.Incoming, Group: phone.GroupCall{Name: "Asiakaspalvelu", Number: "8000", Callback: "Invoice 1234"}}
	v := buildView(phone.Snapshot{Calls: []phone.Call{c}}, nil, t0, tr)
	if len(v.Incoming) != 1 || v.Incoming[0].Group != "Asiakaspalvelu — +358401234567" ||
		v.Incoming[0].Callback != "Callback request: Invoice 1234" || v.Incoming[0].Title != "Matti" ||
		v.Incoming[0].Subtitle != "" {
		t.Fatalf("ringing group call %+v", v.Incoming)
	}
	c.State, c.AnsweredAt = phone.Active, t0
	v = buildView(phone.Snapshot{Calls: []phone.Call{c}}, nil, t0, tr)
	if v.Focus == nil || v.Focus.Group != "Asiakaspalvelu — +358401234567" || v.Focus.Callback == "" {
		t.Fatalf("group call in progress %+v", v.Focus)
	}
	c.Group = phone.GroupCall{}
	if v = buildView(phone.Snapshot{Calls: []phone.Call{c}}, nil, t0, tr); v.Focus.Group != "" || v.Focus.Callback != "" ||
		v.Focus.Subtitle != "+358401234567" {
		t.Fatalf("direct call shows a group: %+v", v.Focus)
	}
	c.Group, c.Remote = phone.GroupCall{Name: "Myynti"}, ""
	if v = buildView(phone.Snapshot{Calls: []phone.Call{c}}, nil, t0, tr); v.Focus.Group != "Myynti — Matti" {
		t.Fatalf("withheld number: %q", v.Focus.Group)
	}
	fi := buildView(phone.Snapshot{Calls: []phone.Call{{ID: "x", Remote: "0401234567", State: phone.Incoming,
		Group: phone.GroupCall{Name: "Asiakaspalvelu", Callback: "Lasku"}}}}, nil, t0, NewStrings("fi"))
	if fi.Incoming[0].Callback != "Soittopyyntö: Lasku" {
		t.Fatalf("Finnish callback %q", fi.Incoming[0].Callback)
	}
}
