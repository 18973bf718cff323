package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/vaihde/vaihde/shared/sdpmedia"
)

func runSetup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		f           sipFlags
		rate        = fs.Int("rate", 20, "call attempts per second")
		hold        = fs.Duration("hold", 0, "how long each call stays up before BYE")
		concurrency = fs.Int("concurrency", 500, "calls in progress at most")
	)
	server, err := f.parse(fs, args)
	if err != nil {
		return err
	}
	if *rate < 1 || *rate > maxRate {
		return fmt.Errorf("-rate %d: must be 1..%d", *rate, maxRate)
	}
	if *hold < 0 || *hold > maxDuration {
		return fmt.Errorf("-hold %v: must be in [0, %v]", *hold, maxDuration)
	}
	if *concurrency < 1 || *concurrency > maxCalls {
		return fmt.Errorf("-concurrency %d: must be 1..%d", *concurrency, maxCalls)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(f.calls / *rate)*time.Second+*hold+120*time.Second)
	defer cancel()
	r, err := setupRun(ctx, setupParams{sip: f, server: server, rate: *rate, hold: *hold, concurrency: *concurrency}, f.logger(stderr))
	if err != nil {
		return err
	}
	r.print(stdout)
	return nil
}

type setupParams struct {
	sip         sipFlags
	server      netip.AddrPort
	rate        int
	hold        time.Duration
	concurrency int
}

type setupResult struct {
	Attempted, OK, Failed int
	Errors                map[string]int
	Elapsed               time.Duration
	Latencies             []time.Duration // INVITE sent → 200 OK, of successful calls
}

func (r setupResult) print(w io.Writer) {
	fmt.Fprintf(w, "set-ups: %d attempted, %d completed (INVITE→200→ACK→BYE), %d failed in %v\n",
		r.Attempted, r.OK, r.Failed, r.Elapsed.Round(time.Millisecond))
	if r.Elapsed > 0 {
		fmt.Fprintf(w, "achieved rate: %.1f completed calls/s\n", float64(r.OK)/r.Elapsed.Seconds())
	}
	if len(r.Latencies) > 0 {
		l := slices.Clone(r.Latencies)
		slices.Sort(l)
		q := func(p float64) time.Duration { return l[min(len(l)-1, int(p*float64(len(l))))] }
		fmt.Fprintf(w, "answer latency: p50 %v, p95 %v, max %v\n", q(0.5).Round(time.Microsecond*100),
			q(0.95).Round(time.Microsecond*100), l[len(l)-1].Round(time.Microsecond*100))
	}
	for e, n := range r.Errors {
		fmt.Fprintf(w, "failure %dx: %s\n", n, e)
	}
}

// setupRun places calls at a fixed rate, each answered by the callee at once and hung up after
// hold; media is offered but not sent.
func setupRun(ctx context.Context, p setupParams, log *slog.Logger) (setupResult, error) {
	res := setupResult{Errors: map[string]int{}}
	codec := codecByName(p.sip.codec)
	// One silent endpoint that both sides name in their SDP; it only counts.
	sink, err := newEndpoint(localIP, 0)
	if err != nil {
		return res, err
	}
	defer sink.close()
	callee, err := newUA(sipAccount{User: p.sip.callee, Password: p.sip.calleePassword, Domain: p.sip.domain, Server: p.server}, log)
	if err != nil {
		return res, err
	}
	defer callee.close()
	callee.onInvite = func(offer sdpmedia.Media) (sdpmedia.Media, *endpoint, error) {
		c, err := sdpmedia.Negotiate(offer, sdpmedia.Supported)
		if err != nil {
			return sdpmedia.Media{}, nil, err
		}
		return sdpmedia.Media{Addr: localIP, Port: int(sink.local.Port()), Codecs: []sdpmedia.Codec{c},
			Direction: sdpmedia.SendRecv, Ptime: 20}, nil, nil
	}
	if err := callee.register(ctx, 600); err != nil {
		return res, err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = callee.register(uctx, 0)
	}()
	caller, err := newUA(sipAccount{User: p.sip.user, Password: p.sip.password, Domain: p.sip.domain, Server: p.server}, log)
	if err != nil {
		return res, err
	}
	defer caller.close()

	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		sem  = make(chan struct{}, p.concurrency)
		tick = time.NewTicker(time.Second / time.Duration(p.rate))
	)
	defer tick.Stop()
	start := time.Now()
	offer := sdpmedia.Media{Addr: localIP, Port: int(sink.local.Port()), Codecs: []sdpmedia.Codec{codec},
		Direction: sdpmedia.SendRecv, Ptime: 20}
	for i := 0; i < p.sip.calls && ctx.Err() == nil; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		res.Attempted++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, 32*time.Second+p.hold)
			defer cancel()
			t0 := time.Now()
			oc, err := caller.call(cctx, p.sip.callee, offer)
			lat := time.Since(t0)
			if err == nil && p.hold > 0 {
				select {
				case <-time.After(p.hold):
				case <-cctx.Done():
				}
			}
			if oc != nil {
				if herr := oc.hangup(cctx); err == nil {
					err = herr
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Failed++
				res.Errors[errorKind(err)]++
				log.Warn("call failed", "call", i, "err", err)
				return
			}
			res.OK++
			res.Latencies = append(res.Latencies, lat)
		}()
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, nil
}

// errorKind groups errors for the report: the SIP status of a rejection, else the message.
func errorKind(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}
