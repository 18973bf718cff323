package audio

import (
	"bytes"
	"context"
	"encoding/binary"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/tone"
)

// recordMonitor records sink's monitor through PulseAudio's own client (parec) for d, as 8 kHz
// mono samples: what a listener at that device would hear.
func recordMonitor(t *testing.T, sink string, d time.Duration) []int16 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, "parec", "-d", sink+".monitor", "--raw", "--format=s16le",
		"--rate=8000", "--channels=1", "--latency-msec=20")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("parec %s: %v", sink, err)
	}
	_ = cmd.Wait() // killed at the deadline: that is how it stops
	samples := make([]int16, out.Len()/2)
	_ = binary.Read(bytes.NewReader(out.Bytes()[:len(samples)*2]), binary.LittleEndian, samples)
	return samples
}

// ringHeard reports the strongest 425 Hz level over 100 ms windows of rec.
func ringHeard(rec []int16) (level, rms float64) {
	const win = SampleRate / 10
	for i := 0; i+win <= len(rec); i += win {
		w := rec[i : i+win]
		if l := tone.Level(w, 425, SampleRate); l > level {
			level, rms = l, tone.RMS(w)
		}
	}
	return level, rms
}

// TestIntegrationRingOnTwoDevices rings on two real PulseAudio null sinks at once, "speaker"
// and "headset", opened by name through PortAudio's ALSA devices; parec on each sink's monitor
// must hear the 425 Hz ring tone, the default sink must hear nothing, and after Stop neither
// sink hears it any more.
func TestIntegrationRingOnTwoDevices(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	requireTool(t, "parec")
	startPulseSinks(t, "speaker", "headset")
	notices := make(chan Notice, 4)
	sys, err := Open(context.Background(), Options{PollInterval: -1, OnNotice: func(n Notice) { notices <- n }})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer sys.Close()
	devs, _ := sys.Devices()
	var names []string
	for _, d := range devs {
		names = append(names, d.Name)
	}
	if !slices.Contains(names, "speaker") || !slices.Contains(names, "headset") {
		t.Fatalf("PortAudio does not list the speaker and headset devices: %q", names)
	}
	r := NewRinger(sys, nil)
	r.SetVolume(0.8)
	// A fresh Pulse stream is silent for up to ~2 s after it starts (see the watchdog), and
	// the ring cadence is 1 s on, 4 s off: a fast cadence keeps the recording short.
	r.PlayOn([]string{"speaker", "headset"}, Tone{Freq: 425, On: 400 * time.Millisecond, Off: 100 * time.Millisecond})
	type result struct {
		sink       string
		level, rms float64
	}
	results := make(chan result, 3)
	for _, sink := range []string{"speaker", "headset", "vsink"} {
		go func() {
			l, rms := ringHeard(recordMonitor(t, sink, 5*time.Second))
			results <- result{sink, l, rms}
		}()
	}
	got := map[string]result{}
	for range 3 {
		res := <-results
		got[res.sink] = res
		t.Logf("%s: strongest 425 Hz level %.3f (rms %.3f)", res.sink, res.level, res.rms)
	}
	for _, sink := range []string{"speaker", "headset"} {
		if res := got[sink]; res.level < 0.1 || res.level < 0.7*res.rms {
			t.Errorf("%s did not ring: 425 Hz level %.3f, rms %.3f", sink, res.level, res.rms)
		}
	}
	if res := got["vsink"]; res.level > 0.01 {
		t.Errorf("the default device rang too: 425 Hz level %.3f", res.level)
	}
	select {
	case n := <-notices:
		t.Errorf("a ring device fell back: %+v", n)
	default:
	}
	r.Stop()
	if r.Ringing() {
		t.Fatal("still ringing after Stop")
	}
	for _, sink := range []string{"speaker", "headset"} {
		if l, _ := ringHeard(recordMonitor(t, sink, time.Second)); l > 0.01 {
			t.Errorf("%s still rings after Stop: 425 Hz level %.3f", sink, l)
		}
	}
}
