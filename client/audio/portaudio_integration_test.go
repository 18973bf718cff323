package audio

import (
	"context"
	"errors"
	"fmt"
	"github.com/vaihde/vaihde/shared/tone"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireTool skips the test when a program it needs is missing, or fails it when
// VAIHDE_REQUIRE_PACKAGING=1 (CI installs everything, so a missing tool is a broken set-up).
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
			t.Fatalf("%s is not installed (VAIHDE_REQUIRE_PACKAGING=1)", name)
		}
		t.Skipf("%s is not installed: skipping the real-device test", name)
	}
}

// startPulse runs a private PulseAudio with a null sink whose monitor is the default source, so
// what is played comes back as what is recorded. It is killed when the test ends.
func startPulse(t *testing.T) { startPulseSinks(t) }

// startPulseSinks is startPulse with further null sinks, each reachable from PortAudio as an
// ALSA device of the same name (a "pulse" PCM with that sink in ~/.asoundrc), the way a
// headset and a speaker are two devices.
func startPulseSinks(t *testing.T, sinks ...string) {
	t.Helper()
	if raceEnabled {
		t.Skip("PortAudio's Go binding fails checkptr under -race; run this test without -race")
	}
	requireTool(t, "pulseaudio")
	requireTool(t, "pactl")
	dir, err := os.MkdirTemp("", "pulse")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", dir)
	t.Setenv("HOME", dir) // keep its cookie and state out of the real home
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(dir, "pulse", "native"))
	var asoundrc strings.Builder
	for _, name := range sinks {
		fmt.Fprintf(&asoundrc, "pcm.%s {\n  type pulse\n  device %s\n}\n", name, name)
	}
	if err := os.WriteFile(filepath.Join(dir, ".asoundrc"), []byte(asoundrc.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
		"--load=module-native-protocol-unix", "--load=module-null-sink sink_name=vsink rate=48000")
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		t.Skipf("PulseAudio did not start (%v): skipping the real-device test", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if exec.Command("pactl", "info").Run() == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Skip("PulseAudio is not running (pactl info failed): skipping the real-device test")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, name := range sinks {
		if out, err := exec.Command("pactl", "load-module", "module-null-sink", "sink_name="+name, "rate=48000").CombinedOutput(); err != nil {
			t.Fatalf("pactl load-module module-null-sink %s: %v %s", name, err, out)
		}
	}
	for _, args := range [][]string{{"set-default-sink", "vsink"}, {"set-default-source", "vsink.monitor"}} {
		if out, err := exec.Command("pactl", args...).CombinedOutput(); err != nil {
			t.Fatalf("pactl %v: %v %s", args, err, out)
		}
	}
}

func TestIntegrationLoopbackThroughPulse(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	startPulse(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	notices := make(chan Notice, 4)
	sys, err := Open(ctx, Options{PollInterval: -1, OnNotice: func(n Notice) { notices <- n }})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer sys.Close()
	devs, err := sys.Devices()
	if err != nil || len(devs) == 0 {
		t.Fatalf("devices: %v %v", devs, err)
	}
	var names []string
	for _, d := range devs {
		names = append(names, d.Name)
	}
	t.Logf("devices: %s", strings.Join(names, ", "))

	src, err := sys.OpenSource("")
	if err != nil {
		t.Fatalf("open source: %v", err)
	}
	defer src.Close()
	sink, err := sys.OpenSink("")
	if err != nil {
		t.Fatalf("open sink: %v", err)
	}
	defer sink.Close()

	// A refresh while streams are open must be deferred, not break them.
	if done, err := sys.Refresh(); done || err != nil {
		t.Fatalf("refresh with open streams: done=%v err=%v, want deferred", done, err)
	}

	gen := NewToneGenerator(Tone{Freq: 1000, On: time.Hour}, 0.7)
	stop := make(chan struct{})
	played := make(chan struct{})
	go func() {
		defer close(played)
		frame := make([]int16, FrameSamples)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				gen.Next(frame)
				_ = sink.Write(frame)
			}
		}
	}()
	defer func() { close(stop); <-played }()

	expectTone(t, src, "first open")

	// Simulate an unplugged headset: both streams move to the default device and say so.
	src.(*stream).moveToDefault(errStalled)
	sink.(*stream).moveToDefault(errStalled)
	for range 2 {
		select {
		case n := <-notices:
			if !errors.Is(n.Err, errStalled) {
				t.Fatalf("notice %+v", n)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no notice about the lost device")
		}
	}
	expectTone(t, src, "after moving to the default device")
}

// expectTone records from src until a 1 kHz tone clearly dominates, or fails.
func expectTone(t *testing.T, src Source, when string) {
	t.Helper()
	frame := make([]int16, FrameSamples)
	var rec []int16
	deadline := time.Now().Add(20 * time.Second)
	best := 0.0
	for time.Now().Before(deadline) {
		if err := src.Read(frame); err != nil {
			t.Fatalf("read: %v", err)
		}
		rec = append(rec, frame...)
		if len(rec) >= SampleRate/2 { // judge every half second of recording
			rms, tone := tone.RMS(rec), tone.Level(rec, 1000, SampleRate)
			best = max(best, tone)
			if rms > 0.1 && tone > 0.8*rms {
				t.Logf("%s: recorded 1 kHz tone: rms %.3f, 1 kHz component %.3f", when, rms, tone)
				return
			}
			rec = rec[:0]
		}
	}
	t.Fatalf("%s: no 1 kHz tone came back (best 1 kHz component %.3f)", when, best)
}

func TestIntegrationUnknownDeviceFallsBack(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	startPulse(t)
	notices := make(chan Notice, 1)
	sys, err := Open(context.Background(), Options{PollInterval: -1, OnNotice: func(n Notice) { notices <- n }})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer sys.Close()
	sink, err := sys.OpenSink("Unplugged USB Headset")
	if err != nil {
		t.Fatalf("a missing device must fall back to the default, got %v", err)
	}
	sink.Close()
	select {
	case n := <-notices:
		if n.Requested != "Unplugged USB Headset" || n.Err == nil {
			t.Fatalf("notice %+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notice about the fallback")
	}
	// With no stream open a refresh runs at once.
	if done, err := sys.Refresh(); !done || err != nil {
		t.Fatalf("refresh: done=%v err=%v", done, err)
	}
}

func TestIntegrationCloseWithOpenStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	startPulse(t)
	sys, err := Open(context.Background(), Options{PollInterval: -1})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	sink, err := sys.OpenSink("")
	if err != nil {
		t.Fatal(err)
	}
	src, err := sys.OpenSource("")
	if err != nil {
		t.Fatal(err)
	}
	if err := sys.Close(); err != nil {
		t.Fatal(err)
	}
	// Streams closed by the system fail cleanly afterwards instead of touching PortAudio.
	if err := sink.Write(make([]int16, FrameSamples)); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after system close: %v", err)
	}
	if err := src.Read(make([]int16, FrameSamples)); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after system close: %v", err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.OpenSink(""); !errors.Is(err, ErrClosed) {
		t.Fatalf("open after close: %v", err)
	}
}

