package interop

import (
	"testing"
	"time"
)

// TestIntegrationBaresipDTMFTransfer: 1001 calls 1002; 1002 types the DTMF transfer code
// *#*1 1003 # on its keypad (RFC 4733 events from baresip). While the code is typed 1001 hears
// the server's hold music instead of 1002's tone; then 1001 talks with 1003 and 1002's call ends
// (CALL-6).
func TestIntegrationBaresipDTMFTransfer(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	a := registered(t, srv, "1001", toneA, false, "")
	b := registered(t, srv, "1002", toneB, true, "")
	c := registered(t, srv, "1003", toneC, true, "")
	dial(t, a, b, srv.uriOf(b))
	a.waitRecorded(2, 30*time.Second)
	ma, mb, mc := a.mark(), b.mark(), c.mark()

	sendDigits(t, b, "*#*1")
	time.Sleep(300 * time.Millisecond)
	music := a.recordMark()
	a.waitAudioSince(music, 2, 30*time.Second)
	r := analyseTone(a.audioSince(music).tail(2), 523.25, toneB)
	t.Logf("1001 while 1002 types: %v", r)
	// The hold music plays at RMS 0.133 (-17.5 dBFS; any 2 s of it within ±30 %) with no 1 kHz.
	if r.Voiced < 1.5 || r.OtherShare > 0.1 || r.RMS < 0.08 || r.RMS > 0.18 {
		t.Fatalf("1001 does not hear the hold music while the code is typed: %v", r)
	}

	sendDigits(t, b, "1003#")
	c.waitEvent(mc, "CALL_ESTABLISHED", 30*time.Second, nil)
	b.waitEvent(mb, "CALL_CLOSED", 30*time.Second, nil)
	if a.hasEvent(ma, "CALL_CLOSED") {
		t.Fatal("1001's call closed: the transferee must stay in its call")
	}
	time.Sleep(500 * time.Millisecond)
	afterA, afterC := a.recordMark(), c.recordMark()
	a.waitAudioSince(afterA, 3.5, 30*time.Second)
	c.waitAudioSince(afterC, 3.5, 30*time.Second)
	checkTone(t, "1001 hears 1003 after the transfer", a.audioSince(afterA).tail(3), toneC, toneB, 2)
	checkTone(t, "1003 hears 1001", c.audioSince(afterC).tail(3), toneA, toneB, 2)
	hangup(t, a, c)
}
