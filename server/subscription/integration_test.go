package subscription

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// harness is the real server side in-process: SQLite, the registrar, the hub and the service.
type harness struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	sig   *signaling.Server
	hub   *presence.Hub
	svc   *Service
	org   store.Org
	users map[string]store.User
	addr  string // the server's UDP address
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	level := slog.LevelWarn
	if os.Getenv("SUB_DEBUG") != "" {
		level = slog.LevelDebug
		sip.SIPDebug = true
	}
	var out io.Writer = os.Stderr
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	org, err := st.CreateOrg(ctx, store.Org{Name: "Test Oy", Domain: demo.Domain, CountryCode: "358", Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.CreateOrg(ctx, store.Org{Name: "Other Ab", Domain: "other.test", CountryCode: "46"})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]store.User{}
	for i, ext := range []string{"1001", "1002", "1003", "2001"} {
		o := org
		if ext == "2001" {
			o = other
		}
		u, err := st.CreateUser(ctx, store.User{
			OrgID: o.ID, Extension: ext, Name: "User " + ext, Language: "en",
			CompanyNumber: fmt.Sprintf("+3589123410%02d", i+1), MobileNumber: fmt.Sprintf("+3584012310%02d", i+1),
			HA1MD5: auth.HA1MD5(ext, o.Domain, "pw"+ext), HA1SHA256: auth.HA1SHA256(ext, o.Domain, "pw"+ext),
		})
		if err != nil {
			t.Fatal(err)
		}
		users[ext] = u
	}
	cfg := config.Default()
	cfg.SIPAddr = "127.0.0.1:0"
	cfg.TLSAddr = ""
	cfg.MediaIP = "127.0.0.1"
	sig, err := signaling.New(cfg, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	hub := presence.New(st, func(ctx context.Context, id int64) bool {
		ts, err := sig.Targets(ctx, id)
		return err == nil && len(ts) > 0
	}, logger)
	sig.OnBindingsChanged(hub.RegistrationChanged)
	host, port, _ := net.SplitHostPort(sig.Addr("udp"))
	p, _ := strconv.Atoi(port)
	svc, err := New(Deps{
		Hub: hub, Directory: sig, Store: st, Client: sig.Client(), Logger: logger,
		ContactHost: host, ContactPort: p, UA: sig.UA(), UDPLocal: netip.MustParseAddrPort(sig.Addr("udp")),
		RequestTimeout: 3 * time.Second, Location: time.UTC,
	})
	if err != nil {
		t.Fatal(err)
	}
	svc.Attach(sig.SIP())
	if err := sig.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		svc.Close()
		hub.Close()
		sig.Close()
		st.Close()
	})
	return &harness{t: t, ctx: ctx, st: st, sig: sig, hub: hub, svc: svc, org: org, users: users, addr: sig.Addr("udp")}
}

// notification is a NOTIFY the test UA received.
type notification struct {
	req   *sip.Request
	body  string
	state string // Subscription-State
}

// ua is a minimal SIP phone: it sends REGISTER and SUBSCRIBE and answers NOTIFY.
type ua struct {
	t        *testing.T
	h        *harness
	ext      string
	pass     string
	cli      *sipgo.Client
	addr     string
	notifies chan notification

	mu       sync.Mutex
	answer   int // status for NOTIFY; 0 means 200
	received int
}

func (h *harness) newUA(ext string) *ua {
	t := h.t
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	host, _, _ := sip.ParseAddr(addr)
	agent, err := sipgo.NewUA(sipgo.WithUserAgent("sub-test-"+ext), sipgo.WithUserAgentHostname(host))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(agent)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sipgo.NewClient(agent, sipgo.WithClientConnectionAddr(addr))
	if err != nil {
		t.Fatal(err)
	}
	u := &ua{t: t, h: h, ext: ext, pass: "pw" + ext, cli: cli, addr: addr, notifies: make(chan notification, 64)}
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		u.mu.Lock()
		code := u.answer
		u.received++
		u.mu.Unlock()
		if code == 0 {
			code = 200
		}
		// Recorded before the answer, so that the test sees every NOTIFY the server completed.
		n := notification{req: req, body: string(req.Body())}
		if h := req.GetHeader("Subscription-State"); h != nil {
			n.state = h.Value()
		}
		select {
		case u.notifies <- n:
		default:
		}
		if code < 0 {
			return // gone silent
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, "Test", nil))
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeUDP(conn)
	}()
	// The client sends from the listener once the transport layer has it in its pool.
	waitFor(t, "UA listener", func() bool {
		c, err := agent.TransportLayer().GetConnection("udp", addr)
		return err == nil && c != nil
	})
	t.Cleanup(func() {
		conn.Close()
		<-done
		agent.Close()
	})
	return u
}

