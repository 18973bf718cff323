package ui

import (
	"bytes"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/mediakeys"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/client/voicemail"
	"github.com/vaihde/vaihde/shared/api"
)

func reg(r phone.RegState, calls ...phone.Call) phone.Snapshot {
	return phone.Snapshot{Reg: r, Calls: calls}
}

func in(id string, st phone.CallState) phone.Call {
	return phone.Call{ID: id, Direction: phone.IncomingCall, Remote: "1002", State: st}
}

func TestTrayStateAndTooltipFollowRegistration(t *testing.T) {
	tr := NewStrings("en")
	vm := NewTrayVM(tr)
	for _, c := range []struct {
		r     phone.RegState
		state TrayState
		text  string
	}{
		{phone.Connecting, TrayConnecting, tr.T(KRegConnecting)},
		{phone.Registered, TrayRegistered, tr.T(KRegRegistered)},
		{phone.WrongPassword, TrayWrongPassword, tr.T(KRegWrongPassword)},
		{phone.Unreachable, TrayOffline, tr.T(KRegUnreachable)},
		{phone.LoggedOut, TrayOffline, tr.T(KRegLoggedOut)},
	} {
		if !vm.Update(reg(c.r)) {
			t.Errorf("%v: a new state is a change", c.r)
		}
		v := vm.View()
		if v.State != c.state || !strings.Contains(v.Tooltip, c.text) {
			t.Errorf("%v: state %v tooltip %q, want %v with %q", c.r, v.State, v.Tooltip, c.state, c.text)
		}
		if v.Items[2].ID != TrayItemStatus || v.Items[2].Label != c.text || !v.Items[2].Disabled {
			t.Errorf("%v: status line %+v", c.r, v.Items[2])
		}
		if vm.Update(reg(c.r)) {
			t.Errorf("%v: the same snapshot again is no change", c.r)
		}
	}
	ids := func(v TrayView) (out []string) {
		for _, it := range v.Items {
			out = append(out, it.ID)
		}
		return out
	}
	if got := ids(vm.View()); !slices.Equal(got, []string{TrayItemShow, "", TrayItemStatus, "", TrayItemQuit}) {
		t.Fatalf("menu without missed calls: %v", got)
	}
}

func TestTrayCountsEachMissedCallOnce(t *testing.T) {
	tr := NewStrings("en")
	vm := NewTrayVM(tr)
	vm.Update(reg(phone.Registered))
	// Rings, the caller gives up: one missed call, however many snapshots show it ended.
	vm.Update(reg(phone.Registered, in("a", phone.Incoming)))
	ended := in("a", phone.Ended)
	ended.EndReason = "Missed"
	if !vm.Update(reg(phone.Registered, ended)) {
		t.Fatal("a missed call changes the tray")
	}
	vm.Update(reg(phone.Registered, ended))
	vm.Update(reg(phone.Registered))
	if vm.Missed() != 1 {
		t.Fatalf("missed %d, want 1", vm.Missed())
	}
	// Answered, then hung up: not missed.
	answered := in("b", phone.Active)
	answered.AnsweredAt = time.Unix(100, 0)
	vm.Update(reg(phone.Registered, in("b", phone.Incoming)))
	vm.Update(reg(phone.Registered, answered))
	answered.State = phone.Ended
	vm.Update(reg(phone.Registered, answered))
	// Rejected by the user: a decision, not missed.
	rejected := in("c", phone.Ended)
	rejected.EndReason = "Rejected"
	vm.Update(reg(phone.Registered, in("c", phone.Incoming)))
	vm.Update(reg(phone.Registered, rejected))
	// Gone while ringing without an Ended snapshot in between: missed.
	vm.Update(reg(phone.Registered, in("d", phone.Incoming)))
	vm.Update(reg(phone.Registered))
	if vm.Missed() != 2 {
		t.Fatalf("missed %d, want 2 (a and d)", vm.Missed())
	}
	v := vm.View()
	if !strings.Contains(v.Tooltip, "2 missed calls") || !slices.Contains(v.Items, TrayItem{ID: TrayItemMissed, Label: "2 missed calls"}) {
		t.Fatalf("view %+v", v)
	}
	if !vm.ResetMissed() || vm.Missed() != 0 || vm.ResetMissed() {
		t.Fatal("opening the log resets the count once")
	}
	if slices.ContainsFunc(vm.View().Items, func(it TrayItem) bool { return it.ID == TrayItemMissed }) {
		t.Fatal("no missed-calls item after the reset")
	}
	vm.Update(reg(phone.Registered, in("e", phone.Incoming)))
	vm.Update(reg(phone.Registered))
	vm.Update(reg(phone.LoggedOut))
	if vm.Missed() != 0 {
		t.Fatal("logging out forgets the missed calls")
	}
	if got := MissedText(1, NewStrings("fi")); got != "1 vastaamaton puhelu" {
		t.Fatalf("fi: %q", got)
	}
	if got := MissedText(3, NewStrings("sv")); got != "3 missade samtal" {
		t.Fatalf("sv: %q", got)
	}
}

