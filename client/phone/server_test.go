package phone

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/client/media"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// testServer is a small real SIP server for the engine's tests: a digest-authenticating
// registrar, a stateful proxy to registered users, and a few numbers it answers itself:
//
//	7000      answers, plays 440 Hz, records audio and DTMF, accepts hold and REFER
//	7001      rings forever
//	486/404/603/480/503  fail with that status
type testServer struct {
	t      *testing.T
	addr   string
	realm  string
	ua     *sipgo.UserAgent
	client *sipgo.Client
	conn   net.PacketConn
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	algorithms []string // offered in this order
	proxyAuth  bool     // challenge INVITEs with 407
	grant      int      // registration lifetime granted, seconds

	mu        sync.Mutex
	users     map[string]string // extension → password
	contacts  map[string]sip.Uri
	nonces    map[string]bool
	registers []*sip.Request
	invites   []*sip.Request // initial INVITEs received, in order
	messages  []*sip.Request
	peers     map[string]*peerCall // by Call-ID
	peerOrder []*peerCall
}

// peerCall is a call the server answered itself.
type peerCall struct {
	dlg      *sipgo.DialogServerSession
	sess     *media.Session
	sink     *audiotest.RecordSink
	mu       sync.Mutex
	keys     string
	dirs     []sdpmedia.Direction // directions of re-INVITE offers
	referTo  []string
	byeSeen  bool
	localTag string
	peerTag  string
	callID   string
}

func (p *peerCall) snapshot() (keys string, dirs []sdpmedia.Direction, refers []string, bye bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys, append([]sdpmedia.Direction(nil), p.dirs...), append([]string(nil), p.referTo...), p.byeSeen
}

func newTestServer(t *testing.T) *testServer { return newTestServerAt(t, "127.0.0.1:0") }

// newTestServerAt starts a test server on addr (a fixed port lets a test restart it).
func newTestServerAt(t *testing.T, addr string) *testServer {
	t.Helper()
	s := &testServer{t: t, realm: "test.vaihde", algorithms: []string{"SHA-256", "MD5"}, grant: 300,
		users: map[string]string{}, contacts: map[string]sip.Uri{}, nonces: map[string]bool{},
		peers: map[string]*peerCall{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.conn = conn
	s.addr = conn.LocalAddr().String()
	s.ua, err = sipgo.NewUA(sipgo.WithUserAgent("testserver"))
	if err != nil {
		t.Fatal(err)
	}
	s.client, err = sipgo.NewClient(s.ua, sipgo.WithClientConnectionAddr(s.addr))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(s.ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(s.onRegister)
	srv.OnInvite(s.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if p := s.peer(req); p != nil {
			_ = p.dlg.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p := s.peer(req)
		if p == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Call", nil))
			return
		}
		p.mu.Lock()
		p.byeSeen = true
		p.mu.Unlock()
		_ = p.dlg.ReadBye(req, tx)
		p.sess.Close()
	})
	srv.OnRefer(s.onRefer)
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnMessage(s.onMessage)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.ServeUDP(conn)
	}()
	t.Cleanup(s.close)
	return s
}

func (s *testServer) close() {
	if s.ctx.Err() != nil {
		return
	}
	s.cancel()
	s.mu.Lock()
	for _, p := range s.peerOrder {
		p.sess.Close()
	}
	s.mu.Unlock()
	s.conn.Close()
	s.ua.Close()
	s.wg.Wait()
}

func (s *testServer) addUser(ext, pw string) {
	s.mu.Lock()
	s.users[ext] = pw
	s.mu.Unlock()
}

func (s *testServer) peer(req *sip.Request) *peerCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cid := req.CallID(); cid != nil {
		return s.peers[cid.Value()]
	}
	return nil
}

// lastPeer waits for the n-th (1-based) call the server answered itself.
func (s *testServer) nthPeer(n int) *peerCall {
	s.t.Helper()
	var p *peerCall
	waitFor(s.t, fmt.Sprintf("server answers call %d", n), func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.peerOrder) >= n {
			p = s.peerOrder[n-1]
			return true
		}
		return false
	})
	return p
}

