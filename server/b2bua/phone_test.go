package b2bua

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// testPhone is a SIP phone for integration tests: a sipgo user agent on 127.0.0.1 with its own
// RTP socket. Incoming calls wait for the test to decide (answer, reject).
type testPhone struct {
	t      *testing.T
	name   string
	user   string
	pass   string
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	cli    *sipgo.Client
	conn   net.PacketConn
	addr   string
	rtp    *net.UDPConn
	codecs []sdpmedia.Codec
	dcc    *sipgo.DialogClientCache
	dsc    *sipgo.DialogServerCache

	incoming chan *inbound
	// challenge makes the phone answer INVITEs without credentials with 407, like a carrier.
	challenge   atomic.Bool
	auto        atomic.Bool // answer every call at once (load tests)
	byeCount    atomic.Int64
	early       atomic.Bool // send 183 with SDP (early media, like a carrier's ringback)
	authHeaders chan string
	reinvites   chan sdpmedia.Media
	byes        chan string // Call-ID
	notifies    chan string // sipfrag bodies
	// notifyHook, when set, runs on each NOTIFY body before the phone answers it.
	notifyHook atomic.Pointer[func(body string)]
	infos      chan string
	cancels    chan string
}

type inbound struct {
	req    *sip.Request
	sess   *sipgo.DialogServerSession
	decide chan int // status to answer with
	done   chan error
}

// dialog is either side's sipgo dialog session.
type dialog interface {
	Do(ctx context.Context, req *sip.Request) (*sip.Response, error)
	WriteRequest(req *sip.Request) error
	Bye(ctx context.Context) error
}

func newTestPhone(t *testing.T, ctx context.Context, name, user, pass string, codecs []sdpmedia.Codec) *testPhone {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	host, port, _ := sip.ParseAddr(addr)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname(host))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(addr))
	if err != nil {
		t.Fatal(err)
	}
	r, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: host, Port: port}}
	p := &testPhone{
		t: t, name: name, user: user, pass: pass, ua: ua, srv: srv, cli: cli, conn: conn, addr: addr, rtp: r,
		codecs: codecs,
		dcc:    sipgo.NewDialogClientCache(cli, contact),
		dsc:    sipgo.NewDialogServerCache(cli, contact),

		incoming:  make(chan *inbound, 8),
		reinvites: make(chan sdpmedia.Media, 8),
		byes:      make(chan string, 8),
		notifies:  make(chan string, 16),
		infos:     make(chan string, 8),
		cancels:   make(chan string, 8),

		authHeaders: make(chan string, 8),
	}
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.dsc.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dcc.ReadBye(req, tx); err != nil {
			if err := p.dsc.ReadBye(req, tx); err != nil {
				_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
				return
			}
		}
		p.byeCount.Add(1)
		push(p.byes, req.CallID().Value())
	})
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		if h := p.notifyHook.Load(); h != nil {
			(*h)(string(req.Body()))
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		push(p.notifies, string(req.Body()))
	})
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		push(p.infos, string(req.Body()))
	})
	go func() { _ = srv.ServeUDP(conn) }()
	// The client sends from the listener once the transport layer has it in its pool.
	waitFor(t, "phone listener", func() bool {
		c, err := ua.TransportLayer().GetConnection("udp", addr)
		return err == nil && c != nil
	})
	t.Cleanup(func() {
		conn.Close()
		r.Close()
		ua.Close()
	})
	return p
}

func (p *testPhone) rtpPort() int { return p.rtp.LocalAddr().(*net.UDPAddr).Port }

func (p *testPhone) sdp(dir sdpmedia.Direction) []byte {
	b, err := sdpmedia.Build(sdpmedia.Media{
		Addr: netip.MustParseAddr("127.0.0.1"), Port: p.rtpPort(), Codecs: p.codecs,
		DTMFPT: 101, Direction: dir,
	}, 1, uint64(time.Now().UnixNano()&0xffff))
	if err != nil {
		p.t.Fatal(err)
	}
	return b
}

func (p *testPhone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.To().Params.Has("tag") { // re-INVITE
		m, err := sdpmedia.Parse(req.Body())
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Bad SDP", nil))
			return
		}
		res := sip.NewResponseFromRequest(req, 200, "OK", p.sdp(m.Direction.Reverse()))
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: p.user, Host: "127.0.0.1", Port: p.conn.LocalAddr().(*net.UDPAddr).Port}})
		_ = tx.Respond(res)
		push(p.reinvites, m)
		return
	}
	if p.challenge.Load() && req.GetHeader("Proxy-Authorization") == nil {
		// Act as a carrier that demands digest credentials (RFC 3261 section 22.3).
		res := sip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
		res.AppendHeader(sip.NewHeader("Proxy-Authenticate", `Digest realm="carrier", nonce="n0nce", algorithm=MD5, qop="auth"`))
		_ = tx.Respond(res)
		return
	}
	if p.challenge.Load() {
		push(p.authHeaders, req.GetHeader("Proxy-Authorization").Value())
	}
	sess, err := p.dsc.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad", nil))
		return
	}
	if p.early.Load() {
		_ = sess.Respond(183, "Session Progress", p.sdp(sdpmedia.SendRecv), sip.NewHeader("Content-Type", "application/sdp"))
	} else {
		_ = sess.Respond(180, "Ringing", nil)
	}
	if p.auto.Load() {
		_ = sess.RespondSDP(p.sdp(sdpmedia.SendRecv))
		return
	}
	in := &inbound{req: req, sess: sess, decide: make(chan int, 1), done: make(chan error, 1)}
	cancelled := make(chan struct{})
	tx.OnCancel(func(*sip.Request) { close(cancelled) })
	p.incoming <- in
	select {
	case <-cancelled:
		push(p.cancels, req.CallID().Value())
	case code := <-in.decide:
		if code == 200 {
			in.done <- sess.RespondSDP(p.sdp(sdpmedia.SendRecv))
		} else {
			in.done <- sess.Respond(code, "Rejected", nil)
		}
	case <-tx.Done():
		push(p.cancels, req.CallID().Value())
	}
}