func TestTrayIconDotAndBadgePerState(t *testing.T) {
	decode := func(r fyne.Resource) *imageRGBA {
		img, err := png.Decode(bytes.NewReader(r.Content()))
		if err != nil {
			t.Fatal(err)
		}
		return &imageRGBA{img}
	}
	dot := image2(trayIconSize-12, trayIconSize-12)
	for state, want := range trayDotColours {
		r := TrayIcon(state, 0)
		if TrayIcon(state, 0) != r {
			t.Fatalf("%v: rendered twice, not cached", state)
		}
		if got := decode(r).at(dot); got != want {
			t.Errorf("%v: dot %v, want %v", state, got, want)
		}
	}
	plain, badged := decode(TrayIcon(TrayRegistered, 0)), decode(TrayIcon(TrayRegistered, 3))
	corner := image2(trayIconSize-6, 8) // inside the badge, off its digit
	if c := badged.at(corner); c != missedBadgeColour {
		t.Fatalf("badge colour %v, want %v", c, missedBadgeColour)
	}
	if plain.at(corner) == missedBadgeColour {
		t.Fatal("no badge without missed calls")
	}
	if TrayIcon(TrayRegistered, 3) == TrayIcon(TrayRegistered, 4) || TrayIcon(TrayRegistered, 12) != TrayIcon(TrayRegistered, 10) {
		t.Fatal("one picture per count up to 9, then 9+")
	}
	// The digit is drawn: the badge's middle has white pixels.
	white := 0
	for y := 9; y < 22; y++ {
		for x := trayIconSize - 20; x < trayIconSize-10; x++ {
			if c := badged.at(image2(x, y)); c.R > 0xe0 && c.G > 0xe0 && c.B > 0xe0 {
				white++
			}
		}
	}
	if white < 8 {
		t.Fatalf("the badge's digit has %d white pixels", white)
	}
}

// ---- the tray in the UI --------------------------------------------------------------------

// trayApp is the test app with a recording tray (desktop.App) and notifications.
type trayApp struct {
	fyne.App
	mu      sync.Mutex
	icons   []fyne.Resource
	menus   []*fyne.Menu
	notes   []*fyne.Notification
	quits   int
	trayWin fyne.Window
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu) {
	a.mu.Lock()
	a.menus = append(a.menus, m)
	a.mu.Unlock()
}
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) {
	a.mu.Lock()
	a.icons = append(a.icons, r)
	a.mu.Unlock()
}
func (a *trayApp) SetSystemTrayWindow(w fyne.Window) { a.trayWin = w }
func (a *trayApp) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	a.notes = append(a.notes, n)
	a.mu.Unlock()
}
func (a *trayApp) Quit() { a.quits++ }

func (a *trayApp) menu() *fyne.Menu { return a.menus[len(a.menus)-1] }

