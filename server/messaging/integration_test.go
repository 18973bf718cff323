package messaging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// harness is the real server side in-process: SQLite, signaling (registrar) and messaging.
type harness struct {
	t      *testing.T
	ctx    context.Context
	dbPath string
	st     store.Store
	sig    *signaling.Server
	msg    *Service
	org    store.Org
	users  map[string]store.User
	host   string
	port   int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dbPath := filepath.Join(t.TempDir(), "vaihde.db")
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	org, users := seed(t, ctx, st)
	level := slog.LevelWarn
	if os.Getenv("MESSAGING_DEBUG") != "" {
		level = slog.LevelDebug
	}
	var out io.Writer = os.Stderr
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	cfg := config.Default()
	cfg.SIPAddr = "127.0.0.1:0"
	cfg.TLSAddr = ""
	cfg.MediaIP = "127.0.0.1"
	sig, err := signaling.New(cfg, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	h, p, _ := net.SplitHostPort(sig.Addr("udp"))
	port, _ := strconv.Atoi(p)
	msg := New(Deps{
		Store: st, Directory: sig, Client: sig.Client(), Logger: logger,
		ContactHost: h, ContactPort: port,
		UA: sig.UA(), UDPLocal: netip.MustParseAddrPort(sig.Addr("udp")),
		RequestTimeout: 3 * time.Second,
	})
	msg.Attach(sig.SIP())
	sig.OnBindingsChanged(msg.Deliver)
	if err := sig.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := &harness{t: t, ctx: ctx, dbPath: dbPath, st: st, sig: sig, msg: msg, org: org, users: users, host: h, port: port}
	t.Cleanup(hs.stop)
	return hs
}

var stopOnce sync.Map

// stop closes messaging, signaling and the store (once).
func (h *harness) stop() {
	if _, done := stopOnce.LoadOrStore(h, true); done {
		return
	}
	if err := h.msg.Close(); err != nil {
		h.t.Error(err)
	}
	h.sig.Close()
	h.st.Close()
}

// seed creates a demo-like organisation (served on the server's IP) with users 1001–1004.
func seed(t *testing.T, ctx context.Context, st store.Store) (store.Org, map[string]store.User) {
	t.Helper()
	org, err := st.CreateOrg(ctx, store.Org{Name: "Test Oy", Domain: demo.Domain, CountryCode: "358", Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]store.User{}
	for i := 1; i <= 4; i++ {
		ext := fmt.Sprintf("100%d", i)
		u, err := st.CreateUser(ctx, store.User{
			OrgID: org.ID, Extension: ext, Name: "User " + ext, Language: "en",
			CompanyNumber: fmt.Sprintf("+3589123410%02d", i), MobileNumber: fmt.Sprintf("+3584012310%02d", i),
			HA1MD5:    auth.HA1MD5(ext, org.Domain, password(ext)),
			HA1SHA256: auth.HA1SHA256(ext, org.Domain, password(ext)),
		})
		if err != nil {
			t.Fatal(err)
		}
		users[ext] = u
	}
	return org, users
}

func password(ext string) string { return "pw" + ext }

// device is a SIP endpoint of a user: a sipgo UA on UDP that records MESSAGEs and answers them
// with status (200 unless changed).
type device struct {
	t      *testing.T
	ext    string
	ua     *sipgo.UserAgent
	cli    *sipgo.Client
	addr   string
	status atomic.Int32
	got    chan *sip.Request
}

func newDevice(t *testing.T, ext string) *device { return newDeviceWith(t, ext, false) }

// newDeviceWith creates a device listening on UDP and, withTCP, on TCP at the same port.
func newDeviceWith(t *testing.T, ext string, withTCP bool) *device {
	t.Helper()
	var conn net.PacketConn
	var tcp net.Listener
	for attempt := 0; ; attempt++ {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if !withTCP {
			conn = c
			break
		}
		if tcp, err = net.Listen("tcp", c.LocalAddr().String()); err == nil {
			conn = c
			break
		}
		c.Close()
		if attempt == 20 {
			t.Fatalf("no port free for UDP and TCP: %v", err)
		}
	}
	addr := conn.LocalAddr().String()
	host, _, _ := sip.ParseAddr(addr)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("device-"+ext), sipgo.WithUserAgentHostname(host))
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
	d := &device{t: t, ext: ext, ua: ua, cli: cli, addr: addr, got: make(chan *sip.Request, 64)}
	d.status.Store(200)
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) {
		code := int(d.status.Load())
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, "Test", nil))
		if code < 300 {
			d.got <- req
		}
	})
	go func() { _ = srv.ServeUDP(conn) }()
	if tcp != nil {
		go func() { _ = srv.ServeTCP(tcp) }()
		t.Cleanup(func() { tcp.Close() })
	}
	waitFor(t, "device listener", func() bool {
		c, err := ua.TransportLayer().GetConnection("udp", addr)
		return err == nil && c != nil
	})
	t.Cleanup(func() {
		conn.Close()
		ua.Close()
	})
	return d
}

