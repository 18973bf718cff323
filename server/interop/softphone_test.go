//go:build cgo

package interop

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

// The Softphone's microphone tone on the first and on the second call, and baresip's tone.
const (
	spMicTone1   = toneB // 1000 Hz
	spMicTone2   = toneC // 700 Hz: a fresh tone shows the second call carries live audio
	spBaresipTon = toneA // 440 Hz
)

// TestIntegrationSoftphoneBaresipAudio runs the real Softphone engine (client/phone with the
// PortAudio backend of client/audio, headless) against the real server and a baresip user:
// PortAudio talks to a private PulseAudio whose null sink "spk" is the Softphone's speaker and
// whose sink "mic" is played into so that its monitor is the Softphone's microphone. The Softphone
// calls baresip and then baresip calls the Softphone; each time the tones are checked by frequency
// at both receivers, and afterwards both users' call logs hold both answered calls.
func TestIntegrationSoftphoneBaresipAudio(t *testing.T) {
	integration(t, "baresip", "pulseaudio", "pactl", "pacat")
	if raceBuild() {
		t.Skip("PortAudio's Go binding fails checkptr under -race; run this test without -race")
	}
	pulse := startSoftphonePulse(t)
	srv := startVaihde(t)
	bare := registered(t, srv, "1002", spBaresipTon, true, "")

	sp := startSoftphone(t, srv, "1001", "demo1001")
	spk := pulse.record(t, "spk.monitor")

	// Call 1: the Softphone calls baresip, which answers automatically.
	mic := pulse.play(t, "mic", spMicTone1)
	mb := bare.mark()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	out, err := sp.e.Dial(ctx, "1002")
	cancel()
	if err != nil {
		t.Fatalf("Softphone dialling 1002: %v", err)
	}
	bare.waitEvent(mb, "CALL_ESTABLISHED", 30*time.Second, nil)
	sp.waitCall(t, out, phone.Active, 30*time.Second)
	sp.checkCall(t, out, phone.Outgoing, "1002")
	talk(t, bare, spk, spMicTone1)
	mb = bare.mark()
	if err := sp.e.Hangup(out); err != nil {
		t.Fatalf("Softphone hangup: %v", err)
	}
	bare.waitEvent(mb, "CALL_CLOSED", 20*time.Second, nil)
	if c := sp.waitCall(t, out, phone.Ended, 20*time.Second); c.EndReason == "" {
		t.Errorf("ended outgoing call has no end reason: %+v", c)
	}
	mic.stop()

	// Call 2: baresip calls the Softphone, which answers; baresip hangs up.
	mic = pulse.play(t, "mic", spMicTone2)
	mb = bare.mark()
	bare.cmd("dial", srv.uri("1001"))
	in := sp.waitIncoming(t, out, 30*time.Second)
	sp.checkCall(t, in, phone.IncomingCall, "1002")
	if err := sp.e.Answer(in); err != nil {
		t.Fatalf("Softphone answer: %v", err)
	}
	sp.waitCall(t, in, phone.Active, 30*time.Second)
	bare.waitEvent(mb, "CALL_ESTABLISHED", 30*time.Second, nil)
	talk(t, bare, spk, spMicTone2)
	mb = bare.mark()
	bare.cmd("hangup", "")
	bare.waitEvent(mb, "CALL_CLOSED", 20*time.Second, nil)
	if c := sp.waitCall(t, in, phone.Ended, 20*time.Second); c.EndReason == "" {
		t.Errorf("ended incoming call has no end reason: %+v", c)
	}
	mic.stop()

	// Both calls are in both call logs, answered, with the right directions.
	want1001 := []wantEntry{{"out", "1002"}, {"in", "1002"}}
	want1002 := []wantEntry{{"in", "1001"}, {"out", "1001"}}
	waitCallLog(t, "1001's log through the Softphone", want1001, func(ctx context.Context) ([]api.CallEntry, error) {
		return sp.e.CallLog(ctx, 20)
	})
	waitCallLog(t, "1001's log through the API", want1001, func(ctx context.Context) ([]api.CallEntry, error) {
		return apiCallLog(ctx, srv, "1001", "demo1001")
	})
	waitCallLog(t, "1002's log through the API", want1002, func(ctx context.Context) ([]api.CallEntry, error) {
		return apiCallLog(ctx, srv, "1002", "demo1002")
	})
}

