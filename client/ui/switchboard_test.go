package ui

import (
	"os"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/agent/agenttest"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/shared/api"
)

func operatorRig(t *testing.T) *rig {
	t.Helper()
	r := registeredRig(t)
	r.f.update(func(s *phone.Snapshot) { s.Profile.Operator = true })
	r.people.set(demoPeople())
	return r
}

// TestSwitchboardTabByRoleAndKeys: the tab exists for operators only, and the window's keys
// (F-keys and Ctrl shortcuts typed while a field has the focus) reach the switchboard.
func TestSwitchboardTabByRoleAndKeys(t *testing.T) {
	r := registeredRig(t)
	if r.u.switchboardShownIn() {
		t.Fatal("switchboard tab for a user without the operator role")
	}
	r.f.update(func(s *phone.Snapshot) { s.Profile.Operator = true })
	if !r.u.switchboardShownIn() {
		t.Fatal("no switchboard tab for an operator")
	}
	if !r.u.switchboardShown() {
		t.Fatal("the operator does not land on the switchboard tab")
	}
	r.u.tabs.SelectIndex(0) // the operator may go elsewhere; a new snapshot keeps their choice
	r.f.update(func(s *phone.Snapshot) { s.Profile.Operator = true; s.Profile.Extension += "" })
	if r.u.switchboardShown() {
		t.Fatal("a later update took the operator back to the switchboard")
	}
	r.people.set(demoPeople())
	r.u.tabs.Select(r.u.swTab)
	sw := r.u.sw
	r.setCalls(phone.Call{ID: "in1", Remote: "+358401234567", State: phone.Incoming, Group: phone.GroupCall{Name: "Vaihde", Number: "8010"}})
	if sw.offer.Text != "Vaihde — +358401234567" || sw.buttons[SwAnswer].Disabled() {
		t.Fatalf("offer %q answer disabled %v", sw.offer.Text, sw.buttons[SwAnswer].Disabled())
	}
	r.u.win.Canvas().Focus(sw.search)
	sw.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF2})
	r.wantAction("answer in1")
	r.setCalls(phone.Call{ID: "in1", Remote: "+358401234567", State: phone.Active, AnsweredAt: t0, Group: phone.GroupCall{Name: "Vaihde", Number: "8010"}})
	test.Type(sw.search, "ber")
	if sw.rendered.Target == nil || sw.rendered.Target.Number != "1002" || sw.target.Hidden {
		t.Fatalf("target after typing: %+v", sw.rendered.Target)
	}
	sw.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF6})
	r.wantAction("blind in1 1002")
	// Ctrl+L moves to the number field; a pasted number is normalised.
	sw.search.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault})
	if r.u.win.Canvas().Focused() != sw.number {
		t.Fatal("Ctrl+L did not focus the number field")
	}
	test.Type(sw.number, "040-123 4567")
	sw.number.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF6})
	r.wantAction("blind in1 +358401234567")
	// F1 opens the help overlay and Escape closes it.
	sw.number.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF1})
	if sw.help == nil || sw.help.Hidden {
		t.Fatal("F1: no help overlay")
	}
	sw.number.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if sw.help != nil {
		t.Fatal("Escape did not close the help")
	}
	// A key that is no shortcut is typed as usual.
	sw.number.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	if sw.number.Text != "040-123 456" {
		t.Fatalf("backspace: %q", sw.number.Text)
	}
}

// TestRenderSwitchboardShots writes docs/screenshots/switchboard.png and supervisor.png into
// $UI_SHOTS_DIR; skipped when it is unset.
func TestRenderSwitchboardShots(t *testing.T) {
	dir := os.Getenv("UI_SHOTS_DIR")
	if dir == "" {
		t.Skip("UI_SHOTS_DIR not set")
	}
	r := operatorRig(t)
	fyne.CurrentApp().Settings().SetTheme(Theme())
	r.u.win.Resize(fyne.NewSize(760, 820))
	r.u.tabs.Select(r.u.swTab)
	r.setCalls(phone.Call{ID: "in1", Remote: "+358401234567", State: phone.Active, AnsweredAt: t0.Add(-42 * time.Second),
		Group: phone.GroupCall{Name: "Vaihde", Number: "8010"}},
		phone.Call{ID: "in2", Remote: "+358509876543", State: phone.Incoming, Group: phone.GroupCall{Name: "Vaihde", Number: "8010"}})
	// The operator queues and their waiting callers come from agenttest.
	srv := agenttest.New(t, 1001,
		api.AgentQueue{ID: 10, Name: "Vaihde", Number: "8010", Waiting: 3, LoggedIn: true},
		api.AgentQueue{ID: 11, Name: "Vaihde englanti", Number: "8011", Waiting: 1})
	desk := agent.NewDesk(func() (string, string, bool) { return srv.URL, agenttest.Token, true }, agent.Options{})
	t.Cleanup(desk.Close)
	if err := desk.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.u.sw.vm.agent = desk
	test.Type(r.u.sw.search, "s")
	r.u.sw.key("Down")
	shot := shooter(t, r.u.win, dir)
	shot("switchboard.png")
	r.u.sw.key("F1")
	shot("switchboard-help.png")
	r.u.sw.key("Escape")

	ssrv, board := supRun(t)
	_ = ssrv
	if err := board.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.u.sup = newSupervisorView(r.u, NewSupervisorVM(board, r.u.tr))
	r.u.supTab = container.NewTabItemWithIcon("", theme.InfoIcon(), r.u.sup.root)
	r.f.update(func(s *phone.Snapshot) { s.Profile.Supervisor = true })
	r.u.tabs.Select(r.u.supTab)
	shot("supervisor.png")
}

// TestSupervisorTabPollsWhenShown: the supervisor tab exists for supervisors only, polls the
// board when selected, and a Log in button logs the agent in.
func TestSupervisorTabPollsWhenShown(t *testing.T) {
	srv, board := supRun(t)
	dir := t.TempDir()
	if err := settings.NewStore(dir).Save(settings.Settings{Server: "pbx.test", User: "1001", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	u := New(t.Context(), test.NewTempApp(t), Options{Controller: f, People: newFakePeople(), Supervision: board,
		Settings: settings.NewStore(dir), Now: func() time.Time { return t0 }})
	u.goAsync = func(fn func()) { fn() }
	u.accountOp = func(fn func()) { fn() }
	u.tickEvery, u.blurAfter = 0, 0
	u.Start()
	t.Cleanup(u.Close)
	f.update(func(s *phone.Snapshot) { s.Reg = phone.Registered; s.Profile = api.Profile{Extension: "1001"} })
	if slices.Contains(u.tabs.Items, u.supTab) {
		t.Fatal("supervisor tab for a user without the role")
	}
	f.update(func(s *phone.Snapshot) { s.Profile.Supervisor = true })
	if !slices.Contains(u.tabs.Items, u.supTab) {
		t.Fatal("no supervisor tab for a supervisor")
	}
	u.tabs.Select(u.supTab)
	if !slices.Contains(srv.Requests(), "GET /api/queues/10/stats") || len(board.Snapshot().Queues) != 1 {
		t.Fatalf("not polled when shown: %v", srv.Requests())
	}
	var login *widget.Button
	for _, o := range test.LaidOutObjects(u.sup.root) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Log in" {
			login = b
		}
	}
	if login == nil {
		t.Fatal("no Log in button for the logged-out agent")
	}
	test.Tap(login)
	if !slices.Contains(srv.Requests(), "POST /api/queues/10/agents/1003/login") {
		t.Fatalf("requests %v", srv.Requests())
	}
}
