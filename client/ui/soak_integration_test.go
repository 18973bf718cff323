package ui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/shared/api"
)

// The soak runs the Softphone's engine, people book and UI models (no window) against the real
// server on 127.0.0.1 and samples the process's memory and goroutines at fixed intervals: the
// "8-hour day" of issue 12, accelerated to calls and presence changes back to back.
//
//	VAIHDE_SOAK=1 go test -run TestSoak -v -timeout 60m ./client/ui   (or make soak)
//
// writes its samples as CSV to $VAIHDE_SOAK_CSV (default: the test's temporary directory).
// TestIntegrationSoakLeak is the cheap version in every integration run: it asserts only that
// the goroutines come back to their baseline, not any timing.

// soakConfig bounds one run.
type soakConfig struct {
	calls, presence int           // operations: calls to the auto-answering peer, presence changes
	samples         int           // memory samples over the run ("every minute" of the day)
	talk            time.Duration // how long each call stays up with audio flowing
	limit           time.Duration // the run stops here whatever the count
	// widgets runs the whole UI (Fyne widgets on the test driver, painted once a second);
	// otherwise only the window-less models (Model, the people snapshots) follow the engine.
	widgets bool
}

// soakAudio is a microphone playing a tone and a speaker that discards: audiotest.Backend
// records every call, which over a day is the harness's memory, not the Softphone's.
type soakAudio struct{ freq float64 }

func (b soakAudio) OpenSource(string) (audio.Source, error) {
	return &audiotest.ToneSource{Freq: b.freq, Amp: 0.5}, nil
}
func (soakAudio) OpenSink(string) (audio.Sink, error) { return discardSink{}, nil }

type discardSink struct{}

func (discardSink) Write([]int16) error { return nil }
func (discardSink) Close() error        { return nil }

// soakFront is what follows the engine and the book: the whole UI or only its models.
type soakFront interface {
	people() people.Snapshot // what the Colleagues list shows
	paint()                  // one frame
	close()
}

type widgetFront struct{ u *UI }

func (f widgetFront) people() people.Snapshot { return f.u.peopleSnap }
func (f widgetFront) paint()                  { f.u.win.Canvas().Capture() }
func (f widgetFront) close()                  { f.u.Close() }

// modelFront keeps the call model's view and the people snapshot up to date on the main loop,
// as the UI does before it touches a widget.
type modelFront struct {
	m                *Model
	snap             people.Snapshot
	views            int
	cancel1, cancel2 func()
}

func newModelFront(eng *phone.Engine, book *people.Book, loop *mainLoop) *modelFront {
	f := &modelFront{m: NewModel(eng, NewStrings("en"), time.Now)}
	f.cancel1 = eng.Subscribe(func(s phone.Snapshot) {
		loop.do(func() {
			f.m.Update(s)
			_ = f.m.View()
			f.views++
		})
	})
	f.cancel2 = book.Subscribe(func(s people.Snapshot) { loop.do(func() { f.snap = s }) })
	return f
}

func (f *modelFront) people() people.Snapshot { return f.snap }
func (f *modelFront) paint()                  {}
func (f *modelFront) close()                  { f.cancel1(); f.cancel2() }

// soakSample is one row of the CSV.
type soakSample struct {
	op, calls, presence     int
	elapsed                 time.Duration
	rssKB, heapKB, sysKB    int64
	goroutines, uiQueueSize int
}

// soakResult is what a run measured.
type soakResult struct {
	samples                []soakSample
	startGoroutines        int // after set-up, before the first operation
	endGoroutines          int // after the last call is gone and idle connections closed
	warmRSS, endRSS        int64
	warmHeap, endHeap      int64 // after a GC
	calls, presence        int
	took                   time.Duration
	csv                    string
	lastActivity, shownAct map[string]int
}

// rssKB reads the process's resident set size from /proc (Linux).
func rssKB(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status (%v): the soak measures Linux RSS", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Fatal("VmRSS not in /proc/self/status")
	return 0
}

