package audiotest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Pulse is a private PulseAudio server for a test, with null sinks standing in for devices.
// Each named sink is also an ALSA device of the same name for PortAudio (~/.asoundrc): its
// speaker plays into the sink and its microphone records the sink's monitor, like a headset
// whose microphone hears what it plays. The default sink and source are "vsink".
type Pulse struct {
	t       testing.TB
	modules map[string]string // sink name → module index
}

// RequireTool skips the test when a program it needs is missing, or fails it when
// VAIHDE_REQUIRE_PACKAGING=1 (CI installs everything, so a missing tool is a broken set-up).
func RequireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
			t.Fatalf("%s is not installed (VAIHDE_REQUIRE_PACKAGING=1)", name)
		}
		t.Skipf("%s is not installed: skipping the real-device test", name)
	}
}

// StartPulse starts PulseAudio with the sinks; it is killed when the test ends. It sets
// XDG_RUNTIME_DIR, HOME and PULSE_SERVER for the test (so not for parallel tests).
func StartPulse(t *testing.T, sinks ...string) *Pulse {
	t.Helper()
	for _, tool := range []string{"pulseaudio", "pactl", "parec"} {
		RequireTool(t, tool)
	}
	dir, err := os.MkdirTemp("", "pulse")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", dir)
	t.Setenv("HOME", dir) // the cookie, state and .asoundrc stay out of the real home
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(dir, "pulse", "native"))
	var rc strings.Builder
	for _, name := range sinks {
		fmt.Fprintf(&rc, "pcm.%[1]s {\n  type asym\n  playback.pcm { type pulse device %[1]s }\n  capture.pcm { type pulse device %[1]s.monitor }\n}\n", name)
	}
	if err := os.WriteFile(filepath.Join(dir, ".asoundrc"), []byte(rc.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
		"--load=module-native-protocol-unix", "--load=module-null-sink sink_name=vsink rate=48000")
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start PulseAudio: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	})
	deadline := time.Now().Add(15 * time.Second)
	for exec.Command("pactl", "info").Run() != nil {
		if time.Now().After(deadline) {
			t.Fatal("PulseAudio is not answering (pactl info)")
		}
		time.Sleep(100 * time.Millisecond)
	}
	p := &Pulse{t: t, modules: map[string]string{}}
	for _, s := range sinks {
		p.Load(s)
	}
	p.pactl("set-default-sink", "vsink")
	p.pactl("set-default-source", "vsink.monitor")
	return p
}

func (p *Pulse) pactl(args ...string) string {
	p.t.Helper()
	out, err := exec.Command("pactl", args...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("pactl %s: %v %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Load adds the null sink name (a device plugged in).
func (p *Pulse) Load(name string) {
	p.t.Helper()
	p.modules[name] = p.pactl("load-module", "module-null-sink", "sink_name="+name, "rate=48000")
}

// Unload removes the null sink name (a device unplugged).
func (p *Pulse) Unload(name string) {
	p.t.Helper()
	p.pactl("unload-module", p.modules[name])
	delete(p.modules, name)
}

// Record records sink's monitor for d with PulseAudio's own client, as 8 kHz mono samples:
// what a listener at that device hears.
func (p *Pulse) Record(sink string, d time.Duration) []int16 {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, "parec", "-d", sink+".monitor", "--raw", "--format=s16le",
		"--rate=8000", "--channels=1", "--latency-msec=20")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		p.t.Errorf("parec %s: %v", sink, err)
		return nil
	}
	_ = cmd.Wait() // killed at the deadline: that is how it stops
	samples := make([]int16, out.Len()/2)
	_ = binary.Read(bytes.NewReader(out.Bytes()[:len(samples)*2]), binary.LittleEndian, samples)
	return samples
}
