package ui

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

// parkedConsole is fakeConsole with the parked-calls route.
type parkedConsole struct {
	fakeConsole
	parked []api.ParkedCall
}

func (p *parkedConsole) Parked(context.Context) ([]api.ParkedCall, error) { return p.parked, nil }

// TestCampOnLineFromEvents: the colleague's call panel says that callers camped on them wait,
// from the "campon" events for this user only; the count follows, and none clears it.
func TestCampOnLineFromEvents(t *testing.T) {
	f := newFake()
	f.set(phone.Snapshot{Reg: phone.Registered, Profile: api.Profile{ID: 2, Name: "Bertta Berg", Extension: "1002"}})
	m := NewModel(f, NewStrings("en"), func() time.Time { return t0 })
	f.Subscribe(m.Update)
	if v := m.View(); v.CampOn != "" {
		t.Fatalf("before any event: %q", v.CampOn)
	}
	for _, tc := range []struct {
		name  string
		ev    api.Event
		taken bool
		line  string
	}{
		{"one waits", api.Event{Type: api.EventCampOn, CampOn: &api.CampOnWaiting{UserID: 2, Waiting: 1}}, true, "1 caller waiting for you (camp-on)"},
		{"another user's", api.Event{Type: api.EventCampOn, CampOn: &api.CampOnWaiting{UserID: 3, Waiting: 4}}, false, "1 caller waiting for you (camp-on)"},
		{"two wait", api.Event{Type: api.EventCampOn, CampOn: &api.CampOnWaiting{UserID: 2, Waiting: 2}}, true, "2 callers waiting for you (camp-on)"},
		{"other events", api.Event{Type: api.EventParked, Parked: &api.ParkedCalls{}}, false, "2 callers waiting for you (camp-on)"},
		{"none any more", api.Event{Type: api.EventCampOn, CampOn: &api.CampOnWaiting{UserID: 2}}, true, ""},
	} {
		if got := m.HandleEvent(tc.ev); got != tc.taken {
			t.Errorf("%s: HandleEvent = %v, want %v", tc.name, got, tc.taken)
		}
		if v := m.View(); v.CampOn != tc.line {
			t.Errorf("%s: line %q, want %q", tc.name, v.CampOn, tc.line)
		}
	}
	m.HandleEvent(api.Event{Type: api.EventCampOn, CampOn: &api.CampOnWaiting{UserID: 2, Waiting: 1}})
	if !m.HandleEvent(api.Event{Type: api.EventHello}) || m.View().CampOn != "" {
		t.Errorf("a new stream kept the count: %q", m.View().CampOn)
	}
	if m.HandleEvent(api.Event{Type: api.EventHello}) {
		t.Error("a second hello changed the view")
	}
	for _, tc := range []struct {
		st     Status
		campOn string
		want   string
	}{
		{Status{Text: "Registered"}, "1 caller waiting for you (camp-on)", "1 caller waiting for you (camp-on)"},
		{Status{Text: "Registered", Detail: "TLS"}, "1 caller waiting for you (camp-on)", "TLS · 1 caller waiting for you (camp-on)"},
		{Status{Text: "Registered", Detail: "TLS"}, "", "TLS"},
	} {
		if got := withCampOn(tc.st, tc.campOn); got.Detail != tc.want || got.Text != tc.st.Text {
			t.Errorf("withCampOn(%+v, %q) = %+v, want detail %q", tc.st, tc.campOn, got, tc.want)
		}
	}
	fi := NewModel(f, NewStrings("fi"), func() time.Time { return t0 })
	f.Subscribe(fi.Update)
	fi.HandleEvent(api.Event{Type: api.EventCampOn, CampOn: &api.CampOnWaiting{UserID: 2, Waiting: 3}})
	if v := fi.View(); v.CampOn != "3 soittajaa odottaa sinua (jonotus)" {
		t.Errorf("Finnish: %q", v.CampOn)
	}
}

// TestSwitchboardParkedAndCampOnFromEvents: the switchboard loads the parked calls once from
// the console, then follows the "parked" events (by slot, with the parked time, who parked
// it, ring-back and the retrieve code); "campon" events mark the colleague in the directory.
func TestSwitchboardParkedAndCampOnFromEvents(t *testing.T) {
	r := newSwRig(t)
	if p := r.vm.Panel(); len(p.Parked) != 0 || p.NoParked != "No parked calls" {
		t.Fatalf("before anything: %+v %q", p.Parked, p.NoParked)
	}
	con := &parkedConsole{parked: []api.ParkedCall{{Slot: 2, Number: "+358401112222", ParkedBy: "1001", ParkedByName: "Olga Operator",
		Since: t0.Add(-90 * time.Second), Retrieve: "9892"}}}
	r.vm.SetConsole(con)
	if err := r.vm.RefreshParked(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []SwitchParkedRow{{Slot: 2, Text: "Slot 2 · +358401112222 · 1:30 · parked by Olga Operator (1001) · dial 9892", Retrieve: "9892"}}
	if p := r.vm.Panel(); !slices.Equal(p.Parked, want) || p.NoParked != "" {
		t.Fatalf("loaded: %+v %q", p.Parked, p.NoParked)
	}
	ev := api.Event{Type: api.EventParked, Parked: &api.ParkedCalls{Parked: []api.ParkedCall{
		{Slot: 3, Number: "1004", Name: "Pekka Ström", Since: t0.Add(-5 * time.Second), Retrieve: "9893"},
		{Slot: 2, Number: "+358401112222", ParkedBy: "1001", Since: t0.Add(-200 * time.Second), RingingBack: true, Retrieve: "9892"},
	}}}
	if !r.vm.HandleEvent(ev) {
		t.Fatal("parked event not taken")
	}
	want = []SwitchParkedRow{
		{Slot: 2, Text: "Slot 2 · +358401112222 · 3:20 · parked by 1001 · ringing back · dial 9892", Retrieve: "9892", RingingBack: true},
		{Slot: 3, Text: "Slot 3 · Pekka Ström 1004 · 0:05 · dial 9893", Retrieve: "9893"},
	}
	if p := r.vm.Panel(); !slices.Equal(p.Parked, want) {
		t.Fatalf("after the event: %+v", p.Parked)
	}
	r.vm.HandleEvent(api.Event{Type: api.EventParked, Parked: &api.ParkedCalls{Parked: []api.ParkedCall{}}})
	if p := r.vm.Panel(); len(p.Parked) != 0 || p.NoParked != "No parked calls" {
		t.Fatalf("all retrieved: %+v %q", p.Parked, p.NoParked)
	}

	// Two callers camped on Bertta (user 2): her directory row says so; then none.
	r.vm.SetQuery("bert")
	r.vm.HandleEvent(api.Event{Type: api.EventCampOn, CampOn: &api.CampOnWaiting{UserID: 2, Waiting: 2}})
	p := r.vm.Panel()
	if len(p.Hits) != 1 || p.Hits[0].CampOn != "2 camped on" || p.Target == nil || p.Target.Colleague.CampOn != "2 camped on" {
		t.Fatalf("camped on Bertta: %+v", p.Hits)
	}
	r.vm.HandleEvent(api.Event{Type: api.EventCampOn, CampOn: &api.CampOnWaiting{UserID: 2, Waiting: 0}})
	if p := r.vm.Panel(); p.Hits[0].CampOn != "" {
		t.Fatalf("after the camp-on: %+v", p.Hits[0])
	}
	if r.vm.HandleEvent(api.Event{Type: api.EventQueue, Queue: &api.QueueStats{}}) {
		t.Fatal("a queue event changed the switchboard")
	}
}
