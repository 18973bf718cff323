package ui

import (
	"time"

	"testing"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

func TestEmergencyReminderLastsAsLongAsTheCall(t *testing.T) {
	f := newFake()
	m := NewModel(f, NewStrings("en"), func() time.Time { return t0 })
	call := phone.Call{ID: "e", Direction: phone.Outgoing, Remote: "112", State: phone.Dialling, StartedAt: t0}
	snap := func(p api.Profile, calls ...phone.Call) {
		m.Update(phone.Snapshot{Reg: phone.Registered, Profile: p, Calls: calls})
	}
	for _, st := range []phone.CallState{phone.Dialling, phone.Ringing, phone.Active, phone.OnHold} {
		call.State = st
		if st == phone.Active {
			call.AnsweredAt = t0
		}
		snap(api.Profile{}, call)
		v := m.View()
		if v.Emergency == nil || v.Emergency.Title != "State your location" || v.Emergency.Hint == "" {
			t.Fatalf("state %v: reminder %+v", st, v.Emergency)
		}
		if v.Focus == nil || !v.Focus.Emergency {
			t.Fatalf("state %v: the call panel does not mark the emergency call: %+v", st, v.Focus)
		}
	}
	// A second call on top (the emergency call held) keeps the reminder.
	other := phone.Call{ID: "o", Direction: phone.Outgoing, Remote: "1002", State: phone.Active, AnsweredAt: t0}
	call.State = phone.OnHold
	snap(api.Profile{}, call, other)
	if v := m.View(); v.Emergency == nil || v.Focus.ID != "o" || v.Focus.Emergency {
		t.Fatalf("held emergency call under another: %+v, focus %+v", v.Emergency, v.Focus)
	}
	call.State, call.EndReason = phone.Ended, "Call ended"
	snap(api.Profile{}, call)
	if v := m.View(); v.Emergency != nil || v.Focus == nil || v.Focus.Emergency {
		t.Fatalf("ended: the reminder must go away: %+v", v.Emergency)
	}
	// The organisation's own emergency number from the profile; not an ordinary call, and not
	// an incoming call from a number that looks like one.
	p := api.Profile{EmergencyNumbers: []string{"0800 112 112"}}
	snap(p, phone.Call{ID: "x", Direction: phone.Outgoing, Remote: "0800112112", State: phone.Ringing})
	if m.View().Emergency == nil {
		t.Fatal("an organisation emergency number shows no reminder")
	}
	snap(p, phone.Call{ID: "y", Direction: phone.Outgoing, Remote: "1002", State: phone.Active, AnsweredAt: t0})
	if m.View().Emergency != nil {
		t.Fatal("an ordinary call shows the reminder")
	}
	snap(p, phone.Call{ID: "z", Direction: phone.IncomingCall, Remote: "112", State: phone.Active, AnsweredAt: t0})
	if m.View().Emergency != nil {
		t.Fatal("an incoming call shows the reminder")
	}
}

func TestEmergencyReminderTranslated(t *testing.T) {
	for lang, want := range map[string]string{"en": "State your location", "fi": "Kerro sijaintisi", "sv": "Uppge var du befinner dig"} {
		m := NewModel(newFake(), NewStrings(lang), func() time.Time { return t0 })
		m.Update(phone.Snapshot{Calls: []phone.Call{{ID: "e", Direction: phone.Outgoing, Remote: "112", State: phone.Dialling}}})
		if v := m.View(); v.Emergency == nil || v.Emergency.Title != want {
			t.Errorf("%s: %+v, want %q", lang, v.Emergency, want)
		}
	}
}

func TestEmergencyBannerInCallPanel(t *testing.T) {
	r := registeredRig(t)
	r.setCalls(phone.Call{ID: "e", Direction: phone.Outgoing, Remote: "112", State: phone.Active, AnsweredAt: t0})
	p := r.u.phone
	if p.emergency == nil || !p.emergency.Visible() || p.emergencyTitle.Text != "State your location" {
		t.Fatal("the call panel shows no location reminder during a call to 112")
	}
	r.setCalls(phone.Call{ID: "f", Direction: phone.Outgoing, Remote: "1002", State: phone.Active, AnsweredAt: t0})
	if p.emergency != nil && p.emergency.Visible() {
		t.Fatal("an ordinary call shows the location reminder")
	}
}

func TestEncryptedCallSaysSo(t *testing.T) {
	r := registeredRig(t)
	r.setCalls(phone.Call{ID: "s", Direction: phone.Outgoing, Remote: "1002", State: phone.Active, AnsweredAt: t0, Encrypted: true})
	if got := r.u.phone.state.Text; got != "Connected · Encrypted" {
		t.Fatalf("state line %q", got)
	}
	r.setCalls(phone.Call{ID: "p", Direction: phone.Outgoing, Remote: "1002", State: phone.Active, AnsweredAt: t0})
	if got := r.u.phone.state.Text; got != "Connected" {
		t.Fatalf("plain call state line %q", got)
	}
}

func TestEmergencyCallBringsThePhoneTab(t *testing.T) {
	r := registeredRig(t)
	r.u.SelectTab(TabColleagues)
	r.setCalls(phone.Call{ID: "e", Direction: phone.Outgoing, Remote: "112", State: phone.Dialling, StartedAt: t0})
	if r.u.tabs.SelectedIndex() != 0 || !r.u.phone.emergency.Visible() {
		t.Fatalf("tab %d during an emergency call, want the Phone tab with the reminder", r.u.tabs.SelectedIndex())
	}
	// The user may still look elsewhere during the call: no tab is forced on every update.
	r.u.SelectTab(TabContacts)
	r.setCalls(phone.Call{ID: "e", Direction: phone.Outgoing, Remote: "112", State: phone.Active, AnsweredAt: t0})
	if r.u.tabs.SelectedIndex() == 0 {
		t.Fatal("the Phone tab was forced again while the same emergency call went on")
	}
}
