package signaling

import (
	"context"
	"crypto/md5"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/auth"
)

// newClientAt is a client whose UDP requests leave from ip (another loopback address such as
// 127.0.0.2 stands for another machine).
func newClientAt(t *testing.T, ip string) *testClient {
	t.Helper()
	conn, err := net.ListenPacket("udp", ip+":0")
	if err != nil {
		t.Skipf("cannot bind %s: %v", ip, err)
	}
	addr := conn.LocalAddr().String()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("vaihde-test"), sipgo.WithUserAgentHostname(ip),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(discard)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(discard)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(addr), sipgo.WithClientLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeUDP(conn) }()
	waitFor(t, "client listener on "+ip, 5*time.Second, func() bool {
		c, err := ua.TransportLayer().GetConnection("udp", addr)
		return err == nil && c != nil
	})
	t.Cleanup(func() {
		conn.Close()
		ua.Close()
	})
	return &testClient{ua: ua, cli: cli}
}

// send sends req once and returns the answer, without answering challenges.
func (c *testClient) send(t testing.TB, req *sip.Request) *sip.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.cli.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", req.Method, err)
	}
	return res
}

func hasContact(ts *testServer, userID int64, host string) bool {
	for _, b := range ts.Bindings(userID) {
		if strings.Contains(b.Contact, host) {
			return true
		}
	}
	return false
}

// TestIntegrationDigestReplayRefused: an Authorization captured from a user's REGISTER and sent
// again in a REGISTER with the attacker's Contact is refused with a fresh challenge
// (stale=true), and the attacker's Contact never becomes a binding.
func TestIntegrationDigestReplayRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	addr := ts.Addr("udp")
	u, err := ts.st.UserByExtension(context.Background(), 1, "1001")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	req := registerReq(addr, "UDP", "1001", 600, "<sip:1001@127.0.0.1:7001>")
	if res := c.do(t, req, "1001", "demo1001"); res.StatusCode != 200 {
		t.Fatalf("register: %d %s", res.StatusCode, res.Reason)
	}
	captured := req.GetHeader("Authorization")
	if captured == nil {
		t.Fatal("no Authorization header on the authenticated REGISTER")
	}

	// The attacker replays it verbatim with its own Contact, from another address.
	evil := newClientAt(t, "127.0.0.2")
	replay := registerReq(addr, "UDP", "1001", 600, "<sip:1001@127.0.0.2:6666>")
	replay.AppendHeader(sip.NewHeader("Authorization", captured.Value()))
	res := evil.send(t, replay)
	if res.StatusCode != 401 {
		t.Fatalf("replayed Authorization answered %d %s, want 401", res.StatusCode, res.Reason)
	}
	if h := res.GetHeader("WWW-Authenticate"); h == nil || !strings.Contains(h.Value(), "stale=true") {
		t.Fatalf("replay answered without a fresh stale challenge: %v", h)
	}
	if hasContact(ts, u.ID, "127.0.0.2") {
		t.Fatalf("replayed REGISTER bound the attacker's contact: %+v", ts.Bindings(u.ID))
	}
	// The same replay from the user's own address is refused too: it is the nc that counts.
	replay2 := registerReq(addr, "UDP", "1001", 600, "<sip:1001@127.0.0.1:6667>")
	replay2.AppendHeader(sip.NewHeader("Authorization", captured.Value()))
	if res := c.send(t, replay2); res.StatusCode != 401 {
		t.Fatalf("second replay answered %d", res.StatusCode)
	}
	if hasContact(ts, u.ID, "6667") {
		t.Fatal("second replay bound its contact")
	}
	// The user's own next REGISTER, answering a new challenge, works.
	if res := c.do(t, registerReq(addr, "UDP", "1001", 600, "<sip:1001@127.0.0.1:7001>"), "1001", "demo1001"); res.StatusCode != 200 {
		t.Fatalf("user's next register: %d", res.StatusCode)
	}
}

// challengeNonce sends req unauthenticated and returns the nonce of its MD5 challenge.
func challengeNonce(t *testing.T, c *testClient, req *sip.Request, header string) string {
	t.Helper()
	res := c.send(t, req)
	for _, h := range res.GetHeaders(header) {
		v := h.Value()
		if !strings.Contains(v, "algorithm=MD5") {
			continue
		}
		_, rest, _ := strings.Cut(v, `nonce="`)
		nonce, _, _ := strings.Cut(rest, `"`)
		return nonce
	}
	t.Fatalf("no MD5 challenge in %d answer", res.StatusCode)
	return ""
}

// digestFor is the Authorization value for user/password over uri with nonce.
func digestFor(method, uri, user, password, nonce string) string {
	c := auth.Credentials{Username: user, Realm: testDomain, Nonce: nonce, URI: uri, QOP: "auth", NC: "00000001", CNonce: "0a4f113b", Algorithm: auth.MD5}
	c.Response = auth.ExpectedResponse(md5.New, auth.HA1MD5(user, testDomain, password), c, method)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s"`,
		c.Username, c.Realm, c.Nonce, c.URI, c.Response, c.NC, c.CNonce)
}