// talk checks both directions of a call both sides report established: baresip hears the
// Softphone's microphone tone, the Softphone's speaker plays baresip's tone.
func talk(t *testing.T, bare *baresip, spk *pulseRec, micTone float64) {
	t.Helper()
	markB, markS := bare.recordMark(), spk.mark()
	bare.waitAudioSince(markB, 4, 40*time.Second)
	spk.waitSince(t, markS, 4, 40*time.Second)
	// The last 3 s: later than the answer, so ringback and stream start-up are not judged.
	checkTone(t, "baresip hears the Softphone's microphone", bare.audioSince(markB).tail(3), micTone, spBaresipTon, 2)
	checkTone(t, "the Softphone's speaker plays baresip", spk.since(t, markS).tail(3), spBaresipTon, micTone, 2)
}

// raceBuild reports whether the test binary was built with -race.
func raceBuild() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------------------------
// A private PulseAudio with two null sinks

// softphonePulse is a private PulseAudio: sink "spk" is the default sink (the Softphone's
// speaker), "mic.monitor" the default source (the Softphone's microphone).
type softphonePulse struct {
	dir string
}

// startSoftphonePulse starts a private PulseAudio (startPulseBox) with two 48 kHz null sinks:
// spk, the default sink (what the Softphone plays), and mic, whose monitor is the default
// source (what the Softphone records).
func startSoftphonePulse(t *testing.T) *softphonePulse {
	t.Helper()
	return softphoneSinks(t, startPulseBox(t))
}

// softphoneSinks adds the Softphone's spk and mic sinks to pb and makes them the defaults.
func softphoneSinks(t *testing.T, pb *pulseBox) *softphonePulse {
	t.Helper()
	for _, name := range []string{"spk", "mic"} {
		pb.loadSink(t, name, "rate=48000")
	}
	for _, args := range [][]string{{"set-default-sink", "spk"}, {"set-default-source", "mic.monitor"}} {
		if out, err := exec.Command("pactl", args...).CombinedOutput(); err != nil {
			t.Fatalf("pactl %v: %v %s", args, err, out)
		}
	}
	return &softphonePulse{dir: pb.dir}
}

// play loops a tone into sink device until the returned process is stopped.
func (ps *softphonePulse) play(t *testing.T, device string, freq float64) *proc {
	t.Helper()
	path := filepath.Join(ps.dir, fmt.Sprintf("tone-%.0f.wav", freq))
	writeToneWAV(t, path, freq, 120)
	return startProc(t, "pacat-play-"+device, ps.dir, nil, "pacat", "--playback", "--device="+device,
		"--file-format=wav", "--latency-msec=60", path)
}

// pulseRec is a recording of a PulseAudio source as raw 8 kHz mono 16-bit samples.
type pulseRec struct {
	*proc
	path string
}

const pulseRecRate = 8000

// record records source into a raw file until the test ends.
func (ps *softphonePulse) record(t *testing.T, source string) *pulseRec {
	t.Helper()
	path := filepath.Join(ps.dir, "rec-"+source+".raw")
	p := startProc(t, "pacat-rec-"+source, ps.dir, nil, "pacat", "--record", "--device="+source,
		"--raw", "--format=s16le", "--rate=8000", "--channels=1", "--latency-msec=60", path)
	r := &pulseRec{proc: p, path: path}
	// Wait until the stream runs, so marks taken later are real positions.
	if !pollUntil(20*time.Second, func() bool { return r.samples() > 0 || p.exited() }) || p.exited() {
		t.Fatalf("recording %s did not start", source)
	}
	return r
}

// samples returns how many samples are recorded so far.
func (r *pulseRec) samples() int {
	st, err := os.Stat(r.path)
	if err != nil {
		return 0
	}
	return int(st.Size() / 2)
}

func (r *pulseRec) mark() int { return r.samples() }

