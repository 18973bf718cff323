package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"time"

	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// relayChildCmd is the hidden subcommand that hosts the relay in its own process, so that its
// CPU time can be measured apart from the load generator's.
const relayChildCmd = "relay-child"

// relaySetup is what the parent tells the child: the phones' RTP ports, per call.
type relaySetup struct {
	Pairs   [][2]uint16 `json:"pairs"`
	CodecA  string      `json:"codec_a"`
	CodecB  string      `json:"codec_b"`
	PortMin int         `json:"port_min"`
	PortMax int         `json:"port_max"`
}

// relayLegs is the child's answer: the relay's RTP ports, per call.
type relayLegs struct {
	Legs  [][2]uint16 `json:"legs,omitempty"`
	Error string      `json:"error,omitempty"`
}

// relayTotals is the child's last word, when its stdin closes.
type relayTotals struct {
	PacketsIn, PacketsOut, Lost, Dropped, Invalid uint64
}

func runRelay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		calls     = fs.Int("calls", 100, "number of relayed calls (two legs each)")
		duration  = fs.Duration("duration", 10*time.Second, "how long both ends send media")
		transcode = fs.Bool("transcode", true, "callers speak PCMU, callees PCMA (the relay transcodes every packet)")
		threshold = fs.Float64("threshold", 0.5, "per-call loss in percent above which a call counts as lossy")
		portMin   = fs.Int("port-min", 0, "relay port range start (0: ephemeral ports)")
		portMax   = fs.Int("port-max", 0, "relay port range end")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *calls < 1 || *calls > maxCalls {
		return fmt.Errorf("-calls %d: must be 1..%d", *calls, maxCalls)
	}
	if *duration <= 0 || *duration > maxDuration {
		return fmt.Errorf("-duration %v: must be in (0, %v]", *duration, maxDuration)
	}
	ctx, cancel := context.WithTimeout(ctx, *duration+2*time.Minute)
	defer cancel()
	setup := relaySetup{CodecA: "PCMU", CodecB: "PCMU", PortMin: *portMin, PortMax: *portMax}
	if *transcode {
		setup.CodecB = "PCMA"
	}
	callers := make([]*endpoint, 0, *calls)
	callees := make([]*endpoint, 0, *calls)
	defer func() {
		for _, e := range append(callers, callees...) {
			e.close()
		}
	}()
	for i := 0; i < *calls; i++ {
		a, err := newEndpoint(localIP, uint32(i))
		if err != nil {
			return err
		}
		callers = append(callers, a)
		b, err := newEndpoint(localIP, uint32(*calls+i))
		if err != nil {
			return err
		}
		callees = append(callees, b)
		setup.Pairs = append(setup.Pairs, [2]uint16{a.local.Port(), b.local.Port()})
	}

	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(exe, relayChildCmd)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("relay child stdin: %w", err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("relay child stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start relay child: %w", err)
	}
	exited := make(chan error, 1)
	defer func() {
		in.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	out := bufio.NewReader(outPipe)
	if err := json.NewEncoder(in).Encode(setup); err != nil {
		return fmt.Errorf("send relay setup: %w", err)
	}
	var legs relayLegs
	line, err := out.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &legs)
	}
	if err != nil || legs.Error != "" || len(legs.Legs) != len(setup.Pairs) {
		go func() { exited <- cmd.Wait() }()
		return fmt.Errorf("relay child setup failed: %v %s", err, legs.Error)
	}
	totalsCh := make(chan relayTotals, 1)
	go func() {
		var t relayTotals
		if line, err := out.ReadBytes('\n'); err == nil {
			_ = json.Unmarshal(line, &t)
		}
		totalsCh <- t
		_, _ = io.Copy(io.Discard, out)
		exited <- cmd.Wait()
	}()
	ptA, ptB := codecByName(setup.CodecA).PT, codecByName(setup.CodecB).PT
	for i, l := range legs.Legs {
		callers[i].setRemote(netip.AddrPortFrom(localIP, l[0]), ptA)
		callees[i].setRemote(netip.AddrPortFrom(localIP, l[1]), ptB)
	}

	pid := cmd.Process.Pid
	cpu0, err := cpuTime(pid)
	if err != nil {
		return err
	}
	self0, _ := cpuTime(os.Getpid())
	start := time.Now()
	sendMedia(ctx, append(append([]*endpoint(nil), callers...), callees...), *duration)
	elapsed := time.Since(start)
	cpu1, err := cpuTime(pid)
	if err != nil {
		return err
	}
	self1, _ := cpuTime(os.Getpid())
	drain(ctx, append(append([]*endpoint(nil), callers...), callees...))
	snap := func(eps []*endpoint) []epSnapshot {
		s := make([]epSnapshot, len(eps))
		for i, e := range eps {
			s[i] = snapshot(e)
		}
		return s
	}
	rep := account(snap(callers), snap(callees), *threshold)
	in.Close()
	var totals relayTotals
	select {
	case totals = <-totalsCh:
	case <-time.After(10 * time.Second):
	}
	res := mediaResult{mediaReport: rep, Placed: *calls, Duration: elapsed, ServerCPU: cpu1 - cpu0, SelfCPU: self1 - self0}
	res.print(stdout, *threshold)
	pps := float64(rep.Sent) / elapsed.Seconds()
	fmt.Fprintf(stdout, "relay: %d legs, %.0f packets/s in and out, %.2f µs CPU per relayed packet; relay counted in %d out %d lost %d dropped %d invalid %d\n",
		2**calls, pps, 1e6*(cpu1-cpu0).Seconds()/float64(max(rep.Sent, 1)),
		totals.PacketsIn, totals.PacketsOut, totals.Lost, totals.Dropped, totals.Invalid)
	return nil
}

