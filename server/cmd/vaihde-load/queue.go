package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	shared "github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// The queue load (issue 10, acceptance 3): many callers wait in one customer-service queue,
// hearing its music and progress announcements, while the agents are paused; then the agents
// resume and answer every caller. What each waiting caller receives is counted packet by packet
// (by RTP sequence number, and against the 50 packets/s a G.711 stream must carry).

func runQueue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("queue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		f          sipFlags
		queue      = fs.String("queue", "8000", "the queue's number")
		agents     = fs.Int("agents", 50, "agents (extensions agent-first, agent-first+1, …)")
		agentFirst = fs.Int("agent-first", 2001, "extension of the first agent")
		agentPass  = fs.String("agent-password", benchAgentPassword, "agents' password (seed-queue sets it)")
		apiURL     = fs.String("api", "http://127.0.0.1:8080", "the server's HTTP API (loopback only): agents pause and resume through it")
		wait       = fs.Duration("wait", 30*time.Second, "how long every caller waits in the queue, measured, before the agents resume")
		talk       = fs.Duration("talk", 3*time.Second, "how long an agent talks before hanging up")
		rate       = fs.Int("rate", 50, "calls placed per second")
		pid        = fs.Int("server-pid", 0, "server process id: report its CPU time and memory")
		drainMax   = fs.Duration("answer-timeout", 5*time.Minute, "the agents must have answered every caller within this")
	)
	f.user, f.password = "1001", "demo1001"
	server, err := f.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *agents < 1 || *agents > 1000:
		return fmt.Errorf("-agents %d: must be 1..1000", *agents)
	case *wait <= 0 || *wait > maxDuration:
		return fmt.Errorf("-wait %v: must be in (0, %v]", *wait, maxDuration)
	case *talk < 0 || *talk > time.Minute:
		return fmt.Errorf("-talk %v: must be in [0, 1m]", *talk)
	case *rate < 1 || *rate > maxRate:
		return fmt.Errorf("-rate %d: must be 1..%d", *rate, maxRate)
	case *drainMax <= 0 || *drainMax > maxDuration:
		return fmt.Errorf("-answer-timeout %v: must be in (0, %v]", *drainMax, maxDuration)
	}
	api, err := url.Parse(*apiURL)
	if err != nil {
		return fmt.Errorf("-api %q: %w", *apiURL, err)
	}
	if ap, err := loopback(api.Host); err != nil {
		return fmt.Errorf("-api: %w", err)
	} else {
		api.Host = ap.String()
	}
	// Hard stop whatever happens.
	ctx, cancel := context.WithTimeout(ctx, time.Duration(f.calls / *rate)*time.Second+*wait+*drainMax+2*time.Minute)
	defer cancel()
	p := queueParams{sip: f, server: server, queue: *queue, agents: *agents, agentFirst: *agentFirst,
		agentPass: *agentPass, api: api.String(), wait: *wait, talk: *talk, rate: *rate, pid: *pid, drainMax: *drainMax}
	r, err := queueRun(ctx, p, f.logger(stderr), stdout)
	r.print(stdout, p)
	return err
}

type queueParams struct {
	sip                sipFlags
	server             netip.AddrPort
	queue              string
	agents, agentFirst int
	agentPass          string
	api                string
	wait, talk         time.Duration
	rate, pid          int
	drainMax           time.Duration
}

type queueResult struct {
	Placed, Failed int
	FirstErr       error
	SetupTime      time.Duration
	// The waiting phase: every placed caller is in the queue.
	Window          time.Duration
	WaitReceived    uint64 // distinct packets the callers received in the window
	WaitSeqExpected uint64 // by sequence number: what the server sent in the window
	WaitRateExpect  uint64 // 50/s × window × callers
	WaitLossy       int    // callers with more than 1 % loss (by sequence) in the window
	WaitSilent      int    // callers that received nothing in the window
	WaitWorstPct    float64
	WaitP99Pct      float64
	SSRCChanges     uint64
	GapWorst        time.Duration // longest arrival gap any waiting caller saw in the window
	GapP99          time.Duration
	Gaps            uint64        // arrival gaps over 100 ms, all callers
	WaitCPU         time.Duration // server CPU during the window (-1: not measured)
	RSSBefore       int64         // kB before the callers, and at the end of the window
	RSSWaiting      int64
	// The answering phase.
	Answered     int // callers that heard an agent
	Connected    int64
	AnswerTime   time.Duration // from resume until every caller had heard an agent (or timeout)
	AnswerCPU    time.Duration
	AgentAnswers int64
	RSSPeak      int64 // VmHWM at the end
	SelfCPU      time.Duration
}

