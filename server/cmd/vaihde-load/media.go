package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vaihde/vaihde/shared/sdpmedia"
)

var localIP = netip.MustParseAddr("127.0.0.1")

func codecByName(name string) sdpmedia.Codec {
	if name == "PCMA" {
		return sdpmedia.PCMA
	}
	return sdpmedia.PCMU
}

func runMedia(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("media", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		f         sipFlags
		duration  = fs.Duration("duration", 30*time.Second, "how long both ends send media")
		rate      = fs.Int("rate", 50, "call set-ups per second while placing the calls")
		pid       = fs.Int("server-pid", 0, "server process id: report its CPU time per call")
		threshold = fs.Float64("threshold", 0.5, "per-call loss in percent above which a call counts as lossy")
	)
	server, err := f.parse(fs, args)
	if err != nil {
		return err
	}
	if *duration <= 0 || *duration > maxDuration {
		return fmt.Errorf("-duration %v: must be in (0, %v]", *duration, maxDuration)
	}
	if *rate < 1 || *rate > maxRate {
		return fmt.Errorf("-rate %d: must be 1..%d", *rate, maxRate)
	}
	// Hard stop whatever happens: set-up, media, drain and hang-up.
	ctx, cancel := context.WithTimeout(ctx, *duration+time.Duration(f.calls/(*rate)+120)*time.Second)
	defer cancel()
	log := f.logger(stderr)
	res, err := mediaRun(ctx, mediaParams{
		sip: f, server: server, duration: *duration, rate: *rate, pid: *pid, threshold: *threshold,
	}, log)
	if err != nil {
		return err
	}
	res.print(stdout, *threshold)
	return nil
}

type mediaParams struct {
	sip       sipFlags
	server    netip.AddrPort
	duration  time.Duration
	rate      int
	pid       int
	threshold float64
}

type mediaResult struct {
	mediaReport
	Placed, Failed int
	FirstErr       error
	Duration       time.Duration
	ServerByes     int           // calls the server hung up before the tool did
	SetupTime      time.Duration // placing all calls
	HangupTime     time.Duration // hanging all up
	ServerCPU      time.Duration // -1 when not measured
	SelfCPU        time.Duration
}

