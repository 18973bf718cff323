package ui

import (
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/shared/api"
)

type fakeRinger struct {
	mu    sync.Mutex
	calls []string
}

func (r *fakeRinger) StartRing(waiting bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if waiting {
		r.calls = append(r.calls, "beep")
	} else {
		r.calls = append(r.calls, "ring")
	}
}

func (r *fakeRinger) StopRing() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "stop")
}

func (r *fakeRinger) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

type fakeAudio struct {
	ins, outs []string
	rescans   int
}

func (a *fakeAudio) Rescan() { a.rescans++ }

func (a *fakeAudio) Inputs() []string  { return a.ins }
func (a *fakeAudio) Outputs() []string { return a.outs }

type rig struct {
	t      *testing.T
	u      *UI
	f      *fakeController
	ring   *fakeRinger
	audio  *fakeAudio
	people *fakePeople
	dir    string
	now    time.Time
	audioC []settings.Audio
}

func newRig(t *testing.T, f *fakeController, dir string, prefill phone.Account) *rig {
	t.Helper()
	r := &rig{t: t, f: f, ring: &fakeRinger{}, dir: dir, now: t0, people: newFakePeople(),
		audio: &fakeAudio{ins: []string{"Headset mic", "Webcam mic"}, outs: []string{"Headset", "Speakers"}}}
	a := test.NewTempApp(t)
	u := New(t.Context(), a, Options{
		Controller:    f,
		People:        r.people,
		Settings:      settings.NewStore(dir),
		Audio:         r.audio,
		Ringer:        r.ring,
		OnAudioChange: func(s settings.Audio) { r.audioC = append(r.audioC, s) },
		Prefill:       prefill,
		Now:           func() time.Time { return r.now },
	})
	u.goAsync = func(fn func()) { fn() }
	u.accountOp = func(fn func()) { fn() }
	u.tickEvery = 0
	u.blurAfter = 0
	u.Start()
	t.Cleanup(u.Close)
	r.u = u
	return r
}