func (r queueResult) print(w io.Writer, p queueParams) {
	fmt.Fprintf(w, "callers: %d placed to %s, %d failed", r.Placed, p.queue, r.Failed)
	if r.FirstErr != nil {
		fmt.Fprintf(w, " (first error: %v)", r.FirstErr)
	}
	fmt.Fprintf(w, "; placing took %v\n", r.SetupTime.Round(time.Millisecond))
	if r.Window > 0 {
		fmt.Fprintf(w, "waiting %v (%d callers, agents paused): received %d packets, by sequence %d sent: loss %.3f%%; vs 50 packets/s: %.2f%% of %d\n",
			r.Window.Round(time.Millisecond), r.Placed, r.WaitReceived, r.WaitSeqExpected,
			pct(r.WaitSeqExpected-min(r.WaitSeqExpected, r.WaitReceived), r.WaitSeqExpected),
			100*float64(r.WaitReceived)/float64(max(1, r.WaitRateExpect)), r.WaitRateExpect)
		fmt.Fprintf(w, "waiting callers with loss > 1%%: %d, silent: %d, worst %.2f%%, 99th percentile %.2f%%, SSRC changes %d\n",
			r.WaitLossy, r.WaitSilent, r.WaitWorstPct, r.WaitP99Pct, r.SSRCChanges)
		fmt.Fprintf(w, "arrival gaps over 100 ms: %d (%.2f per caller); longest gap per caller: 99th percentile %v, worst %v\n",
			r.Gaps, float64(r.Gaps)/float64(max(1, r.Placed)), r.GapP99.Round(time.Millisecond), r.GapWorst.Round(time.Millisecond))
	}
	if r.WaitCPU >= 0 && r.Window > 0 {
		fmt.Fprintf(w, "server CPU while %d wait: %v over %v = %.1f%% of a core\n", r.Placed, r.WaitCPU,
			r.Window.Round(time.Millisecond), 100*r.WaitCPU.Seconds()/r.Window.Seconds())
	}
	if r.RSSBefore > 0 {
		fmt.Fprintf(w, "server RSS: %d kB before the callers, %d kB with %d waiting, peak %d kB\n", r.RSSBefore, r.RSSWaiting, r.Placed, r.RSSPeak)
	}
	if r.AnswerTime > 0 {
		fmt.Fprintf(w, "answering: %d agents answered %d calls; %d of %d callers heard an agent within %v",
			p.agents, r.AgentAnswers, r.Answered, r.Placed, r.AnswerTime.Round(time.Millisecond))
		if r.AnswerCPU >= 0 {
			fmt.Fprintf(w, "; server CPU %v = %.1f%% of a core", r.AnswerCPU, 100*r.AnswerCPU.Seconds()/r.AnswerTime.Seconds())
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "load tool CPU: %v\n", r.SelfCPU)
}

func pct(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

// pacer sends a frame on every endpoint it holds every 20 ms, endpoints joining and leaving as
// calls start and end. One goroutine; run returns when ctx ends.
type pacer struct {
	mu  sync.Mutex
	eps map[*endpoint]bool
}

func (p *pacer) add(e *endpoint) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.eps[e] = true
}

func (p *pacer) remove(e *endpoint) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.eps, e)
}

func (p *pacer) run(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	var list []*endpoint
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		list = list[:0]
		for e := range p.eps {
			list = append(list, e)
		}
		p.mu.Unlock()
		for _, e := range list {
			e.sendFrame()
		}
	}
}

// agentClient pauses and resumes one agent through the HTTP API.
type agentClient struct {
	api   string
	token string
	http  *http.Client
}