// dial calls uri and waits for the final answer.
func (p *testPhone) dial(ctx context.Context, target string) (*sipgo.DialogClientSession, error) {
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil {
		return nil, err
	}
	sess, err := p.dcc.Invite(ctx, uri, p.sdp(sdpmedia.SendRecv), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return nil, err
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.user, Password: p.pass}); err != nil {
		return sess, err
	}
	return sess, sess.Ack(ctx)
}

// dialResult is the outcome of a call placed in the background.
type dialResult struct {
	sess *sipgo.DialogClientSession
	err  error
}

// dialAsync calls target in the background (so that the test can answer it); the outcome
// arrives on the returned channel.
func (p *testPhone) dialAsync(ctx context.Context, target string) <-chan dialResult {
	done := make(chan dialResult, 1)
	go func() {
		s, err := p.dial(ctx, target)
		done <- dialResult{s, err}
	}()
	return done
}

// answered waits for a call placed with dialAsync to be answered and returns its dialog.
func answered(t *testing.T, done <-chan dialResult, what string) *sipgo.DialogClientSession {
	t.Helper()
	r := recvWithin(t, done, what)
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	return r.sess
}

// dialAs calls target with the given user in From (a carrier presenting the caller's number).
func (p *testPhone) dialAs(ctx context.Context, target, fromUser string) (*sipgo.DialogClientSession, error) {
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil {
		return nil, err
	}
	req := sip.NewRequest(sip.INVITE, uri)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: "carrier.example"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: uri})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(p.sdp(sdpmedia.SendRecv))
	sess, err := p.dcc.WriteInvite(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		return sess, err
	}
	return sess, sess.Ack(ctx)
}

// expectCall waits for an incoming call.
func (p *testPhone) expectCall(t *testing.T) *inbound {
	t.Helper()
	select {
	case in := <-p.incoming:
		return in
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no incoming call", p.name)
	}
	return nil
}

func (in *inbound) answer(t *testing.T, code int) {
	t.Helper()
	in.decide <- code
	select {
	case err := <-in.done:
		if err != nil {
			t.Fatalf("answer %d: %v", code, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("answer timed out")
	}
}

func recvWithin[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// remoteMedia returns where the phone must send RTP in dialog d (from the server's SDP).
func remoteMediaOf(t *testing.T, body []byte) sdpmedia.Media {
	t.Helper()
	m, err := sdpmedia.Parse(body)
	if err != nil {
		t.Fatalf("server SDP: %v\n%s", err, body)
	}
	return m
}

// sendRTP sends n packets with the given payload type and payload to dst.
func (p *testPhone) sendRTP(dst netip.AddrPort, pt uint8, payload []byte, n int) {
	for i := 0; i < n; i++ {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: uint16(i + 1), Timestamp: uint32(160 * i), SSRC: 0x1234}, Payload: payload}
		b, _ := pkt.Marshal()
		_, _ = p.rtp.WriteToUDPAddrPort(b, dst)
		time.Sleep(5 * time.Millisecond)
	}
}

// recvRTP reads RTP until one packet arrives or the deadline passes.
func (p *testPhone) recvRTP(t *testing.T) rtp.Packet {
	t.Helper()
	buf := make([]byte, 1500)
	_ = p.rtp.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := p.rtp.Read(buf)
	if err != nil {
		t.Fatalf("%s: no RTP: %v", p.name, err)
	}
	var pkt rtp.Packet
	if err := pkt.Unmarshal(buf[:n]); err != nil {
		t.Fatal(err)
	}
	return pkt
}

// drainRTP empties the phone's RTP socket.
func (p *testPhone) drainRTP() {
	buf := make([]byte, 1500)
	for {
		_ = p.rtp.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := p.rtp.Read(buf); err != nil {
			return
		}
	}
}

// inDialog sends a request in a dialog and returns the final response.
func inDialog(ctx context.Context, d dialog, target sip.Uri, method sip.RequestMethod, body []byte, hdrs ...sip.Header) (*sip.Response, error) {
	req := sip.NewRequest(method, target)
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	if body != nil {
		req.SetBody(body)
	}
	res, err := d.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if method == sip.INVITE && res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, target)
		if err := d.WriteRequest(ack); err != nil {
			return res, fmt.Errorf("ack: %w", err)
		}
	}
	return res, nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func statusOf(err error) int {
	var de *sipgo.ErrDialogResponse
	if errors.As(err, &de) {
		return de.Res.StatusCode
	}
	return 0
}

// push delivers an event to the test without ever blocking the phone's SIP handlers.
func push[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// gotRTP reports whether an RTP packet arrives within d.
func (p *testPhone) gotRTP(d time.Duration) bool {
	buf := make([]byte, 1500)
	_ = p.rtp.SetReadDeadline(time.Now().Add(d))
	_, err := p.rtp.Read(buf)
	return err == nil
}