func (a *trayApp) item(t *testing.T, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range a.menu().Items {
		if it.Label == label {
			return it
		}
	}
	var got []string
	for _, it := range a.menu().Items {
		got = append(got, it.Label)
	}
	t.Fatalf("no tray menu item %q in %q", label, got)
	return nil
}

type trayRig struct {
	*rig
	app     *trayApp
	tooltip string
}

func newTrayRig(t *testing.T, st settings.Settings) *trayRig {
	t.Helper()
	dir := t.TempDir()
	st.Server, st.User, st.Password = "pbx.test", "1001", "pw"
	if err := settings.NewStore(dir).Save(st); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	r := &rig{t: t, f: f, ring: &fakeRinger{}, dir: dir, now: t0, people: newFakePeople(), audio: &fakeAudio{}}
	a := &trayApp{App: test.NewTempApp(t)}
	u := New(t.Context(), a, Options{Controller: f, People: r.people, Settings: settings.NewStore(dir), Ringer: r.ring,
		Now: func() time.Time { return r.now }})
	tr := &trayRig{rig: r, app: a}
	u.tray.host = func() bool { return true }
	u.tray.bus = func() bool { return true }
	u.tray.setTooltip = func(s string) { tr.tooltip = s }
	u.goAsync = func(fn func()) { fn() }
	u.accountOp = func(fn func()) { fn() }
	u.tickEvery, u.blurAfter = 0, 0
	u.Start()
	t.Cleanup(u.Close)
	r.u = u
	f.update(func(s *phone.Snapshot) {
		s.Reg = phone.Registered
		s.Profile = api.Profile{Name: "Anna Virtanen", Extension: "1001"}
	})
	return tr
}

func TestTrayShowsStateMissedCallsAndOpensLog(t *testing.T) {
	r := newTrayRig(t, settings.Settings{})
	a := r.app
	if a.item(t, "Registered").Disabled != true || a.icons[len(a.icons)-1] != TrayIcon(TrayRegistered, 0) {
		t.Fatal("registered: status line and green icon")
	}
	if a.trayWin != r.u.win {
		t.Fatal("a left click on the icon shows the window")
	}
	menus := len(a.menus)
	r.f.update(func(s *phone.Snapshot) { s.Profile.Name = "Anna V." }) // nothing the tray shows
	if len(a.menus) != menus {
		t.Fatal("the tray is redrawn only when what it shows changes")
	}
	r.setCalls(in("m1", phone.Incoming))
	r.setCalls()
	if r.u.TrayView().Missed != 1 || a.icons[len(a.icons)-1] != TrayIcon(TrayRegistered, 1) {
		t.Fatalf("one missed call: %+v", r.u.TrayView())
	}
	if !strings.Contains(r.tooltip, "Registered") || !strings.Contains(r.tooltip, "1 missed call") {
		t.Fatalf("tooltip %q", r.tooltip)
	}
	// Hidden to the tray, the user clicks "1 missed call": the window and the call log show.
	r.u.closeWindow()
	if !r.u.tray.hidden || a.quits != 0 {
		t.Fatal("closing the window hides it to the tray")
	}
	a.item(t, "1 missed call").Action()
	r.u.foreground = true // the window got the focus back (the test driver sends no lifecycle events)
	if r.u.tray.hidden || r.u.tabs.Selected().Content != r.u.calls.root {
		t.Fatal("the missed-calls item shows the call log")
	}
	if r.u.TrayView().Missed != 0 || slices.ContainsFunc(a.menu().Items, func(it *fyne.MenuItem) bool { return strings.Contains(it.Label, "missed") }) {
		t.Fatal("opening the log resets the count")
	}
	// A call missed while the log is in front is seen there: not counted.
	r.setCalls(in("m2", phone.Incoming))
	r.setCalls()
	if r.u.TrayView().Missed != 0 {
		t.Fatal("a call missed in front of the open log is not counted")
	}
	r.u.SelectTab(TabPhone)
	r.setCalls(in("m3", phone.Incoming))
	r.setCalls()
	if r.u.TrayView().Missed != 1 {
		t.Fatal("a call missed on the Phone tab counts")
	}
	// Quit really quits: the UI stops following the engine (main then unregisters).
	a.item(t, "Quit").Action()
	if a.quits != 1 || r.u.cancel != nil {
		t.Fatalf("quit %d, still subscribed %v", a.quits, r.u.cancel != nil)
	}
}

