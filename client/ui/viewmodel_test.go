package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestStatusOfEveryRegState(t *testing.T) {
	tr := NewStrings("en")
	for _, tc := range []struct {
		reg    phone.RegState
		detail string
		text   string
		tone   Tone
	}{
		{phone.LoggedOut, "", "Logged out", ToneNeutral},
		{phone.Connecting, "", "Connecting…", ToneWarn},
		{phone.Registered, "", "Registered", ToneOK},
		{phone.WrongPassword, "", "Wrong user name or password", ToneError},
		{phone.Unreachable, "connection refused", "Server unreachable", ToneError},
		{phone.RegFailed, "500 Server Error", "Registration failed", ToneError},
	} {
		st := StatusOf(phone.Snapshot{Reg: tc.reg, RegDetail: tc.detail}, tr)
		if st.Text != tc.text || st.Tone != tc.tone || st.Detail != tc.detail {
			t.Errorf("reg %d: got %+v, want %q tone %d detail %q", tc.reg, st, tc.text, tc.tone, tc.detail)
		}
	}
}

func TestStatusFinnish(t *testing.T) {
	st := StatusOf(phone.Snapshot{Reg: phone.WrongPassword}, NewStrings("fi"))
	if st.Text != "Väärä käyttäjätunnus tai salasana" {
		t.Fatalf("got %q", st.Text)
	}
}