func (s *testServer) registerCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.registers)
}

// lastInviteBody is the SDP of the last initial INVITE the server received.
func (s *testServer) lastInviteBody(t *testing.T) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.invites) == 0 {
		t.Fatal("the server received no INVITE")
	}
	return string(s.invites[len(s.invites)-1].Body())
}

func (s *testServer) lastRegister() *sip.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.registers) == 0 {
		return nil
	}
	return s.registers[len(s.registers)-1]
}

func (s *testServer) challenge(req *sip.Request, tx sip.ServerTransaction, code int, reason, header string) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	s.mu.Lock()
	for _, alg := range s.algorithms {
		nonce := sip.GenerateTagN(24)
		s.nonces[nonce] = true
		ch := digest.Challenge{Realm: s.realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}}
		res.AppendHeader(sip.NewHeader(header, ch.String()))
	}
	s.mu.Unlock()
	_ = tx.Respond(res)
}

// authorized checks the digest credentials in header; it returns the user or "".
func (s *testServer) authorized(req *sip.Request, header string) (user string, present bool) {
	h := req.GetHeader(header)
	if h == nil {
		return "", false
	}
	cr, err := digest.ParseCredentials(h.Value())
	if err != nil {
		return "", true
	}
	s.mu.Lock()
	pw, okUser := s.users[cr.Username]
	okNonce := s.nonces[cr.Nonce]
	s.mu.Unlock()
	if !okUser || !okNonce {
		return "", true
	}
	want, err := digest.Digest(&digest.Challenge{Realm: s.realm, Nonce: cr.Nonce, Algorithm: cr.Algorithm,
		QOP: []string{"auth"}, Opaque: cr.Opaque},
		digest.Options{Method: string(req.Method), URI: cr.URI, Username: cr.Username, Password: pw,
			Cnonce: cr.Cnonce, Count: cr.Nc})
	if err != nil || want.Response != cr.Response {
		return "", true
	}
	return cr.Username, true
}

func (s *testServer) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	s.mu.Lock()
	s.registers = append(s.registers, req.Clone())
	s.mu.Unlock()
	user, present := s.authorized(req, "Authorization")
	if user == "" {
		if present {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
			return
		}
		s.challenge(req, tx, 401, "Unauthorized", "WWW-Authenticate")
		return
	}
	exp := s.grant
	if h := req.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil && n < exp {
			exp = n
		}
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	s.mu.Lock()
	if c := req.Contact(); c != nil {
		if exp == 0 {
			delete(s.contacts, user)
		} else {
			s.contacts[user] = c.Address
			ct := sip.ContactHeader{Address: c.Address, Params: sip.NewParams()}
			ct.Params.Add("expires", strconv.Itoa(exp))
			res.AppendHeader(&ct)
		}
	}
	s.mu.Unlock()
	_ = tx.Respond(res)
}

func (s *testServer) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.To().Params.Has("tag") {
		s.onPeerReinvite(req, tx)
		return
	}
	if s.proxyAuth {
		if user, _ := s.authorized(req, "Proxy-Authorization"); user == "" {
			s.challenge(req, tx, 407, "Proxy Authentication Required", "Proxy-Authenticate")
			return
		}
	}
	s.mu.Lock()
	s.invites = append(s.invites, req.Clone())
	s.mu.Unlock()
	user := req.Recipient.User
	switch user {
	case "486", "404", "603", "480", "503":
		code, _ := strconv.Atoi(user)
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, "Test", nil))
		return
	case "7000", "7001", "7002":
		s.answerPeer(req, tx, user)
		return
	}
	s.mu.Lock()
	target, ok := s.contacts[user]
	s.mu.Unlock()
	if !ok {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return
	}
	s.proxy(req, tx, target)
}

