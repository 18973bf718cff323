package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/vaihde/vaihde/shared/tone"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestIntegrationIncomingCallRingsOnRingDevice runs the real Softphone binary under Xvfb with
// PulseAudio (a null sink as its only sound device) against the real server in demo mode. A
// baresip peer calls the Softphone: the ring tone (425 Hz) must come out of the sound device
// while the call rings, and stop when the caller hangs up. Then the Softphone calls baresip
// (auto-answer) with -dial and must hold an answered call when its screenshot is taken.
func TestIntegrationIncomingCallRingsOnRingDevice(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	for _, tool := range []string{"Xvfb", "pulseaudio", "parec", "baresip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	root := moduleRoot(t)
	bin := t.TempDir()
	build(t, root, filepath.Join(bin, "vaihde"), "./server/cmd/vaihde")
	build(t, root, filepath.Join(bin, "softphone"), "./client/cmd/softphone")

	// PulseAudio with a null sink; what is played there is recorded from its monitor.
	run := t.TempDir()
	if err := os.Chmod(run, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "XDG_RUNTIME_DIR="+run, "PULSE_SERVER=unix:"+run+"/pulse/native", "LANG=en_US.UTF-8")
	startProc(t, "pulseaudio", env, "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
		"--load=module-native-protocol-unix", "--load=module-null-sink sink_name=vsink rate=48000")
	waitFor(t, 20*time.Second, "pulseaudio socket", func() bool { _, err := os.Stat(run + "/pulse/native"); return err == nil })
	for _, args := range [][]string{{"set-default-sink", "vsink"}, {"set-default-source", "vsink.monitor"}} {
		cmd := exec.Command("pactl", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pactl %v: %v %s", args, err, out)
		}
	}

	disp := freeDisplay(t)
	startProc(t, "xvfb", env, "Xvfb", ":"+disp, "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	waitFor(t, 20*time.Second, "Xvfb", func() bool { _, err := os.Stat("/tmp/.X11-unix/X" + disp); return err == nil })
	env = append(env, "DISPLAY=:"+disp, "FYNE_THEME=light")

	sipPort, httpPort, tlsPort := freePort(t), freePort(t), freePort(t)
	rtp := 30000 + (sipPort%1000)*20
	srv := startProc(t, "vaihde", env, filepath.Join(bin, "vaihde"), "-demo", "-db", filepath.Join(t.TempDir(), "v.db"),
		"-sip-addr", "127.0.0.1:"+strconv.Itoa(sipPort), "-tls-addr", "127.0.0.1:"+strconv.Itoa(tlsPort),
		"-http-addr", "127.0.0.1:"+strconv.Itoa(httpPort), "-https-addr", "",
		"-rtp-port-min", strconv.Itoa(rtp), "-rtp-port-max", strconv.Itoa(rtp+9))
	waitFor(t, 30*time.Second, "server ready", func() bool { return strings.Contains(srv.output(), "vaihde ready") })

	// baresip as 1002 with a control socket; auto-answer so that the second half can call it.
	bdir := t.TempDir()
	ctrlPort := freePort(t)
	cfg := strings.Join([]string{
		"poll_method epoll",
		"sip_listen 127.0.0.1:" + strconv.Itoa(freePort(t)),
		"net_interface 127.0.0.1",
		"audio_player aufile," + filepath.Join(bdir, "heard.wav"),
		"audio_alert aufile," + filepath.Join(bdir, "alert.wav"),
		"audio_source aufile," + filepath.Join(bdir, "tone.wav"),
		"audio_level no",
		"rtp_ports " + strconv.Itoa(rtp+10) + "-" + strconv.Itoa(rtp+19),
		"module_path /usr/lib/baresip/modules",
		"module g711.so", "module aufile.so",
		"module_tmp uuid.so", "module_tmp account.so",
		"module_app menu.so", "module_app ctrl_tcp.so",
		"ctrl_tcp_listen 127.0.0.1:" + strconv.Itoa(ctrlPort), "",
	}, "\n")
	writeTone(t, filepath.Join(bdir, "tone.wav"), 1000, 30)
	mustWrite(t, filepath.Join(bdir, "config"), cfg)
	mustWrite(t, filepath.Join(bdir, "accounts"), fmt.Sprintf(
		"<sip:1002@demo.vaihde.local>;outbound=\"sip:127.0.0.1:%d;lr\";auth_user=1002;auth_pass=demo1002;regint=300;answermode=auto\n", sipPort))
	mustWrite(t, filepath.Join(bdir, "contacts"), "")
	bs := startProc(t, "baresip", env, "baresip", "-f", bdir)
	waitFor(t, 30*time.Second, "baresip registered", func() bool { return strings.Contains(bs.output(), "200 OK") })

	account := []string{"-server", "127.0.0.1:" + strconv.Itoa(sipPort), "-api", "http://127.0.0.1:" + strconv.Itoa(httpPort),
		"-user", "1001", "-password", "demo1001"}

	// 1. Incoming call: the Softphone rings on its ringing device.
	cfgDir := t.TempDir()
	sp := startProc(t, "softphone", env, filepath.Join(bin, "softphone"),
		append([]string{"-config-dir", cfgDir, "-no-keychain", "-screenshot", filepath.Join(t.TempDir(), "x.png"), "-screenshot-after", "60s"}, account...)...)
	waitFor(t, 30*time.Second, "softphone registered", func() bool { return strings.Contains(sp.output(), "state=Registered") })
	baresipCommand(t, ctrlPort, "dial", "sip:1001@demo.vaihde.local")
	waitFor(t, 20*time.Second, "incoming call", func() bool { return strings.Contains(sp.output(), "incoming call") })
	// The cadence is 1 s on, 4 s off: 6 s hold at least one burst whatever the start-up delay.
	// Look at 100 ms blocks: the loud ones must be 425 Hz.
	rec := record(t, env, 6*time.Second, 16000)
	loud, tonal := 0, 0
	for i := 0; i+800 <= len(rec); i += 800 {
		b := rec[i : i+800]
		if l := tone.RMS(b); l > 0.01 {
			loud++
			if tone.Level(b, 425, 8000) > 0.7*l && tone.Level(b, 1000, 8000) < 0.1*l {
				tonal++
			}
		}
	}
	t.Logf("while ringing: %d loud blocks of 100 ms, %d of them 425 Hz", loud, tonal)
	if loud < 5 || tonal < loud*8/10 {
		t.Fatalf("no 425 Hz ring tone on the sound device: %d loud blocks, %d at 425 Hz", loud, tonal)
	}
	// The settings file remembers the login, readable only by the user.
	if fi, err := os.Stat(filepath.Join(cfgDir, "softphone.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("settings file: %v %v", fi, err)
	}

	baresipCommand(t, ctrlPort, "hangup", "")
	waitFor(t, 20*time.Second, "call ended", func() bool { return strings.Contains(sp.output(), "call ended") })
	time.Sleep(500 * time.Millisecond)
	// A whole cadence (5 s) must be silent. A silent, idle sink may deliver few samples; a
	// ringing one would deliver all of them.
	if quiet := tone.RMS(record(t, env, 5500*time.Millisecond, 0)); quiet > 0.005 {
		t.Fatalf("still ringing after the caller hung up: RMS %.3f", quiet)
	}
	sp.stop()

	// 2. Outgoing call with -dial: answered when the screenshot is taken.
	shot := filepath.Join(t.TempDir(), "call.png")
	sp2 := startProc(t, "softphone-dial", env, filepath.Join(bin, "softphone"),
		append([]string{"-config-dir", t.TempDir(), "-no-keychain", "-no-audio", "-screenshot", shot, "-screenshot-after", "8s", "-dial", "1002"}, account...)...)
	waitFor(t, 60*time.Second, "screenshot", func() bool { return strings.Contains(sp2.output(), "screenshot taken") })
	if !strings.Contains(sp2.output(), "active=1") {
		t.Fatalf("no answered call at the screenshot:\n%s", sp2.output())
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 1000 {
		t.Fatalf("screenshot %v %v", fi, err)
	}
}

// record captures d of the null sink's monitor as 8 kHz mono samples; at least minSamples must
// arrive (an idle null sink may deliver less than d).
func record(t *testing.T, env []string, d time.Duration, minSamples int) []int16 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, "parec", "--device=vsink.monitor", "--format=s16le", "--rate=8000", "--channels=1", "--raw")
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	_ = cmd.Run() // ends by the deadline
	raw := out.Bytes()
	s := make([]int16, len(raw)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	if len(s) < minSamples {
		t.Fatalf("recorded only %d samples", len(s))
	}
	return s
}

func baresipCommand(t *testing.T, port int, cmd, params string) {
	t.Helper()
	msg, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": "t"})
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		t.Fatalf("baresip control: %v", err)
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "%d:%s,", len(msg), msg); err != nil {
		t.Fatalf("baresip %s: %v", cmd, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	_, _ = c.Read(buf) // the response; its content is not needed
}

type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// stop ends the process group (SIGTERM, then SIGKILL) and waits for it.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func startProc(t *testing.T, label string, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", label, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			out := p.output()
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			t.Logf("---- %s ----\n%s", label, out)
		}
	})
	return p
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func build(t *testing.T, root, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// freePort returns a port free on 127.0.0.1 for both UDP and TCP.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
		u.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func freeDisplay(t *testing.T) string {
	t.Helper()
	for d := 200; d < 400; d++ {
		s := strconv.Itoa(d)
		if _, err := os.Stat("/tmp/.X" + s + "-lock"); os.IsNotExist(err) {
			if _, err := os.Stat("/tmp/.X11-unix/X" + s); os.IsNotExist(err) {
				return s
			}
		}
	}
	t.Fatal("no free X display")
	return ""
}

func mustWrite(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeTone writes a mono 8 kHz 16-bit WAV of a sine at freq Hz.
func writeTone(t *testing.T, path string, freq float64, seconds int) {
	t.Helper()
	const rate = 8000
	n := rate * seconds
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(&b, le, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, le, uint32(2*n))
	samples := make([]int16, n)
	for i := range samples {
		samples[i] = int16(0.3 * 32767 * math.Sin(2*math.Pi*freq*float64(i)/rate))
	}
	_ = binary.Write(&b, le, samples)
	mustWrite(t, path, b.String())
}