func (r mediaResult) print(w io.Writer, threshold float64) {
	fmt.Fprintf(w, "calls: %d placed, %d failed", r.Placed, r.Failed)
	if r.FirstErr != nil {
		fmt.Fprintf(w, " (first error: %v)", r.FirstErr)
	}
	if r.SetupTime > 0 {
		fmt.Fprintf(w, "; set-up took %v, hang-up %v", r.SetupTime.Round(time.Millisecond), r.HangupTime.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "media: %v, packets sent %d, received %d, loss %.3f%%\n", r.Duration.Round(time.Millisecond), r.Sent, r.Received, r.LossPct)
	if r.Duration > 0 && r.Streams > 0 {
		// A starved load generator sends less than planned; say so rather than hide it.
		fmt.Fprintf(w, "rate: %.0f packets/s sent of %d planned (%d streams x 50)\n",
			float64(r.Sent)/r.Duration.Seconds(), r.Streams*50, r.Streams)
	}
	fmt.Fprintf(w, "calls with loss > %.2f%%: %d of %d (silent: %d, worst %.2f%%)\n", threshold, r.LossyCalls, r.Calls, r.SilentCalls, r.WorstPct)
	fmt.Fprintf(w, "crossed packets: %d, duplicates: %d, SSRC changes: %d, RTCP packets from the server: %d", r.Foreign, r.Dups, r.SSRCChanges, r.RTCP)
	if r.ServerByes > 0 {
		fmt.Fprintf(w, ", calls hung up by the server during media: %d", r.ServerByes)
	}
	fmt.Fprintln(w)
	if r.ServerCPU >= 0 && r.Placed > 0 && r.Duration > 0 {
		fmt.Fprintf(w, "server CPU during media: %v over %v = %.1f%% of a core; %.2f ms per call (%.3f ms per call-second)\n",
			r.ServerCPU, r.Duration.Round(time.Millisecond), 100*r.ServerCPU.Seconds()/r.Duration.Seconds(),
			1000*r.ServerCPU.Seconds()/float64(r.Placed),
			1000*r.ServerCPU.Seconds()/float64(r.Placed)/r.Duration.Seconds())
	}
	fmt.Fprintf(w, "load tool CPU: %v\n", r.SelfCPU)
}

// mediaRun registers the callee, places the calls, runs the media phase, hangs up and counts.
func mediaRun(ctx context.Context, p mediaParams, log *slog.Logger) (mediaResult, error) {
	res := mediaResult{ServerCPU: -1}
	codec := codecByName(p.sip.codec)
	callee, err := newUA(sipAccount{User: p.sip.callee, Password: p.sip.calleePassword, Domain: p.sip.domain, Server: p.server}, log)
	if err != nil {
		return res, err
	}
	defer callee.close()
	var calleeIDs atomic.Uint32
	calleeIDs.Store(uint32(p.sip.calls))
	callee.onInvite = func(offer sdpmedia.Media) (sdpmedia.Media, *endpoint, error) {
		// Take whatever G.711 the server offers: it may transcode.
		c, err := sdpmedia.Negotiate(offer, sdpmedia.Supported)
		if err != nil {
			return sdpmedia.Media{}, nil, err
		}
		ep, err := newEndpoint(localIP, calleeIDs.Add(1))
		if err != nil {
			return sdpmedia.Media{}, nil, err
		}
		ep.setRemote(offer.AddrPort(), c.PT)
		return sdpmedia.Media{Addr: localIP, Port: int(ep.local.Port()), Codecs: []sdpmedia.Codec{c},
			Direction: sdpmedia.SendRecv, Ptime: 20}, ep, nil
	}
	if err := callee.register(ctx, 600); err != nil {
		return res, err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := callee.register(uctx, 0); err != nil {
			log.Warn("unregister callee", "err", err)
		}
	}()
	caller, err := newUA(sipAccount{User: p.sip.user, Password: p.sip.password, Domain: p.sip.domain, Server: p.server}, log)
	if err != nil {
		return res, err
	}
	defer caller.close()

	// Place the calls at the set-up rate.
	type placed struct {
		call *outCall
		ep   *endpoint
	}
	var (
		mu      sync.Mutex
		calls   []placed
		wg      sync.WaitGroup
		tick    = time.NewTicker(time.Second / time.Duration(p.rate))
		failErr error
		failed  int
	)
	defer tick.Stop()
	setupStart := time.Now()
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
			oc, err := caller.call(cctx, p.sip.callee, sdpmedia.Media{Addr: localIP, Port: int(ep.local.Port()),
				Codecs: []sdpmedia.Codec{codec}, Direction: sdpmedia.SendRecv, Ptime: 20})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if oc != nil {
					go oc.hangup(ctx)
				}
				ep.close()
				failed++
				if failErr == nil {
					failErr = err
				}
				log.Warn("call failed", "call", i, "err", err)
				return
			}
			ep.setRemote(oc.answer.AddrPort(), oc.codec.PT)
			caller.track(oc, ep)
			calls = append(calls, placed{oc, ep})
		}()
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	wg.Wait()
	res.SetupTime = time.Since(setupStart)
	res.Placed, res.Failed, res.FirstErr = len(calls), failed, failErr
	if len(calls) == 0 {
		return res, fmt.Errorf("no call was established: %w", failErr)
	}
	// Let the last ACKs reach the server before media starts.
	deadline := time.Now().Add(5 * time.Second)
	for len(callee.answered()) < len(calls) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)

	callers := make([]*endpoint, len(calls))
	for i, c := range calls {
		callers[i] = c.ep
	}
	callees := callee.answered()
	all := append(append([]*endpoint(nil), callers...), callees...)

	var cpu0, self0 time.Duration
	if p.pid > 0 {
		if cpu0, err = cpuTime(p.pid); err != nil {
			return res, err
		}
	}
	self0, _ = cpuTime(os.Getpid())
	start := time.Now()
	sendMedia(ctx, all, p.duration)
	res.Duration = time.Since(start)
	if p.pid > 0 {
		if cpu1, err := cpuTime(p.pid); err == nil {
			res.ServerCPU = cpu1 - cpu0
		}
	}
	if self1, err := cpuTime(os.Getpid()); err == nil {
		res.SelfCPU = self1 - self0
	}
	// Packets still in flight arrive within this.
	drain(ctx, all)

	snap := func(eps []*endpoint) []epSnapshot {
		out := make([]epSnapshot, len(eps))
		for i, e := range eps {
			out[i] = snapshot(e)
		}
		return out
	}
	res.mediaReport = account(snap(callers), snap(callees), p.threshold)
	res.ServerByes = int(caller.byes.Load() + callee.byes.Load())

	// Hang up, a bounded number at a time.
	hangupStart := time.Now()
	sem := make(chan struct{}, 100)
	for _, c := range calls {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.call.hangup(ctx); err != nil {
				log.Warn("hangup failed", "err", err)
			}
			c.ep.close()
		}()
	}
	wg.Wait()
	res.HangupTime = time.Since(hangupStart)
	return res, nil
}

// sendMedia sends a 20 ms frame on every endpoint every 20 ms for d, spreading the endpoints
// over a few goroutines whose ticks are staggered so the server sees an even packet rate.
func sendMedia(ctx context.Context, eps []*endpoint, d time.Duration) {
	const perShard = 200
	shards := (len(eps) + perShard - 1) / perShard
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for s := 0; s < shards; s++ {
		part := eps[s*perShard : min((s+1)*perShard, len(eps))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(time.Duration(s) * 20 * time.Millisecond / time.Duration(shards)):
			case <-ctx.Done():
				return
			}
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			// Send every frame that is due, catching up after a late tick so that each
			// endpoint averages 50 packets/s even on a busy machine.
			begin := time.Now()
			for rounds := int64(0); ; {
				due := int64(time.Since(begin)/(20*time.Millisecond)) + 1
				for ; rounds < due && ctx.Err() == nil; rounds++ {
					for _, e := range part {
						e.sendFrame()
					}
				}
				select {
				case <-t.C:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	wg.Wait()
}

// drain waits until no endpoint has received anything for 300 ms (at most 3 s).
func drain(ctx context.Context, eps []*endpoint) {
	total := func() uint64 {
		var n uint64
		for _, e := range eps {
			s := e.rx.stats()
			n += s.Received + s.Dups + s.Foreign + s.Invalid
		}
		return n
	}
	deadline := time.Now().Add(3 * time.Second)
	last := total()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(300 * time.Millisecond)
		n := total()
		if n == last {
			return
		}
		last = n
	}
}