func TestEveryKeyTranslated(t *testing.T) {
	for name, table := range map[string]map[Key]string{"Finnish": finnish, "Swedish": swedish} {
		for k := range english {
			tr, ok := table[k]
			if !ok {
				t.Errorf("%s text missing for %s", name, k)
			} else if strings.Count(tr, "%") != strings.Count(english[k], "%") {
				t.Errorf("%s text for %s has other format verbs: %q vs %q", name, k, tr, english[k])
			}
		}
		for k := range table {
			if _, ok := english[k]; !ok {
				t.Errorf("%s key %s has no English text", name, k)
			}
		}
	}
	if got := NewStrings("sv").lang; got != "sv" {
		t.Errorf("NewStrings(sv) uses %q", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "00:00"}, {-time.Second, "00:00"}, {59 * time.Second, "00:59"},
		{135 * time.Second, "02:15"}, {3599*time.Second + 900*time.Millisecond, "59:59"},
		{3723 * time.Second, "1:02:03"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestCleanNumber(t *testing.T) {
	for in, want := range map[string]string{
		"040 123 4567":         "0401234567",
		" +358 (40) 123-45.67": "+358401234567",
		"1001":                 "1001",
		"*#*1 1002#":           "*#*11002#",
		"tel:+358401234567":    "+358401234567",
		"sip:1002@example.com": "sip:1002@example.com",
		"   ":                  "",
	} {
		if got := CleanNumber(in); got != want {
			t.Errorf("CleanNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestViewIdleAndButtons(t *testing.T) {
	f := newFake()
	m := NewModel(f, NewStrings("en"), func() time.Time { return t0 })
	m.Update(phone.Snapshot{Reg: phone.Registered, Profile: api.Profile{Name: "Anna Virtanen", Extension: "1001"}})
	v := m.View()
	if v.Focus != nil || len(v.Incoming) != 0 || !v.CanDial || v.TimerRunning {
		t.Fatalf("idle view wrong: %+v", v)
	}
	if v.Identity != "Anna Virtanen · 1001" {
		t.Fatalf("identity %q", v.Identity)
	}
	m.Update(phone.Snapshot{Reg: phone.Connecting})
	if m.View().CanDial {
		t.Fatal("must not dial while not registered")
	}
}

func TestViewActiveCallTimerAndLabels(t *testing.T) {
	f := newFake()
	now := t0
	m := NewModel(f, NewStrings("en"), func() time.Time { return now })
	m.Update(phone.Snapshot{Reg: phone.Registered, Calls: []phone.Call{{
		ID: "a", Remote: "1002", RemoteName: "Bertta", State: phone.Active, Muted: true,
		StartedAt: t0.Add(-3 * time.Minute), AnsweredAt: t0.Add(-135 * time.Second)}}})
	v := m.View()
	if v.Focus == nil || v.Focus.Title != "Bertta" || v.Focus.Subtitle != "1002" || v.Focus.Timer != "02:15" ||
		v.Focus.State != "Connected" || !v.TimerRunning || v.CanDial {
		t.Fatalf("active view wrong: %+v focus %+v", v, v.Focus)
	}
	if v.Focus.MuteLabel != "Unmute" || v.Focus.HoldLabel != "Hold" || !v.Focus.CanDTMF || !v.Focus.CanTransfer {
		t.Fatalf("buttons wrong: %+v", v.Focus)
	}
	now = now.Add(time.Second)
	if got := m.View().Focus.Timer; got != "02:16" {
		t.Fatalf("timer after a second %q", got)
	}
}

func TestViewRingingHasNoTimer(t *testing.T) {
	m := NewModel(newFake(), NewStrings("en"), func() time.Time { return t0 })
	m.Update(phone.Snapshot{Reg: phone.Registered, Calls: []phone.Call{{ID: "a", Remote: "1002", State: phone.Ringing}}})
	v := m.View()
	if v.Focus.Timer != "" || v.TimerRunning || v.Focus.State != "Ringing…" || v.Focus.CanHold || !v.Focus.CanHangup {
		t.Fatalf("ringing view wrong: %+v", v.Focus)
	}
}

func TestViewCallWaitingAndHeldCalls(t *testing.T) {
	m := NewModel(newFake(), NewStrings("en"), func() time.Time { return t0 })
	m.Update(phone.Snapshot{Reg: phone.Registered, Calls: []phone.Call{
		{ID: "held", Remote: "1003", State: phone.OnHold, AnsweredAt: t0.Add(-time.Minute)},
		{ID: "act", Remote: "1002", State: phone.Active, AnsweredAt: t0.Add(-time.Second)},
		{ID: "in", Remote: "1004", State: phone.Incoming},
	}})
	v := m.View()
	if v.Focus == nil || v.Focus.ID != "act" {
		t.Fatalf("focus should be the active call: %+v", v.Focus)
	}
	if len(v.Others) != 1 || v.Others[0].ID != "held" || v.Others[0].HoldLabel != "Resume" {
		t.Fatalf("others wrong: %+v", v.Others)
	}
	if len(v.Incoming) != 1 || !v.Incoming[0].Waiting || v.Incoming[0].State != "Call waiting" {
		t.Fatalf("call waiting wrong: %+v", v.Incoming)
	}
	// Only an incoming call: it rings, it is not call waiting.
	m.Update(phone.Snapshot{Reg: phone.Registered, Calls: []phone.Call{{ID: "in", Remote: "1004", State: phone.Incoming}}})
	v = m.View()
	if v.Focus != nil || len(v.Incoming) != 1 || v.Incoming[0].Waiting || v.Incoming[0].Title != "1004" {
		t.Fatalf("lone incoming wrong: %+v", v)
	}
}

func TestViewEndedCallShowsReason(t *testing.T) {
	m := NewModel(newFake(), NewStrings("en"), func() time.Time { return t0 })
	m.Update(phone.Snapshot{Reg: phone.Registered, Calls: []phone.Call{{ID: "a", Remote: "1002", State: phone.Ended, EndReason: "Busy"}}})
	v := m.View()
	if v.Focus == nil || v.Focus.State != "Busy" || v.Focus.CanHangup || v.TimerRunning || !v.CanDial {
		t.Fatalf("ended view wrong: %+v %+v", v, v.Focus)
	}
}

func TestModelActions(t *testing.T) {
	f := newFake()
	m := NewModel(f, NewStrings("en"), nil)
	f.set(phone.Snapshot{Reg: phone.Registered, Calls: []phone.Call{{ID: "a", State: phone.Active, Muted: false}}})
	m.Update(f.Snapshot())
	for _, tc := range []struct {
		do   func() error
		want string
	}{
		{func() error { return m.ToggleHold("a") }, "hold a true"},
		{func() error { return m.ToggleMute("a") }, "mute a true"},
		{func() error { return m.SendDTMF("a", '5') }, "dtmf a 5"},
		{func() error { return m.BlindTransfer("a", "040 111 2222") }, "blind a 0401112222"},
		{func() error { return m.HangupFocus() }, "hangup a"},
	} {
		if err := tc.do(); err != nil {
			t.Fatalf("%s: %v", tc.want, err)
		}
		if got := f.LastAction(); got != tc.want {
			t.Fatalf("got action %q, want %q", got, tc.want)
		}
	}
	if err := m.SendDTMF("a", 'x'); err == nil {
		t.Fatal("x is not a DTMF key")
	}
	if _, err := m.Dial(context.Background(), "  "); !errors.Is(err, ErrEmptyNumber) {
		t.Fatalf("empty dial: %v", err)
	}
	if err := m.ToggleHold("nope"); !errors.Is(err, ErrNoCall) {
		t.Fatalf("unknown call: %v", err)
	}
	m.Update(phone.Snapshot{Calls: []phone.Call{{ID: "a", State: phone.OnHold, Muted: true}}})
	_ = m.ToggleHold("a")
	_ = m.ToggleMute("a")
	a := f.Actions()
	if a[len(a)-2] != "hold a false" || a[len(a)-1] != "mute a false" {
		t.Fatalf("resume/unmute: %v", a)
	}
}

func TestModelAttendedTransfer(t *testing.T) {
	f := newFake()
	m := NewModel(f, NewStrings("en"), nil)
	f.Subscribe(m.Update)
	f.set(phone.Snapshot{Reg: phone.Registered, Calls: []phone.Call{{ID: "a", Remote: "1002", State: phone.Active}}})
	if err := m.StartConsultation(context.Background(), "a", "1003"); err != nil {
		t.Fatal(err)
	}
	if a := f.Actions(); len(a) < 2 || a[len(a)-2] != "hold a true" || a[len(a)-1] != "dial 1003" {
		t.Fatalf("consultation should hold then dial: %v", a)
	}
	v := m.View()
	if v.Transfer == nil || v.Transfer.CanComplete || v.Transfer.OriginalID != "a" {
		t.Fatalf("transfer before answer: %+v", v.Transfer)
	}
	f.update(func(s *phone.Snapshot) {
		s.Calls[0].State = phone.OnHold
		s.Calls[1].State = phone.Active
		s.Calls[1].AnsweredAt = time.Now()
	})
	v = m.View()
	if v.Transfer == nil || !v.Transfer.CanComplete || v.Focus.ID != v.Transfer.ConsultID || v.Focus.CanTransfer {
		t.Fatalf("transfer after answer: %+v focus %+v", v.Transfer, v.Focus)
	}
	if err := m.CompleteTransfer(); err != nil {
		t.Fatal(err)
	}
	if got := f.LastAction(); got != "attended a "+v.Transfer.ConsultID {
		t.Fatalf("got %q", got)
	}
	if m.View().Transfer != nil {
		t.Fatal("transfer should be done")
	}
}

func TestModelCancelConsultation(t *testing.T) {
	f := newFake()
	m := NewModel(f, NewStrings("en"), nil)
	f.Subscribe(m.Update)
	f.set(phone.Snapshot{Reg: phone.Registered, Calls: []phone.Call{{ID: "a", State: phone.Active}}})
	if err := m.StartConsultation(context.Background(), "a", "1003"); err != nil {
		t.Fatal(err)
	}
	if err := m.CancelConsultation(); err != nil {
		t.Fatal(err)
	}
	a := f.Actions()
	if a[len(a)-2] != "hangup out1" || a[len(a)-1] != "hold a false" {
		t.Fatalf("cancel should hang up the consult leg and resume: %v", a)
	}
	// The consultation disappears when a leg ends on its own.
	_ = m.StartConsultation(context.Background(), "a", "1004")
	f.update(func(s *phone.Snapshot) { s.Calls = s.Calls[:1] })
	if m.View().Transfer != nil {
		t.Fatal("transfer should vanish with its leg")
	}
}

func TestShortcutActions(t *testing.T) {
	f := newFake()
	m := NewModel(f, NewStrings("en"), nil)
	if err := m.AnswerFirst(); !errors.Is(err, ErrNoCall) {
		t.Fatalf("answer with nothing ringing: %v", err)
	}
	m.Update(phone.Snapshot{Calls: []phone.Call{{ID: "in", State: phone.Incoming}}})
	_ = m.AnswerFirst()
	_ = m.HangupFocus()
	a := f.Actions()
	if len(a) != 2 || a[0] != "answer in" || a[1] != "reject in" {
		t.Fatalf("got %v", a)
	}
}
