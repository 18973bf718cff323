package interop

import (
	"testing"
	"time"
)

// registered starts a baresip for a demo user (password demo<ext>) and waits for REGISTER_OK.
func registered(t *testing.T, srv *vaihde, user string, tone float64, autoAnswer bool, codecs string) *baresip {
	t.Helper()
	b := startBaresip(t, srv, baresipOpts{
		User: user, Password: "demo" + user, Register: true,
		AutoAnswer: autoAnswer, ToneHz: tone, Codecs: codecs,
	})
	b.waitRegistered()
	return b
}

// TestIntegrationBaresipRegister registers baresip with digest authentication: the right password
// (by the server's address and by the demo domain through an outbound proxy) gets REGISTER_OK; a
// wrong password and an unknown user get REGISTER_FAIL and never REGISTER_OK.
func TestIntegrationBaresipRegister(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)

	t.Run("right password", func(t *testing.T) {
		b := startBaresip(t, srv, baresipOpts{User: "1001", Password: "demo1001", Register: true})
		ev := b.waitEvent(0, "REGISTER_OK", 30*time.Second, nil)
		t.Logf("REGISTER_OK: %s", ev.Param)
	})
	t.Run("demo domain via outbound proxy", func(t *testing.T) {
		b := startBaresip(t, srv, baresipOpts{User: "1002", Password: "demo1002", Register: true, Domain: demoDomain})
		ev := b.waitEvent(0, "REGISTER_OK", 30*time.Second, nil)
		t.Logf("REGISTER_OK: %s", ev.Param)
	})
	for _, tc := range []struct{ name, user, pass string }{
		{"wrong password", "1003", "wrong-password"},
		{"unknown user", "1999", "demo1999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBaresip(t, srv, baresipOpts{User: tc.user, Password: tc.pass, Register: true})
			ev := b.waitEvent(0, "REGISTER_FAIL", 30*time.Second, nil)
			t.Logf("REGISTER_FAIL: %s", ev.Param)
			if b.hasEvent(0, "REGISTER_OK") {
				t.Fatalf("%s registered with bad credentials", tc.user)
			}
		})
	}
}

// TestIntegrationBaresipCallAudio: baresip 1001 calls baresip 1002 through the server; each hears
// the other's tone (440 Hz one way, 1000 Hz the other), checked by frequency at the receiver.
func TestIntegrationBaresipCallAudio(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	a := registered(t, srv, "1001", toneA, false, "")
	b := registered(t, srv, "1002", toneB, true, "")

	dial(t, a, b, srv.uriOf(b))
	a.waitRecorded(4, 30*time.Second)
	b.waitRecorded(4, 30*time.Second)
	hangup(t, a, b)
	checkTone(t, "1002 hears 1001", b.lastRecording(), toneA, toneB, 3)
	checkTone(t, "1001 hears 1002", a.lastRecording(), toneB, toneA, 3)
}

// TestIntegrationBaresipPCMAToPCMU: a PCMA-only caller and a PCMU-only callee talk through the
// server, which must transcode; audio is checked both ways.
func TestIntegrationBaresipPCMAToPCMU(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	a := registered(t, srv, "1004", toneA, false, "PCMA")
	b := registered(t, srv, "1005", toneB, true, "PCMU")

	dial(t, a, b, srv.uriOf(b))
	a.waitRecorded(4, 30*time.Second)
	b.waitRecorded(4, 30*time.Second)
	hangup(t, a, b)
	checkTone(t, "PCMU callee hears PCMA caller", b.lastRecording(), toneA, toneB, 3)
	checkTone(t, "PCMA caller hears PCMU callee", a.lastRecording(), toneB, toneA, 3)
	// Each side must have used only its own codec.
	a.waitLogContains(t, "Set audio encoder: PCMA")
	b.waitLogContains(t, "Set audio encoder: PCMU")
	if a.logContains("Set audio encoder: PCMU") || b.logContains("Set audio encoder: PCMA") {
		t.Errorf("a client used a codec it did not offer")
	}
}

