package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/agent/agenttest"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

// swRig is a switchboard over the fake engine, the fake directory (demoPeople) and a real
// agent.Desk against agenttest with two operator queues.
type swRig struct {
	t      *testing.T
	f      *fakeController
	people *fakePeople
	srv    *agenttest.Server
	desk   *agent.Desk
	vm     *SwitchboardVM
}

func newSwRig(t *testing.T) *swRig {
	t.Helper()
	f := newFake()
	f.set(phone.Snapshot{Reg: phone.Registered,
		Profile: api.Profile{Name: "Olga Operator", Extension: "1001", Operator: true}})
	calls := NewModel(f, NewStrings("en"), func() time.Time { return t0 })
	f.Subscribe(calls.Update)
	fp := newFakePeople()
	fp.set(demoPeople())
	srv := agenttest.New(t, 1001,
		api.AgentQueue{ID: 10, Name: "Vaihde", Number: "8010", Waiting: 2},
		api.AgentQueue{ID: 11, Name: "Vaihde englanti", Number: "8011"})
	desk := agent.NewDesk(func() (string, string, bool) { return srv.URL, agenttest.Token, true }, agent.Options{})
	t.Cleanup(desk.Close)
	if err := desk.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	vm := NewSwitchboardVM(calls, fp, desk, NewStrings("en"), func() time.Time { return t0 }, "358", nil)
	return &swRig{t: t, f: f, people: fp, srv: srv, desk: desk, vm: vm}
}

func (r *swRig) key(k string) {
	r.t.Helper()
	if err := r.vm.HandleKey(k); err != nil {
		r.t.Fatalf("key %s: %v", k, err)
	}
}

func (r *swRig) want(action string) {
	r.t.Helper()
	if got := r.f.LastAction(); got != action {
		r.t.Fatalf("last action %q, want %q (all %v)", got, action, r.f.Actions())
	}
}

