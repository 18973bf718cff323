package b2bua

import (
	"testing"

	"github.com/vaihde/vaihde/server/mediaapp"
)

func TestSIPUserPart(t *testing.T) {
	for s, want := range map[string]bool{"1*0401234567": true, "+358401234567": true, "8000": true,
		"Asiakaspalvelu": true, "": false, "Matti Meikäläinen": false, "a<b": false, "x@y": false} {
		if got := sipUserPart(s); got != want {
			t.Errorf("sipUserPart(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestGroupHeaders: the rung party learns the group; header values cannot break the message.
func TestGroupHeaders(t *testing.T) {
	h := groupHeaders(mediaapp.GroupInfo{Kind: "queue", Name: "Asiakas\\r\\npalvelu", Number: "8000", Callback: "Soita\r\nX-Evil: 1"})
	want := map[string]string{hdrQueue: "Asiakas\\r\\npalvelu", hdrQueueNumber: "8000", hdrCallback: "Soita  X-Evil: 1"}
	if len(h) != 3 {
		t.Fatalf("headers %+v, want 3", h)
	}
	for _, x := range h {
		if want[x.name] != x.value {
			t.Errorf("%s = %q, want %q", x.name, x.value, want[x.name])
		}
	}
	if len(groupHeaders(mediaapp.GroupInfo{})) != 0 {
		t.Error("a plain hand-over got group headers")
	}
}

// TestRingFailure maps failed attempts to mediaapp's errors.
func TestRingFailure(t *testing.T) {
	cases := []struct {
		out  dialOutcome
		code int
		want error
	}{
		{dialOutcome{timedOut: true}, 480, mediaapp.ErrNoAnswer},
		{dialOutcome{codes: []int{486, 486}}, 486, mediaapp.ErrBusy},
		{dialOutcome{codes: []int{486, 480}}, 486, mediaapp.ErrNoAnswer},
		{dialOutcome{codes: []int{603}}, 603, mediaapp.ErrNoAnswer},
		{dialOutcome{codes: []int{408, 503}}, 480, mediaapp.ErrUnreachable},
	}
	for _, c := range cases {
		if got := ringFailure(c.out, c.code); got != c.want {
			t.Errorf("ringFailure(%+v, %d) = %v, want %v", c.out, c.code, got, c.want)
		}
	}
}
