package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// testPBX is a minimal B2BUA for testing this tool: digest-authenticated REGISTER and INVITE,
// one registered contact per user, media anchored on a real relay pool, and a fixed codec
// towards the callee so that the relay transcodes.
type testPBX struct {
	t         *testing.T
	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	cli       *sipgo.Client
	addr      netip.AddrPort
	contact   sip.ContactHeader
	pool      *relay.Pool
	users     map[string]string
	calleeCdc sdpmedia.Codec
	dsrv      *sipgo.DialogServerCache
	dua       *sipgo.DialogUA

	mu       sync.Mutex
	contacts map[string]sip.Uri
	calls    map[string]*pbxCall

	answered, hungUp, challenged atomic.Int64
}

type pbxCall struct {
	out  *sipgo.DialogClientSession
	a, b *relay.Leg
}

const testRealm = "demo.vaihde.local"

func newTestPBX(t *testing.T, users map[string]string, calleeCodec sdpmedia.Codec) *testPBX {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	pool, err := relay.NewPool(relay.Config{BindIP: localIP, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	p := &testPBX{t: t, addr: addr, pool: pool, users: users, calleeCdc: calleeCodec,
		contacts: map[string]sip.Uri{}, calls: map[string]*pbxCall{}}
	p.ua, _ = sipgo.NewUA(sipgo.WithUserAgent("pbx"), sipgo.WithUserAgentHostname(testRealm))
	p.srv, _ = sipgo.NewServer(p.ua, sipgo.WithServerLogger(log))
	p.cli, _ = sipgo.NewClient(p.ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"),
		sipgo.WithClientPort(int(addr.Port())), sipgo.WithClientConnectionAddr(addr.String()))
	p.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "pbx", Host: "127.0.0.1", Port: int(addr.Port())}}
	p.dsrv = sipgo.NewDialogServerCache(p.cli, p.contact)
	p.dua = &sipgo.DialogUA{Client: p.cli, ContactHDR: p.contact}
	p.srv.OnRegister(p.onRegister)
	p.srv.OnInvite(p.onInvite)
	p.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.dsrv.ReadAck(req, tx) })
	p.srv.OnBye(p.onBye)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = p.srv.ServeUDP(conn)
	}()
	if err := waitListening(p.ua, addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.ua.Close()
		conn.Close()
		<-served
		pool.Close()
	})
	return p
}

// authorized checks the request's digest credentials, challenging it if they are missing or wrong.
func (p *testPBX) authorized(req *sip.Request, tx sip.ServerTransaction) (string, bool) {
	if h := req.GetHeader("Authorization"); h != nil {
		cred, err := digest.ParseCredentials(h.Value())
		if err == nil {
			if pw, ok := p.users[cred.Username]; ok {
				want, err := digest.Digest(&digest.Challenge{Realm: testRealm, Nonce: cred.Nonce, Algorithm: cred.Algorithm, Opaque: cred.Opaque},
					digest.Options{Method: req.Method.String(), URI: cred.URI, Username: cred.Username, Password: pw})
				if err == nil && want.Response == cred.Response {
					return cred.Username, true
				}
			}
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
		return "", false
	}
	p.challenged.Add(1)
	res := sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil)
	chal := digest.Challenge{Realm: testRealm, Nonce: fmt.Sprintf("%x", rand.Uint64()), Algorithm: "MD5"}
	res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
	_ = tx.Respond(res)
	return "", false
}

func (p *testPBX) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	user, ok := p.authorized(req, tx)
	if !ok {
		return
	}
	p.mu.Lock()
	if h := req.GetHeader("Expires"); h != nil && h.Value() == "0" {
		delete(p.contacts, user)
	} else if c := req.Contact(); c != nil {
		p.contacts[user] = c.Address
	}
	p.mu.Unlock()
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
}

func (p *testPBX) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if _, ok := p.authorized(req, tx); !ok {
		return
	}
	fail := func(code int, reason string) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
	}
	p.mu.Lock()
	target, ok := p.contacts[req.Recipient.User]
	p.mu.Unlock()
	if !ok {
		fail(sip.StatusNotFound, "Not Found")
		return
	}
	offer, err := sdpmedia.Parse(req.Body())
	if err != nil {
		fail(sip.StatusBadRequest, "Bad SDP")
		return
	}
	codecA, err := sdpmedia.Negotiate(offer, sdpmedia.Supported)
	if err != nil {
		fail(sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	in, err := p.dsrv.ReadInvite(req, tx)
	if err != nil {
		fail(sip.StatusBadRequest, "Bad Request")
		return
	}
	a, errA := p.pool.NewLeg()
	b, errB := p.pool.NewLeg()
	if errA != nil || errB != nil {
		_ = in.Respond(sip.StatusServiceUnavailable, "No Media Ports", nil)
		return
	}
	if err := a.SetRemote(offer, codecA); err != nil {
		_ = in.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	bOffer, _ := sdpmedia.Build(sdpmedia.Media{Addr: localIP, Port: int(b.LocalAddr().Port()),
		Codecs: []sdpmedia.Codec{p.calleeCdc}, Direction: sdpmedia.SendRecv}, 1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := p.dua.Invite(ctx, target, bOffer, sip.NewHeader("Content-Type", "application/sdp"))
	if err == nil {
		err = out.WaitAnswer(ctx, sipgo.AnswerOptions{})
	}
	if err == nil {
		err = out.Ack(ctx)
	}
	var answer sdpmedia.Media
	if err == nil {
		answer, err = sdpmedia.Parse(out.InviteResponse.Body())
	}
	if err == nil {
		err = b.SetRemote(answer, p.calleeCdc)
	}
	if err != nil {
		p.t.Logf("pbx: callee leg failed: %v", err)
		a.Close()
		b.Close()
		_ = in.Respond(sip.StatusServiceUnavailable, "Callee Failed", nil)
		return
	}
	relay.Bridge(a, b)
	p.mu.Lock()
	p.calls[req.CallID().Value()] = &pbxCall{out: out, a: a, b: b}
	p.mu.Unlock()
	aAnswer, _ := sdpmedia.Build(sdpmedia.Media{Addr: localIP, Port: int(a.LocalAddr().Port()),
		Codecs: []sdpmedia.Codec{codecA}, Direction: sdpmedia.SendRecv}, 2, 1)
	p.answered.Add(1)
	// Blocks until the ACK; with no hold time the BYE may overtake it, which is no failure here.
	_ = in.RespondSDP(aAnswer)
}

func (p *testPBX) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if err := p.dsrv.ReadBye(req, tx); err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "No Call", nil))
		return
	}
	p.mu.Lock()
	c := p.calls[req.CallID().Value()]
	delete(p.calls, req.CallID().Value())
	p.mu.Unlock()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.out.Bye(ctx)
	c.out.Close()
	c.a.Close()
	c.b.Close()
	p.hungUp.Add(1)
}