// TestIntegrationBaresipDTMF: RFC 4733 digits sent by one baresip arrive at the other through the
// server, both directions.
func TestIntegrationBaresipDTMF(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	a := registered(t, srv, "1006", toneA, false, "")
	b := registered(t, srv, "1007", toneB, true, "")
	checkDTMF(t, srv.uriOf, a, b)
}

// checkDTMF calls b from a and sends digits both ways.
func checkDTMF(t *testing.T, uri func(*baresip) string, a, b *baresip) {
	t.Helper()
	dial(t, a, b, uri(b))
	a.waitRecorded(1, 30*time.Second)
	b.waitRecorded(1, 30*time.Second)
	sendDigits(t, a, "123#*0")
	waitDigits(t, b, "123#*0", 15*time.Second)
	sendDigits(t, b, "95")
	waitDigits(t, a, "95", 15*time.Second)
	hangup(t, a, b)
}

// TestIntegrationBaresipHoldResume: the caller holds (re-INVITE sendonly) and resumes; the
// re-INVITEs are answered, the call survives, and what each side plays goes tone → no tone (hold)
// → tone again (resume), heard through PulseAudio.
func TestIntegrationBaresipHoldResume(t *testing.T) {
	integration(t, "baresip", "pulseaudio", "pactl", "pacat")
	pb := startPulseBox(t)
	srv := startVaihde(t)
	a := startBaresip(t, srv, baresipOpts{User: "1008", Password: "demo1008", Register: true, ToneHz: toneA, Pulse: pb})
	b := startBaresip(t, srv, baresipOpts{User: "1009", Password: "demo1009", Register: true, ToneHz: toneB, AutoAnswer: true, Pulse: pb})
	a.waitRegistered()
	b.waitRegistered()
	checkHoldResume(t, srv.uriOf, a, b)
}

// checkHoldResume: a calls b, holds, resumes. a and b must have been started with Pulse. Each
// side must hear the other's tone before the hold, not hear it during the hold (the holding side
// stops sending, the held side is told recvonly — or gets the server's music on hold), and hear it
// again after the resume.
func checkHoldResume(t *testing.T, uri func(*baresip) string, a, b *baresip) {
	t.Helper()
	startA, startB := a.speaker.samples(), b.speaker.samples()
	// hearsTone waits for a 100 ms-frame window of n frames, ≥ 80% carrying freq, after from.
	hearsTone := func(x *baresip, from int, freq float64, n int, timeout time.Duration) bool {
		return pollUntil(timeout, func() bool { return hasWindow(toneFrames(x.speaker.since(t, from), freq), n) })
	}
	report := func(x *baresip, from int, freq float64, who string) {
		t.Logf("%s hearing %s (%.0f Hz), 100 ms frames: %s", x.opts.User, who, freq, frameString(toneFrames(x.speaker.since(t, from), freq)))
	}
	defer report(b, startB, toneA, a.opts.User)
	defer report(a, startA, toneB, b.opts.User)

	dial(t, a, b, uri(b))
	if !hearsTone(b, startB, toneA, 10, 20*time.Second) || !hearsTone(a, startA, toneB, 10, 10*time.Second) {
		t.Fatalf("no steady two-way audio before the hold")
	}
	ma, mb := a.mark(), b.mark()
	a.cmd("hold", "")
	a.waitEvent(ma, "CALL_REMOTE_SDP", 15*time.Second, func(e ctrlEvent) bool { return e.Param == "answer" })
	time.Sleep(700 * time.Millisecond) // audio in flight and buffered drains
	holdA, holdB := a.speaker.samples(), b.speaker.samples()
	time.Sleep(2500 * time.Millisecond)
	endA, endB := a.speaker.samples(), b.speaker.samples()
	if a.hasEvent(ma, "CALL_CLOSED") || b.hasEvent(mb, "CALL_CLOSED") {
		t.Fatalf("call ended during hold (%s: %s; %s: %s)", a.opts.User, a.ctrl.summary(), b.opts.User, b.ctrl.summary())
	}
	for _, c := range []struct {
		x        *baresip
		from, to int
		freq     float64
		who      string
	}{{b, holdB, endB, toneA, a.opts.User}, {a, holdA, endA, toneB, b.opts.User}} {
		f := toneFrames(c.x.speaker.since(t, c.from).slice(0, c.to-c.from), c.freq)
		if len(f) < 15 || countTrue(f)*10 > len(f) {
			t.Errorf("%s during hold: %s's tone in %d of %d frames (%s), want none", c.x.opts.User, c.who, countTrue(f), len(f), frameString(f))
		}
	}

	mr := a.mark()
	a.cmd("resume", "")
	a.waitEvent(mr, "CALL_REMOTE_SDP", 15*time.Second, func(e ctrlEvent) bool { return e.Param == "answer" })
	if !hearsTone(b, endB, toneA, 15, 20*time.Second) {
		t.Errorf("%s does not hear %s again after resume", b.opts.User, a.opts.User)
	}
	if !hearsTone(a, endA, toneB, 15, 10*time.Second) {
		t.Errorf("%s does not hear %s again after resume", a.opts.User, b.opts.User)
	}
	if a.hasEvent(ma, "CALL_CLOSED") || b.hasEvent(mb, "CALL_CLOSED") {
		t.Fatalf("call ended around resume")
	}
	hangup(t, a, b)
}

