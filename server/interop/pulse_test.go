package interop

import (
	"encoding/binary"
	"github.com/vaihde/vaihde/shared/tone"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// pulseBox is a private PulseAudio daemon for tests that need to hear what a client plays (not
// what its decoder produced): each client plays to its own null sink, whose monitor is recorded.
// baresip 1.0's sndfile recorder stops for good after a hold re-INVITE, while its playback goes
// on, so hold/resume is checked through PulseAudio.
type pulseBox struct {
	dir string
}

// startPulseBox starts PulseAudio in a fresh, short XDG_RUNTIME_DIR (the socket path must fit a
// sockaddr_un) and points this process and its children at it through PULSE_SERVER.
func startPulseBox(t *testing.T) *pulseBox {
	t.Helper()
	dir, err := os.MkdirTemp("", "vpa")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	t.Setenv("XDG_RUNTIME_DIR", dir)
	t.Setenv("HOME", dir)
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(dir, "pulse", "native"))
	p := startProc(t, "pulseaudio", dir, nil, "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
		"--log-target=stderr", "--load=module-native-protocol-unix")
	// Runs before startProc's cleanup (LIFO): ask politely, then the process group is killed.
	t.Cleanup(func() {
		cmd := exec.Command("pulseaudio", "--kill")
		cmd.Env = os.Environ()
		_ = cmd.Run()
	})
	if !pollUntil(20*time.Second, func() bool {
		return !p.exited() && exec.Command("pactl", "info").Run() == nil
	}) {
		t.Fatalf("PulseAudio did not come up (exited: %v)", p.exited())
	}
	return &pulseBox{dir: dir}
}

// addSink creates an 8 kHz mono null sink; what is played to it can be recorded from
// name+".monitor".
func (pb *pulseBox) addSink(t *testing.T, name string) {
	t.Helper()
	pb.loadSink(t, name, "rate=8000", "channels=1")
}

// loadSink creates a null sink with the given module arguments.
func (pb *pulseBox) loadSink(t *testing.T, name string, args ...string) {
	t.Helper()
	cmdArgs := append([]string{"load-module", "module-null-sink", "sink_name=" + name}, args...)
	if out, err := exec.Command("pactl", cmdArgs...).CombinedOutput(); err != nil {
		t.Fatalf("pactl load-module module-null-sink %s: %v %s", name, err, out)
	}
}

// rawRec records a PulseAudio source as raw 8 kHz mono 16-bit samples until the test ends.
type rawRec struct {
	*proc
	path string
}

func (pb *pulseBox) record(t *testing.T, source string) *rawRec {
	t.Helper()
	path := filepath.Join(pb.dir, "rec-"+source+".raw")
	p := startProc(t, "pacat-rec-"+source, pb.dir, nil, "pacat", "--record", "--device="+source,
		"--raw", "--format=s16le", "--rate=8000", "--channels=1", "--latency-msec=60", path)
	r := &rawRec{proc: p, path: path}
	if !pollUntil(20*time.Second, func() bool { return r.samples() > 0 || p.exited() }) || p.exited() {
		t.Fatalf("recording %s did not start", source)
	}
	return r
}

func (r *rawRec) samples() int {
	st, err := os.Stat(r.path)
	if err != nil {
		return 0
	}
	return int(st.Size() / 2)
}

// since returns what was recorded after the sample offset mark.
func (r *rawRec) since(t *testing.T, mark int) pcm {
	t.Helper()
	b, err := os.ReadFile(r.path)
	if err != nil {
		t.Fatalf("read recording: %v", err)
	}
	n := len(b) / 2
	p := pcm{rate: 8000, samples: make([]float64, 0, max(0, n-mark))}
	for i := mark; i < n; i++ {
		p.samples = append(p.samples, float64(int16(binary.LittleEndian.Uint16(b[2*i:])))/32768)
	}
	return p
}

// toneFrames classifies p's 100 ms frames: true where the frame is voiced and carries mostly freq.
func toneFrames(p pcm, freq float64) []bool {
	frame := p.rate / 10
	var out []bool
	for off := 0; off+frame <= len(p.samples); off += frame {
		f := p.samples[off : off+frame]
		out = append(out, rms(f) >= voicedRMS && tone.WindowedShare(f, freq, p.rate) >= 0.6)
	}
	return out
}

func TestHasWindow(t *testing.T) {
	mk := func(pattern string) []bool {
		var f []bool
		for _, c := range pattern {
			f = append(f, c == '1')
		}
		return f
	}
	for _, tc := range []struct {
		frames string
		want   bool
	}{
		{"0011111111110000", true},
		{"0011110111110000", true},
		{"0011011011010000", false},
		{"111111111", false}, // shorter than the window
		{"", false},
	} {
		if got := hasWindow(mk(tc.frames), 10); got != tc.want {
			t.Errorf("hasWindow(%q, 10) = %v, want %v", tc.frames, got, tc.want)
		}
	}
}