var demoUsers = map[string]string{"1001": "demo1001", "1002": "demo1002"}

func testFlags(calls int) sipFlags {
	return sipFlags{calls: calls, user: "1001", password: "demo1001", callee: "1002", calleePassword: "demo1002", codec: "PCMU"}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// TestIntegrationMediaThroughB2BUA runs the media command's whole flow (register, digest-authed
// INVITEs, 20 ms RTP both ways through a transcoding relay, counting, BYE) against testPBX.
func TestIntegrationMediaThroughB2BUA(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	pbx := newTestPBX(t, demoUsers, sdpmedia.PCMA)
	const calls = 6
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	res, err := mediaRun(ctx, mediaParams{sip: testFlags(calls), server: pbx.addr, duration: 2 * time.Second,
		rate: 20, pid: os.Getpid(), threshold: 0.5}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res.print(&out, 0.5)
	t.Log("\n" + out.String())
	if res.Placed != calls || res.Failed != 0 {
		t.Fatalf("placed %d failed %d, want %d and 0", res.Placed, res.Failed, calls)
	}
	// 2 s at 50 pps, both ways; a loaded machine may send a little less.
	if min := uint64(calls * 2 * 80); res.Sent < min {
		t.Errorf("sent %d packets, want at least %d", res.Sent, min)
	}
	if res.Received < res.Sent*95/100 {
		t.Errorf("received %d of %d packets", res.Received, res.Sent)
	}
	if res.SilentCalls != 0 || res.Foreign != 0 || res.SSRCChanges != 0 {
		t.Errorf("silent %d crossed %d SSRC changes %d, want none", res.SilentCalls, res.Foreign, res.SSRCChanges)
	}
	if res.ServerCPU <= 0 {
		t.Errorf("server CPU %v, want measured", res.ServerCPU)
	}
	if pbx.challenged.Load() < calls {
		t.Errorf("only %d requests were challenged", pbx.challenged.Load())
	}
	waitUntil(t, func() bool { return pbx.hungUp.Load() == calls && pbx.pool.Active() == 0 },
		"all calls hung up and relay legs closed")
	pbx.mu.Lock()
	_, still := pbx.contacts["1002"]
	pbx.mu.Unlock()
	if still {
		t.Error("callee still registered after the run")
	}
}

// TestIntegrationSetupThroughB2BUA: call set-ups at a fixed rate all complete; a wrong password
// makes every call fail with the server's answer.
func TestIntegrationSetupThroughB2BUA(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	pbx := newTestPBX(t, demoUsers, sdpmedia.PCMU)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	const calls = 20
	res, err := setupRun(ctx, setupParams{sip: testFlags(calls), server: pbx.addr, rate: 40, concurrency: 10}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res.print(&out)
	t.Log("\n" + out.String())
	if res.Attempted != calls || res.OK != calls || res.Failed != 0 || len(res.Latencies) != calls {
		t.Fatalf("result %+v, want %d completed", res, calls)
	}
	if int(pbx.answered.Load()) != calls {
		t.Errorf("pbx answered %d calls", pbx.answered.Load())
	}
	waitUntil(t, func() bool { return pbx.hungUp.Load() == calls }, "all calls hung up")

	bad := testFlags(3)
	bad.password = "wrong"
	res, err = setupRun(ctx, setupParams{sip: bad, server: pbx.addr, rate: 40, concurrency: 10}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 0 || res.Failed != 3 {
		t.Fatalf("with a wrong password: %+v", res)
	}
	for e := range res.Errors {
		if !strings.Contains(e, "403") {
			t.Errorf("failure %q, want the server's 403", e)
		}
	}
}

func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIntegrationMediaScale is the media command at scale against testPBX; it runs only when
// VAIHDE_LOAD_CALLS is set (e.g. 500), as it takes most of the machine for a while.
func TestIntegrationMediaScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("VAIHDE_LOAD_CALLS"))
	if testing.Short() || n <= 0 {
		t.Skip("set VAIHDE_LOAD_CALLS to run")
	}
	pbx := newTestPBX(t, demoUsers, sdpmedia.PCMA)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	res, err := mediaRun(ctx, mediaParams{sip: testFlags(n), server: pbx.addr, duration: 10 * time.Second,
		rate: 200, pid: os.Getpid(), threshold: 0.5}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res.print(&out, 0.5)
	t.Log("\n" + out.String())
	if res.Placed != n || res.LossPct > 0.5 {
		t.Errorf("placed %d of %d, loss %.3f%%", res.Placed, n, res.LossPct)
	}
}