// since returns what was recorded after mark.
func (r *pulseRec) since(t *testing.T, mark int) pcm {
	t.Helper()
	b, err := os.ReadFile(r.path)
	if err != nil {
		t.Fatalf("read recording: %v", err)
	}
	n := len(b) / 2
	p := pcm{rate: pulseRecRate, samples: make([]float64, 0, max(0, n-mark))}
	for i := mark; i < n; i++ {
		p.samples = append(p.samples, float64(int16(binary.LittleEndian.Uint16(b[2*i:])))/32768)
	}
	return p
}

// waitSince waits until at least seconds were recorded after mark.
func (r *pulseRec) waitSince(t *testing.T, mark int, seconds float64, timeout time.Duration) {
	t.Helper()
	if !pollUntil(timeout, func() bool { return float64(r.samples()-mark)/pulseRecRate >= seconds }) {
		t.Fatalf("%s: recorded %.1fs, want ≥ %.1fs within %v", r.name, float64(r.samples()-mark)/pulseRecRate, seconds, timeout)
	}
}

// ---------------------------------------------------------------------------------------------
// The Softphone engine

// softphone is the real Softphone engine; its log is dumped when the test fails.
type softphone struct {
	e *phone.Engine
}

// startSoftphone opens the PortAudio backend on the default devices, starts the engine, logs in
// as user and waits until it is registered.
func startSoftphone(t *testing.T, srv *vaihde, user, password string) *softphone {
	t.Helper()
	lb := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	sys, err := audio.Open(ctx, audio.Options{Logger: logger})
	if err != nil {
		cancel()
		t.Fatalf("open PortAudio: %v", err)
	}
	devs, err := sys.Devices()
	if err != nil {
		t.Fatalf("list audio devices: %v", err)
	}
	var names []string
	for _, d := range devs {
		names = append(names, d.Name)
	}
	t.Logf("PortAudio devices: %s", strings.Join(names, ", "))
	e, err := phone.New(phone.Config{Audio: sys, Logger: logger, ListenAddr: "127.0.0.1:0"})
	if err != nil {
		_ = sys.Close()
		cancel()
		t.Fatalf("start Softphone engine: %v", err)
	}
	sp := &softphone{e: e}
	t.Cleanup(func() {
		_ = e.Close()
		_ = sys.Close()
		cancel()
		// A healthy Pulse device must never be taken for an unplugged one (its start-up gap was).
		if strings.Contains(lb.String(), "stopped responding") {
			t.Errorf("the Softphone declared a healthy audio device lost")
		}
		if t.Failed() {
			t.Logf("---- Softphone engine log (tail) ----\n%s", lb.tail(8000))
		}
	})
	lctx, lcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer lcancel()
	err = e.Login(lctx, phone.Account{Server: srv.host(), APIURL: "http://" + srv.httpAddr, User: user, Password: password})
	if err != nil {
		t.Fatalf("Softphone login as %s: %v", user, err)
	}
	var s phone.Snapshot
	if !pollUntil(30*time.Second, func() bool { s = e.Snapshot(); return s.Reg == phone.Registered }) {
		t.Fatalf("Softphone %s not registered within 30s: state %v (%s)", user, s.Reg, s.RegDetail)
	}
	if s.Profile.Extension != user {
		t.Errorf("Softphone profile extension %q, want %q", s.Profile.Extension, user)
	}
	return sp
}

// call returns the call with id from the current snapshot.
func (sp *softphone) call(id string) (phone.Call, bool) {
	for _, c := range sp.e.Snapshot().Calls {
		if c.ID == id {
			return c, true
		}
	}
	return phone.Call{}, false
}

// waitCall waits until call id is in state (an Ended call fails the wait for any other state).
func (sp *softphone) waitCall(t *testing.T, id string, state phone.CallState, timeout time.Duration) phone.Call {
	t.Helper()
	var c phone.Call
	var ok bool
	pollUntil(timeout, func() bool {
		c, ok = sp.call(id)
		return ok && (c.State == state || c.State == phone.Ended)
	})
	if !ok || c.State != state {
		t.Fatalf("Softphone call %s: state %v (present %v, end reason %q), want %v within %v",
			id, c.State, ok, c.EndReason, state, timeout)
	}
	return c
}