func (u *ua) setAnswer(code int) {
	u.mu.Lock()
	u.answer = code
	u.mu.Unlock()
}

func (u *ua) serverURI(user string) sip.Uri {
	host, port, _ := sip.ParseAddr(u.h.addr)
	return sip.Uri{Scheme: "sip", User: user, Host: host, Port: port}
}

func (u *ua) contact() *sip.ContactHeader {
	host, port, _ := sip.ParseAddr(u.addr)
	return &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: u.ext, Host: host, Port: port}}
}

// do sends req and answers one digest challenge with the UA's password.
func (u *ua) do(req *sip.Request, password string) *sip.Response {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.h.ctx, 10*time.Second)
	defer cancel()
	res, err := u.cli.Do(ctx, req)
	if err != nil {
		u.t.Fatalf("%s: %v", req.Method, err)
	}
	if (res.StatusCode == 401 || res.StatusCode == 407) && password != "" {
		res, err = u.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: u.ext, Password: password})
		if err != nil {
			u.t.Fatalf("%s with auth: %v", req.Method, err)
		}
	}
	return res
}

func (u *ua) register() { u.registerFor(300) }

func (u *ua) registerFor(expires int) {
	u.t.Helper()
	host, port, _ := sip.ParseAddr(u.h.addr)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	aor := sip.Uri{Scheme: "sip", User: u.ext, Host: demo.Domain}
	fp := sip.NewParams()
	fp.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: fp})
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(u.contact())
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	if res := u.do(req, u.pass); res.StatusCode != 200 {
		u.t.Fatalf("register %s: %d", u.ext, res.StatusCode)
	}
}

// subscription is the subscriber's side of a dialog.
type subscription struct {
	callID, fromTag, toTag string
	cseq                   uint32
	target                 sip.Uri
	event                  string
}

// subscribeReq builds an initial SUBSCRIBE to user's event.
func (u *ua) subscribeReq(user, event string, expires int, hdrs ...sip.Header) (*sip.Request, *subscription) {
	target := u.serverURI(user)
	req := sip.NewRequest(sip.SUBSCRIBE, target)
	s := &subscription{callID: sip.GenerateTagN(20), fromTag: sip.GenerateTagN(8), cseq: 1, target: target, event: event}
	fp := sip.NewParams()
	fp.Add("tag", s.fromTag)
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: u.ext, Host: demo.Domain}, Params: fp})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: demo.Domain}})
	cid := sip.CallIDHeader(s.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.SUBSCRIBE})
	req.AppendHeader(u.contact())
	req.AppendHeader(sip.NewHeader("Event", event))
	if expires >= 0 {
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	}
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	return req, s
}

// subscribe subscribes with digest auth and expects 200.
func (u *ua) subscribe(user, event string, expires int, hdrs ...sip.Header) (*subscription, *sip.Response) {
	u.t.Helper()
	req, s := u.subscribeReq(user, event, expires, hdrs...)
	res := u.do(req, u.pass)
	if res.StatusCode != 200 {
		u.t.Fatalf("subscribe %s to %s/%s: %d %s", u.ext, user, event, res.StatusCode, res.Reason)
	}
	s.toTag, _ = res.To().Params.Get("tag")
	s.cseq = res.CSeq().SeqNo
	return s, res
}

// resubscribe sends an in-dialog SUBSCRIBE (refresh, or Expires: 0 to unsubscribe).
func (u *ua) resubscribe(s *subscription, expires int) *sip.Response {
	u.t.Helper()
	req := sip.NewRequest(sip.SUBSCRIBE, s.target)
	fp := sip.NewParams()
	fp.Add("tag", s.fromTag)
	tp := sip.NewParams()
	tp.Add("tag", s.toTag)
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: u.ext, Host: demo.Domain}, Params: fp})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: s.target.User, Host: demo.Domain}, Params: tp})
	cid := sip.CallIDHeader(s.callID)
	req.AppendHeader(&cid)
	s.cseq += 2
	req.AppendHeader(&sip.CSeqHeader{SeqNo: s.cseq, MethodName: sip.SUBSCRIBE})
	req.AppendHeader(u.contact())
	req.AppendHeader(sip.NewHeader("Event", s.event))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	res := u.do(req, u.pass)
	s.cseq = res.CSeq().SeqNo
	return res
}

