package audio_test

import (
	"github.com/vaihde/vaihde/shared/tone"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/client/audio/audiotest"
)

func TestRingerPlaysOnItsOwnDevice(t *testing.T) {
	b := &audiotest.Backend{}
	r := audio.NewRinger(b, nil)
	r.SetVolume(1)
	r.Ring("Speakers")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s := b.Sinks("Speakers"); len(s) == 1 && len(s[0].Samples()) >= 4000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ring tone not played on the ring device")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !r.Ringing() {
		t.Fatal("Ringing() false while ringing")
	}
	r.Stop()
	if r.Ringing() {
		t.Fatal("still ringing after Stop")
	}
	got := b.Sinks("Speakers")[0].Samples()[:4000]
	if tone := tone.Level(got, 425, audio.SampleRate); tone < 0.3 {
		t.Fatalf("425 Hz component %.3f", tone)
	}
	if len(b.Sinks("")) != 0 {
		t.Fatal("ringer touched the default (headset) device")
	}

	// The call-waiting beep ends by itself.
	r.Beep("Headset")
	deadline = time.Now().Add(10 * time.Second)
	for r.Ringing() {
		if time.Now().After(deadline) {
			t.Fatal("beep never ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(b.Sinks("Headset")[0].Samples()); n < 4000 || n > 6000 {
		t.Fatalf("beep wrote %d samples, want about 0.6 s", n)
	}
}

// TestRingerRingsOnEveryDevice: the speaker and the headset ring at once, a repeated name
// rings once, and Stop silences all of them.
func TestRingerRingsOnEveryDevice(t *testing.T) {
	b := &audiotest.Backend{}
	r := audio.NewRinger(b, nil)
	r.SetVolume(1)
	r.Ring("Speakers", "Headset", "Speakers")
	deadline := time.Now().Add(10 * time.Second)
	for {
		sp, hs := b.Sinks("Speakers"), b.Sinks("Headset")
		if len(sp) == 1 && len(hs) == 1 && len(sp[0].Samples()) >= 4000 && len(hs[0].Samples()) >= 4000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ring tone not played on both devices: speakers %d sinks, headset %d sinks", len(sp), len(hs))
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Stop()
	if r.Ringing() {
		t.Fatal("still ringing after Stop")
	}
	for _, dev := range []string{"Speakers", "Headset"} {
		s := b.Sinks(dev)[0]
		if lvl := tone.Level(s.Samples()[:4000], 425, audio.SampleRate); lvl < 0.3 {
			t.Fatalf("%s: 425 Hz component %.3f", dev, lvl)
		}
		n := len(s.Samples())
		time.Sleep(100 * time.Millisecond)
		if len(s.Samples()) != n {
			t.Fatalf("%s still written after Stop", dev)
		}
	}
	if len(b.Sinks("")) != 0 {
		t.Fatal("ringer touched the default device")
	}
}
