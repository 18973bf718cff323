package main

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

func TestZZRealStack(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ZZ_CALLS"))
	if n == 0 {
		t.Skip()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vaihde.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	cfg := config.Default()
	cfg.SIPAddr = "127.0.0.1:0"
	cfg.TLSAddr = ""
	cfg.MediaIP = "127.0.0.1"
	sig, err := signaling.New(cfg, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := relay.NewPool(relay.Config{BindIP: netip.MustParseAddr("127.0.0.1"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	h, p, _ := net.SplitHostPort(sig.Addr("udp"))
	port, _ := strconv.Atoi(p)
	eng, err := b2bua.New(b2bua.Config{MediaIP: netip.MustParseAddr("127.0.0.1"), ContactHost: h, ContactPort: port,
		UDPLocal: netip.MustParseAddrPort(sig.Addr("udp")), RingTimeout: 8 * time.Second, RequestTimeout: 5 * time.Second},
		b2bua.Deps{Store: st, Directory: sig, Relay: pool, Client: sig.Client(), UA: sig.UA(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	eng.Attach(sig.SIP())
	if err := sig.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { eng.Close(); sig.Close(); pool.Close(); st.Close() }()
	server := netip.MustParseAddrPort(sig.Addr("udp"))
	res, err := mediaRun(ctx, mediaParams{sip: testFlags(n), server: server, duration: 5 * time.Second, rate: 50, pid: os.Getpid(), threshold: 0.5}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res.print(&out, 0.5)
	t.Log("\n" + out.String())
	sres, err := setupRun(ctx, setupParams{sip: testFlags(n), server: server, rate: 50, concurrency: 100}, logger)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	sres.print(&out)
	t.Log("\n" + out.String())
	t.Logf("pool active after: %d", pool.Active())
}