// next waits for the next NOTIFY.
func (u *ua) next(what string) notification {
	u.t.Helper()
	select {
	case n := <-u.notifies:
		return n
	case <-time.After(5 * time.Second):
		u.t.Fatalf("no NOTIFY: %s", what)
	}
	return notification{}
}

// expect waits for a NOTIFY whose body contains every string of want, skipping others (a
// change may be reported in more than one NOTIFY, e.g. online then activity).
func (u *ua) expect(what string, want ...string) notification {
	u.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var last notification
	for time.Now().Before(deadline) {
		select {
		case n := <-u.notifies:
			last = n
			ok := true
			for _, w := range want {
				if !strings.Contains(n.body, w) {
					ok = false
				}
			}
			if ok {
				return n
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
	u.t.Fatalf("%s: no NOTIFY with %q; last:\n%s\n%s", what, want, last.state, last.body)
	return notification{}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

func TestIntegrationPresenceSubscription(t *testing.T) {
	h := newHarness(t)
	a, b := h.newUA("1001"), h.newUA("1002")
	b.register()
	waitFor(t, "1002 online", func() bool { st, _ := h.hub.Get(h.ctx, h.users["1002"].ID); return st.Online })

	s, res := a.subscribe("1002", "presence", -1, sip.NewHeader("Accept", "application/pidf+xml"))
	if e := res.GetHeader("Expires"); e == nil || e.Value() != "3600" {
		t.Fatalf("default Expires: %v", e)
	}
	if s.toTag == "" {
		t.Fatal("200 without To tag")
	}
	first := a.next("initial NOTIFY")
	if !strings.HasPrefix(first.state, "active;expires=") {
		t.Fatalf("Subscription-State %q", first.state)
	}
	if ev := first.req.GetHeader("Event"); ev == nil || ev.Value() != "presence" {
		t.Fatalf("Event %v", ev)
	}
	if ct := first.req.GetHeader("Content-Type"); ct == nil || ct.Value() != "application/pidf+xml" {
		t.Fatalf("Content-Type %v", ct)
	}
	if tag, _ := first.req.From().Params.Get("tag"); tag != s.toTag {
		t.Fatalf("NOTIFY From tag %q, want %q", tag, s.toTag)
	}
	if tag, _ := first.req.To().Params.Get("tag"); tag != s.fromTag {
		t.Fatalf("NOTIFY To tag %q, want %q", tag, s.fromTag)
	}
	if string(*first.req.CallID()) != s.callID {
		t.Fatal("NOTIFY in another dialog")
	}
	for _, w := range []string{`entity="sip:1002@` + demo.Domain + `"`, "<basic>open</basic>", "Available"} {
		if !strings.Contains(first.body, w) {
			t.Fatalf("initial PIDF lacks %s:\n%s", w, first.body)
		}
	}
	cseq := first.req.CSeq().SeqNo

	// An activity change reaches the subscriber within a second.
	start := time.Now()
	until := time.Now().Add(2 * time.Hour).UTC()
	if _, err := h.hub.Set(h.ctx, h.users["1002"].ID, presence.Change{Activity: ptr(sharedpresence.Meeting), Until: &until, Note: ptr("budget & <co>")}); err != nil {
		t.Fatal(err)
	}
	n := a.expect("meeting", "<rpid:meeting/>", "In a meeting until ", until.Format("15:04"), "budget &amp; &lt;co&gt;") // the date shows too when it is tomorrow
	if d := time.Since(start); d > time.Second {
		t.Fatalf("NOTIFY after %v", d)
	}
	if n.req.CSeq().SeqNo <= cseq {
		t.Fatalf("CSeq %d not above %d", n.req.CSeq().SeqNo, cseq)
	}
	cseq = n.req.CSeq().SeqNo

	// A call makes 1002 on the phone, and the end of the call clears it.
	h.hub.CallState(h.users["1002"].ID, "call-1", true, sharedpresence.PhoneOnCall, "1003")
	a.expect("on the phone", "<rpid:meeting/><rpid:on-the-phone/>")
	h.hub.CallState(h.users["1002"].ID, "call-1", true, sharedpresence.PhoneIdle, "1003")
	n = a.next("call ended")
	if strings.Contains(n.body, "on-the-phone") || n.req.CSeq().SeqNo <= cseq {
		t.Fatalf("after the call:\n%s", n.body)
	}

	// Refresh extends; a NOTIFY follows.
	if res := a.resubscribe(s, 1800); res.StatusCode != 200 || res.GetHeader("Expires").Value() != "1800" {
		t.Fatalf("refresh: %d %v", res.StatusCode, res.GetHeader("Expires"))
	}
	if n := a.next("after refresh"); !strings.HasPrefix(n.state, "active;expires=18") {
		t.Fatalf("after refresh: %q", n.state)
	}
	// Unregistering makes the basic status closed.
	b.registerFor(0)
	a.expect("offline", "<basic>closed</basic>", "<rpid:meeting/>")
	if h.svc.Count() != 1 {
		t.Fatalf("Count = %d", h.svc.Count())
	}
	// Unsubscribe: a final NOTIFY.
	if res := a.resubscribe(s, 0); res.StatusCode != 200 {
		t.Fatalf("unsubscribe: %d", res.StatusCode)
	}
	if n := a.next("final"); n.state != "terminated;reason=timeout" {
		t.Fatalf("final state %q", n.state)
	}
	waitFor(t, "subscription removed", func() bool { return h.svc.Count() == 0 })
	// A refresh of the ended subscription is refused.
	if res := a.resubscribe(s, 600); res.StatusCode != 481 {
		t.Fatalf("refresh after end: %d", res.StatusCode)
	}
}

func TestIntegrationDialogSubscription(t *testing.T) {
	h := newHarness(t)
	a := h.newUA("1001")
	// Subscribe to 1002 by its E.164 company number.
	a.subscribe("+358912341002", "dialog", 600, sip.NewHeader("Accept", "application/dialog-info+xml"))
	first := a.next("initial")
	if ct := first.req.GetHeader("Content-Type"); ct == nil || ct.Value() != "application/dialog-info+xml" {
		t.Fatalf("Content-Type %v", ct)
	}
	if !strings.Contains(first.body, `version="0" state="full" entity="sip:1002@`) || strings.Contains(first.body, "<dialog ") {
		t.Fatalf("initial dialog-info:\n%s", first.body)
	}
	id := h.users["1002"].ID
	h.hub.CallState(id, "c-1", true, sharedpresence.PhoneRinging, "1003")
	n := a.expect("ringing", `version="1"`, `direction="recipient"`, "<state>early</state>", "<remote><identity>sip:1003@")
	h.hub.CallState(id, "c-1", true, sharedpresence.PhoneOnCall, "1003")
	a.expect("answered", `version="2"`, "<state>confirmed</state>")
	h.hub.CallState(id, "c-1", true, sharedpresence.PhoneIdle, "1003")
	n = a.expect("ended", `version="3"`)
	if strings.Contains(n.body, "<dialog ") {
		t.Fatalf("ended call still listed:\n%s", n.body)
	}
	// A presence-only change sends another full document (the state is the same).
	if _, err := h.hub.Set(h.ctx, id, presence.Change{Activity: ptr(sharedpresence.Busy)}); err != nil {
		t.Fatal(err)
	}
	a.expect("busy", `version="4"`)
}

func TestIntegrationSubscriptionEnds(t *testing.T) {
	h := newHarness(t)
	h.svc.mu.Lock()
	h.svc.minExpires = 1
	h.svc.mu.Unlock()
	a := h.newUA("1001")

	// Expiry ends the subscription with a final NOTIFY.
	a.subscribe("1002", "presence", 2)
	a.next("initial")
	if n := a.next("expiry"); n.state != "terminated;reason=timeout" {
		t.Fatalf("expiry state %q", n.state)
	}
	waitFor(t, "expired subscription removed", func() bool { return h.svc.Count() == 0 })

	// A NOTIFY answered 481 drops the subscription.
	a.subscribe("1002", "presence", 600)
	a.next("initial")
	a.setAnswer(481)
	if _, err := h.hub.Set(h.ctx, h.users["1002"].ID, presence.Change{Note: ptr("x")}); err != nil {
		t.Fatal(err)
	}
	a.next("refused")
	waitFor(t, "481 subscription removed", func() bool { return h.svc.Count() == 0 })
	a.setAnswer(0)

	// A fetch (Expires: 0) gets the state and terminated at once.
	a.subscribe("1002", "presence", 0)
	if n := a.next("fetch"); n.state != "terminated;reason=timeout" || !strings.Contains(n.body, "<presence") {
		t.Fatalf("fetch: %q\n%s", n.state, n.body)
	}
	waitFor(t, "fetch removed", func() bool { return h.svc.Count() == 0 })

	// The per-user limit.
	h.svc.mu.Lock()
	h.svc.maxPerUser = 2
	h.svc.mu.Unlock()
	a.subscribe("1002", "presence", 600)
	a.subscribe("1003", "dialog", 600)
	req, _ := a.subscribeReq("1003", "presence", 600)
	if res := a.do(req, a.pass); res.StatusCode != 403 {
		t.Fatalf("over the limit: %d", res.StatusCode)
	}

	// Closing the service ends both with a final NOTIFY (a generous grace: the machine may be
	// loaded; the default is closeGrace).
	h.svc.mu.Lock()
	h.svc.closeGrace = 20 * time.Second
	h.svc.mu.Unlock()
	if err := h.svc.Close(); err != nil {
		t.Fatal(err)
	}
	final := 0
	for len(a.notifies) > 0 {
		if n := <-a.notifies; n.state == "terminated;reason=deactivated" {
			final++
		}
	}
	if final != 2 {
		t.Fatalf("%d final NOTIFYs at shutdown, want 2", final)
	}
	if h.svc.Count() != 0 {
		t.Fatalf("Count after Close = %d", h.svc.Count())
	}
}

// TestIntegrationNotifyTimeoutDropsSubscription: a subscriber that vanishes is dropped.
func TestIntegrationNotifyTimeoutDropsSubscription(t *testing.T) {
	h := newHarness(t)
	a := h.newUA("1001")
	a.subscribe("1002", "presence", 600)
	a.next("initial")
	waitFor(t, "subscription kept while answering", func() bool { return h.svc.Count() == 1 })
	a.setAnswer(-1) // the UA stops answering NOTIFYs
	deadline := time.Now().Add(10 * time.Second)
	for h.svc.Count() != 0 && time.Now().Before(deadline) {
		h.hub.Set(h.ctx, h.users["1002"].ID, presence.Change{Note: ptr(time.Now().String())})
		time.Sleep(200 * time.Millisecond)
	}
	if h.svc.Count() != 0 {
		t.Fatal("subscription kept although NOTIFYs time out")
	}
}

func TestIntegrationSubscribeRefused(t *testing.T) {
	h := newHarness(t)
	a, other := h.newUA("1001"), h.newUA("2001")
	cases := []struct {
		name   string
		ua     *ua
		user   string
		event  string
		exp    int
		hdrs   []sip.Header
		pass   string
		want   int
		header string // a header the response must carry
	}{
		{"unknown event", a, "1002", "conference", 600, nil, a.pass, 489, "Allow-Events"},
		{"no event", a, "1002", "", 600, nil, a.pass, 489, "Allow-Events"},
		{"too brief", a, "1002", "presence", 30, nil, a.pass, 423, "Min-Expires"},
		{"not acceptable", a, "1002", "presence", 600, []sip.Header{sip.NewHeader("Accept", "text/plain")}, a.pass, 406, "Accept"},
		{"no credentials", a, "1002", "presence", 600, nil, "", 407, "Proxy-Authenticate"},
		{"wrong password", a, "1002", "presence", 600, nil, "nope", 403, ""},
		{"unknown user", a, "1999", "presence", 600, nil, a.pass, 404, ""},
		{"unknown number", a, "+358999999", "presence", 600, nil, a.pass, 404, ""},
		{"other organisation", other, "1002", "presence", 600, nil, other.pass, 403, ""},
		{"other org's user", a, "2001", "presence", 600, nil, a.pass, 404, ""},
		{"dialog by extension", a, "1003", "dialog", 600, nil, a.pass, 200, "Expires"},
		{"long expires capped", a, "1003", "presence", 86400, nil, a.pass, 200, "Expires"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.ua.t = t
			req, _ := tc.ua.subscribeReq(tc.user, tc.event, tc.exp, tc.hdrs...)
			if tc.event == "" {
				req.RemoveHeader("Event")
			}
			res := tc.ua.do(req, tc.pass)
			if res.StatusCode != tc.want {
				t.Fatalf("status %d %s, want %d", res.StatusCode, res.Reason, tc.want)
			}
			if tc.header != "" && res.GetHeader(tc.header) == nil {
				t.Fatalf("response lacks %s", tc.header)
			}
			switch tc.name {
			case "unknown event":
				if v := res.GetHeader("Allow-Events").Value(); !strings.Contains(v, "presence") || !strings.Contains(v, "dialog") {
					t.Fatalf("Allow-Events %q", v)
				}
			case "too brief":
				if v := res.GetHeader("Min-Expires").Value(); v != "60" {
					t.Fatalf("Min-Expires %q", v)
				}
			case "long expires capped":
				if v := res.GetHeader("Expires").Value(); v != "3600" {
					t.Fatalf("Expires %q", v)
				}
			}
		})
	}
}

// TestIntegrationMalformedSubscribe sends broken SUBSCRIBEs as raw datagrams: the server
// answers or ignores each and keeps serving.
func TestIntegrationMalformedSubscribe(t *testing.T) {
	h := newHarness(t)
	conn, err := net.Dial("udp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := func(reqURI string, hdrs ...string) string {
		base := []string{
			"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + sip.GenerateTagN(10) + ";rport",
			"From: <sip:1001@" + demo.Domain + ">;tag=abc",
			"To: <sip:1002@" + demo.Domain + ">",
			"Call-ID: " + sip.GenerateTagN(12),
			"CSeq: 1 SUBSCRIBE",
			"Max-Forwards: 70",
		}
		all := append(base, hdrs...)
		return "SUBSCRIBE " + reqURI + " SIP/2.0\r\n" + strings.Join(all, "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
	}
	ruri := "sip:1002@" + h.addr
	cases := map[string]string{
		"garbage":             "\x00\xff garbage SUBSCRIBE\r\n\r\n",
		"expires negative":    msg(ruri, "Event: presence", "Expires: -1", "Contact: <sip:1001@"+local+">"),
		"expires text":        msg(ruri, "Event: presence", "Expires: soon", "Contact: <sip:1001@"+local+">"),
		"expires huge":        msg(ruri, "Event: presence", "Expires: 99999999999999999999", "Contact: <sip:1001@"+local+">"),
		"no contact":          msg(ruri, "Event: presence", "Expires: 600"),
		"empty event":         msg(ruri, "Event: ", "Expires: 600", "Contact: <sip:1001@"+local+">"),
		"event params only":   msg(ruri, "Event: ;id=1", "Contact: <sip:1001@"+local+">"),
		"empty user":          msg("sip:"+h.addr, "Event: presence", "Contact: <sip:1001@"+local+">"),
		"odd user":            msg("sip:%00%ff@"+h.addr, "Event: dialog", "Contact: <sip:1001@"+local+">"),
		"accept garbage":      msg(ruri, "Event: presence", "Accept: ,,;;", "Contact: <sip:1001@"+local+">"),
		"in-dialog unknown":   strings.Replace(msg(ruri, "Event: presence", "Contact: <sip:1001@"+local+">"), "To: <sip:1002@"+demo.Domain+">", "To: <sip:1002@"+demo.Domain+">;tag=nope", 1),
		"record-route broken": msg(ruri, "Event: presence", "Record-Route: <<<,>>", "Contact: <sip:1001@"+local+">"),
		"bad auth header":     msg(ruri, "Event: presence", "Contact: <sip:1001@"+local+">", `Proxy-Authorization: Digest username="1001", realm=, nonce="`),
	}
	buf := make([]byte, 4096)
	for name, m := range cases {
		if _, err := conn.Write([]byte(m)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := conn.Read(buf)
		if err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 2") {
			t.Errorf("%s: accepted without credentials: %s", name, buf[:n])
		}
	}
	// Still serving: a proper subscription works.
	a := h.newUA("1001")
	a.subscribe("1002", "presence", 600)
	a.next("after malformed input")
}
