//go:build !race

// Not under -race: gordonklaus/portaudio fails the race detector's checkptr in OpenStream.

package phone

import (
	"context"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/shared/tone"
)

// hears reports whether a 100 ms window of rec carries freq clearly.
func hears(rec []int16, freq float64) (bool, float64) {
	const win = audio.SampleRate / 10
	best := 0.0
	for i := 0; i+win <= len(rec); i += win {
		w := rec[i : i+win]
		l, rms := tone.Level(w, freq, audio.SampleRate), tone.RMS(w)
		best = max(best, l)
		if l > 0.05 && l > 0.7*rms {
			return true, l
		}
	}
	return false, best
}

// TestIntegrationHeadsetUnpluggedMidCall: a call's audio runs through real PortAudio on the
// PulseAudio null sink "headset"; the sink is removed mid-call (pactl unload-module). The call
// stays up, RTP keeps flowing from the Softphone, the far end's 440 Hz moves to the default
// sink within a few seconds, and when a sink called "headset" comes back the audio moves back.
func TestIntegrationHeadsetUnpluggedMidCall(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	pulse := audiotest.StartPulse(t, "headset")
	notices := make(chan audio.Notice, 16)
	sys, err := audio.Open(context.Background(), audio.Options{PollInterval: -1,
		OnNotice: func(n audio.Notice) { notices <- n }})
	if err != nil {
		t.Fatalf("open audio: %v", err)
	}
	defer sys.Close()
	srv := newTestServer(t)
	srv.addUser("1001", "a")
	e, err := New(Config{Audio: sys, ListenAddr: "127.0.0.1:0", MicDevice: "headset", SpeakerDevice: "headset"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	login(t, e, srv, "1001", "a")
	id, err := e.Dial(context.Background(), "7000")
	if err != nil {
		t.Fatal(err)
	}
	waitCall(t, e, id, Active)
	peer := srv.nthPeer(1)
	defer func() { _ = e.Hangup(id) }()

	// waitHeard records sink in 1 s pieces until the far end's 440 Hz is heard there.
	waitHeard := func(sink, when string, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		best := 0.0
		for time.Since(start) < within {
			ok, l := hears(pulse.Record(sink, time.Second), 440)
			if ok {
				took := time.Since(start)
				t.Logf("%s: 440 Hz heard on %s after %v (level %.3f)", when, sink, took.Round(100*time.Millisecond), l)
				return took
			}
			best = max(best, l)
		}
		t.Fatalf("%s: the far end's 440 Hz never reached %s within %v (best level %.3f)", when, sink, within, best)
		return 0
	}
	silent := func(sink, when string) {
		t.Helper()
		if ok, l := hears(pulse.Record(sink, time.Second), 440); ok {
			t.Fatalf("%s: %s still plays the call (440 Hz level %.3f)", when, sink, l)
		}
	}
	received := func() int { return len(peer.sink.Samples()) }

	waitHeard("headset", "call start", 15*time.Second)
	silent("vsink", "call start")

	// Unplug the headset.
	before := received()
	pulse.Unload("headset")
	unplugged := time.Now()
	took := waitHeard("vsink", "headset unplugged", 15*time.Second)
	t.Logf("fallback to the default device heard %v after the unplug (recording in 1 s pieces)", took.Round(100*time.Millisecond))
	if c, ok := findCall(e, id); !ok || c.State != Active {
		t.Fatalf("the call did not survive the unplug: %+v", c)
	}
	// RTP from the Softphone kept flowing: the far end kept receiving audio frames.
	time.Sleep(time.Second)
	if got := received() - before; got < audio.SampleRate*int(time.Since(unplugged)/time.Second)/2 {
		t.Fatalf("the far end received only %d samples in the %v since the unplug", got, time.Since(unplugged).Round(time.Second))
	}
	var plugged time.Time
	wantNotice := func(what string, returned bool) {
		t.Helper()
		select {
		case n := <-notices:
			if n.Returned != returned || n.Requested != "headset" || (n.Err == nil) == !returned {
				t.Fatalf("%s: notice %+v", what, n)
			}
			since := time.Since(unplugged)
			if returned {
				since = time.Since(plugged)
			}
			t.Logf("%s: notice %v after the change: %+v", what, since.Round(100*time.Millisecond), n)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no notice", what)
		}
	}
	// Microphone and speaker both say so.
	wantNotice("headset unplugged", false)
	wantNotice("headset unplugged", false)

	// Plug it back in: the call moves back to the headset.
	pulse.Load("headset")
	plugged = time.Now()
	waitHeard("headset", "headset back", 20*time.Second)
	silent("vsink", "headset back")
	wantNotice("headset back", true)
	wantNotice("headset back", true)
	if c, ok := findCall(e, id); !ok || c.State != Active {
		t.Fatalf("the call did not survive the headset's return: %+v", c)
	}
}