func TestCloseWithoutKeepInTrayQuits(t *testing.T) {
	off := false
	r := newTrayRig(t, settings.Settings{CloseToTray: &off})
	if r.u.prefs.keepInTray.Checked || !r.u.prefs.keepInTray.Visible() {
		t.Fatal("the setting is shown, and off as saved")
	}
	r.u.closeWindow()
	if r.app.quits != 1 || r.u.tray.hidden {
		t.Fatal("with the setting off closing the window quits")
	}
}

func TestKeepInTraySettingIsSavedAndHonoured(t *testing.T) {
	r := newTrayRig(t, settings.Settings{})
	if !r.u.prefs.keepInTray.Checked {
		t.Fatal("on by default")
	}
	test.Tap(r.u.prefs.keepInTray)
	if r.loadSettings().KeepInTray() {
		t.Fatal("unticking is saved")
	}
	r.u.tray.host = func() bool { return false }
	r.u.tray.bus = func() bool { return true }
	test.Tap(r.u.prefs.keepInTray)
	r.u.closeWindow()
	if r.app.quits != 1 {
		t.Fatal("without a tray host closing quits even with the setting on (nothing to click to come back)")
	}
}

func TestNoTrayWithoutDesktopDriver(t *testing.T) {
	r := registeredRig(t)
	if r.u.tray.desk != nil || r.u.prefs.keepInTray.Visible() {
		t.Fatal("the test driver has no tray: no setting shown")
	}
	r.setCalls(in("x", phone.Incoming))
	r.setCalls()
	if r.u.TrayView().Missed != 1 {
		t.Fatal("the model counts without a tray too")
	}
}

func TestNotificationsOncePerCallMessageAndVoicemail(t *testing.T) {
	r := newTrayRig(t, settings.Settings{})
	a := r.app
	r.u.closeWindow() // in the tray
	ringing := in("n1", phone.Incoming)
	r.setCalls(ringing)
	r.setCalls(ringing) // the same call again (a re-render)
	r.setCalls(ringing, in("n2", phone.Incoming))
	if got := len(a.notes); got != 2 || a.notes[0].Title != "Incoming call" {
		t.Fatalf("%d notifications for two incoming calls: %+v", got, a.notes)
	}
	r.setCalls()

	// Voicemail: the messages there at login are not announced; a new one is, once.
	old := api.Voicemail{ID: 1, Kind: "voice", Caller: "1003", Heard: false}
	r.u.renderVoicemail(voicemail.Snapshot{Loaded: true, Messages: []api.Voicemail{old}})
	if len(a.notes) != 2 {
		t.Fatal("messages already there at login are not announced")
	}
	fresh := api.Voicemail{ID: 2, Kind: "voice", Caller: "1002", CallerName: "Bertta Berg"}
	both := voicemail.Snapshot{Loaded: true, Messages: []api.Voicemail{fresh, old}}
	r.u.renderVoicemail(both)
	r.u.renderVoicemail(both)
	if len(a.notes) != 3 || a.notes[2].Title != "New voicemail" || a.notes[2].Content != "From Bertta Berg" {
		t.Fatalf("one notification for the new message: %+v", a.notes[2:])
	}
	// In front of the Voicemail tab nothing pops up.
	r.u.showWindow()
	r.u.foreground = true
	r.u.SelectTab(TabVoicemail)
	r.u.renderVoicemail(voicemail.Snapshot{Loaded: true, Messages: []api.Voicemail{{ID: 3, Kind: "voice", Caller: "1004"}, fresh, old}})
	if len(a.notes) != 3 {
		t.Fatal("no notification while the user looks at the Voicemail tab")
	}
}

