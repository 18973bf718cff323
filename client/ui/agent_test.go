package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/agent/agenttest"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/shared/api"
)

// agentRig is a registered UI whose Queues tab runs the real agent model against the
// in-memory agent server: 1004, a member of three queues, logged in to none.
type agentRig struct {
	*rig
	srv  *agenttest.Server
	desk *agent.Desk
	loop *mainLoop
}

func newAgentRig(t *testing.T, role bool) *agentRig {
	t.Helper()
	srv := agenttest.New(t, 1004,
		api.AgentQueue{ID: 1, Name: "Asiakaspalvelu", Number: "8000", Skill: 1, Waiting: 2},
		api.AgentQueue{ID: 2, Name: "Laskutus", Number: "8002", Skill: 2},
		api.AgentQueue{ID: 3, Name: "Vaihde", Number: "8010", Skill: 3})
	desk := agent.NewDesk(func() (string, string, bool) { return srv.URL, agenttest.Token, true }, agent.Options{})
	t.Cleanup(desk.Close)
	dir := t.TempDir()
	if err := settings.NewStore(dir).Save(settings.Settings{Server: "pbx.test", User: "1004", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	r := &rig{t: t, f: f, ring: &fakeRinger{}, dir: dir, now: t0, people: newFakePeople(), audio: &fakeAudio{}}
	a := test.NewTempApp(t)
	u := New(t.Context(), a, Options{Controller: f, People: r.people, Agent: desk, Settings: settings.NewStore(dir),
		Audio: r.audio, Ringer: r.ring, Now: func() time.Time { return r.now }})
	loop := &mainLoop{q: make(chan func(), 4096)}
	u.do = loop.do
	u.goAsync = func(fn func()) { go fn() } // requests really run off the UI goroutine
	u.accountOp = func(fn func()) { fn() }
	u.tickEvery, u.blurAfter = 0, 0
	u.Start()
	t.Cleanup(u.Close)
	r.u = u
	f.update(func(s *phone.Snapshot) {
		s.Reg = phone.Registered
		s.Profile = api.Profile{Name: "Juha Agentti", Extension: "1004", Agent: role}
	})
	ar := &agentRig{rig: r, srv: srv, desk: desk, loop: loop}
	loop.until(t, 5*time.Second, "the login profile rendered", func() bool { return true })
	return ar
}

func (r *agentRig) until(what string, cond func() bool) {
	r.t.Helper()
	r.loop.until(r.t, 10*time.Second, what, cond)
}

func (r *agentRig) hasTab() bool { return slices.Contains(r.u.tabs.Items, r.u.agentTab) }

func TestAgentTabLoginPauseWrapUp(t *testing.T) {
	r := newAgentRig(t, true)
	u := r.u
	r.until("the agent tab appears for an agent", r.hasTab)
	if i := slices.Index(u.tabs.Items, u.agentTab); i != 1 {
		t.Fatalf("agent tab at %d, want right after Phone", i)
	}
	r.desk.HandleEvent(api.Event{Type: api.EventHello}) // what the event stream sends on connect
	r.until("the three queues are listed", func() bool { return len(u.agent.buttons) == 3 })
	if !u.agentBar.root.Visible() || u.agentBar.text.Text != "Agent: Logged out of all queues" {
		t.Fatalf("agent bar %q visible %v", u.agentBar.text.Text, u.agentBar.root.Visible())
	}
	u.SelectTab(TabAgent)
	if u.tabs.Selected() != u.agentTab {
		t.Fatal("SelectTab(agent) did not show the Queues tab")
	}
	u.SelectTab(TabCallLog)
	if u.tabs.Selected().Content != u.calls.root {
		t.Fatal("SelectTab(log) with the agent tab present shows the wrong tab")
	}
	if !u.agent.pause.Disabled() {
		t.Fatal("pause offered while logged out of every queue")
	}

	test.Tap(u.agent.buttons[1])
	r.until("logged in to Asiakaspalvelu", func() bool { return strings.HasPrefix(u.agentBar.summary.Text, "Logged in to 1 ") })
	test.Tap(u.agent.buttons[2])
	r.until("logged in to Laskutus", func() bool { return u.agentBar.summary.Text == "Logged in to 2 of 3 queues" })
	if u.agentBar.text.Text != "Agent: Available" || u.agent.buttons[1].Text != "Log out" || u.agent.buttons[3].Text != "Log in" {
		t.Fatalf("after two logins: bar %q, buttons %q %q", u.agentBar.text.Text, u.agent.buttons[1].Text, u.agent.buttons[3].Text)
	}

	// Pause with a reason, then resume.
	test.Type(u.agent.reason, "Lunch")
	test.Tap(u.agent.pause)
	r.until("paused", func() bool { return u.agentBar.text.Text == "Agent: Paused: Lunch" })
	if u.agent.pause.Visible() || !u.agent.resume.Visible() || u.agent.resume.Disabled() {
		t.Fatal("paused: Resume must replace Pause")
	}
	test.Tap(u.agent.resume)
	r.until("resumed", func() bool { return u.agentBar.text.Text == "Agent: Available" })

	// The engine moves the agent to wrap-up: the countdown runs on the UI's clock.
	v := r.srv.View()
	end := r.now.Add(30 * time.Second)
	v.State, v.WrapUpUntil = api.AgentWrapUp, &end
	r.srv.Set(v)
	_ = r.desk.Refresh(t.Context())
	r.until("wrap-up shown", func() bool { return u.agent.countdown.Visible() && u.agent.countdown.Text == "0:30" })
	if !u.agentTicking {
		t.Fatal("the countdown does not tick")
	}
	r.now = r.now.Add(12 * time.Second)
	u.tick()
	if u.agent.countdown.Text != "0:18" || u.agentBar.text.Text != "Agent: Wrap-up · 0:18 left" {
		t.Fatalf("after 12 s: %q / %q", u.agent.countdown.Text, u.agentBar.text.Text)
	}
	if u.agent.pause.Disabled() {
		t.Fatal("an agent in wrap-up may pause")
	}
	r.now = r.now.Add(time.Minute)
	u.tick()
	if u.agentTicking || !strings.HasPrefix(u.agentBar.text.Text, "Agent: Wrap-up") {
		t.Fatalf("wrap-up over without word from the server: ticking %v, %q", u.agentTicking, u.agentBar.text.Text)
	}

	want := []string{"GET /api/agent", "POST /api/agent/queues/1/login", "POST /api/agent/queues/2/login",
		"POST /api/agent/pause", "POST /api/agent/resume", "GET /api/agent"}
	if got := r.srv.Requests(); !slices.Equal(got, want) {
		t.Fatalf("requests\n got %v\nwant %v", got, want)
	}

	// A refused request shows the server's words.
	r.srv.FailNext("POST /api/agent/queues/3/login", 500)
	test.Tap(u.agent.buttons[3])
	r.until("the error shows", func() bool { return u.message.Visible() && strings.Contains(u.message.Text, "forced 500") })

	// Logging out of the Softphone forgets the agent view and its tab.
	u.logout()
	r.f.update(func(s *phone.Snapshot) { s.Reg, s.Profile = phone.LoggedOut, api.Profile{} }) // as the engine does
	r.until("the tab goes", func() bool { return !r.hasTab() })
}

func TestNoAgentTabWithoutRole(t *testing.T) {
	r := newAgentRig(t, false)
	r.srv.FailNext("GET /api/agent", 403)
	r.desk.HandleEvent(api.Event{Type: api.EventHello})
	r.until("the view loaded", func() bool { return r.desk.Snapshot().Loaded })
	r.loop.until(t, time.Second, "rendered", func() bool { return len(r.loop.q) == 0 })
	if r.hasTab() || r.u.agentBar.root.Visible() {
		t.Fatal("a user without the agent role sees the agent view")
	}
	r.u.SelectTab(TabAgent) // ignored
	if r.u.tabs.Selected() == r.u.agentTab {
		t.Fatal("SelectTab showed a hidden tab")
	}
}

func TestGroupCallBannerAndPanel(t *testing.T) {
	r := registeredRig(t)
	g := phone.GroupCall{Name: "Asiakaspalvelu", Number: "8000", Callback: "Invoice 1234, call before 4 pm"}
	r.setCalls(phone.Call{ID: "q", Direction: phone.IncomingCall, Remote: "+358401234567", State: phone.Incoming, Group: g})
	texts := labelsIn(r.u.phone.banners)
	if !strings.Contains(texts, "Asiakaspalvelu — +358401234567") || !strings.Contains(texts, "Callback request: Invoice 1234, call before 4 pm") {
		t.Fatalf("banner shows %q", texts)
	}
	r.setCalls(phone.Call{ID: "q", Direction: phone.IncomingCall, Remote: "+358401234567", State: phone.Active, AnsweredAt: t0, Group: g})
	if p := r.u.phone; p.group == nil || p.group.Text != "Asiakaspalvelu — +358401234567" || p.callback == nil ||
		!strings.Contains(p.callback.Text, "Invoice 1234") {
		t.Fatal("the call panel does not show the queue and the callback text")
	}
	r.setCalls(phone.Call{ID: "d", Direction: phone.IncomingCall, Remote: "1002", State: phone.Active, AnsweredAt: t0})
	if r.u.phone.group != nil || r.u.phone.callback != nil {
		t.Fatal("a direct call shows a group")
	}
}
