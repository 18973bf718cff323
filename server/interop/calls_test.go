package interop

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// Tones: the caller sends toneA, the callee toneB, a third party toneC.
const (
	toneA = 440.0
	toneB = 1000.0
	toneC = 700.0
)

// dial makes a call from a to uri and waits until both a and b report it established.
func dial(t *testing.T, a, b *baresip, uri string) {
	t.Helper()
	ma, mb := a.mark(), b.mark()
	a.cmd("dial", uri)
	ev, err := a.ctrl.wait(ma, 30*time.Second, func(e ctrlEvent) bool {
		return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
	})
	switch {
	case err != nil:
		t.Fatalf("%s dialling %s: not established: %v (events: %s)", a.opts.User, uri, err, a.ctrl.summary())
	case ev.Type == "CALL_CLOSED":
		t.Fatalf("%s dialling %s: call failed: %s", a.opts.User, uri, ev.Param)
	}
	b.waitEvent(mb, "CALL_ESTABLISHED", 15*time.Second, nil)
}

// hangup ends a's current call and waits for both sides to close it.
func hangup(t *testing.T, a *baresip, others ...*baresip) {
	t.Helper()
	marks := make([]int, len(others))
	for i, o := range others {
		marks[i] = o.mark()
	}
	ma := a.mark()
	a.cmd("hangup", "")
	a.waitEvent(ma, "CALL_CLOSED", 20*time.Second, nil)
	for i, o := range others {
		o.waitEvent(marks[i], "CALL_CLOSED", 20*time.Second, nil)
	}
}

// sendDigits sends DTMF digits one by one (RFC 4733 events) with a pause between them.
func sendDigits(t *testing.T, b *baresip, digits string) {
	t.Helper()
	for _, d := range digits {
		b.cmd("sndcode", string(d))
		time.Sleep(400 * time.Millisecond)
	}
}

var dtmfRe = regexp.MustCompile(`received event: '(.)' \(end=1\)`)

// receivedDigits returns the DTMF digits b has printed as received (end of event), in order.
func receivedDigits(b *baresip) string {
	var s strings.Builder
	for _, m := range dtmfRe.FindAllStringSubmatch(b.log.String(), -1) {
		s.WriteString(m[1])
	}
	return s.String()
}

// waitDigits waits until b has received want (as a suffix of everything received).
func waitDigits(t *testing.T, b *baresip, want string, timeout time.Duration) {
	t.Helper()
	if !pollUntil(timeout, func() bool { return strings.HasSuffix(receivedDigits(b), want) }) {
		t.Fatalf("baresip %s received DTMF %q, want %q", b.opts.User, receivedDigits(b), want)
	}
}

// directURI reaches b without a server: its own listening address.
func directURI(b *baresip) string { return "sip:" + b.opts.User + "@127.0.0.1:" + itoa(b.sipPort) }

// TestIntegrationHarnessBaresipDirect checks the harness itself without Vaihde: baresips call each
// other directly; tones are recorded at the far ends, DTMF arrives, hold/resume and blind transfer
// behave as the server tests expect. When this fails, the machine's tools are broken, not the
// server.
func TestIntegrationHarnessBaresipDirect(t *testing.T) {
	integration(t, "baresip")
	t.Run("audio", func(t *testing.T) {
		a := startBaresip(t, nil, baresipOpts{User: "a", ToneHz: toneA})
		b := startBaresip(t, nil, baresipOpts{User: "b", ToneHz: toneB, AutoAnswer: true})
		dial(t, a, b, directURI(b))
		a.waitRecorded(3, 20*time.Second)
		b.waitRecorded(3, 20*time.Second)
		hangup(t, a, b)
		checkTone(t, "b hears a", b.lastRecording(), toneA, toneB, 2.5)
		checkTone(t, "a hears b", a.lastRecording(), toneB, toneA, 2.5)
	})
	t.Run("dtmf", func(t *testing.T) {
		a := startBaresip(t, nil, baresipOpts{User: "a", ToneHz: toneA})
		b := startBaresip(t, nil, baresipOpts{User: "b", ToneHz: toneB, AutoAnswer: true})
		checkDTMF(t, directURI, a, b)
	})
	t.Run("hold", func(t *testing.T) {
		pb := startPulseBox(t)
		a := startBaresip(t, nil, baresipOpts{User: "a", ToneHz: toneA, Pulse: pb})
		b := startBaresip(t, nil, baresipOpts{User: "b", ToneHz: toneB, AutoAnswer: true, Pulse: pb})
		checkHoldResume(t, directURI, a, b)
	})
	t.Run("blind transfer", func(t *testing.T) {
		a := startBaresip(t, nil, baresipOpts{User: "a", ToneHz: toneA})
		b := startBaresip(t, nil, baresipOpts{User: "b", ToneHz: toneB, AutoAnswer: true})
		c := startBaresip(t, nil, baresipOpts{User: "c", ToneHz: toneC, AutoAnswer: true})
		checkBlindTransfer(t, directURI, a, b, c)
	})
}