func TestChatOpenButWindowInTrayStillNotifies(t *testing.T) {
	r := newTrayRig(t, settings.Settings{})
	r.u.foreground = true
	r.u.openChat("1002")
	msg := api.Message{ID: 7, From: "1002", To: "1001", Body: "Soitatko?", SentAt: t0}
	r.u.notifyMessage(msg)
	if len(r.app.notes) != 0 {
		t.Fatal("reading the conversation in front: no notification")
	}
	r.u.closeWindow()
	r.u.notifyMessage(api.Message{ID: 8, From: "1002", To: "1001", Body: "Hei?", SentAt: t0})
	if len(r.app.notes) != 1 || r.app.notes[0].Content != "Hei?" {
		t.Fatalf("the window is in the tray: notify (%+v)", r.app.notes)
	}
}

func TestMediaKeyAnswersAndHangsUp(t *testing.T) {
	r := registeredRig(t)
	r.setCalls(phone.Call{ID: "in1", Direction: phone.IncomingCall, Remote: "1002", State: phone.Incoming})
	if !r.u.model.Ringing() {
		t.Fatal("ringing")
	}
	r.u.mediaKey(mediakeys.PlayPause)
	r.wantAction("answer in1")
	r.setCalls(phone.Call{ID: "in1", Direction: phone.IncomingCall, Remote: "1002", State: phone.Active, AnsweredAt: t0})
	r.u.mediaKey(mediakeys.PlayPause)
	r.wantAction("hangup in1")
	r.setCalls()
	n := len(r.f.Actions()) // the call log reloads when the call is gone
	r.u.mediaKey(mediakeys.PlayPause)
	r.u.mediaKey(mediakeys.Play)
	if len(r.f.Actions()) != n || r.u.message.Visible() {
		t.Fatalf("a key without a call does nothing and shows no error: %v %q", r.f.Actions()[n:], r.u.message.Text)
	}
}

type imageRGBA struct {
	img interface{ At(x, y int) color.Color }
}

type pt struct{ x, y int }

func image2(x, y int) pt { return pt{x, y} }

func (i *imageRGBA) at(p pt) color.NRGBA {
	return color.NRGBAModel.Convert(i.img.At(p.x, p.y)).(color.NRGBA)
}

// Without a session bus the tray is never touched: fyne.io/systray, which could not connect,
// would crash on quit (seen with the Softphone in a chroot), and closing the window quits.
func TestTrayLeftAloneWithoutSessionBus(t *testing.T) {
	dir := t.TempDir()
	st := settings.Settings{Server: "pbx.test", User: "1001", Password: "pw"}
	if err := settings.NewStore(dir).Save(st); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	a := &trayApp{App: test.NewTempApp(t)}
	u := New(t.Context(), a, Options{Controller: f, People: newFakePeople(), Settings: settings.NewStore(dir), Ringer: &fakeRinger{},
		Now: func() time.Time { return t0 }})
	u.tray.host = func() bool { return true }
	u.tray.bus = func() bool { return false }
	u.goAsync = func(fn func()) { fn() }
	u.accountOp = func(fn func()) { fn() }
	u.tickEvery, u.blurAfter = 0, 0
	u.Start()
	t.Cleanup(u.Close)
	f.update(func(s *phone.Snapshot) { s.Reg = phone.Registered })
	a.mu.Lock()
	menus, icons := len(a.menus), len(a.icons)
	a.mu.Unlock()
	if menus != 0 || icons != 0 || a.trayWin != nil {
		t.Fatalf("the tray was set up without a session bus: %d menus, %d icons, window %v", menus, icons, a.trayWin != nil)
	}
	if u.hasTray() {
		t.Fatal("hasTray without a session bus: closing would hide the window with nothing to bring it back")
	}
}