func (a *agentClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.api+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("%s %s: %s: %s", method, path, res.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

func (a *agentClient) login(ctx context.Context, user, password string) error {
	var lr shared.LoginResponse
	if err := a.do(ctx, http.MethodPost, "/api/login", shared.LoginRequest{User: user, Password: password}, &lr); err != nil {
		return err
	}
	a.token = lr.Token
	return nil
}

// joinQueue logs the agent in to the queue answering number, unless it already is.
func (a *agentClient) joinQueue(ctx context.Context, number string) error {
	var v shared.AgentView
	if err := a.do(ctx, http.MethodGet, "/api/agent", nil, &v); err != nil {
		return err
	}
	for _, q := range v.Queues {
		if q.Number != number {
			continue
		}
		if q.LoggedIn {
			return nil
		}
		return a.do(ctx, http.MethodPost, "/api/agent/queues/"+strconv.FormatInt(q.ID, 10)+"/login", nil, &v)
	}
	return fmt.Errorf("not a member of queue %s", number)
}

// waitingCaller is one caller's call and what it had received when the window opened.
type waitingCaller struct {
	call *outCall
	ep   *endpoint
	at0  rxStats
}

// queueRun registers the agents and pauses them, places the callers, measures the waiting
// window, resumes the agents and waits until every caller has heard one.
func queueRun(ctx context.Context, p queueParams, log *slog.Logger, progress io.Writer) (res queueResult, err error) {
	res = queueResult{WaitCPU: -1, AnswerCPU: -1}
	self0, _ := cpuTime(os.Getpid())
	defer func() {
		if s, err := cpuTime(os.Getpid()); err == nil {
			res.SelfCPU = s - self0
		}
	}()
	pctx, stopPacer := context.WithCancel(ctx)
	defer stopPacer()
	pc := &pacer{eps: map[*endpoint]bool{}}
	go pc.run(pctx)

	if p.pid > 0 {
		res.RSSBefore = rss(p.pid, "VmRSS")
	}
	// Agents: each its own UA that answers at once, talks for p.talk and hangs up.
	hc := &http.Client{Timeout: 20 * time.Second}
	var (
		agentUAs  []*ua
		clients   []*agentClient
		answers   atomic.Int64
		agentIDs  atomic.Uint32
		agentWG   sync.WaitGroup
		agentsCtx = ctx
	)
	agentIDs.Store(1 << 20) // tag ids above every caller's
	defer func() {
		agentWG.Wait()
		for _, u := range agentUAs {
			u.close()
		}
	}()
	for i := range p.agents {
		ext := strconv.Itoa(p.agentFirst + i)
		pass := p.agentPass
		u, err := newUA(sipAccount{User: ext, Password: pass, Domain: p.sip.domain, Server: p.server}, log)
		if err != nil {
			return res, err
		}
		agentUAs = append(agentUAs, u)
		u.onInvite = func(offer sdpmedia.Media) (sdpmedia.Media, *endpoint, error) {
			c, err := sdpmedia.Negotiate(offer, sdpmedia.Supported)
			if err != nil {
				return sdpmedia.Media{}, nil, err
			}
			ep, err := newEndpoint(localIP, agentIDs.Add(1))
			if err != nil {
				return sdpmedia.Media{}, nil, err
			}
			ep.setRemote(offer.AddrPort(), c.PT)
			return sdpmedia.Media{Addr: localIP, Port: int(ep.local.Port()), Codecs: []sdpmedia.Codec{c},
				Direction: sdpmedia.SendRecv, Ptime: 20}, ep, nil
		}
		u.afterAnswer = func(callID string, ep *endpoint) {
			answers.Add(1)
			pc.add(ep)
			agentWG.Add(1)
			go func() {
				defer agentWG.Done()
				select {
				case <-time.After(p.talk):
				case <-agentsCtx.Done():
				}
				pc.remove(ep)
				if err := u.byeIn(agentsCtx, callID); err != nil {
					log.Warn("agent hang-up", "agent", ext, "err", err)
				}
				ep.close()
			}()
		}
		if err := u.register(ctx, 900); err != nil {
			return res, err
		}
		ac := &agentClient{api: p.api, http: hc}
		if err := ac.login(ctx, ext, pass); err != nil {
			return res, fmt.Errorf("agent %s: %w", ext, err)
		}
		if err := ac.joinQueue(ctx, p.queue); err != nil {
			return res, fmt.Errorf("agent %s: %w", ext, err)
		}
		if err := ac.do(ctx, http.MethodPost, "/api/agent/pause", shared.AgentPause{Reason: "bench"}, nil); err != nil {
			return res, fmt.Errorf("agent %s: pause: %w", ext, err)
		}
		clients = append(clients, ac)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, u := range agentUAs {
			_ = u.register(uctx, 0)
		}
	}()
	fmt.Fprintf(progress, "%d agents registered and paused\n", len(agentUAs))

	caller, err := newUA(sipAccount{User: p.sip.user, Password: p.sip.password, Domain: p.sip.domain, Server: p.server}, log)
	if err != nil {
		return res, err
	}
	defer caller.close()
	codec := codecByName(p.sip.codec)
	var (
		mu      sync.Mutex
		callers []*waitingCaller
		wg      sync.WaitGroup
		tick    = time.NewTicker(time.Second / time.Duration(p.rate))
	)
	defer tick.Stop()
	start := time.Now()
	for i := 0; i < p.sip.calls && ctx.Err() == nil; i++ {
		ep, err := newEndpoint(localIP, uint32(i))
		if err != nil {
			return res, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			oc, err := caller.call(cctx, p.queue, sdpmedia.Media{Addr: localIP, Port: int(ep.local.Port()),
				Codecs: []sdpmedia.Codec{codec}, Direction: sdpmedia.SendRecv, Ptime: 20})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if oc != nil {
					go oc.hangup(ctx)
				}
				ep.close()
				res.Failed++
				if res.FirstErr == nil {
					res.FirstErr = err
				}
				return
			}
			ep.setRemote(oc.answer.AddrPort(), oc.codec.PT)
			caller.track(oc, ep)
			pc.add(ep)
			callers = append(callers, &waitingCaller{call: oc, ep: ep})
		}()
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	wg.Wait()
	res.SetupTime = time.Since(start)
	res.Placed = len(callers)
	if len(callers) == 0 {
		return res, fmt.Errorf("no caller reached the queue: %w", res.FirstErr)
	}
	defer func() {
		// Callers still up (an agent never came) hang up now.
		sem := make(chan struct{}, 100)
		for _, c := range callers {
			pc.remove(c.ep)
			if !c.ep.stopped.Load() {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					_ = c.call.hangup(context.WithoutCancel(ctx))
				}()
			}
		}
		wg.Wait()
		for _, c := range callers {
			c.ep.close()
		}
	}()
	fmt.Fprintf(progress, "%d callers in the queue (placing took %v); measuring %v of waiting\n", len(callers), res.SetupTime.Round(time.Millisecond), p.wait)
	time.Sleep(time.Second) // the last callers' first announcements start

	// The waiting window.
	var cpu0 time.Duration
	if p.pid > 0 {
		cpu0, _ = cpuTime(p.pid)
	}
	for _, c := range callers {
		c.ep.rx.resetGap()
		c.at0 = c.ep.rx.stats()
	}
	w0 := time.Now()
	select {
	case <-time.After(p.wait):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	res.Window = time.Since(w0)
	var losses []float64
	var gaps []time.Duration
	for _, c := range callers {
		s := c.ep.rx.stats()
		gaps = append(gaps, s.MaxGap)
		res.Gaps += s.Gaps
		got := s.Received - c.at0.Received
		seq := uint64(max(0, s.MaxExt-c.at0.MaxExt))
		if s.SSRCChanges != c.at0.SSRCChanges {
			seq = got // the stream restarted: sequence numbers do not compare
		}
		res.SSRCChanges += s.SSRCChanges - c.at0.SSRCChanges
		res.WaitReceived += got
		res.WaitSeqExpected += max(seq, got)
		loss := pct(max(seq, got)-got, max(seq, got))
		if got == 0 {
			res.WaitSilent++
			loss = 100
		}
		if loss > 1 {
			res.WaitLossy++
		}
		losses = append(losses, loss)
	}
	res.WaitRateExpect = uint64(float64(len(callers)) * 50 * res.Window.Seconds())
	slices.Sort(losses)
	res.WaitWorstPct = losses[len(losses)-1]
	res.WaitP99Pct = losses[len(losses)*99/100]
	slices.Sort(gaps)
	res.GapWorst, res.GapP99 = gaps[len(gaps)-1], gaps[len(gaps)*99/100]
	if p.pid > 0 {
		if cpu1, err := cpuTime(p.pid); err == nil {
			res.WaitCPU = cpu1 - cpu0
		}
		res.RSSWaiting = rss(p.pid, "VmRSS")
	}
	fmt.Fprintf(progress, "waiting measured; resuming %d agents\n", len(clients))

	// The answering phase: resume every agent, wait until every caller has heard one.
	if p.pid > 0 {
		cpu0, _ = cpuTime(p.pid)
	}
	a0 := time.Now()
	for i, ac := range clients {
		if err := ac.do(ctx, http.MethodPost, "/api/agent/resume", nil, nil); err != nil {
			return res, fmt.Errorf("agent %d: resume: %w", p.agentFirst+i, err)
		}
	}
	heard := func() int {
		n := 0
		for _, c := range callers {
			if c.ep.rx.stats().Tagged {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(p.drainMax)
	for heard() < len(callers) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(p.talk) // the last conversations end
	res.AnswerTime = time.Since(a0)
	res.Answered = heard()
	res.AgentAnswers = answers.Load()
	if p.pid > 0 {
		if cpu1, err := cpuTime(p.pid); err == nil {
			res.AnswerCPU = cpu1 - cpu0
		}
		res.RSSPeak = rss(p.pid, "VmHWM")
	}
	if res.Answered < len(callers) {
		return res, fmt.Errorf("only %d of %d callers heard an agent within %v", res.Answered, len(callers), p.drainMax)
	}
	return res, nil
}

// rss reads a memory figure (kB) of a process from /proc/PID/status: VmRSS now, VmHWM the peak.
func rss(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte(field+":")); ok {
			f := bytes.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return n
			}
		}
	}
	return 0
}
