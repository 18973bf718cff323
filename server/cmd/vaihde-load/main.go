// Command vaihde-load puts bounded media and call load on a Vaihde server running on this machine
// and reports what came through:
//
//	vaihde-load media -calls N -duration 30s -server 127.0.0.1:5060 -user 1001 -password demo1001 \
//	    -callee 1002 -callee-password demo1002 [-server-pid PID]
//	vaihde-load setup -calls N -rate R -server 127.0.0.1:5060 …
//	vaihde-load queue -calls 500 -queue 8000 -agents 50 -agent-first 2001 -api http://127.0.0.1:8080 …
//	vaihde-load relay -calls N -duration 10s   (the relay alone, in a child process, no SIP)
//
// It only ever talks to loopback addresses and stops by itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Bounds that keep a run from becoming something else than a benchmark.
const (
	maxCalls    = 5000
	maxDuration = 10 * time.Minute
	maxRate     = 1000
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "vaihde-load:", err)
		os.Exit(1)
	}
}

const usage = `usage: vaihde-load media|setup|queue|seed-queue|relay [flags]   (vaihde-load CMD -h for flags)`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "media":
		return runMedia(ctx, args[1:], stdout, stderr)
	case "setup":
		return runSetup(ctx, args[1:], stdout, stderr)
	case "queue":
		return runQueue(ctx, args[1:], stdout, stderr)
	case "seed-queue":
		return runSeedQueue(ctx, args[1:], stdout, stderr)
	case "relay":
		return runRelay(ctx, args[1:], stdout, stderr)
	case relayChildCmd:
		return runRelayChild(ctx, os.Stdin, stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q; %s", args[0], usage)
}

// sipFlags are the flags media and setup share.
type sipFlags struct {
	calls                  int
	server                 string
	domain                 string
	user, password         string
	callee, calleePassword string
	codec                  string
	verbose                bool
}

// parse registers the SIP flags every load test shares on fs, parses args, checks the shared
// flags and returns the server's address.
func (f *sipFlags) parse(fs *flag.FlagSet, args []string) (netip.AddrPort, error) {
	fs.IntVar(&f.calls, "calls", 10, "number of calls")
	fs.StringVar(&f.server, "server", "127.0.0.1:5060", "server SIP address (loopback only)")
	fs.StringVar(&f.domain, "domain", "", "SIP domain of the users (default: the server's IP)")
	fs.StringVar(&f.user, "user", "1001", "caller extension")
	fs.StringVar(&f.password, "password", "demo1001", "caller password")
	fs.StringVar(&f.callee, "callee", "1002", "callee extension (registered by this tool, auto-answers)")
	fs.StringVar(&f.calleePassword, "callee-password", "demo1002", "callee password")
	fs.StringVar(&f.codec, "codec", "PCMU", "codec both ends offer: PCMU or PCMA")
	fs.BoolVar(&f.verbose, "v", false, "log SIP errors")
	if err := fs.Parse(args); err != nil {
		return netip.AddrPort{}, err
	}
	if f.calls < 1 || f.calls > maxCalls {
		return netip.AddrPort{}, fmt.Errorf("-calls %d: must be 1..%d", f.calls, maxCalls)
	}
	if f.codec != "PCMU" && f.codec != "PCMA" {
		return netip.AddrPort{}, fmt.Errorf("-codec %q: PCMU or PCMA", f.codec)
	}
	return loopback(f.server)
}

func (f *sipFlags) logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelError + 4 // sipgo is chatty about retransmissions under load
	if f.verbose {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// sipgo's transport layer logs through its package default (e.g. stray datagrams).
	sip.SetDefaultLogger(log)
	return log
}

// loopback resolves addr and refuses anything but a loopback address: this tool generates load
// and must never send it elsewhere.
func loopback(addr string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("server address %q: %w", addr, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return netip.AddrPort{}, fmt.Errorf("server port %q: invalid", port)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if !strings.EqualFold(host, "localhost") {
			return netip.AddrPort{}, fmt.Errorf("server %q: give a loopback IP address", host)
		}
		ip = netip.MustParseAddr("127.0.0.1")
	}
	if !ip.Unmap().IsLoopback() {
		return netip.AddrPort{}, fmt.Errorf("server %v is not a loopback address: refusing to send load there", ip)
	}
	if !ip.Unmap().Is4() {
		return netip.AddrPort{}, fmt.Errorf("server %v: only 127.0.0.0/8 is supported", ip)
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)), nil
}

// cpuTime returns the user+system CPU time a process has used, from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read process cpu time: %w", err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15, in clock ticks of 1/100 s) of a
// /proc/PID/stat line; the command name in field 2 may contain spaces and parentheses.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("parse /proc stat: no command name")
	}
	fields := strings.Fields(stat[i+1:])
	// fields[0] is field 3 (state); utime is field 14 → fields[11].
	if len(fields) < 13 {
		return 0, errors.New("parse /proc stat: too few fields")
	}
	ut, err1 := strconv.ParseUint(fields[11], 10, 64)
	st, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("parse /proc stat: %w", err)
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(ut+st) * tick, nil
}