// TestIntegrationDigestWrongURIRefused: credentials computed for one Request-URI (e.g. captured
// from a call to a colleague) do not authorise a request for another (a call abroad).
func TestIntegrationDigestWrongURIRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	path := seededDB(t)
	ts := newServerWith(t, path, func(s *Server) {
		s.SIP().OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
			org, err := s.OrgForRequest(context.Background(), req)
			if err != nil {
				respond(tx, req, 404, "Not Found")
				return
			}
			if u, ok := s.AuthenticateRequest(context.Background(), req, tx, org); ok {
				respond(tx, req, 488, "Authenticated "+u.Extension)
			}
		})
	})
	c := newClient(t)
	invite := func(user string) *sip.Request {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: user, Host: testDomain})
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: testDomain}, Params: sip.NewParams()}
		from.Params.Add("tag", sip.GenerateTagN(8))
		req.AppendHeader(from)
		req.SetDestination(ts.Addr("udp"))
		return req
	}
	// A correct response, but for the digest uri of a call to 1002, on a call to +46….
	req := invite("+46701234567")
	nonce := challengeNonce(t, c, req.Clone(), "Proxy-Authenticate")
	req.AppendHeader(sip.NewHeader("Proxy-Authorization", digestFor("INVITE", "sip:1002@"+testDomain, "1001", "demo1001", nonce)))
	res := c.send(t, req)
	if res.StatusCode != 403 || !strings.Contains(res.Reason, "URI") {
		t.Fatalf("wrong digest uri answered %d %q, want 403 naming the URI", res.StatusCode, res.Reason)
	}
	// The same credentials on the request they were made for pass: only the uri was wrong.
	req = invite("1002")
	req.AppendHeader(sip.NewHeader("Proxy-Authorization", digestFor("INVITE", "sip:1002@"+testDomain, "1001", "demo1001", nonce)))
	if res := c.send(t, req); res.StatusCode != 488 || res.Reason != "Authenticated 1001" {
		t.Fatalf("matching uri answered %d %q", res.StatusCode, res.Reason)
	}
	// A uri naming the server itself with no user (SIPp's way) is accepted: it names no other
	// resource, and the nonce count still makes it single-use.
	req = invite("1002")
	nonce = challengeNonce(t, c, req.Clone(), "Proxy-Authenticate")
	req.AppendHeader(sip.NewHeader("Proxy-Authorization", digestFor("INVITE", "sip:"+ts.Addr("udp"), "1001", "demo1001", nonce)))
	if res := c.send(t, req); res.StatusCode != 488 {
		t.Fatalf("digest uri naming the server answered %d %q", res.StatusCode, res.Reason)
	}
	// REGISTER: a digest uri naming something else than the registrar is refused too.
	reg := registerReq(ts.Addr("udp"), "UDP", "1001", 600, "<sip:1001@127.0.0.1:7001>")
	nonce = challengeNonce(t, c, reg.Clone(), "WWW-Authenticate")
	reg.AppendHeader(sip.NewHeader("Authorization", digestFor("REGISTER", "sip:other.example", "1001", "demo1001", nonce)))
	if res := c.send(t, reg); res.StatusCode != 403 {
		t.Fatalf("REGISTER with a foreign digest uri answered %d", res.StatusCode)
	}
}

// TestIntegrationLockoutBlocksAttackerNotUser: an attacker at 127.0.0.2 guessing 1001's
// password gets its own address blocked (for every user) and the user key slowed for strangers
// (127.0.0.3), while the user's phone at 127.0.0.1, which authenticated before, keeps
// registering.
func TestIntegrationLockoutBlocksAttackerNotUser(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	addr := ts.Addr("udp")
	phone := newClient(t) // 127.0.0.1
	if res := phone.do(t, registerReq(addr, "UDP", "1001", 600, "<sip:1001@127.0.0.1:7001>"), "1001", "demo1001"); res.StatusCode != 200 {
		t.Fatalf("phone register: %d", res.StatusCode)
	}
	evil := newClientAt(t, "127.0.0.2")
	var last *sip.Response
	for i := 0; i < 15; i++ {
		last = evil.do(t, registerReq(addr, "UDP", "1001", 600, "<sip:1001@127.0.0.2:6666>"), "1001", fmt.Sprint("guess", i))
		if last.StatusCode != 403 {
			t.Fatalf("guess %d answered %d", i, last.StatusCode)
		}
	}
	if last.Reason != "Too many failed attempts" {
		t.Fatalf("attacker not blocked after 15 guesses: %d %s", last.StatusCode, last.Reason)
	}
	// The attacker's source is blocked outright, even with another user's right password.
	if res := evil.do(t, registerReq(addr, "UDP", "1002", 600, "<sip:1002@127.0.0.2:6666>"), "1002", "demo1002"); res.StatusCode != 403 || res.Reason != "Too many failed attempts" {
		t.Fatalf("blocked source registering 1002: %d %s", res.StatusCode, res.Reason)
	}
	// A stranger's source is slowed down for 1001 (not yet proven), but not for 1002.
	stranger := newClientAt(t, "127.0.0.3")
	if res := stranger.do(t, registerReq(addr, "UDP", "1001", 600, "<sip:1001@127.0.0.3:6000>"), "1001", "demo1001"); res.StatusCode != 403 {
		t.Fatalf("unproven source for the attacked user: %d %s, want 403", res.StatusCode, res.Reason)
	}
	if res := stranger.do(t, registerReq(addr, "UDP", "1002", 600, "<sip:1002@127.0.0.3:6000>"), "1002", "demo1002"); res.StatusCode != 200 {
		t.Fatalf("unproven source for another user: %d %s", res.StatusCode, res.Reason)
	}
	// The user's own phone still registers: the attack did not lock it out.
	for i := 0; i < 3; i++ {
		if res := phone.do(t, registerReq(addr, "UDP", "1001", 600, "<sip:1001@127.0.0.1:7001>"), "1001", "demo1001"); res.StatusCode != 200 {
			t.Fatalf("user's phone after the attack (%d): %d %s", i, res.StatusCode, res.Reason)
		}
	}
	u, _ := ts.st.UserByExtension(context.Background(), 1, "1001")
	if hasContact(ts, u.ID, "127.0.0.2") || hasContact(ts, u.ID, "127.0.0.3") {
		t.Fatalf("bindings of 1001: %+v", ts.Bindings(u.ID))
	}
}