// startDemoServer builds and starts server/cmd/vaihde with the demo organisation on loopback
// ports; it is killed when the test ends. It returns the SIP address and the API URL.
func startDemoServer(t *testing.T) (string, string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "vaihde")
	build := exec.Command("go", "build", "-o", bin, "./server/cmd/vaihde")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build server: %v\n%s", err, out)
	}
	port := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	sipPort, httpPort, tlsPort := port(), port(), port()
	rtp := 40000 + (sipPort%1000)*10
	var serverLog syncBuf
	srv := exec.Command(bin, "-demo", "-db", filepath.Join(t.TempDir(), "v.db"),
		"-sip-addr", "127.0.0.1:"+strconv.Itoa(sipPort), "-tls-addr", "127.0.0.1:"+strconv.Itoa(tlsPort),
		"-http-addr", "127.0.0.1:"+strconv.Itoa(httpPort), "-https-addr", "",
		"-rtp-port-min", strconv.Itoa(rtp), "-rtp-port-max", strconv.Itoa(rtp+9))
	srv.Env = append(os.Environ(), "VAIHDE_SMS_PROVIDER=outbox", "VAIHDE_SMS_OUTBOX="+t.TempDir())
	srv.Stdout, srv.Stderr = &serverLog, &serverLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(serverLog.String(), "vaihde ready") {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", serverLog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "127.0.0.1:" + strconv.Itoa(sipPort), "http://127.0.0.1:" + strconv.Itoa(httpPort)
}

