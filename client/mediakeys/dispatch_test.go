package mediakeys

import (
	"errors"
	"testing"
)

// fakeCalls records what the keys did.
type fakeCalls struct {
	ringing bool
	did     []string
}

func (f *fakeCalls) Ringing() bool      { return f.ringing }
func (f *fakeCalls) AnswerFirst() error { f.did = append(f.did, "answer"); return nil }
func (f *fakeCalls) HangupFocus() error { f.did = append(f.did, "hangup"); return nil }

func TestDispatchAnswersRingingAndHangsUpActive(t *testing.T) {
	cases := []struct {
		a       Action
		ringing bool
		want    string // "" = nothing to do
	}{
		{PlayPause, true, "answer"},
		{PlayPause, false, "hangup"},
		{Play, true, "answer"},
		{Play, false, ""},
		{Next, true, "answer"},
		{Pause, false, "hangup"},
		{Pause, true, ""}, // never rejects a ringing call
		{Stop, true, "hangup"},
		{Stop, false, "hangup"},
		{Previous, true, ""},
	}
	for _, c := range cases {
		f := &fakeCalls{ringing: c.ringing}
		err := Dispatch(c.a, f)
		got := ""
		if len(f.did) > 0 {
			got = f.did[0]
		}
		if len(f.did) > 1 || got != c.want {
			t.Errorf("%v ringing=%v: did %v, want %q", c.a, c.ringing, f.did, c.want)
		}
		if (c.want == "") != errors.Is(err, ErrNothingToDo) {
			t.Errorf("%v ringing=%v: err %v", c.a, c.ringing, err)
		}
	}
}