// proxy forwards an INVITE statefully to target and relays the responses and a CANCEL.
func (s *testServer) proxy(req *sip.Request, tx sip.ServerTransaction, target sip.Uri) {
	fwd := req.Clone()
	fwd.Recipient = target
	fwd.RemoveHeader("Route")
	fwd.RemoveHeader("Proxy-Authorization")
	fwd.SetDestination(net.JoinHostPort(target.Host, strconv.Itoa(target.Port)))
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Minute)
	defer cancel()
	out, err := s.client.TransactionRequest(ctx, fwd, sipgo.ClientRequestAddVia)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 503, "Forward Failed", nil))
		return
	}
	defer out.Terminate()
	tx.OnCancel(func(*sip.Request) { go s.cancelForward(fwd) })
	for {
		select {
		case res := <-out.Responses():
			r := res.Clone()
			r.RemoveHeader("Via")
			r.SetDestination(req.Source()) // Clone pinned it to the removed Via (ourselves)
			_ = tx.Respond(r)
			if !res.IsProvisional() {
				return
			}
		case <-out.Done():
			return
		case <-ctx.Done():
			return
		}
	}
}

func (s *testServer) cancelForward(fwd *sip.Request) {
	c := sip.NewRequest(sip.CANCEL, fwd.Recipient)
	c.AppendHeader(sip.HeaderClone(fwd.Via()))
	c.AppendHeader(sip.HeaderClone(fwd.From()))
	c.AppendHeader(sip.HeaderClone(fwd.To()))
	c.AppendHeader(sip.HeaderClone(fwd.CallID()))
	c.AppendHeader(&sip.CSeqHeader{SeqNo: fwd.CSeq().SeqNo, MethodName: sip.CANCEL})
	c.SetDestination(fwd.Destination())
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	_, _ = s.client.Do(ctx, c)
}

func (s *testServer) contact() sip.ContactHeader {
	ap := netip.MustParseAddrPort(s.addr)
	return sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "peer", Host: ap.Addr().String(), Port: int(ap.Port())}}
}

// answerPeer answers an INVITE as the far end: 7000 at once, 7001 never (only rings), 7002
// after 3 s of early media (183 with SDP, the tone already flowing).
func (s *testServer) answerPeer(req *sip.Request, tx sip.ServerTransaction, number string) {
	ringOnly, early := number == "7001", number == "7002"
	dua := &sipgo.DialogUA{Client: s.client, ContactHDR: s.contact()}
	offer, err := sdpmedia.Parse(req.Body())
	var codec sdpmedia.Codec
	if err == nil {
		codec, err = sdpmedia.Negotiate(offer, sdpmedia.Supported)
	}
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Bad SDP", nil))
		return
	}
	dlg, err := dua.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad", nil))
		return
	}
	if !early {
		if err := dlg.Respond(180, "Ringing", nil); err != nil {
			return
		}
	}
	if ringOnly {
		select {
		case <-dlg.Context().Done():
		case <-s.ctx.Done():
		}
		return
	}
	sess, err := media.Listen(netip.MustParseAddr("127.0.0.1"), nil)
	if err != nil {
		_ = dlg.Respond(500, "No media", nil)
		return
	}
	p := &peerCall{dlg: dlg, sess: sess, sink: &audiotest.RecordSink{}, callID: req.CallID().Value()}
	p.localTag, _ = dlg.InviteRequest.To().Params.Get("tag")
	p.peerTag, _ = dlg.InviteRequest.From().Params.Get("tag")
	s.mu.Lock()
	s.peers[p.callID] = p
	s.peerOrder = append(s.peerOrder, p)
	s.mu.Unlock()
	err = sess.Start(s.ctx, media.Params{Remote: offer.AddrPort(), PT: codec.PT, DTMFPT: offer.DTMFPT, Send: true, Recv: true},
		&audiotest.ToneSource{Freq: 440, Amp: 0.5}, p.sink, func(k rune) {
			p.mu.Lock()
			p.keys += string(k)
			p.mu.Unlock()
		})
	if err != nil {
		s.t.Errorf("peer media: %v", err)
	}
	la := sess.LocalAddr()
	answer, _ := sdpmedia.Build(sdpmedia.Media{Addr: la.Addr(), Port: int(la.Port()), Codecs: []sdpmedia.Codec{codec},
		DTMFPT: 101, Direction: sdpmedia.SendRecv}, 1, 1)
	if early {
		if err := dlg.Respond(183, "Session Progress", answer, sip.NewHeader("Content-Type", "application/sdp")); err != nil {
			return
		}
		select {
		case <-time.After(3 * time.Second):
		case <-dlg.Context().Done():
			return
		}
	}
	_ = dlg.RespondSDP(answer)
}

