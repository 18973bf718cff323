package phone

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"github.com/vaihde/vaihde/shared/tone"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/client/audio/audiotest"
)

// syncBuffer collects a process's output for polling.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// readWAV returns the 16-bit mono samples of a RIFF/WAVE file.
func readWAV(path string) ([]int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%s: not a WAVE file", path)
	}
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		p += 8
		if id == "data" {
			n = min(n, len(b)-p)
			out := make([]int16, n/2)
			for i := range out {
				out[i] = int16(binary.LittleEndian.Uint16(b[p+2*i:]))
			}
			return out, nil
		}
		p += n + n%2
	}
	return nil, fmt.Errorf("%s: no data chunk", path)
}

// TestIntegrationBaresipInterop calls a real third-party softphone (baresip) through the test
// server: baresip auto-answers and plays a 440 Hz file; what it receives from the engine is
// recorded by its sndfile module and checked for the engine's 1000 Hz tone.
func TestIntegrationBaresipInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	for _, bin := range []string{"baresip", "sox"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	srv := newTestServer(t)
	// baresip 1.0 (Debian) fails to register with "Function not implemented" whenever any
	// SHA-256 challenge is present, even after an MD5 one, so this server offers MD5 only.
	srv.algorithms = []string{"MD5"}
	srv.addUser("1001", "a")
	srv.addUser("1002", "b")
	dir := t.TempDir()
	toneWAV := filepath.Join(dir, "tone.wav")
	if out, err := exec.Command("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", toneWAV, "synth", "60", "sine", "440", "vol", "0.5").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v %s", err, out)
	}
	config := strings.Join([]string{
		"poll_method poll", "sip_listen 127.0.0.1:0", "net_interface 127.0.0.1",
		"audio_player aubridge,nothing", "audio_alert aubridge,nothing",
		"audio_source aufile," + toneWAV,
		"module_path /usr/lib/baresip/modules",
		"module stdio.so", "module g711.so", "module aufile.so", "module aubridge.so", "module sndfile.so",
		"module_app account.so", "module_app menu.so",
		"snd_path " + dir, "",
	}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	acc := fmt.Sprintf("<sip:1002@%s>;auth_pass=b;answermode=auto;regint=600\n", srv.addr)
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(acc), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "baresip", "-f", dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_, _ = io.WriteString(stdin, "q\n")
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			if !strings.Contains(out.String(), "received event: '7'") {
				t.Fatal("baresip did not receive the RFC 4733 event for 7")
			}
		}
	}()
	waitFor(t, "baresip registers", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		_, ok := srv.contacts["1002"]
		return ok
	})

	b := &audiotest.Backend{Freq: 1000}
	e := newEngine(t, b)
	login(t, e, srv, "1001", "a")
	id, err := e.Dial(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	waitCall(t, e, id, Active)
	waitTone(t, "engine hears baresip's file", lastSink(t, b), 440)
	if err := e.SendDTMF(id, '7'); err != nil {
		t.Fatal(err)
	}
	// Let baresip record a couple of seconds of the engine's tone, then hang up from baresip's
	// side so that the engine handles a BYE from a third-party stack.
	time.Sleep(2 * time.Second)
	if _, err := io.WriteString(stdin, "b\n"); err != nil {
		t.Fatal(err)
	}
	if c := waitCall(t, e, id, Ended); c.EndReason != "Call ended" {
		t.Fatalf("end reason %q", c.EndReason)
	}
	var rec []int16
	waitFor(t, "baresip's recording of the engine", func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "*dec*.wav"))
		for _, f := range files {
			if s, err := readWAV(f); err == nil && len(s) > audio.SampleRate {
				rec = s
				return true
			}
		}
		return false
	})
	tail := rec[len(rec)-audio.SampleRate:]
	if rms, level := tone.RMS(tail), tone.Level(tail, 1000, audio.SampleRate); rms < 0.1 || level < 0.7*rms {
		t.Fatalf("baresip did not receive the 1000 Hz tone: rms %.3f, 1 kHz %.3f", rms, level)
	}
	if !strings.Contains(out.String(), "received event: '7'") {
		t.Fatal("baresip did not receive the RFC 4733 event for 7")
	}

	// And the other way: baresip calls the engine, the engine answers and hangs up.
	if _, err := io.WriteString(stdin, "/dial sip:1001@"+srv.addr+"\n"); err != nil {
		t.Fatal(err)
	}
	in := waitIncoming(t, e)
	if c, _ := findCall(e, in); c.Remote != "1002" {
		t.Fatalf("incoming from %q, want 1002", c.Remote)
	}
	if err := e.Answer(in); err != nil {
		t.Fatal(err)
	}
	waitCall(t, e, in, Active)
	waitTone(t, "engine hears baresip on the incoming call", lastSink(t, b), 440)
	if err := e.Hangup(in); err != nil {
		t.Fatal(err)
	}
	waitCall(t, e, in, Ended)
	waitFor(t, "baresip sees the BYE", func() bool {
		return strings.Count(out.String(), "terminated")+strings.Count(out.String(), "closed") >= 2
	})
}
