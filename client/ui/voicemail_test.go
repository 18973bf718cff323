package ui

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/client/voicemail"
	"github.com/vaihde/vaihde/client/voicemail/voicemailtest"
	"github.com/vaihde/vaihde/shared/api"
)

// holdPlayer plays until stopped, remembering what it played.
type holdPlayer struct {
	mu     sync.Mutex
	played int
}

func (p *holdPlayer) Play(ctx context.Context, s []int16) error {
	p.mu.Lock()
	p.played++
	p.mu.Unlock()
	<-ctx.Done()
	return nil
}

// vmRig is a registered UI whose Voicemail tab runs the real mailbox model against the
// in-memory voicemail server, with two messages: one new, one heard.
type vmRig struct {
	*rig
	srv    *voicemailtest.Server
	mb     *voicemail.Mailbox
	player *holdPlayer
	loop   *mainLoop // the mailbox's snapshots reach the widgets on the test goroutine only
}

func newVMRig(t *testing.T) *vmRig {
	t.Helper()
	srv := voicemailtest.New(t)
	srv.Add(api.Voicemail{ID: 11, Kind: "voice", Caller: "+358401234567", ReceivedAt: t0.Add(-26 * time.Hour), DurationMS: 4200, Heard: true},
		voicemailtest.WAV(voicemailtest.Tone(440, 0.5, 8000), 8000))
	srv.Add(api.Voicemail{ID: 12, Kind: "voice", Caller: "1002", CallerName: "Bertta Berg", ReceivedAt: t0.Add(-20 * time.Minute), DurationMS: 65000},
		voicemailtest.WAV(voicemailtest.Tone(1000, 0.5, 8000), 8000))
	srv.Lock()
	srv.Forwarding.VIPs = []string{"+358405555555"}
	srv.Settings.Email = "anna@example.com"
	srv.Unlock()
	p := &holdPlayer{}
	mb := voicemail.NewMailbox(func() (string, string, bool) { return srv.URL, voicemailtest.Token, true }, voicemail.Options{Player: p})
	t.Cleanup(mb.Close)

	dir := t.TempDir()
	if err := settings.NewStore(dir).Save(settings.Settings{Server: "pbx.test", User: "1001", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	r := &rig{t: t, f: f, ring: &fakeRinger{}, dir: dir, now: t0, people: newFakePeople(), audio: &fakeAudio{}}
	r.people.set(demoPeople())
	a := test.NewTempApp(t)
	u := New(t.Context(), a, Options{
		Controller: f, People: r.people, Voicemail: mb, Settings: settings.NewStore(dir), Audio: r.audio, Ringer: r.ring,
		Now: func() time.Time { return r.now },
	})
	loop := &mainLoop{q: make(chan func(), 4096)}
	u.do = loop.do
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
	vr := &vmRig{rig: r, srv: srv, mb: mb, player: p, loop: loop}
	mb.HandleEvent(api.Event{Type: api.EventHello}) // what the event stream sends on connect
	vr.until("the mailbox loaded", func() bool { return len(u.vm.rows) == 2 })
	return vr
}

// until runs the queued UI work until cond holds.
func (r *vmRig) until(what string, cond func() bool) {
	r.t.Helper()
	r.loop.until(r.t, 10*time.Second, what, cond)
}

// drain runs the UI work queued so far (results of actions that already returned).
func (r *vmRig) drain() {
	for {
		select {
		case f := <-r.loop.q:
			f()
		default:
			return
		}
	}
}

func TestVoicemailTabRowsAndBadge(t *testing.T) {
	r := newVMRig(t)
	u := r.u
	if u.vmTab.Text != "1" {
		t.Fatalf("tab title %q, want the badge (1)", u.vmTab.Text)
	}
	u.SelectTab(TabVoicemail)
	if u.tabs.Selected() != u.vmTab {
		t.Fatal("SelectTab(voicemail) did not show the tab")
	}
	rows := u.vm.rows
	if rows[0].ID != 12 || rows[1].ID != 11 {
		t.Fatalf("rows %d, %d: want the server's newest-first order", rows[0].ID, rows[1].ID)
	}
	newRow, oldRow := rows[0], rows[1]
	if newRow.title.Text != "Bertta Berg" || !newRow.title.TextStyle.Bold || !strings.Contains(newRow.detail.Text, "New · 1002 · 09:40") {
		t.Fatalf("new row: %q bold=%v, %q", newRow.title.Text, newRow.title.TextStyle.Bold, newRow.detail.Text)
	}
	if oldRow.title.Text != "+358401234567" || oldRow.title.TextStyle.Bold || oldRow.Length != "0:04" || newRow.Length != "1:05" {
		t.Fatalf("old row: %q bold=%v, lengths %s / %s", oldRow.title.Text, oldRow.title.TextStyle.Bold, oldRow.Length, newRow.Length)
	}
	if newRow.play.Text != "Play" || u.vm.counts.Text != "1 new · 1 old" || u.vm.empty.Visible() {
		t.Fatalf("play %q, counts %q, empty shown %v", newRow.play.Text, u.vm.counts.Text, u.vm.empty.Visible())
	}

	// A new message arrives: the event's counts move the badge at once, the list follows.
	r.srv.Add(api.Voicemail{ID: 13, Kind: "voice", Caller: "0505556666", ReceivedAt: t0, DurationMS: 9000}, nil)
	r.mb.HandleEvent(api.Event{Type: "voicemail", Voicemail: &api.VoicemailCounts{New: 2, Old: 1}})
	r.until("the badge and the new row", func() bool { return u.vmTab.Text == "2" && len(u.vm.rows) == 3 && u.vm.rows[0].ID == 13 })
}

func TestVoicemailPlayStopCallBackDelete(t *testing.T) {
	r := newVMRig(t)
	u := r.u
	u.SelectTab(TabVoicemail)
	test.Tap(u.vm.rows[0].play)
	r.until("playing, heard", func() bool {
		row := u.vm.rows[0]
		return row.play.Text == "Stop" && !row.title.TextStyle.Bold && u.vmTab.Text == ""
	})
	if r.srv.Saw("PUT /api/voicemail/12") != 1 {
		t.Fatal("playing did not mark the message heard on the server")
	}
	test.Tap(u.vm.rows[0].play) // second press stops
	r.until("stopped", func() bool { return u.vm.rows[0].play.Text == "Play" })

	test.Tap(u.vm.rows[0].callBack)
	r.wantAction("dial 1002")

	test.Tap(u.vm.rows[1].del)
	if u.vm.delConfirm == nil {
		t.Fatal("delete did not ask for confirmation")
	}
	if len(u.vm.rows) != 2 {
		t.Fatal("deleted before confirming")
	}
	test.Tap(u.vm.delConfirm)
	r.until("the row gone", func() bool { return len(u.vm.rows) == 1 && u.vm.rows[0].ID == 12 })
	if n := len(r.srv.Messages); n != 1 {
		t.Fatalf("server has %d messages after delete", n)
	}

	test.Tap(u.vm.rows[0].del)
	test.Tap(u.vm.delConfirm)
	r.until("the empty state", func() bool { return len(u.vm.rows) == 0 && u.vm.empty.Visible() })
}

func TestVoicemailPlayErrorShown(t *testing.T) {
	r := newVMRig(t)
	r.srv.Lock()
	r.srv.Audio[12] = []byte("not a wav")
	r.srv.Unlock()
	test.Tap(r.u.vm.rows[0].play)
	r.until("the error", func() bool {
		return r.u.vm.errText.Visible() && strings.HasPrefix(r.u.vm.errText.Text, "Cannot play the message:")
	})
	if !r.u.vm.rows[0].New {
		t.Fatal("a message that did not play was marked heard")
	}
}

func TestForwardingFormRoundTrip(t *testing.T) {
	r := newVMRig(t)
	u := r.u
	u.SelectTab(TabSettings)
	test.Tap(u.prefs.forwarding)
	r.drain()
	v := u.fwd
	if v == nil || !v.loaded {
		t.Fatal("the forwarding screen did not open and load")
	}
	// Defaults: voicemail for all three, 20 s, no immediate forward; VIPs and email shown.
	if v.immOn.Checked || v.busy.sel.Selected != "Voicemail" || v.ring.Selected != "20 s" || v.busy.num.Visible() {
		t.Fatalf("defaults: imm %v, busy %q, ring %q", v.immOn.Checked, v.busy.sel.Selected, v.ring.Selected)
	}
	if v.vips.Text != "+358405555555" || v.emailTo.Text != "Email goes to anna@example.com." {
		t.Fatalf("vips %q, email %q", v.vips.Text, v.emailTo.Text)
	}
	if len(v.actRoutes) != 3 {
		t.Fatalf("%d activity rows, want one per activity (3)", len(v.actRoutes))
	}

	// Fill everything in.
	v.immOn.SetChecked(true)
	test.Type(v.immNum, "040 111 2222")
	v.busy.sel.SetSelected("Number")
	if !v.busy.num.Visible() {
		t.Fatal("the number field did not appear for Number")
	}
	test.Type(v.busy.num, "1003")
	v.noAns.sel.SetSelected("No forwarding")
	v.ring.SetSelected("30 s")
	v.actRoutes[3].sel.SetSelected("Voicemail")
	v.actRoutes[2].sel.SetSelected("Number")
	test.Type(v.actRoutes[2].num, "1004")
	v.notify.SetSelected("SMS and email")
	test.Type(v.custService, "09 123 456")
	v.bypass.SetChecked(true)
	test.Tap(v.save)
	r.drain()
	if !v.saved.Visible() || v.errText.Visible() {
		t.Fatalf("not saved: %q", v.errText.Text)
	}
	r.srv.Lock()
	f, s := r.srv.Forwarding, r.srv.Settings
	r.srv.Unlock()
	want := []api.ActivityRoute{{Activity: 2, Target: "1004"}, {Activity: 3, Target: api.ForwardVoicemail}}
	if f.Immediate != "0401112222" && f.Immediate != "+358401112222" || f.Busy != "1003" || f.NoAnswer != api.ForwardNone ||
		f.Unreachable != api.ForwardVoicemail || f.RingTimeSeconds != 30 || !slices.Equal(f.Activities, want) {
		t.Fatalf("server forwarding %+v", f)
	}
	if s.Notify != api.NotifyBoth || s.CustomerService != "+3589123456" || !s.OfferBypass || !s.Enabled {
		t.Fatalf("server settings %+v", s)
	}
	// The form shows the server's normalised answer, and reopening shows the same.
	if v.immNum.Text != "+358401112222" || v.custService.Text != "+3589123456" {
		t.Fatalf("normalised: %q %q", v.immNum.Text, v.custService.Text)
	}
	v.dlg.Hide()
	u.openForwarding()
	r.drain()
	v = u.fwd
	if !v.immOn.Checked || v.busy.num.Text != "1003" || v.noAns.sel.Selected != "No forwarding" || v.ring.Selected != "30 s" ||
		v.actRoutes[2].num.Text != "1004" || v.actRoutes[1].sel.Selected != "Default" || v.notify.Selected != "SMS and email" {
		t.Fatal("reopened form differs from what was saved")
	}

	// The server's refusal is shown as it is; a local mistake is caught before sending.
	r.srv.Lock()
	r.srv.Activities = []int{1, 2} // activity 3 was removed meanwhile
	r.srv.Unlock()
	test.Tap(v.save)
	r.drain()
	if !v.errText.Visible() || v.errText.Text != "unknown activity 3" || v.saved.Visible() {
		t.Fatalf("server error shown as %q", v.errText.Text)
	}
	v.busy.num.SetText("")
	puts := r.srv.Saw("PUT /api/forwarding")
	test.Tap(v.save)
	if v.errText.Text != "When busy: enter a number." || r.srv.Saw("PUT /api/forwarding") != puts {
		t.Fatalf("empty number: %q", v.errText.Text)
	}

	// PIN: checked locally, then set.
	test.Type(v.pin, "12")
	test.Tap(v.pinBtn)
	if v.pinMsg.Text != "The PIN must be 4–8 digits." {
		t.Fatalf("pin message %q", v.pinMsg.Text)
	}
	v.pin.SetText("4321")
	test.Tap(v.pinBtn)
	r.drain()
	r.srv.Lock()
	pin := r.srv.PIN
	r.srv.Unlock()
	if pin != "4321" || v.pinMsg.Text != "PIN changed." || v.pinState.Text != "A PIN is set." {
		t.Fatalf("pin %q, message %q", pin, v.pinMsg.Text)
	}
}

func TestForwardingKeepsChoicesTheRowDoesNotOffer(t *testing.T) {
	r := newVMRig(t)
	r.srv.Lock()
	r.srv.Forwarding.Activities = []api.ActivityRoute{{Activity: 2, Target: api.ForwardNone}} // set on the web
	r.srv.Unlock()
	r.u.openForwarding()
	r.drain()
	v := r.u.fwd
	if got := v.actRoutes[2].sel.Selected; got != "No forwarding" {
		t.Fatalf("activity 2 shows %q, want the server's No forwarding", got)
	}
	test.Tap(v.save)
	r.drain()
	r.srv.Lock()
	acts := r.srv.Forwarding.Activities
	r.srv.Unlock()
	if len(acts) != 1 || acts[0] != (api.ActivityRoute{Activity: 2, Target: api.ForwardNone}) {
		t.Fatalf("saving changed the route: %+v", acts)
	}
}

func TestForwardingOpensFromVoicemailTab(t *testing.T) {
	r := newVMRig(t)
	r.u.fwd = nil
	test.Tap(r.u.vm.fwd)
	r.drain()
	if r.u.fwd == nil || !r.u.fwd.loaded {
		t.Fatal("the Voicemail tab's Forwarding button did not open the screen")
	}
}

func TestVoicemailRowOf(t *testing.T) {
	tr := NewStrings("en")
	now := t0
	tests := map[string]struct {
		v    api.Voicemail
		s    voicemail.Snapshot
		want VoicemailRow
	}{
		"named new": {api.Voicemail{ID: 1, Caller: "1002", CallerName: "Bertta", ReceivedAt: t0.Add(-time.Hour), DurationMS: 65400},
			voicemail.Snapshot{}, VoicemailRow{ID: 1, Title: "Bertta", Number: "1002", When: t0.Add(-time.Hour).Local().Format("15:04"), Length: "1:05", New: true, Play: "Play", CallBack: "1002"}},
		"withheld heard playing": {api.Voicemail{ID: 2, ReceivedAt: t0, DurationMS: 300, Heard: true},
			voicemail.Snapshot{Playing: 2}, VoicemailRow{ID: 2, Title: "Unknown caller", When: t0.Local().Format("15:04"), Length: "0:01", Play: "Stop", Playing: true}},
		"recording loading": {api.Voicemail{ID: 3, Kind: "recording", Caller: "+358401", ReceivedAt: t0, DurationMS: 3_600_000, Heard: true},
			voicemail.Snapshot{Fetching: 3}, VoicemailRow{ID: 3, Title: "+358401", When: "Recorded call · " + t0.Local().Format("15:04"), Length: "60:00", Play: "Loading…", CallBack: "+358401"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := VoicemailRowOf(tc.v, tc.s, tr, now); got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	for n, want := range map[int]string{0: "", -1: "", 3: "3", 12: "12"} {
		if got := VoicemailTabTitle(n); got != want {
			t.Errorf("title(%d) = %q", n, got)
		}
	}
}

func TestForwardingFormConversion(t *testing.T) {
	tr := NewStrings("en")
	in := api.Forwarding{Immediate: "", Busy: "", NoAnswer: "1003", RingTimeSeconds: 0, Unreachable: "none",
		Activities: []api.ActivityRoute{{Activity: 4, Target: "voicemail"}}}
	ff := NewForwardingForm(in, api.VoicemailSettings{})
	if ff.Busy.Choice != RouteVoicemail || ff.NoAnswer != (RouteField{RouteNumber, "1003"}) || ff.Unreachable.Choice != RouteNone ||
		ff.RingSeconds != DefaultRingTime || ff.Activities[4].Choice != RouteVoicemail || ff.VM.Notify != api.NotifySMS {
		t.Fatalf("form %+v", ff)
	}
	ff.Immediate = "040 1" // kept while off: not sent
	out, err := ff.Forwarding(nil, tr)
	if err != nil || out.Immediate != "" || out.Busy != "voicemail" || out.NoAnswer != "1003" || out.RingTimeSeconds != 20 ||
		len(out.Activities) != 1 || out.Activities[0] != (api.ActivityRoute{Activity: 4, Target: "voicemail"}) {
		t.Fatalf("request %+v, %v", out, err)
	}
	ff.ImmediateOn, ff.Immediate = true, " "
	if _, err := ff.Forwarding(nil, tr); err == nil || err.Error() != "Forward all my calls to: enter a number." {
		t.Fatalf("empty immediate: %v", err)
	}
	ff.ImmediateOn = false
	ff.Activities[5] = RouteField{Choice: RouteNumber}
	acts := []api.Activity{{Number: 5, NameEN: "On holiday"}}
	if _, err := ff.Forwarding(acts, tr); err == nil || err.Error() != "On holiday: enter a number." {
		t.Fatalf("empty activity number: %v", err)
	}
	for pin, ok := range map[string]bool{"1234": true, "12345678": true, "123": false, "123456789": false, "12a4": false, "": false} {
		if api.ValidPIN(pin) != ok {
			t.Errorf("ValidPIN(%q) != %v", pin, ok)
		}
	}
}

// TestRenderVoicemailScreens writes the Voicemail tab and the forwarding screen into
// $UI_SHOTS_DIR for reviewing the layout; skipped when the variable is unset.
func TestRenderVoicemailScreens(t *testing.T) {
	dir := os.Getenv("UI_SHOTS_DIR")
	if dir == "" {
		t.Skip("UI_SHOTS_DIR not set")
	}
	r := newVMRig(t)
	fyne.CurrentApp().Settings().SetTheme(Theme())
	r.u.win.Resize(fyne.NewSize(540, 720))
	shot := shooter(t, r.u.win, dir)
	r.u.SelectTab(TabVoicemail)
	test.Tap(r.u.vm.rows[1].play)
	r.drain()
	shot("dev-voicemail.png")
	r.u.openForwarding()
	r.drain()
	v := r.u.fwd
	v.immOn.SetChecked(true)
	v.immNum.SetText("040 111 2222")
	v.busy.sel.SetSelected("Number")
	v.busy.num.SetText("1003")
	shot("dev-forwarding.png")
	test.Tap(v.hoursOn)
	v.outside.sel.SetSelected("Number")
	v.outside.num.SetText("040 555 1234")
	drv := fyne.CurrentApp().Driver() // scroll the office hours to the top
	v.scroll.ScrollToOffset(fyne.NewPos(0, drv.AbsolutePositionForObject(v.hoursOn).Y-drv.AbsolutePositionForObject(v.scroll.Content).Y-40))
	shot("dev-officehours.png")
}

func TestVoicemailReloadFailureShown(t *testing.T) {
	r := newVMRig(t)
	r.srv.Close() // the server goes away
	r.mb.HandleEvent(api.Event{Type: api.EventHello})
	r.until("the error", func() bool {
		return r.u.vm.errText.Visible() && strings.Contains(r.u.vm.errText.Text, "/api/voicemail")
	})
	if len(r.u.vm.rows) != 2 {
		t.Fatal("the messages already shown were dropped on a failed reload")
	}
}