func (s *testServer) onPeerReinvite(req *sip.Request, tx sip.ServerTransaction) {
	p := s.peer(req)
	if p == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Call", nil))
		return
	}
	_ = p.dlg.ReadRequest(req, tx)
	offer, err := sdpmedia.Parse(req.Body())
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Bad SDP", nil))
		return
	}
	p.mu.Lock()
	p.dirs = append(p.dirs, offer.Direction)
	p.mu.Unlock()
	codec, _ := sdpmedia.Negotiate(offer, sdpmedia.Supported)
	dir := offer.Direction.Reverse()
	p.sess.Update(media.Params{Remote: offer.AddrPort(), PT: codec.PT, DTMFPT: offer.DTMFPT,
		Send: dir == sdpmedia.SendRecv || dir == sdpmedia.SendOnly, Recv: true})
	la := p.sess.LocalAddr()
	answer, _ := sdpmedia.Build(sdpmedia.Media{Addr: la.Addr(), Port: int(la.Port()), Codecs: []sdpmedia.Codec{codec},
		DTMFPT: 101, Direction: dir}, 1, 2)
	res := sip.NewSDPResponseFromRequest(req, answer)
	ct := s.contact()
	res.AppendHeader(&ct)
	_ = tx.Respond(res)
}

// onRefer accepts a transfer and reports success with a sipfrag NOTIFY.
func (s *testServer) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	p := s.peer(req)
	if p == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Call", nil))
		return
	}
	_ = p.dlg.ReadRequest(req, tx)
	if h := req.GetHeader("Refer-To"); h != nil {
		p.mu.Lock()
		p.referTo = append(p.referTo, h.Value())
		p.mu.Unlock()
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 202, "Accepted", nil))
	go func() {
		n := sip.NewRequest(sip.NOTIFY, p.dlg.InviteRequest.Contact().Address)
		n.AppendHeader(sip.NewHeader("Event", "refer"))
		n.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
		n.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
		n.SetBody([]byte("SIP/2.0 200 OK\r\n"))
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		defer cancel()
		_, _ = p.dlg.Do(ctx, n)
	}()
}

// onMessage relays a MESSAGE like a server does: 407 until the sender authenticates, 404 for
// an unknown or unregistered user, else forwarded to the user's contact with the answer relayed.
func (s *testServer) onMessage(req *sip.Request, tx sip.ServerTransaction) {
	sender, _ := s.authorized(req, "Proxy-Authorization")
	if sender == "" {
		s.challenge(req, tx, 407, "Proxy Authentication Required", "Proxy-Authenticate")
		return
	}
	s.mu.Lock()
	s.messages = append(s.messages, req.Clone())
	target, ok := s.contacts[req.Recipient.User]
	s.mu.Unlock()
	if !ok {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return
	}
	fwd := sip.NewRequest(sip.MESSAGE, target)
	fwd.AppendHeader(sip.HeaderClone(req.From()))
	fwd.AppendHeader(&sip.ToHeader{Address: req.To().Address})
	for _, name := range []string{"Content-Type", "Date"} {
		if h := req.GetHeader(name); h != nil {
			fwd.AppendHeader(sip.NewHeader(name, h.Value()))
		}
	}
	fwd.SetBody(req.Body())
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	res, err := s.client.Do(ctx, fwd)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 408, "Request Timeout", nil))
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, nil))
}

// sentMessages returns the authenticated MESSAGE requests the server received.
func (s *testServer) sentMessages() []*sip.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*sip.Request(nil), s.messages...)
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