// do sends req and answers one digest challenge when withAuth.
func (d *device) do(ctx context.Context, req *sip.Request, withAuth bool) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := d.cli.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if withAuth && (res.StatusCode == 401 || res.StatusCode == 407) {
		return d.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: d.ext, Password: password(d.ext)})
	}
	return res, nil
}

// register binds the device to its user at the registrar.
func (h *harness) register(d *device) {
	t := h.t
	t.Helper()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: h.host, Port: h.port})
	aor := sip.Uri{Scheme: "sip", User: d.ext, Host: demo.Domain}
	fp := sip.NewParams()
	fp.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: fp})
	req.AppendHeader(&sip.ToHeader{Address: aor})
	host, port, _ := sip.ParseAddr(d.addr)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: d.ext, Host: host, Port: port}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	res, err := d.do(h.ctx, req, true)
	if err != nil {
		t.Fatalf("register %s: %v", d.ext, err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("register %s: %d %s", d.ext, res.StatusCode, res.Reason)
	}
}

// message sends a MESSAGE from d to the user part to over transport ("" = UDP).
func (h *harness) message(d *device, to, ctype string, body []byte, withAuth bool, transport string) *sip.Response {
	t := h.t
	t.Helper()
	ruri := sip.Uri{Scheme: "sip", User: to, Host: h.host, Port: h.port}
	req := sip.NewRequest(sip.MESSAGE, ruri)
	fp := sip.NewParams()
	fp.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: d.ext, Host: demo.Domain}, Params: fp})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: to, Host: demo.Domain}})
	if ctype != "" {
		req.AppendHeader(sip.NewHeader("Content-Type", ctype))
	}
	req.SetBody(body)
	if transport != "" {
		req.SetTransport(transport)
	}
	res, err := d.do(h.ctx, req, withAuth)
	if err != nil {
		t.Fatalf("MESSAGE %s→%s: %v", d.ext, to, err)
	}
	return res
}

// expect waits for a MESSAGE at d.
func (d *device) expect(what string) *sip.Request {
	d.t.Helper()
	select {
	case req := <-d.got:
		return req
	case <-time.After(15 * time.Second):
		d.t.Fatalf("%s: no MESSAGE at %s", what, d.ext)
		return nil
	}
}