// hasWindow reports whether some n consecutive frames are at least 80% true.
func hasWindow(f []bool, n int) bool {
	for i := 0; i+n <= len(f); i++ {
		if countTrue(f[i:i+n])*10 >= n*8 {
			return true
		}
	}
	return false
}

func countTrue(f []bool) int {
	n := 0
	for _, v := range f {
		if v {
			n++
		}
	}
	return n
}

// frameString draws tone frames as a compact timeline: '#' tone, '.' none.
func frameString(f []bool) string {
	b := make([]byte, len(f))
	for i, v := range f {
		b[i] = '.'
		if v {
			b[i] = '#'
		}
	}
	return string(b)
}

// TestIntegrationBaresipBlindTransfer: 1001 calls 1002; 1002 transfers the call (REFER) to 1003.
// 1002's leg ends, 1001 stays in a call and now talks with 1003, audio checked both ways.
func TestIntegrationBaresipBlindTransfer(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	a := registered(t, srv, "1001", toneA, false, "")
	b := registered(t, srv, "1002", toneB, true, "")
	c := registered(t, srv, "1003", toneC, true, "")
	checkBlindTransfer(t, srv.uriOf, a, b, c)
}

// checkBlindTransfer: a calls b, b transfers a to c; then a and c talk.
func checkBlindTransfer(t *testing.T, uri func(*baresip) string, a, b, c *baresip) {
	t.Helper()
	dial(t, a, b, uri(b))
	a.waitRecorded(2, 30*time.Second)
	ma, mb, mc := a.mark(), b.mark(), c.mark()

	b.cmd("transfer", uri(c))
	c.waitEvent(mc, "CALL_ESTABLISHED", 30*time.Second, nil)
	b.waitEvent(mb, "CALL_CLOSED", 30*time.Second, nil)
	time.Sleep(500 * time.Millisecond)
	afterA, afterC := a.recordMark(), c.recordMark()
	a.waitAudioSince(afterA, 3.5, 30*time.Second)
	c.waitAudioSince(afterC, 3.5, 30*time.Second)
	if ev, ok := a.ctrl.find(ma, func(e ctrlEvent) bool { return e.Type == "CALL_CLOSED" }); ok {
		// The transferee's first call may be replaced by a new one; then that one must be up.
		t.Logf("%s's first call closed (%s); checking a new one was established", a.opts.User, ev.Param)
		a.waitEvent(ma, "CALL_ESTABLISHED", 5*time.Second, func(e ctrlEvent) bool { return e.ID != "" })
	}
	checkTone(t, a.opts.User+" hears "+c.opts.User+" after transfer", a.audioSince(afterA).tail(3), toneC, toneB, 2)
	checkTone(t, c.opts.User+" hears "+a.opts.User, c.audioSince(afterC).tail(3), toneA, toneB, 2)
	hangup(t, a, c)
}