func plain(parts []TextPart) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Hit {
			b.WriteString("[" + p.Text + "]")
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func TestSwitchboardKeymapCoversEveryAction(t *testing.T) {
	seen := map[string]bool{}
	actions := map[SwitchAction]bool{}
	for _, b := range SwitchboardKeys {
		if seen[strings.ToLower(b.Key)] {
			t.Errorf("key %s bound twice", b.Key)
		}
		seen[strings.ToLower(b.Key)] = true
		actions[b.Action] = true
		if got, ok := ActionOf(b.Key); !ok || got != b {
			t.Errorf("ActionOf(%s) = %+v, %v", b.Key, got, ok)
		}
	}
	for _, a := range []SwitchAction{SwHelp, SwSearch, SwNumber, SwAnswer, SwHangup, SwHold, SwBlind,
		SwAnnounce, SwComplete, SwBack, SwDial, SwUp, SwDown, SwClear, SwQueue, SwPark, SwCampOn, SwRetrieve, SwNight} {
		if !actions[a] {
			t.Errorf("action %s has no key", a)
		}
	}
	// Search is one key away, and has a Ctrl combination too.
	for _, k := range []string{"F3", "Ctrl+F"} {
		if b, _ := ActionOf(k); b.Action != SwSearch {
			t.Errorf("%s is %q, want search", k, b.Action)
		}
	}
	for _, lang := range []string{"en", "fi", "sv"} {
		rows := SwitchboardHelp(NewStrings(lang))
		if len(rows) != 22 { // one line per action
			t.Errorf("%s: %d help lines, want 21: %v", lang, len(rows), rows)
		}
		for _, r := range rows {
			if r.Keys == "" || r.Text == "" || strings.HasPrefix(r.Text, "sw.") {
				t.Errorf("%s: help line %+v", lang, r)
			}
		}
		if !slices.Contains(rows, HelpRow{Keys: "F3, Ctrl+F", Text: NewStrings(lang).T(KSwKeySearch)}) {
			t.Errorf("%s: search keys not on one line: %v", lang, rows)
		}
	}
}

func TestParseNumberAnyForm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+358 40 123 4567", "+358401234567"},
		{"040-1234567", "+358401234567"},
		{"040.123.4567", "+358401234567"},
		{"(09) 123 456", "+3589123456"},
		{"tel:+358401234567", "+358401234567"},
		{"tel:040-123 4567", "+358401234567"},
		{"sip:1002@pbx.example", "1002"},
		{" 1002 ", "1002"},
		{"00 46 8 123 456", "+468123456"},
	} {
		got, err := ParseNumber(tc.in, "358")
		if err != nil || got != tc.want {
			t.Errorf("ParseNumber(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"abc", "12", "+0123456"} {
		if got, err := ParseNumber(bad, "358"); err == nil {
			t.Errorf("ParseNumber(%q) = %q, want an error", bad, got)
		}
	}
}

func TestHighlightMarksWordPrefixes(t *testing.T) {
	for _, tc := range []struct{ text, q, want string }{
		{"Bertta Berg", "ber", "[Ber]tta [Ber]g"},
		{"Pekka Ström", "strom", "Pekka [Ström]"},
		{"Pekka Ström", "STRÖ pek", "[Pek]ka [Strö]m"},
		{"Äänekoski", "aa", "[Ää]nekoski"},
		{"Anna Virtanen", "nen", "Anna Virtanen"}, // not a word start
		{"1002", "10", "[10]02"},
		{"Anna", "", "Anna"},
	} {
		if got := plain(Highlight(tc.text, tc.q)); got != tc.want {
			t.Errorf("Highlight(%q, %q) = %q, want %q", tc.text, tc.q, got, tc.want)
		}
	}
}

func TestLampAtAGlance(t *testing.T) {
	for _, tc := range []struct {
		p    api.Presence
		want Tone
	}{
		{api.Presence{Online: true, Green: true, Phone: "idle"}, ToneOK},
		{api.Presence{Online: true, Green: true, Phone: "on-call"}, ToneError},
		{api.Presence{Online: true, Green: true, Phone: "dialling"}, ToneError},
		{api.Presence{Online: true, Green: true, Phone: "ringing"}, ToneWarn},
		{api.Presence{Online: true, Green: false}, ToneWarn},
		{api.Presence{}, ToneNeutral},
		{api.Presence{Phone: "on-call"}, ToneError}, // a desk phone on a call, Softphone offline
	} {
		if got := Lamp(tc.p); got != tc.want {
			t.Errorf("Lamp(%+v) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

// TestSwitchboardAnswerSearchTransfer is the operator's day by keys only: the queue call
// rings with its queue shown, F2 answers, typing searches with hits highlighted and the busy
// colleague's state shown, F6 transfers blind; then an announced transfer and the way back.
func TestSwitchboardAnswerSearchTransfer(t *testing.T) {
	r := newSwRig(t)
	p := r.vm.Panel()
	if !p.Visible || len(p.Queues) != 2 || p.Queues[0].Detail != "8010 · 2 waiting" || p.Waiting != "2 callers waiting" ||
		p.Queues[0].Key != "Ctrl+1" || p.Focus != SwFocusSearch {
		t.Fatalf("idle panel: %+v", p)
	}
	if p.CanAnswer || p.CanBlind || p.CanHold {
		t.Fatalf("actions enabled without a call: %+v", p)
	}
	if len(p.Hits) != 3 || slices.ContainsFunc(p.Hits, func(h SwitchRow) bool { return h.Extension == "1001" }) {
		t.Fatalf("directory should list the colleagues without the operator: %+v", p.Hits)
	}

	// The queue call rings: the queue is shown while it rings ...
	r.f.set(withCalls(r.f.Snapshot(), phone.Call{ID: "in1", Remote: "+358401234567", State: phone.Incoming,
		Group: phone.GroupCall{Name: "Vaihde", Number: "8010"}}))
	p = r.vm.Panel()
	if p.Offer != "Vaihde — +358401234567" || !p.Ringing || !p.CanAnswer {
		t.Fatalf("ringing: offer %q ringing %v canAnswer %v", p.Offer, p.Ringing, p.CanAnswer)
	}
	r.key("F2")
	r.want("answer in1")
	// ... and during the call.
	r.f.set(withCalls(r.f.Snapshot(), phone.Call{ID: "in1", Remote: "+358401234567", State: phone.Active,
		AnsweredAt: t0, Group: phone.GroupCall{Name: "Vaihde", Number: "8010"}}))
	p = r.vm.Panel()
	if p.Offer != "Vaihde — +358401234567" || p.Ringing || !p.CanHold {
		t.Fatalf("in call: offer %q ringing %v canHold %v", p.Offer, p.Ringing, p.CanHold)
	}

	// Search by typing: hits highlighted, the first selected, its presence shown.
	r.key("F3")
	r.vm.Type("ber")
	p = r.vm.Panel()
	if len(p.Hits) != 1 || plain(p.Hits[0].Name) != "[Ber]tta [Ber]g" || !p.Hits[0].Selected {
		t.Fatalf("hits for ber: %+v", p.Hits)
	}
	if p.Target == nil || p.Target.Text != "Bertta Berg (1002)" || p.Target.Colleague == nil ||
		p.Target.Colleague.Lamp != ToneError || p.Target.Colleague.Presence.Phone != "On a call" {
		t.Fatalf("target: %+v", p.Target)
	}
	if !p.CanBlind || !p.CanAnnounce {
		t.Fatalf("transfer not offered: %+v", p)
	}
	r.key("F5")
	r.want("hold in1 true")
	r.key("F6")
	r.want("blind in1 1002")
	if p = r.vm.Panel(); p.Message != "Transferred to Bertta Berg (1002)" {
		t.Fatalf("message %q", p.Message)
	}

	// Announced transfer to Cecilia: the caller is held and she is called; F9 goes back,
	// a second try with F8 connects them.
	r.key("Escape")
	r.vm.Type("cec")
	r.key("F7")
	r.want("dial 1003")
	if !slices.Contains(r.f.Actions(), "hold in1 true") {
		t.Fatal("caller not held before the consultation")
	}
	p = r.vm.Panel()
	if !p.CanBack || p.CanComplete || p.CanBlind {
		t.Fatalf("consultation ringing: back %v complete %v blind %v", p.CanBack, p.CanComplete, p.CanBlind)
	}
	r.key("F9")
	r.want("hold in1 false")
	r.f.set(withCalls(r.f.Snapshot(), phone.Call{ID: "in1", Remote: "+358401234567", State: phone.Active, AnsweredAt: t0}))
	r.key("F7")
	r.f.set(withCalls(r.f.Snapshot(),
		phone.Call{ID: "in1", Remote: "+358401234567", State: phone.OnHold, AnsweredAt: t0},
		phone.Call{ID: "out2", Direction: phone.Outgoing, Remote: "1003", State: phone.Active, AnsweredAt: t0}))
	if p = r.vm.Panel(); !p.CanComplete {
		t.Fatalf("consulted party answered but no complete: %+v", p.Calls.Transfer)
	}
	r.key("F8")
	r.want("attended in1 out2")

	// F4 hangs up.
	r.f.set(withCalls(r.f.Snapshot(), phone.Call{ID: "in1", Remote: "+358401234567", State: phone.Active, AnsweredAt: t0}))
	r.key("F4")
	r.want("hangup in1")
}

func withCalls(s phone.Snapshot, calls ...phone.Call) phone.Snapshot {
	s.Calls = calls
	return s
}

func TestSwitchboardPastedNumber(t *testing.T) {
	r := newSwRig(t)
	r.f.set(withCalls(r.f.Snapshot(), phone.Call{ID: "in1", Remote: "1009", State: phone.Active, AnsweredAt: t0}))
	r.key("Ctrl+L")
	if p := r.vm.Panel(); p.Focus != SwFocusNumber {
		t.Fatalf("focus %q", p.Focus)
	}
	r.vm.Type("tel:+358 (40) 123-4567")
	p := r.vm.Panel()
	if p.Target == nil || p.Target.Number != "+358401234567" || p.NumError != "" {
		t.Fatalf("target of pasted number: %+v, %q", p.Target, p.NumError)
	}
	r.key("F6")
	r.want("blind in1 +358401234567")

	// A typed extension of a colleague shows their presence too.
	r.key("Escape")
	r.vm.Type("1003")
	if p = r.vm.Panel(); p.Target == nil || p.Target.Colleague == nil || p.Target.Colleague.Presence.Note != "Back at one" {
		t.Fatalf("extension target: %+v", p.Target)
	}

	r.vm.SetNumber("call me")
	n := len(r.f.Actions())
	if err := r.vm.HandleKey("F6"); err == nil {
		t.Fatal("transferred to a non-number")
	}
	if len(r.f.Actions()) != n {
		t.Fatalf("engine asked to transfer to a non-number: %v", r.f.Actions())
	}
	if p = r.vm.Panel(); p.Error != "Not a phone number: call me" || p.CanBlind {
		t.Fatalf("error %q canBlind %v", p.Error, p.CanBlind)
	}
	// Idle: Ctrl+D calls the number.
	r.f.set(withCalls(r.f.Snapshot()))
	r.vm.SetNumber("040 765 4321")
	r.key("Ctrl+D")
	r.want("dial +358407654321")
}

func TestSwitchboardSelectionAndClear(t *testing.T) {
	r := newSwRig(t)
	r.vm.Type("s") // Support ×2 in the fake's department match, Ström by name
	p := r.vm.Panel()
	if len(p.Hits) != 3 || !p.Hits[0].Selected {
		t.Fatalf("hits: %+v", p.Hits)
	}
	for _, tc := range []struct {
		key  string
		want int
	}{{"Down", 1}, {"Down", 2}, {"Down", 2}, {"Up", 1}, {"Up", 0}, {"Up", 0}} {
		r.key(tc.key)
		p = r.vm.Panel()
		if !p.Hits[tc.want].Selected {
			t.Fatalf("after %s: selected %+v, want %d", tc.key, p.Hits, tc.want)
		}
	}
	r.key("F1")
	if p = r.vm.Panel(); !p.Help || len(p.HelpRows) == 0 {
		t.Fatal("F1 shows no help")
	}
	r.key("Escape") // closes the help first
	if p = r.vm.Panel(); p.Help || p.Query != "s" {
		t.Fatalf("Escape with help: help %v query %q", p.Help, p.Query)
	}
	r.key("Escape")
	if p = r.vm.Panel(); p.Query != "" || p.Target != nil {
		t.Fatalf("Escape did not clear the search: %q %+v", p.Query, p.Target)
	}
	if err := r.vm.HandleKey("F12"); err == nil {
		t.Fatal("an unbound key did something")
	}
	if err := r.vm.HandleKey("F2"); err == nil || r.vm.Panel().Error == "" {
		t.Fatal("F2 without a call: no error shown")
	}
}

func TestSwitchboardQueueLogin(t *testing.T) {
	r := newSwRig(t)
	r.key("Ctrl+1")
	r.key("Ctrl+2")
	r.key("Ctrl+1")
	want := []string{"GET /api/agent", "POST /api/agent/queues/10/login", "POST /api/agent/queues/11/login",
		"POST /api/agent/queues/10/logout"}
	if got := r.srv.Requests(); !slices.Equal(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	p := r.vm.Panel()
	if p.Queues[0].LoggedIn || !p.Queues[1].LoggedIn || p.Queues[1].Button != "Log out" || p.Message != "Logged out of Vaihde" {
		t.Fatalf("queues after logins: %+v, %q", p.Queues, p.Message)
	}
	if err := r.vm.HandleKey("Ctrl+3"); err == nil {
		t.Fatal("Ctrl+3 with two queues did something")
	}
}

// TestSwitchboardParkCampOnRetrieve: Ctrl+P parks the call (transfer to 988), Ctrl+K camps it
// on the selected colleague (982<ext>) and refuses a typed outside number, Ctrl+R dials 989
// with the slot typed in the number field, or alone.
func TestSwitchboardParkCampOnRetrieve(t *testing.T) {
	r := newSwRig(t)
	r.f.set(withCalls(r.f.Snapshot(), phone.Call{ID: "in1", Remote: "+358401111111", State: phone.Active, AnsweredAt: t0}))
	r.key("Ctrl+P")
	r.want("blind in1 988")
	if p := r.vm.Panel(); p.Message != "Call parked" {
		t.Fatalf("message %q", p.Message)
	}
	r.vm.SetNumber("1003")
	r.key("Ctrl+K")
	r.want("blind in1 9821003")
	r.vm.SetNumber("+358 40 765 4321")
	n := len(r.f.Actions())
	if err := r.vm.HandleKey("Ctrl+K"); err == nil || len(r.f.Actions()) != n {
		t.Fatalf("camp-on on an outside number: %v, actions %v", err, r.f.Actions())
	}
	r.f.set(withCalls(r.f.Snapshot()))
	r.vm.SetNumber("5")
	r.key("Ctrl+R")
	r.want("dial 9895")
	r.vm.SetNumber("")
	r.key("Ctrl+R")
	r.want("dial 989")
}

// TestSwitchboardPickupAndVoicemail: Ctrl+G dials 990<ext> for the selected colleague and 990
// alone with nobody selected (group pickup); Ctrl+M sends the caller to the colleague's
// voicemail (981<ext>) and refuses an outside number or no call.
func TestSwitchboardPickupAndVoicemail(t *testing.T) {
	r := newSwRig(t)
	r.vm.SetNumber("1003")
	r.key("Ctrl+G")
	r.want("dial 9901003")
	if p := r.vm.Panel(); !strings.HasPrefix(p.Message, "Picking up ") {
		t.Fatalf("message %q", p.Message)
	}
	r.vm.SetNumber("")
	r.key("Escape")
	r.key("Ctrl+G")
	r.want("dial 990")
	n := len(r.f.Actions())
	r.vm.SetNumber("1003")
	if err := r.vm.HandleKey("Ctrl+M"); err == nil || len(r.f.Actions()) != n {
		t.Fatalf("voicemail transfer without a call: %v, actions %v", err, r.f.Actions())
	}
	r.f.set(withCalls(r.f.Snapshot(), phone.Call{ID: "in1", Remote: "+358401111111", State: phone.Active, AnsweredAt: t0}))
	r.key("Ctrl+M")
	r.want("blind in1 9811003")
	r.vm.SetNumber("+358 40 765 4321")
	n = len(r.f.Actions())
	if err := r.vm.HandleKey("Ctrl+M"); err == nil || len(r.f.Actions()) != n {
		t.Fatalf("voicemail transfer to an outside number: %v, actions %v", err, r.f.Actions())
	}
}

// fakeConsole is the server's console routes: each queue's callers and its night switch.
type fakeConsole struct {
	mu    sync.Mutex
	by    map[int64]api.QueueWaiting
	fwd   map[string]api.ColleagueForwarding
	calls []string
}

func (f *fakeConsole) Waiting(_ context.Context, id int64) (api.QueueWaiting, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("waiting %d", id))
	w, ok := f.by[id]
	if !ok {
		return api.QueueWaiting{}, errors.New("404 no such queue")
	}
	return w, nil
}

func (f *fakeConsole) Forwarding(_ context.Context, ext string) (api.ColleagueForwarding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "forwarding "+ext)
	fw, ok := f.fwd[ext]
	if !ok {
		return api.ColleagueForwarding{}, errors.New("404 no such colleague")
	}
	return fw, nil
}

func (f *fakeConsole) Take(_ context.Context, queueID, callerID int64) (api.QueueWaiting, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("take %d %d", queueID, callerID))
	w := f.by[queueID]
	for i := range w.Callers {
		w.Callers[i].Ringing = w.Callers[i].ID == callerID
	}
	return w, nil
}

func (f *fakeConsole) SetNight(_ context.Context, id int64, night bool) (api.QueueWaiting, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("night %d %t", id, night))
	w := f.by[id]
	w.NightManual, w.Night = night, night
	f.by[id] = w
	return w, nil
}

// TestSwitchboardWaitingCallersAndNight: the operator's queues list their waiting callers in
// serving order with waits, callbacks and the one ringing marked; Ctrl+N switches night mode of
// queue 1 on and off through the console, and the panel shows it.
func TestSwitchboardWaitingCallersAndNight(t *testing.T) {
	r := newSwRig(t)
	qs := r.vm.agent.Snapshot().View.Queues
	if len(qs) == 0 {
		t.Fatal("the rig has no operator queue")
	}
	q := qs[0]
	if err := r.vm.HandleKey("Ctrl+N"); !errors.Is(err, ErrNoConsole) {
		t.Fatalf("Ctrl+N without console: %v", err)
	}
	fc := &fakeConsole{by: map[int64]api.QueueWaiting{q.ID: {QueueID: q.ID, Callers: []api.QueueCaller{
		{Position: 1, Caller: "+358401111111", WaitSec: 75, Ringing: true},
		{Position: 2, Caller: "+358402222222", Name: "Oy Asiakas", WaitSec: 9, Callback: true},
	}}}}
	r.vm.SetConsole(fc)
	if err := r.vm.RefreshWaiting(context.Background()); err != nil && len(qs) == 1 {
		t.Fatal(err)
	}
	row := r.vm.Panel().Queues[0]
	want := []string{"1. +358401111111 · 1:15 · ringing", "2. Oy Asiakas +358402222222 · 0:09 · callback"}
	if len(row.Callers) != 2 || row.Callers[0] != want[0] || row.Callers[1] != want[1] || row.Night {
		t.Fatalf("callers %q night %v, want %q", row.Callers, row.Night, want)
	}
	r.key("Ctrl+N")
	if row = r.vm.Panel().Queues[0]; !row.Night || !strings.Contains(row.Detail, "night") {
		t.Fatalf("after Ctrl+N: %+v", row)
	}
	r.key("Ctrl+N")
	if row = r.vm.Panel().Queues[0]; row.Night {
		t.Fatalf("after the second Ctrl+N: %+v", row)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	nights := []string{}
	for _, c := range fc.calls {
		if strings.HasPrefix(c, "night") {
			nights = append(nights, c)
		}
	}
	if len(nights) != 2 || nights[0] != fmt.Sprintf("night %d true", q.ID) || nights[1] != fmt.Sprintf("night %d false", q.ID) {
		t.Fatalf("night calls %v", nights)
	}
}

// TestSwitchboardColleagueForwarding: before a transfer the target line says where the selected
// colleague's calls go — all calls forwarded, or the busy / no-answer rules with the activity's
// rule — once the console has answered; a colleague without an answer shows none.
func TestSwitchboardColleagueForwarding(t *testing.T) {
	r := newSwRig(t)
	fc := &fakeConsole{fwd: map[string]api.ColleagueForwarding{
		"1002": {Extension: "1002", Immediate: "+358401234567"},
		"1003": {Extension: "1003", Busy: api.ForwardVoicemail, NoAnswer: api.ForwardNone, RingTimeSeconds: 30, Activity: "1002"},
	}}
	r.vm.SetConsole(fc)
	for _, tc := range []struct{ ext, want string }{
		{"1002", "All calls forwarded to +358401234567"},
		{"1003", "Their activity forwards to 1002 · If busy: voicemail · no answer in 30 s: keeps ringing"},
	} {
		r.vm.SetNumber(tc.ext)
		if p := r.vm.Panel(); p.Target == nil || p.Target.Forwarding != "" {
			t.Fatalf("%s: forwarding shown before it was loaded: %+v", tc.ext, p.Target)
		}
		if err := r.vm.LoadForwarding(t.Context(), tc.ext); err != nil {
			t.Fatal(err)
		}
		if p := r.vm.Panel(); p.Target == nil || p.Target.Colleague == nil || p.Target.Forwarding != tc.want {
			t.Fatalf("%s: forwarding %+v, want %q", tc.ext, p.Target, tc.want)
		}
	}
	if err := r.vm.LoadForwarding(t.Context(), "1999"); err == nil {
		t.Fatal("an unknown colleague's forwarding loaded")
	}
}

// TestSwitchboardTakeChosenCaller: Ctrl+T answers the caller whose place in operator queue 1 is
// typed in the number field, out of turn, through the console (by the caller's ID), and clears
// the field; a place that is not in the list, or no console, is refused with a reason.
func TestSwitchboardTakeChosenCaller(t *testing.T) {
	r := newSwRig(t)
	q := r.vm.agent.Snapshot().View.Queues[0]
	r.vm.SetNumber("2")
	if err := r.vm.HandleKey("Ctrl+T"); !errors.Is(err, ErrNoConsole) {
		t.Fatalf("Ctrl+T without console: %v", err)
	}
	fc := &fakeConsole{by: map[int64]api.QueueWaiting{q.ID: {QueueID: q.ID, Callers: []api.QueueCaller{
		{ID: 41, Position: 1, Caller: "+358401111111", WaitSec: 75, Ringing: true},
		{ID: 57, Position: 2, Caller: "+358402222222", Name: "Oy Asiakas", WaitSec: 9},
	}}}}
	r.vm.SetConsole(fc)
	_ = r.vm.RefreshWaiting(t.Context()) // the rig's second queue is unknown to the console
	for _, bad := range []string{"3", "0", "x"} {
		r.vm.SetNumber(bad)
		if err := r.vm.HandleKey("Ctrl+T"); err == nil || !strings.Contains(r.vm.Panel().Error, "1–2") {
			t.Fatalf("Ctrl+T with %q: %v / %q", bad, err, r.vm.Panel().Error)
		}
	}
	r.vm.SetNumber("2")
	r.key("Ctrl+T")
	p := r.vm.Panel()
	if p.Message != "Ringing you next: 2. Oy Asiakas +358402222222 · 0:09 (F2 answers)" || p.Number != "" {
		t.Fatalf("after Ctrl+T: message %q, number %q", p.Message, p.Number)
	}
	if got := p.Queues[0].Callers[1]; !strings.HasSuffix(got, "ringing") {
		t.Fatalf("the taken caller is not shown ringing: %q", p.Queues[0].Callers)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if !slices.Contains(fc.calls, fmt.Sprintf("take %d 57", q.ID)) {
		t.Fatalf("console calls %q: want the take of caller 57", fc.calls)
	}
}