// quiet checks that d receives nothing more for a while.
func (d *device) quiet(what string, wait time.Duration) {
	d.t.Helper()
	select {
	case req := <-d.got:
		d.t.Fatalf("%s: unexpected MESSAGE at %s: %q", what, d.ext, req.Body())
	case <-time.After(wait):
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// history returns the messages between two extensions, newest first.
func (h *harness) history(st store.Store, a, b string) []store.Message {
	h.t.Helper()
	ms, err := st.History(context.Background(), h.users[a].ID, h.users[b].ID, 0, 50)
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

func TestIntegrationDeliveredOnline(t *testing.T) {
	h := newHarness(t)
	a, b := newDevice(t, "1001"), newDevice(t, "1002")
	h.register(a)
	h.register(b)
	var stored atomic.Int32
	defer h.msg.Watch(func(store.Message) { stored.Add(1) })()

	before := time.Now().Add(-time.Second)
	res := h.message(a, "1002", "text/plain;charset=UTF-8", []byte("Hei, lounas? ÄÖÅ"), true, "")
	if res.StatusCode != 202 {
		t.Fatalf("MESSAGE: %d %s, want 202", res.StatusCode, res.Reason)
	}
	got := b.expect("online delivery")
	if string(got.Body()) != "Hei, lounas? ÄÖÅ" {
		t.Errorf("body %q", got.Body())
	}
	if f := got.From(); f.Address.User != "1001" || f.DisplayName != "User 1001" || f.Address.Host != demo.Domain {
		t.Errorf("From %s", f.Value())
	}
	if to := got.To(); to.Address.User != "1002" {
		t.Errorf("To %s", to.Value())
	}
	if ct := got.ContentType(); ct == nil || !strings.HasPrefix(strings.ToLower(ct.Value()), "text/plain") {
		t.Errorf("Content-Type %v", ct)
	}
	date := got.GetHeader("Date")
	if date == nil {
		t.Fatal("no Date header")
	}
	if d, err := http.ParseTime(date.Value()); err != nil || d.Before(before.Truncate(time.Second)) || d.After(time.Now().Add(time.Second)) {
		t.Errorf("Date %q: %v", date.Value(), err)
	}
	waitFor(t, "delivered mark", func() bool {
		ms := h.history(h.st, "1001", "1002")
		return len(ms) == 1 && !ms[0].DeliveredAt.IsZero()
	})
	if n := stored.Load(); n != 1 {
		t.Errorf("watchers saw %d messages, want 1", n)
	}
	// The other way round, addressed by the colleague's mobile number in national form.
	if res := h.message(b, "0401231001", "text/plain", []byte("Joo!"), true, ""); res.StatusCode != 202 {
		t.Fatalf("MESSAGE by number: %d", res.StatusCode)
	}
	if got := a.expect("reply by number"); string(got.Body()) != "Joo!" || got.From().Address.User != "1002" {
		t.Errorf("reply %q from %s", got.Body(), got.From().Value())
	}
	b.quiet("no duplicates", 500*time.Millisecond)
}

func TestIntegrationOfflineThenRegister(t *testing.T) {
	h := newHarness(t)
	a := newDevice(t, "1001")
	h.register(a)
	for i := 1; i <= 3; i++ {
		if res := h.message(a, "1003", "text/plain", []byte(fmt.Sprintf("viesti %d", i)), true, ""); res.StatusCode != 202 {
			t.Fatalf("MESSAGE %d to offline user: %d", i, res.StatusCode)
		}
	}
	waiting, err := h.st.Undelivered(h.ctx, h.users["1003"].ID)
	if err != nil || len(waiting) != 3 {
		t.Fatalf("undelivered %d, %v; want 3", len(waiting), err)
	}
	sentDate := waiting[0].SentAt
	time.Sleep(1100 * time.Millisecond) // so that a Date of the delivery time would differ

	c := newDevice(t, "1003")
	h.register(c)
	for i := 1; i <= 3; i++ {
		got := c.expect("delivery after REGISTER")
		if want := fmt.Sprintf("viesti %d", i); string(got.Body()) != want {
			t.Errorf("message %d: %q, want %q (oldest first)", i, got.Body(), want)
		}
		if i == 1 {
			d, err := http.ParseTime(got.GetHeader("Date").Value())
			if err != nil || !d.Equal(sentDate.Truncate(time.Second)) {
				t.Errorf("Date %v (%v), want the send time %v", d, err, sentDate)
			}
		}
	}
	waitFor(t, "all delivered", func() bool {
		w, err := h.st.Undelivered(h.ctx, h.users["1003"].ID)
		return err == nil && len(w) == 0
	})
	// A refresh of the registration does not send them again.
	h.register(c)
	c.quiet("after re-REGISTER", time.Second)

	// History survives closing and reopening the database.
	h.stop()
	st, err := sqlite.Open(context.Background(), h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms := h.history(st, "1003", "1001")
	if len(ms) != 3 || ms[0].Body != "viesti 3" || ms[2].Body != "viesti 1" || ms[0].DeliveredAt.IsZero() {
		t.Fatalf("history after reopen: %+v", ms)
	}
}

func TestIntegrationRejects(t *testing.T) {
	h := newHarness(t)
	a := newDevice(t, "1001")
	h.register(a)
	tests := []struct {
		name      string
		to        string
		ctype     string
		body      []byte
		noAuth    bool
		transport string
		want      int
	}{
		{name: "unknown user", to: "1999", ctype: "text/plain", body: []byte("hei"), want: 404},
		{name: "unknown number", to: "+358501234567", ctype: "text/plain", body: []byte("hei"), want: 404},
		{name: "not a number", to: "bob", ctype: "text/plain", body: []byte("hei"), want: 404},
		{name: "empty", to: "1002", ctype: "text/plain", body: nil, want: 400},
		{name: "blank", to: "1002", ctype: "text/plain", body: []byte(" \r\n "), want: 400},
		{name: "invalid utf-8", to: "1002", ctype: "text/plain", body: []byte{0xff, 0xfe, 'a'}, want: 400},
		{name: "too long", to: "1002", ctype: "text/plain", body: []byte(strings.Repeat("a", MaxBody+1)), transport: "TCP", want: 413},
		{name: "longest allowed", to: "1002", ctype: "text/plain", body: []byte(strings.Repeat("b", MaxBody)), transport: "TCP", want: 202},
		{name: "wrong type", to: "1002", ctype: "text/html", body: []byte("<b>hei</b>"), want: 415},
		{name: "unreadable charset", to: "1002", ctype: "text/plain;charset=shift_jis", body: []byte{0x82, 0xa0, 0xff}, want: 415},
		{name: "bad content type", to: "1002", ctype: "text/plain; charset", body: []byte("hei"), want: 415},
		{name: "unauthenticated", to: "1002", ctype: "text/plain", body: []byte("hei"), noAuth: true, want: 407},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := h.message(a, tc.to, tc.ctype, tc.body, !tc.noAuth, tc.transport)
			if res.StatusCode != tc.want {
				t.Fatalf("status %d %s, want %d", res.StatusCode, res.Reason, tc.want)
			}
			if tc.want == 415 {
				if acc := res.GetHeader("Accept"); acc == nil || !strings.Contains(acc.Value(), "text/plain") {
					t.Errorf("415 without Accept: %v", acc)
				}
			}
		})
	}
	// Only the one valid message was stored.
	if ms := h.history(h.st, "1001", "1002"); len(ms) != 1 || len(ms[0].Body) != MaxBody {
		t.Fatalf("stored %d messages, want only the valid one", len(ms))
	}
}

func TestIntegrationCharsets(t *testing.T) {
	h := newHarness(t)
	a, b := newDevice(t, "1001"), newDevice(t, "1002")
	h.register(a)
	h.register(b)
	tests := []struct {
		name, ctype string
		body        []byte
		want        string // stored and forwarded text
		wantType    string
	}{
		{"no content type", "", []byte("ilman tyyppiä"), "ilman tyyppiä", "text/plain"},
		{"utf-8", "text/plain; charset=utf-8", []byte("Äänestys €"), "Äänestys €", "text/plain; charset=utf-8"},
		{"latin-1 converted", "text/plain;charset=ISO-8859-1", []byte{'T', 0xe4, 'h', 't', 'i', ' ', 0xc5}, "Tähti Å", "text/plain;charset=UTF-8"},
		{"other charset, utf-8 bytes", "text/plain;charset=windows-1252", []byte("plain ascii"), "plain ascii", "text/plain;charset=windows-1252"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if res := h.message(a, "1002", tc.ctype, tc.body, true, ""); res.StatusCode != 202 {
				t.Fatalf("status %d", res.StatusCode)
			}
			got := b.expect(tc.name)
			if string(got.Body()) != tc.want || got.ContentType().Value() != tc.wantType {
				t.Errorf("forwarded %q as %q, want %q as %q", got.Body(), got.ContentType().Value(), tc.want, tc.wantType)
			}
			ms := h.history(h.st, "1001", "1002")
			if len(ms) != i+1 || ms[0].Body != tc.want || ms[0].ContentType != tc.wantType {
				t.Errorf("stored %+v", ms[0])
			}
		})
	}
}

func TestIntegrationComposingNotStored(t *testing.T) {
	h := newHarness(t)
	a, b := newDevice(t, "1001"), newDevice(t, "1002")
	h.register(a)
	h.register(b)
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><contenttype>text/plain</contenttype></isComposing>`)
	if res := h.message(a, "1002", IsComposing, body, true, ""); res.StatusCode != 202 {
		t.Fatalf("isComposing: %d", res.StatusCode)
	}
	got := b.expect("typing notification")
	if ct := got.ContentType(); ct == nil || ct.Value() != IsComposing {
		t.Errorf("Content-Type %v", ct)
	}
	if ms := h.history(h.st, "1001", "1002"); len(ms) != 0 {
		t.Fatalf("typing notification stored: %+v", ms)
	}
}

func TestIntegrationDevicesAndSingleFlight(t *testing.T) {
	h := newHarness(t)
	// 1002 has two devices: one rejects, one accepts; the message is delivered once to the
	// accepting one.
	busy, ok := newDevice(t, "1002"), newDevice(t, "1002")
	busy.status.Store(486)
	h.register(busy)
	h.register(ok)
	m, err := h.msg.Send(h.ctx, h.users["1001"], "1002", "kahdelle laitteelle")
	if err != nil {
		t.Fatal(err)
	}
	if got := ok.expect("accepting device"); string(got.Body()) != "kahdelle laitteelle" {
		t.Errorf("body %q", got.Body())
	}
	waitFor(t, "delivered", func() bool {
		ms := h.history(h.st, "1001", "1002")
		return len(ms) == 1 && ms[0].ID == m.ID && !ms[0].DeliveredAt.IsZero()
	})

	// Messages waiting while every device rejects; then many concurrent Deliver calls send each
	// exactly once.
	ok.status.Store(480)
	for i := 0; i < 5; i++ {
		if _, err := h.msg.Send(h.ctx, h.users["1001"], "1002", fmt.Sprintf("odottaa %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all five refused and waiting", func() bool {
		h.msg.mu.Lock()
		defer h.msg.mu.Unlock()
		return len(h.msg.flights) == 0
	})
	if w, _ := h.st.Undelivered(h.ctx, h.users["1002"].ID); len(w) != 5 {
		t.Fatalf("%d waiting, want 5", len(w))
	}
	ok.status.Store(200)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); h.msg.Deliver(h.users["1002"].ID) }()
	}
	wg.Wait()
	for i := 0; i < 5; i++ {
		if got := ok.expect("waiting message"); string(got.Body()) != fmt.Sprintf("odottaa %d", i) {
			t.Errorf("message %d: %q", i, got.Body())
		}
	}
	ok.quiet("each message once", time.Second)
}

func TestIntegrationSendErrors(t *testing.T) {
	h := newHarness(t)
	from := h.users["1001"]
	tests := []struct {
		name, to, body string
		want           error
	}{
		{"unknown extension", "1999", "hei", ErrUnknownRecipient},
		{"garbage", "not a user", "hei", ErrUnknownRecipient},
		{"empty", "1002", "  ", ErrEmpty},
		{"too long", "1002", strings.Repeat("x", MaxBody+1), ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := h.msg.Send(h.ctx, from, tc.to, tc.body); !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
	m, err := h.msg.Send(h.ctx, from, "+358 9 1234 1002", "numerolla")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == 0 || m.ToUserID != h.users["1002"].ID || m.FromUserID != from.ID || m.ContentType != TextPlain {
		t.Fatalf("stored %+v", m)
	}
}

func TestIntegrationLargeMessage(t *testing.T) {
	h := newHarness(t)
	udpOnly, both := newDevice(t, "1002"), newDeviceWith(t, "1003", true)
	h.register(udpOnly)
	h.register(both)
	large := strings.Repeat("Pitkä viesti. ", 400) // ~6 KB: more than one UDP datagram may carry
	from := h.users["1001"]

	// A device with TCP gets it over TCP although it registered over UDP.
	if _, err := h.msg.Send(h.ctx, from, "1003", large); err != nil {
		t.Fatal(err)
	}
	got := both.expect("large message over TCP")
	if string(got.Body()) != large || !strings.EqualFold(got.Transport(), "TCP") {
		t.Fatalf("got %d bytes over %s", len(got.Body()), got.Transport())
	}

	// A UDP-only device cannot take it; it stays stored and does not hold up later messages.
	if _, err := h.msg.Send(h.ctx, from, "1002", large); err != nil {
		t.Fatal(err)
	}
	if _, err := h.msg.Send(h.ctx, from, "1002", "lyhyt"); err != nil {
		t.Fatal(err)
	}
	if got := udpOnly.expect("short message after a large one"); string(got.Body()) != "lyhyt" {
		t.Fatalf("got %q", got.Body())
	}
	waitFor(t, "only the large one waiting", func() bool {
		w, err := h.st.Undelivered(h.ctx, h.users["1002"].ID)
		return err == nil && len(w) == 1 && w[0].Body == large
	})
}

func TestIntegrationMalformedMessages(t *testing.T) {
	h := newHarness(t)
	b := newDevice(t, "1002")
	h.register(b)
	conn, err := net.Dial("udp", net.JoinHostPort(h.host, strconv.Itoa(h.port)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := func(ruri string, headers ...string) string {
		lines := append([]string{"MESSAGE " + ruri + " SIP/2.0",
			"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + sip.GenerateTagN(10)}, headers...)
		return strings.Join(lines, "\r\n") + "\r\n\r\n"
	}
	host := net.JoinHostPort(h.host, strconv.Itoa(h.port))
	junk := []string{
		msg("sip:1002@" + host), // no From, To, Call-ID, CSeq
		msg("sip:1002@"+host, "From: <sip:1001@x>;tag=1", "To: <sip:1002@x>", "Call-ID: a", "CSeq: 1 MESSAGE", "Content-Type: text/plain", "Content-Length: 5") + "hei", // short body
		msg("sip:@"+host, "From: <sip:1001@x>;tag=1", "To: <sip:@x>", "Call-ID: b", "CSeq: 1 MESSAGE", "Content-Length: 0"),
		msg("sip:1002@"+host, "From: garbage", "To: <sip:1002@x>", "Call-ID: c", "CSeq: x MESSAGE", "Content-Type: ;;;", "Content-Length: 0"),
		msg("sip:1002@"+host, "From: <sip:1001@x>;tag=1", "To: <sip:1002@x>", "Call-ID: d", "CSeq: 1 MESSAGE", "Content-Type: text/plain; charset", "Proxy-Authorization: Digest username=, realm", "Content-Length: 2") + "hi",
		"MESSAGE\r\n\r\n",
		strings.Repeat("\x00\xff", 700),
	}
	for _, j := range junk {
		if _, err := conn.Write([]byte(j)); err != nil {
			t.Fatal(err)
		}
	}
	// The server still works: a valid message goes through.
	a := newDevice(t, "1001")
	h.register(a)
	if res := h.message(a, "1002", "text/plain", []byte("vielä toimii"), true, ""); res.StatusCode != 202 {
		t.Fatalf("after junk: %d", res.StatusCode)
	}
	if got := b.expect("after junk"); string(got.Body()) != "vielä toimii" {
		t.Fatalf("got %q", got.Body())
	}
}

func TestCheckBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"text", "hei", nil},
		{"empty", "", ErrEmpty},
		{"whitespace", " \t\r\n", ErrEmpty},
		{"limit", strings.Repeat("a", MaxBody), nil},
		{"over limit", strings.Repeat("a", MaxBody+1), ErrTooLong},
		{"invalid utf-8", "a\xffb", ErrBadEncoding},
		{"multibyte", "äöå€😀", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkBody([]byte(tc.body)); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("checkBody = %v, want %v", err, tc.want)
			}
		})
	}
}