// TestIntegrationWatchdogThroughPulse checks the stall watchdog on real PulseAudio streams:
// healthy streams survive their start-up (Pulse delivers no callback for up to ~2 s after the
// start, which was taken for an unplugged device on every call), and a stream whose callbacks
// stop for good (an unplugged device) moves to the default device and says so.
func TestIntegrationWatchdogThroughPulse(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	startPulse(t)
	notices := make(chan Notice, 4)
	sys, err := Open(context.Background(), Options{PollInterval: -1, OnNotice: func(n Notice) { notices <- n }})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer sys.Close()
	src, err := sys.OpenSource("")
	if err != nil {
		t.Fatalf("open source: %v", err)
	}
	defer src.Close()
	sink, err := sys.OpenSink("")
	if err != nil {
		t.Fatalf("open sink: %v", err)
	}
	defer sink.Close()

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the call's playback loop
		defer close(done)
		gen := NewToneGenerator(Tone{Freq: 1000, On: time.Hour}, 0.7)
		frame := make([]int16, FrameSamples)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			gen.Next(frame)
			if sink.Write(frame) != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()

	// Healthy start-up: read for 4 s (past the old 1.5 s verdict and Pulse's start-up gap).
	frame := make([]int16, FrameSamples)
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); {
		if err := src.Read(frame); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	select {
	case n := <-notices:
		t.Fatalf("a healthy device was declared lost: %+v", n)
	default:
	}
	expectTone(t, src, "healthy streams")

	// Unplug the speaker: its callbacks stop for good. The writer must notice and move.
	ss := sink.(*stream)
	ss.mu.Lock()
	pa := ss.pa
	ss.mu.Unlock()
	if err := pa.Stop(); err != nil {
		t.Fatalf("stop the speaker's PortAudio stream: %v", err)
	}
	select {
	case n := <-notices:
		if !errors.Is(n.Err, errStalled) || n.Used == "" {
			t.Fatalf("notice %+v, want a move to the default device after errStalled", n)
		}
	case <-time.After(startTimeout + stallAfter + 10*time.Second):
		t.Fatal("a speaker whose callbacks stopped was not moved to the default device")
	}
	select {
	case n := <-notices:
		t.Fatalf("the healthy microphone was declared lost too: %+v", n)
	default:
	}
	expectTone(t, src, "after the speaker moved to the default device")
}