// registeredRig is a UI logged in with a remembered account, on the main view.
func registeredRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	if err := settings.NewStore(dir).Save(settings.Settings{Server: "pbx.test", User: "1001", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	r := newRig(t, f, dir, phone.Account{})
	f.update(func(s *phone.Snapshot) {
		s.Reg = phone.Registered
		s.Profile = api.Profile{Name: "Anna Virtanen", Extension: "1001"}
	})
	return r
}

func (r *rig) setCalls(calls ...phone.Call) {
	r.f.update(func(s *phone.Snapshot) { s.Calls = calls })
}

func (r *rig) wantAction(want string) {
	r.t.Helper()
	if got := r.f.LastAction(); got != want {
		r.t.Fatalf("last controller action %q, want %q (all: %v)", got, want, r.f.Actions())
	}
}

func (r *rig) loadSettings() settings.Settings {
	r.t.Helper()
	st, err := settings.NewStore(r.dir).Load()
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

func TestLoginFirstRunRemembersAccountAndAutoLogsIn(t *testing.T) {
	dir := t.TempDir()
	f := newFake()
	r := newRig(t, f, dir, phone.Account{})
	if r.u.win.Content() != r.u.loginView {
		t.Fatal("first run must show the login screen")
	}
	test.Type(r.u.loginServer, "pbx.test")
	test.Type(r.u.loginUser, " 040 123 4567 ")
	test.Type(r.u.loginPass, "s3cret")
	test.Tap(r.u.loginButton)
	r.wantAction("login pbx.test 040 123 4567 s3cret")
	if !r.u.loginButton.Disabled() || r.u.loginMsg.Text != "Logging in…" {
		t.Fatalf("while connecting: button disabled=%v msg=%q", r.u.loginButton.Disabled(), r.u.loginMsg.Text)
	}
	if _, err := os.Stat(settings.NewStore(dir).Path()); !os.IsNotExist(err) {
		t.Fatal("nothing may be remembered before the server accepts the login")
	}
	f.update(func(s *phone.Snapshot) { s.Reg = phone.Registered })
	if r.u.win.Content() != r.u.mainView {
		t.Fatal("registered: the main window should show")
	}
	st := r.loadSettings()
	if st.Server != "pbx.test" || st.User != "040 123 4567" || st.Password != "s3cret" {
		t.Fatalf("remembered %+v", st)
	}
	if r.u.win.Canvas().Focused() != r.u.phone.number {
		t.Fatal("the number field should have the keyboard focus")
	}

	// Next start: logs in by itself and goes straight to the main window.
	f2 := newFake()
	r2 := newRig(t, f2, dir, phone.Account{})
	r2.wantAction("login pbx.test 040 123 4567 s3cret")
	if r2.u.win.Content() != r2.u.mainView {
		t.Fatal("auto-login should show the main window")
	}
	if got := r2.u.status.text.Text; got != "Connecting…" {
		t.Fatalf("status %q", got)
	}
}

func TestLoginWrongPasswordStaysOnLoginScreen(t *testing.T) {
	dir := t.TempDir()
	f := newFake()
	r := newRig(t, f, dir, phone.Account{})
	test.Type(r.u.loginServer, "pbx.test")
	test.Type(r.u.loginUser, "1001")
	test.Type(r.u.loginPass, "wrong")
	r.u.loginPass.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter submits
	r.wantAction("login pbx.test 1001 wrong")
	f.update(func(s *phone.Snapshot) { s.Reg = phone.WrongPassword })
	if r.u.win.Content() != r.u.loginView {
		t.Fatal("a wrong password must keep the login screen")
	}
	if r.u.loginMsg.Text != "Wrong user name or password" || r.u.loginMsg.Importance != widget.DangerImportance {
		t.Fatalf("message %q importance %v", r.u.loginMsg.Text, r.u.loginMsg.Importance)
	}
	r.wantAction("logout")
	if r.u.loginButton.Disabled() {
		t.Fatal("the user must be able to try again")
	}
	if st := r.loadSettings(); st.Password != "" {
		t.Fatal("a rejected password must not be remembered")
	}

	// Unreachable server with detail.
	test.Tap(r.u.loginButton)
	f.update(func(s *phone.Snapshot) { s.Reg = phone.Unreachable; s.RegDetail = "connection refused" })
	if r.u.loginMsg.Text != "Server unreachable (connection refused)" {
		t.Fatalf("message %q", r.u.loginMsg.Text)
	}
}

func TestLoginNeedsAllFields(t *testing.T) {
	f := newFake()
	r := newRig(t, f, t.TempDir(), phone.Account{})
	test.Type(r.u.loginServer, "pbx.test")
	test.Tap(r.u.loginButton)
	if len(f.Actions()) != 0 {
		t.Fatalf("no login without all fields: %v", f.Actions())
	}
	if r.u.loginMsg.Text != "Please fill in all three fields." {
		t.Fatalf("message %q", r.u.loginMsg.Text)
	}
}

func TestPrefillFromFlagsLogsIn(t *testing.T) {
	f := newFake()
	r := newRig(t, f, t.TempDir(), phone.Account{Server: "127.0.0.1:5060", User: "1001", Password: "pw"})
	r.wantAction("login 127.0.0.1:5060 1001 pw")
	f.update(func(s *phone.Snapshot) { s.Reg = phone.Registered })
	if r.u.win.Content() != r.u.mainView {
		t.Fatal("prefilled login should reach the main window")
	}
}

func TestStatusLineForEachRegState(t *testing.T) {
	r := registeredRig(t)
	for _, tc := range []struct {
		reg  phone.RegState
		text string
		tone Tone
	}{
		{phone.Registered, "Registered", ToneOK},
		{phone.Connecting, "Connecting…", ToneWarn},
		{phone.WrongPassword, "Wrong user name or password", ToneError},
		{phone.Unreachable, "Server unreachable", ToneError},
		{phone.RegFailed, "Registration failed", ToneError},
		{phone.LoggedOut, "Logged out", ToneNeutral},
	} {
		r.f.update(func(s *phone.Snapshot) { s.Reg = tc.reg })
		if r.u.status.text.Text != tc.text || r.u.status.tone != tc.tone {
			t.Errorf("reg %d: status %q tone %d, want %q %d", tc.reg, r.u.status.text.Text, r.u.status.tone, tc.text, tc.tone)
		}
		if r.u.status.dot.FillColor != toneColor(tc.tone) {
			t.Errorf("reg %d: dot colour %v", tc.reg, r.u.status.dot.FillColor)
		}
		wantDial := tc.reg == phone.Registered
		if r.u.phone.callButton.Disabled() == wantDial {
			t.Errorf("reg %d: call button disabled=%v", tc.reg, r.u.phone.callButton.Disabled())
		}
	}
	r.f.update(func(s *phone.Snapshot) { s.Reg = phone.Registered })
	if r.u.status.identity.Text != "Anna Virtanen · 1001" {
		t.Fatalf("identity %q", r.u.status.identity.Text)
	}
}

func TestDialWithEnterAndDialPad(t *testing.T) {
	r := registeredRig(t)
	p := r.u.phone
	test.Type(p.number, "040 123")
	p.number.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	r.wantAction("dial 040123")
	if p.number.Text != "" {
		t.Fatalf("number field should clear after dialling, has %q", p.number.Text)
	}
	if p.callArea.Hidden || p.idle.Visible() {
		t.Fatal("the call panel should replace the dial pad")
	}
	if p.title.Text != "040123" || p.state.Text != "Calling…" {
		t.Fatalf("call panel %q %q", p.title.Text, p.state.Text)
	}
	// Dial pad buttons type into the number field; the Call button dials.
	r.setCalls()
	for _, b := range buttonsIn(p.idle) {
		if b.Text == "1" || b.Text == "0" || b.Text == "#" {
			test.Tap(b)
		}
	}
	if p.number.Text != "10#" {
		t.Fatalf("dial pad typed %q", p.number.Text)
	}
	test.Tap(p.callButton)
	r.wantAction("dial 10#")
}

func TestDialFailureIsShown(t *testing.T) {
	r := registeredRig(t)
	r.f.failOn = "dial"
	test.Type(r.u.phone.number, "1002")
	test.Tap(r.u.phone.callButton)
	if r.u.message.Hidden || !strings.Contains(r.u.message.Text, "Could not call") {
		t.Fatalf("message %q hidden=%v", r.u.message.Text, r.u.message.Hidden)
	}
	if r.u.phone.number.Text != "1002" {
		t.Fatal("a failed dial keeps the number")
	}
}

func TestIncomingBannerAnswerRejectKeepsFocus(t *testing.T) {
	r := registeredRig(t)
	p := r.u.phone
	r.u.win.Canvas().Focus(p.number)
	test.Type(p.number, "04")
	r.setCalls(phone.Call{ID: "in1", Direction: phone.IncomingCall, Remote: "1002", RemoteName: "Bertta", State: phone.Incoming})
	if len(p.banners.Objects) != 1 || p.answerButtons["in1"] == nil {
		t.Fatal("an incoming call should show a banner with Answer")
	}
	if r.u.win.Canvas().Focused() != p.number {
		t.Fatal("the banner must not take the keyboard focus from the number field")
	}
	test.Type(p.number, "0")
	if p.number.Text != "040" {
		t.Fatalf("typing continues in the number field: %q", p.number.Text)
	}
	if got := r.ring.got(); !slices.Equal(got, []string{"ring"}) {
		t.Fatalf("ringer %v", got)
	}
	if r.u.popupShown {
		t.Fatal("in the foreground the banner is enough")
	}
	test.Tap(p.answerButtons["in1"])
	r.wantAction("answer in1")
	test.Tap(p.rejectButtons["in1"])
	r.wantAction("reject in1")
	r.setCalls()
	if len(p.banners.Objects) != 0 {
		t.Fatal("banner should go with the call")
	}
	if got := r.ring.got(); !slices.Equal(got, []string{"ring", "stop"}) {
		t.Fatalf("ringer %v", got)
	}
}

func TestIncomingInBackgroundShowsPopupWindow(t *testing.T) {
	r := registeredRig(t)
	r.u.foreground = false
	r.setCalls(phone.Call{ID: "in1", Remote: "1002", State: phone.Incoming})
	if !r.u.popupShown || len(r.u.popupBanner.Objects) != 1 {
		t.Fatal("in the background an incoming call opens the small window")
	}
	r.setCalls()
	if r.u.popupShown {
		t.Fatal("the small window goes with the call")
	}
}

func TestCallWaitingBeepsInsteadOfRinging(t *testing.T) {
	r := registeredRig(t)
	active := phone.Call{ID: "a", Remote: "1002", State: phone.Active, AnsweredAt: t0}
	r.setCalls(active)
	r.setCalls(active, phone.Call{ID: "in2", Remote: "1003", State: phone.Incoming})
	if got := r.ring.got(); !slices.Equal(got, []string{"beep"}) {
		t.Fatalf("call waiting should beep once: %v", got)
	}
	if len(r.u.phone.banners.Objects) != 1 {
		t.Fatal("call waiting shows a banner")
	}
	if !strings.Contains(labelsIn(r.u.phone.banners), "Call waiting: 1003") {
		t.Fatalf("banner text: %s", labelsIn(r.u.phone.banners))
	}
	// The same call in a later snapshot does not beep again.
	r.setCalls(active, phone.Call{ID: "in2", Remote: "1003", State: phone.Incoming})
	if got := r.ring.got(); len(got) != 1 {
		t.Fatalf("ringer restarted: %v", got)
	}
}

func TestShortcutsAnswerAndHangup(t *testing.T) {
	r := registeredRig(t)
	p := r.u.phone
	r.u.win.Canvas().Focus(p.number)
	r.setCalls(phone.Call{ID: "in1", Remote: "1002", State: phone.Incoming})
	p.number.TypedShortcut(ShortcutAnswer) // focused entry: handled by the number field
	r.wantAction("answer in1")
	r.setCalls(phone.Call{ID: "in1", Remote: "1002", State: phone.Active, AnsweredAt: t0})
	r.u.win.Canvas().Unfocus()
	r.u.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(ShortcutHangup)
	r.wantAction("hangup in1")
}

func TestHoldAndMuteToggle(t *testing.T) {
	r := registeredRig(t)
	p := r.u.phone
	call := phone.Call{ID: "a", Remote: "1002", State: phone.Active, AnsweredAt: t0}
	r.setCalls(call)
	if p.holdButton.Text != "Hold" || p.muteButton.Text != "Mute" {
		t.Fatalf("labels %q %q", p.holdButton.Text, p.muteButton.Text)
	}
	test.Tap(p.holdButton)
	r.wantAction("hold a true")
	test.Tap(p.muteButton)
	r.wantAction("mute a true")
	call.State, call.Muted = phone.OnHold, true
	r.setCalls(call)
	if p.holdButton.Text != "Resume" || p.muteButton.Text != "Unmute" || p.state.Text != "On hold · Muted" {
		t.Fatalf("after hold+mute: %q %q %q", p.holdButton.Text, p.muteButton.Text, p.state.Text)
	}
	if !p.keypadBtn.Disabled() {
		t.Fatal("no DTMF to a held call")
	}
	test.Tap(p.holdButton)
	r.wantAction("hold a false")
	test.Tap(p.muteButton)
	r.wantAction("mute a false")
}

func TestDTMFKeypad(t *testing.T) {
	r := registeredRig(t)
	p := r.u.phone
	r.setCalls(phone.Call{ID: "a", Remote: "8000", State: phone.Active, AnsweredAt: t0})
	if !p.dtmfPad.Hidden {
		t.Fatal("keypad starts hidden")
	}
	test.Tap(p.keypadBtn)
	if p.dtmfPad.Hidden {
		t.Fatal("Keypad shows the DTMF pad")
	}
	for _, k := range "5*#" {
		test.Tap(p.dtmfButtons[k])
		r.wantAction("dtmf a " + string(k))
	}
	// A snapshot (e.g. mute) keeps the pad open for the same call.
	r.setCalls(phone.Call{ID: "a", Remote: "8000", State: phone.Active, AnsweredAt: t0, Muted: true})
	if p.dtmfPad.Hidden {
		t.Fatal("the keypad should stay open")
	}
}

func TestCallTimerRunsOnlyDuringCall(t *testing.T) {
	r := registeredRig(t)
	r.u.tickEvery = time.Hour // the goroutine starts but never fires in this test
	p := r.u.phone
	if r.u.timerRunning() {
		t.Fatal("no timer while idle")
	}
	r.setCalls(phone.Call{ID: "a", Remote: "1002", State: phone.Ringing})
	if r.u.timerRunning() {
		t.Fatal("no timer before the call is answered")
	}
	r.setCalls(phone.Call{ID: "a", Remote: "1002", State: phone.Active, AnsweredAt: t0.Add(-134 * time.Second)})
	if !r.u.timerRunning() || p.timer.Text != "02:14" {
		t.Fatalf("timer running=%v text=%q", r.u.timerRunning(), p.timer.Text)
	}
	r.now = r.now.Add(time.Second)
	r.u.tick()
	if p.timer.Text != "02:15" {
		t.Fatalf("after a tick: %q", p.timer.Text)
	}
	r.setCalls(phone.Call{ID: "a", Remote: "1002", State: phone.Ended, EndReason: "Call ended", AnsweredAt: t0, EndedAt: t0.Add(time.Minute)})
	if r.u.timerRunning() {
		t.Fatal("the timer stops when the call ends")
	}
	r.setCalls()
	if !p.callArea.Hidden {
		t.Fatal("back to the dial pad")
	}
}

func TestBlindTransferDialog(t *testing.T) {
	r := registeredRig(t)
	p := r.u.phone
	r.setCalls(phone.Call{ID: "a", Remote: "1002", State: phone.Active, AnsweredAt: t0})
	test.Tap(p.xferButton)
	if p.xferEntry == nil || r.u.win.Canvas().Focused() != p.xferEntry {
		t.Fatal("Transfer opens a dialog with the number field focused")
	}
	test.Type(p.xferEntry, "1003")
	test.Tap(p.xferBlind)
	r.wantAction("blind a 1003")
}

func TestAttendedTransfer(t *testing.T) {
	r := registeredRig(t)
	p := r.u.phone
	r.setCalls(phone.Call{ID: "a", Remote: "1002", State: phone.Active, AnsweredAt: t0})
	test.Tap(p.xferButton)
	test.Type(p.xferEntry, "1003")
	test.Tap(p.xferConsult)
	a := r.f.Actions()
	if !slices.Equal(a[len(a)-2:], []string{"hold a true", "dial 1003"}) {
		t.Fatalf("consultation: %v", a)
	}
	if p.completeBtn == nil || !p.completeBtn.Disabled() {
		t.Fatal("Complete transfer shows, disabled until the target answers")
	}
	r.setCalls(phone.Call{ID: "a", Remote: "1002", State: phone.OnHold, AnsweredAt: t0},
		phone.Call{ID: "out1", Remote: "1003", State: phone.Active, AnsweredAt: t0})
	if p.completeBtn.Disabled() || p.title.Text != "1003" || len(p.otherTimers) != 1 {
		t.Fatalf("after answer: complete disabled=%v title=%q others=%d", p.completeBtn.Disabled(), p.title.Text, len(p.otherTimers))
	}
	test.Tap(p.completeBtn)
	r.wantAction("attended a out1")
}

func TestCallLogShowsEntriesAndCallsBack(t *testing.T) {
	r := registeredRig(t)
	answered := t0.Add(5 * time.Second)
	r.f.mu.Lock()
	r.f.log = []api.CallEntry{
		{ID: 2, Direction: "in", Peer: "1003", PeerName: "Cecilia", Outcome: "missed", StartedAt: t0.Add(-time.Hour)},
		{ID: 1, Direction: "out", Peer: "0401234567", Outcome: "answered", StartedAt: t0, AnsweredAt: &answered, Seconds: 135},
	}
	r.f.mu.Unlock()
	r.u.SelectTab(TabCallLog)
	r.u.win.Resize(fyne.NewSize(420, 680))
	lv := r.u.calls
	if len(lv.entries) != 2 || !lv.empty.Hidden {
		t.Fatalf("log has %d entries, empty label hidden=%v", len(lv.entries), lv.empty.Hidden)
	}
	rows := map[string]*logRow{}
	for _, o := range test.LaidOutObjects(lv.list) {
		if rb, ok := o.(*rowBox); ok {
			rows[rb.row.peer.Text] = rb.row
		}
	}
	missed, out := rows["Cecilia · 1003"], rows["0401234567"]
	if missed == nil || out == nil {
		t.Fatalf("rows: %v", rows)
	}
	if missed.peer.Importance != widget.DangerImportance || !strings.HasPrefix(missed.when.Text, "Missed") {
		t.Fatalf("missed call not red: %v %q", missed.peer.Importance, missed.when.Text)
	}
	if out.duration.Text != "02:15" || out.peer.Importance == widget.DangerImportance {
		t.Fatalf("outgoing row: %q", out.duration.Text)
	}
	test.Tap(missed.callBack)
	r.wantAction("dial 1003")
	if r.u.tabs.SelectedIndex() != 0 {
		t.Fatal("calling back shows the Phone tab")
	}
}

func TestCallLogReloadsWhenCallEnds(t *testing.T) {
	r := registeredRig(t)
	r.setCalls(phone.Call{ID: "a", Remote: "1002", State: phone.Active, AnsweredAt: t0})
	n := countActions(r.f, "calllog")
	r.setCalls()
	if countActions(r.f, "calllog") != n+1 {
		t.Fatalf("call log not reloaded after the call: %v", r.f.Actions())
	}
}

func TestLogoutForgetsPassword(t *testing.T) {
	r := registeredRig(t)
	r.u.SelectTab(TabSettings)
	if !strings.Contains(r.u.prefs.account.Text, "pbx.test") {
		t.Fatalf("account text %q", r.u.prefs.account.Text)
	}
	test.Tap(r.u.prefs.logout)
	r.wantAction("logout")
	st := r.loadSettings()
	if st.Password != "" || st.User != "1001" || st.Server != "pbx.test" {
		t.Fatalf("after logout: %+v", st)
	}
	if r.u.win.Content() != r.u.loginView || r.u.loginUser.Text != "1001" || r.u.loginPass.Text != "" {
		t.Fatal("logout returns to the login screen with the user name kept")
	}
}

func TestAudioDeviceChoiceRemembered(t *testing.T) {
	r := registeredRig(t)
	pv := r.u.prefs
	if pv.mic.Selected != "System default" || !slices.Contains(pv.ringer.Options, "Speakers") {
		t.Fatalf("initial: %q %v", pv.mic.Selected, pv.ringer.Options)
	}
	pv.mic.SetSelected("Headset mic")
	pv.speaker.SetSelected("Headset")
	pv.ringer.SetSelected("Speakers")
	pv.volume.SetValue(40)
	pv.volume.OnChangeEnded(40)
	st := r.loadSettings()
	if st.Audio.Microphone != "Headset mic" || st.Audio.Speaker != "Headset" || st.Audio.Ringer != "Speakers" || st.Audio.Volume() != 0.4 {
		t.Fatalf("saved audio %+v vol %v", st.Audio, st.Audio.Volume())
	}
	if len(r.audioC) == 0 || r.audioC[len(r.audioC)-1].Ringer != "Speakers" {
		t.Fatalf("engine not told: %+v", r.audioC)
	}
	if st.Password != "pw" {
		t.Fatal("saving audio must keep the account")
	}

	// A new start shows the saved choices; an unplugged device stays chosen, marked.
	f2 := newFake()
	r2 := newRig(t, f2, r.dir, phone.Account{})
	r2.audio.outs = []string{"Headset"}
	r2.u.DevicesChanged()
	p2 := r2.u.prefs
	if p2.mic.Selected != "Headset mic" || p2.speaker.Selected != "Headset" {
		t.Fatalf("restored %q %q", p2.mic.Selected, p2.speaker.Selected)
	}
	if p2.ringer.Selected != "Speakers (not connected)" {
		t.Fatalf("missing device shown as %q", p2.ringer.Selected)
	}
	if p2.volume.Value != 40 {
		t.Fatalf("volume %v", p2.volume.Value)
	}
	// Plugging it back in selects it again and does not count as a user change.
	n := len(r2.audioC)
	r2.audio.outs = []string{"Headset", "Speakers"}
	r2.u.DevicesChanged()
	if p2.ringer.Selected != "Speakers" || len(r2.audioC) != n {
		t.Fatalf("replugged: %q, changes %d→%d", p2.ringer.Selected, n, len(r2.audioC))
	}
}

func TestFinnishUI(t *testing.T) {
	dir := t.TempDir()
	if err := settings.NewStore(dir).Save(settings.Settings{Language: "fi"}); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, newFake(), dir, phone.Account{})
	if r.u.loginButton.Text != "Kirjaudu" {
		t.Fatalf("button %q", r.u.loginButton.Text)
	}
}

func countActions(f *fakeController, prefix string) int {
	n := 0
	for _, a := range f.Actions() {
		if strings.HasPrefix(a, prefix) {
			n++
		}
	}
	return n
}

func buttonsIn(o fyne.CanvasObject) []*widget.Button {
	var out []*widget.Button
	for _, x := range test.LaidOutObjects(o) {
		if b, ok := x.(*widget.Button); ok {
			out = append(out, b)
		}
	}
	return out
}

func labelsIn(o fyne.CanvasObject) string {
	var out []string
	for _, x := range test.LaidOutObjects(o) {
		if l, ok := x.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return strings.Join(out, " | ")
}

func TestCallLogLoadsOnRegistration(t *testing.T) {
	dir := t.TempDir()
	if err := settings.NewStore(dir).Save(settings.Settings{Server: "pbx.test", User: "1001", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	f.logErr = errors.New("phone: not logged in")
	r := newRig(t, f, dir, phone.Account{})
	if r.u.calls.empty.Text != "The call log is not available right now." {
		t.Fatalf("before login: %q", r.u.calls.empty.Text)
	}
	f.mu.Lock()
	f.logErr = nil
	f.log = []api.CallEntry{{ID: 1, Direction: "out", Peer: "1002", Outcome: "answered", StartedAt: t0}}
	f.mu.Unlock()
	f.update(func(s *phone.Snapshot) { s.Reg = phone.Registered })
	if len(r.u.calls.entries) != 1 || !r.u.calls.empty.Hidden {
		t.Fatal("the call log should load once registered")
	}
}

func TestTypingDigitsDuringCallSendsDTMF(t *testing.T) {
	r := registeredRig(t)
	c := r.u.win.Canvas()
	c.Focus(r.u.phone.number)
	r.setCalls(phone.Call{ID: "a", Remote: "8000", State: phone.Active, AnsweredAt: t0})
	if c.Focused() != nil {
		t.Fatal("the hidden number field must not keep the focus during a call")
	}
	test.TypeOnCanvas(c, "1#x")
	a := r.f.Actions()
	if !slices.Equal(a[len(a)-2:], []string{"dtmf a 1", "dtmf a #"}) {
		t.Fatalf("typed keys: %v", a)
	}
	r.setCalls()
	if c.Focused() != r.u.phone.number {
		t.Fatal("after the call the number field takes the focus again")
	}
	n := len(r.f.Actions())
	test.TypeOnCanvas(c, "5")
	if len(r.f.Actions()) != n {
		t.Fatalf("no DTMF without a call: %v", r.f.Actions()[n:])
	}
}

// A focused entry animates its cursor, repainting the window all the time: the number field
// gives the focus up when left alone, and keys typed afterwards still reach it.
func TestNumberFieldGivesUpFocusWhenIdle(t *testing.T) {
	r := registeredRig(t)
	p := r.u.phone
	c := r.u.win.Canvas()
	r.u.blurAfter = time.Hour // armed by focus, never fires during the test: blurNumber is called directly
	c.Unfocus()
	c.Focus(p.number)
	r.u.blurNumber()
	if c.Focused() != p.number {
		t.Fatal("the number field must keep the focus while recently used")
	}
	r.u.numberActive = time.Now().Add(-2 * time.Hour)
	r.u.blurNumber()
	if c.Focused() != nil {
		t.Fatal("the number field should give up the focus when left alone")
	}

	test.TypeOnCanvas(c, "12x")
	if p.number.Text != "12" || c.Focused() != p.number {
		t.Fatalf("digits typed on the window go to the number field: %q, focused %v", p.number.Text, c.Focused())
	}
	r.u.numberActive = time.Now().Add(-2 * time.Hour)
	r.u.blurNumber()
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	if p.number.Text != "1" {
		t.Fatalf("Backspace on the window edits the number field: %q", p.number.Text)
	}
	r.u.numberActive = time.Now().Add(-2 * time.Hour)
	r.u.blurNumber()
	test.TypeOnCanvas(c, "7")
	c.Unfocus()
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	r.wantAction("dial 17")

	// Not on the Settings tab.
	r.u.SelectTab(TabSettings)
	c.Unfocus()
	test.TypeOnCanvas(c, "5")
	if p.number.Text != "" {
		t.Fatalf("typing on another tab must not fill the number field: %q", p.number.Text)
	}
}

// Showing Settings asks the audio backend to look for newly plugged-in devices (the background
// re-scan is rare because re-initialising PortAudio is expensive).
func TestSettingsTabRescansAudioDevices(t *testing.T) {
	r := registeredRig(t)
	if r.audio.rescans != 0 {
		t.Fatalf("no re-scan before Settings is shown: %d", r.audio.rescans)
	}
	r.u.SelectTab(TabSettings)
	if r.audio.rescans != 1 {
		t.Fatalf("showing Settings should re-scan the devices once, got %d", r.audio.rescans)
	}
	r.u.tabs.SelectIndex(0)
	if r.audio.rescans != 1 {
		t.Fatalf("the Phone tab must not re-scan: %d", r.audio.rescans)
	}
}

// TestAlsoRingOn: the second ring device is off until chosen, is saved and reaches the engine
// with the first, and comes back after a restart (marked when unplugged); "No other device"
// turns it off again.
func TestAlsoRingOn(t *testing.T) {
	r := registeredRig(t)
	pv := r.u.prefs
	off := r.u.tr.T(KAlsoRingOff)
	if pv.alsoRing.Selected != off || !slices.Contains(pv.alsoRing.Options, "Headset") ||
		!slices.Contains(pv.alsoRing.Options, "System default") {
		t.Fatalf("initial: %q %v", pv.alsoRing.Selected, pv.alsoRing.Options)
	}
	pv.ringer.SetSelected("Speakers")
	pv.alsoRing.SetSelected("Headset")
	st := r.loadSettings()
	if !slices.Equal(st.Audio.RingDevices(), []string{"Speakers", "Headset"}) {
		t.Fatalf("saved ring devices %q", st.Audio.RingDevices())
	}
	if len(r.audioC) == 0 || !slices.Equal(r.audioC[len(r.audioC)-1].RingDevices(), []string{"Speakers", "Headset"}) {
		t.Fatalf("engine not told: %+v", r.audioC)
	}

	r2 := newRig(t, newFake(), r.dir, phone.Account{})
	r2.audio.outs = []string{"Speakers"}
	r2.u.DevicesChanged()
	if got := r2.u.prefs.alsoRing.Selected; got != "Headset (not connected)" {
		t.Fatalf("unplugged second ring device shown as %q", got)
	}
	r2.u.prefs.alsoRing.SetSelected(off)
	if st := r2.loadSettings(); len(st.Audio.AlsoRing) != 0 || st.Audio.Ringer != "Speakers" {
		t.Fatalf("after turning it off: %+v", st.Audio)
	}
}