// apiLogin logs ext in through the API and returns a presence client with its own transport.
func apiLogin(t *testing.T, apiURL, ext string) *people.Client {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	body, _ := json.Marshal(api.LoginRequest{User: ext, Password: "demo" + ext})
	res, err := hc.Post(apiURL+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var lr api.LoginResponse
	if err := json.NewDecoder(res.Body).Decode(&lr); err != nil || res.StatusCode != 200 {
		t.Fatalf("login %s: %d %v", ext, res.StatusCode, err)
	}
	return &people.Client{BaseURL: apiURL, Token: lr.Token, HTTP: hc}
}

func runSoak(t *testing.T, cfg soakConfig) soakResult {
	t.Helper()
	sipAddr, apiURL := startDemoServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := test.NewTempApp(t)
	loop := &mainLoop{q: make(chan func(), 1<<16)}

	// The Softphone under test (1001): engine with call audio, people book, UI models.
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0", Audio: soakAudio{1000},
		EndedLinger: 200 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	book := people.NewBook(eng, people.Options{Logger: quiet})
	acct := phone.Account{Server: sipAddr, APIURL: apiURL, User: "1001", Password: "demo1001"}
	var front soakFront
	if cfg.widgets {
		u := New(ctx, a, Options{Controller: eng, People: book, Settings: settings.NewStore(t.TempDir()), Logger: quiet,
			Prefill: acct})
		u.do = loop.do
		u.blurAfter = 0
		u.Start() // logs in with the prefilled account
		front = widgetFront{u}
	} else {
		front = newModelFront(eng, book, loop)
		if err := eng.Login(ctx, acct); err != nil {
			t.Fatal(err)
		}
	}
	// The peer (1002): an engine that answers every call, playing 600 Hz.
	peer, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0", Audio: soakAudio{600},
		EndedLinger: 200 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var answered sync.Map
	var peerCalls sync.WaitGroup
	stopAnswer := peer.Subscribe(func(s phone.Snapshot) {
		for _, c := range s.Calls {
			if c.State == phone.Incoming {
				if _, dup := answered.LoadOrStore(c.ID, true); !dup {
					peerCalls.Add(1)
					go func() { defer peerCalls.Done(); _ = peer.Answer(c.ID) }()
				}
			}
		}
	})
	closed := false
	shutdown := func() {
		if closed {
			return
		}
		closed = true
		stopAnswer()
		peerCalls.Wait()
		front.close()
		book.Close()
		lctx, lcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer lcancel()
		_ = eng.Logout(lctx)
		_ = peer.Logout(lctx)
		eng.Close()
		peer.Close()
	}
	defer shutdown()
	if err := peer.Login(ctx, phone.Account{Server: sipAddr, APIURL: apiURL, User: "1002", Password: "demo1002"}); err != nil {
		t.Fatal(err)
	}
	loop.until(t, 30*time.Second, "registration", func() bool {
		return eng.Snapshot().Reg == phone.Registered && peer.Snapshot().Reg == phone.Registered
	})
	book.Start(ctx)
	loop.until(t, 30*time.Second, "colleagues loaded and live", func() bool {
		s := front.people()
		return s.Loaded && s.Live && len(s.Colleagues) >= 10
	})

	// Colleagues 1003…1010 change their activity through the API.
	var colleagues []*people.Client
	exts := []string{}
	for i := 3; i <= 10; i++ {
		ext := fmt.Sprintf("10%02d", i)
		exts = append(exts, ext)
		colleagues = append(colleagues, apiLogin(t, apiURL, ext))
	}
	acts, err := colleagues[0].Activities(ctx)
	if err != nil || len(acts) < 2 {
		t.Fatalf("activities: %v %v", acts, err)
	}

	// Baselines after set-up: the idle connections of the API clients are not the Softphone's.
	closeIdle := func() {
		for _, c := range colleagues {
			c.HTTP.CloseIdleConnections()
		}
	}
	settle := func() {
		// Drain the UI queue and let ended calls leave the snapshots.
		// A UI that fell behind the accelerated events has a backlog to work off first.
		took := loop.until(t, 2*time.Minute, "UI queue drained", func() bool { return len(loop.q) == 0 })
		time.Sleep(500 * time.Millisecond)
		took += loop.until(t, time.Minute, "UI queue drained", func() bool { return len(loop.q) == 0 })
		if took > time.Second {
			t.Logf("the UI took %v to work off its queue", took.Round(100*time.Millisecond))
		}
	}
	closeIdle()
	settle()
	res := soakResult{startGoroutines: runtime.NumGoroutine(), lastActivity: map[string]int{}, shownAct: map[string]int{}}

	total := cfg.calls + cfg.presence
	every := max(1, total/cfg.samples)
	presencePerCall := cfg.presence / max(cfg.calls, 1)
	sample := func(op int, start time.Time) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		res.samples = append(res.samples, soakSample{op: op, calls: res.calls, presence: res.presence,
			elapsed: time.Since(start), rssKB: rssKB(t), heapKB: int64(ms.HeapAlloc / 1024), sysKB: int64(ms.Sys / 1024),
			goroutines: runtime.NumGoroutine(), uiQueueSize: len(loop.q)})
	}
	heapAfterGC := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc / 1024)
	}

	// The operations run on a worker; the test goroutine plays Fyne's main loop meanwhile.
	type opDone struct{ err error }
	ops := make(chan opDone, 1)
	start := time.Now()
	// Warm-up is the first quarter: Fyne keeps unused renderers for a minute before freeing them.
	warmAt := total / 4
	var warmRSS, warmHeap int64
	go func() {
		var err error
		defer func() { ops <- opDone{err} }()
		op := 0
		step := func() {
			op++
			if op%every == 0 {
				sample(op, start)
			}
			if op == warmAt {
				warmRSS, warmHeap = rssKB(t), heapAfterGC()
			}
		}
		for res.calls < cfg.calls || res.presence < cfg.presence {
			if time.Since(start) > cfg.limit {
				err = fmt.Errorf("stopped at the %v limit after %d calls, %d presence changes", cfg.limit, res.calls, res.presence)
				return
			}
			if res.calls < cfg.calls {
				if err = soakCall(ctx, eng, cfg.talk); err != nil {
					err = fmt.Errorf("call %d: %w", res.calls+1, err)
					return
				}
				res.calls++
				step()
			}
			for i := 0; i < presencePerCall || (res.calls >= cfg.calls && res.presence < cfg.presence); i++ {
				if res.presence >= cfg.presence {
					break
				}
				c := res.presence % len(colleagues)
				act := acts[(res.presence/len(colleagues))%len(acts)].Number
				note := fmt.Sprintf("soak %d", res.presence)
				if _, err = colleagues[c].SetPresence(ctx, api.PresenceUpdate{Activity: &act, Note: &note}); err != nil {
					err = fmt.Errorf("presence %d: %w", res.presence+1, err)
					return
				}
				res.lastActivity[exts[c]] = act
				res.presence++
				step()
			}
		}
	}()
	// A frame a second, as a window's paint loop does: the test driver cleans Fyne's renderer
	// cache only when it paints, and without it every widget ever made would stay cached.
	frame := time.NewTicker(time.Second)
	defer frame.Stop()
	var runErr error
	for done := false; !done; {
		select {
		case f := <-loop.q:
			f()
		case <-frame.C:
			front.paint()
		case d := <-ops:
			runErr, done = d.err, true
		}
	}
	res.took = time.Since(start)
	if runErr != nil {
		t.Fatal(runErr)
	}
	res.warmRSS, res.warmHeap = warmRSS, warmHeap

	// Every colleague's last activity reached the Softphone's Colleagues list.
	loop.until(t, 10*time.Second, "the last presence changes shown", func() bool {
		for _, ext := range exts {
			shown := -1
			for _, c := range front.people().Colleagues {
				if c.Extension == ext {
					shown = c.Presence.Activity
				}
			}
			res.shownAct[ext] = shown
			if shown != res.lastActivity[ext] {
				return false
			}
		}
		return true
	})
	closeIdle()
	settle()
	front.paint()
	res.endRSS, res.endHeap = rssKB(t), heapAfterGC()
	// Goroutines that end a little after a call (timers, the last RTP reads) get a few seconds.
	deadline := time.Now().Add(15 * time.Second)
	for {
		closeIdle()
		loop.until(t, time.Second, "UI queue drained", func() bool { return len(loop.q) == 0 })
		res.endGoroutines = runtime.NumGoroutine()
		if res.endGoroutines <= res.startGoroutines || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res.endGoroutines > res.startGoroutines {
		buf := make([]byte, 1<<20)
		t.Logf("goroutines at the end:\n%s", buf[:runtime.Stack(buf, true)])
	}
	res.csv = writeSoakCSV(t, res.samples)
	if path := os.Getenv("VAIHDE_SOAK_HEAPPROFILE"); path != "" {
		f, err := os.Create(strings.TrimSuffix(path, ".pprof") + "-" + strconv.FormatBool(cfg.widgets) + ".pprof")
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return res
}

// soakCall dials the peer, waits for the answer, talks for d and hangs up.
func soakCall(ctx context.Context, eng *phone.Engine, d time.Duration) error {
	id, err := eng.Dial(ctx, "1002")
	if err != nil {
		return err
	}
	state := func() phone.CallState {
		for _, c := range eng.Snapshot().Calls {
			if c.ID == id {
				return c.State
			}
		}
		return phone.Ended
	}
	deadline := time.Now().Add(10 * time.Second)
	for state() != phone.Active {
		if s := state(); s == phone.Ended || time.Now().After(deadline) {
			return fmt.Errorf("not answered (state %v)", s)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(d)
	if err := eng.Hangup(id); err != nil {
		return err
	}
	for state() != phone.Ended {
		if time.Now().After(deadline.Add(d)) {
			return fmt.Errorf("hang-up did not end the call")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func writeSoakCSV(t *testing.T, samples []soakSample) string {
	// One file per run: VAIHDE_SOAK_CSV=dir/soak.csv gives dir/soak-models.csv, dir/soak-widgets.csv.
	path := filepath.Join(t.TempDir(), "soak.csv")
	if p := os.Getenv("VAIHDE_SOAK_CSV"); p != "" {
		mode := strings.ReplaceAll(t.Name()[strings.LastIndex(t.Name(), "/")+1:], "/", "-")
		path = strings.TrimSuffix(p, ".csv") + "-" + mode + ".csv"
	}
	var b strings.Builder
	b.WriteString("sample,op,calls,presence,elapsed_s,rss_kb,heap_kb,go_sys_kb,goroutines,ui_queue\n")
	for i, s := range samples {
		fmt.Fprintf(&b, "%d,%d,%d,%d,%.1f,%d,%d,%d,%d,%d\n", i+1, s.op, s.calls, s.presence, s.elapsed.Seconds(),
			s.rssKB, s.heapKB, s.sysKB, s.goroutines, s.uiQueueSize)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return path
}

// report logs the verdict's figures and a table of every tenth of the samples.
func (r soakResult) report(t *testing.T) {
	t.Helper()
	t.Logf("%d calls and %d presence changes in %v; %d samples in %s", r.calls, r.presence, r.took.Round(time.Second), len(r.samples), r.csv)
	t.Logf("%8s %6s %8s %8s %9s %9s %10s", "op", "calls", "presence", "elapsed", "RSS MB", "heap MB", "goroutines")
	for i, s := range r.samples {
		if i%max(1, len(r.samples)/10) == 0 || i == len(r.samples)-1 {
			t.Logf("%8d %6d %8d %8s %9.1f %9.1f %10d", s.op, s.calls, s.presence, s.elapsed.Round(time.Second),
				float64(s.rssKB)/1024, float64(s.heapKB)/1024, s.goroutines)
		}
	}
	t.Logf("RSS after warm-up %.1f MB, at the end %.1f MB: %+.1f MB", float64(r.warmRSS)/1024, float64(r.endRSS)/1024, float64(r.endRSS-r.warmRSS)/1024)
	t.Logf("Go heap after GC, after warm-up %.1f MB, at the end %.1f MB: %+.1f MB", float64(r.warmHeap)/1024, float64(r.endHeap)/1024, float64(r.endHeap-r.warmHeap)/1024)
	t.Logf("goroutines before the first operation %d, at the end %d", r.startGoroutines, r.endGoroutines)
}

// TestIntegrationSoakLeak is the cheap soak: 50 calls and 500 presence changes; the goroutines
// must come back to the baseline and every change must have reached the UI.
func TestIntegrationSoakLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	r := runSoak(t, soakConfig{calls: 50, presence: 500, samples: 55, talk: 100 * time.Millisecond, limit: 5 * time.Minute, widgets: true})
	r.report(t)
	if r.calls != 50 || r.presence != 500 {
		t.Fatalf("ran %d calls, %d presence changes", r.calls, r.presence)
	}
	if r.endGoroutines > r.startGoroutines {
		t.Fatalf("goroutines grew from %d to %d over the run", r.startGoroutines, r.endGoroutines)
	}
}

// TestSoak is the full accelerated day: 500 calls and 5,000 presence changes, 480+ samples, run
// twice: the engine, people book and window-less models (the Softphone's own state), and the
// whole UI with its Fyne widgets. Verdict: the goroutines must not grow in either, and with the
// models the Go heap after GC may grow by at most 4 MB after warm-up. The widget run's memory is
// reported, not asserted: Fyne keeps renderers for a minute after their last use, and the
// accelerated run makes a day's widgets in minutes (docs/PERFORMANCE.md).
func TestSoak(t *testing.T) {
	if os.Getenv("VAIHDE_SOAK") != "1" {
		t.Skip("set VAIHDE_SOAK=1 to run the soak (make soak)")
	}
	for _, mode := range []struct {
		name    string
		widgets bool
	}{{"models", false}, {"widgets", true}} {
		t.Run(mode.name, func(t *testing.T) {
			r := runSoak(t, soakConfig{calls: 500, presence: 5000, samples: 480, talk: 200 * time.Millisecond,
				limit: 30 * time.Minute, widgets: mode.widgets})
			r.report(t)
			if r.endGoroutines > r.startGoroutines {
				t.Errorf("goroutines grew from %d to %d over the run", r.startGoroutines, r.endGoroutines)
			}
			if grow := r.endHeap - r.warmHeap; !mode.widgets && grow > 4*1024 {
				t.Errorf("the Go heap grew by %d kB after warm-up", grow)
			}
		})
	}
}