// waitIncoming waits for an Incoming call other than not and returns its id.
func (sp *softphone) waitIncoming(t *testing.T, not string, timeout time.Duration) string {
	t.Helper()
	var id string
	if !pollUntil(timeout, func() bool {
		for _, c := range sp.e.Snapshot().Calls {
			if c.ID != not && c.State == phone.Incoming {
				id = c.ID
				return true
			}
		}
		return false
	}) {
		t.Fatalf("Softphone: no incoming call within %v (calls: %+v)", timeout, sp.e.Snapshot().Calls)
	}
	return id
}

// checkCall checks the direction and remote party the Softphone shows for call id.
func (sp *softphone) checkCall(t *testing.T, id string, dir phone.Direction, remote string) {
	t.Helper()
	c, ok := sp.call(id)
	if !ok {
		t.Fatalf("Softphone call %s vanished", id)
	}
	if c.Direction != dir || c.Remote != remote {
		t.Errorf("Softphone call %s: direction %v remote %q, want %v %q", id, c.Direction, c.Remote, dir, remote)
	}
}

// ---------------------------------------------------------------------------------------------
// Call logs

type wantEntry struct{ dir, peer string }

// waitCallLog polls a call log until it holds want (newest first) as answered calls with talk
// time, then fails with the entries seen.
func waitCallLog(t *testing.T, what string, want []wantEntry, get func(context.Context) ([]api.CallEntry, error)) {
	t.Helper()
	var got []api.CallEntry
	var err error
	var problem string
	pollUntil(20*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		got, err = get(ctx)
		if err != nil {
			problem = err.Error()
			return false
		}
		problem = callLogProblem(got, want)
		return problem == ""
	})
	if problem != "" {
		t.Errorf("%s: %s; entries: %s", what, problem, formatEntries(got))
		return
	}
	t.Logf("%s: %s", what, formatEntries(got))
}

// callLogProblem says how got (newest first) differs from want, or "" when it matches.
func callLogProblem(got []api.CallEntry, want []wantEntry) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d entries, want %d", len(got), len(want))
	}
	// want lists the calls oldest first; the log is newest first.
	for i, w := range want {
		g := got[len(got)-1-i]
		switch {
		case g.Direction != w.dir || g.Peer != w.peer:
			return fmt.Sprintf("call %d is %s %s, want %s %s", i+1, g.Direction, g.Peer, w.dir, w.peer)
		case g.Outcome != "answered":
			return fmt.Sprintf("call %d outcome %q, want answered", i+1, g.Outcome)
		case g.AnsweredAt == nil:
			return fmt.Sprintf("call %d has no answer time", i+1)
		case g.Seconds < 2:
			return fmt.Sprintf("call %d lasted %d s of talk, want ≥ 2", i+1, g.Seconds)
		}
	}
	return ""
}

func formatEntries(es []api.CallEntry) string {
	var s []string
	for _, e := range es {
		s = append(s, fmt.Sprintf("[%s %s %s %ds]", e.Direction, e.Peer, e.Outcome, e.Seconds))
	}
	return strings.Join(s, " ")
}

// apiCallLog logs in to the HTTP API as user and returns its call log.
func apiCallLog(ctx context.Context, srv *vaihde, user, password string) ([]api.CallEntry, error) {
	base := "http://" + srv.httpAddr
	body, err := json.Marshal(api.LoginRequest{User: user, Password: password})
	if err != nil {
		return nil, fmt.Errorf("encode login: %w", err)
	}
	var lr api.LoginResponse
	if err := httpJSON(ctx, http.MethodPost, base+"/api/login", "", body, &lr); err != nil {
		return nil, err
	}
	var cl api.CallList
	if err := httpJSON(ctx, http.MethodGet, base+"/api/calls", lr.Token, nil, &cl); err != nil {
		return nil, err
	}
	return cl.Calls, nil
}

func httpJSON(ctx context.Context, method, url, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, url, err)
	}
	return nil
}