// runRelayChild reads a relaySetup from in, opens and bridges the legs, answers with their ports
// and relays until in closes; then it writes the totals and exits.
func runRelayChild(ctx context.Context, in io.Reader, out io.Writer) error {
	dec := json.NewDecoder(in)
	var setup relaySetup
	if err := dec.Decode(&setup); err != nil {
		return fmt.Errorf("read relay setup: %w", err)
	}
	enc := json.NewEncoder(out)
	fail := func(err error) error {
		_ = enc.Encode(relayLegs{Error: err.Error()})
		return err
	}
	pool, err := relay.NewPool(relay.Config{BindIP: localIP, PortMin: setup.PortMin, PortMax: setup.PortMax})
	if err != nil {
		return fail(err)
	}
	defer pool.Close()
	ca, cb := codecByName(setup.CodecA), codecByName(setup.CodecB)
	var legs relayLegs
	var all []*relay.Leg
	for _, pr := range setup.Pairs {
		a, err := pool.NewLeg()
		if err != nil {
			return fail(err)
		}
		b, err := pool.NewLeg()
		if err != nil {
			return fail(err)
		}
		ma := sdpmedia.Media{Addr: localIP, Port: int(pr[0]), Codecs: []sdpmedia.Codec{ca}, Direction: sdpmedia.SendRecv}
		mb := sdpmedia.Media{Addr: localIP, Port: int(pr[1]), Codecs: []sdpmedia.Codec{cb}, Direction: sdpmedia.SendRecv}
		if err := errors.Join(a.SetRemote(ma, ca), b.SetRemote(mb, cb)); err != nil {
			return fail(err)
		}
		relay.Bridge(a, b)
		all = append(all, a, b)
		legs.Legs = append(legs.Legs, [2]uint16{a.LocalAddr().Port(), b.LocalAddr().Port()})
	}
	if err := enc.Encode(legs); err != nil {
		return err
	}
	// Relay until the parent closes stdin (or dies), bounded by ctx.
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, in)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	case <-time.After(maxDuration + time.Minute):
	}
	var t relayTotals
	for _, l := range all {
		s := l.Stats()
		t.PacketsIn += s.PacketsIn
		t.PacketsOut += s.PacketsOut
		t.Lost += s.Lost
		t.Dropped += s.Dropped
		t.Invalid += s.Invalid
	}
	return enc.Encode(t)
}
