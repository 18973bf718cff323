package signaling

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

const testDomain = demo.Domain

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func init() { sip.SetDefaultLogger(discard) } // sipgo logs some client warnings there

// seededDB creates a database with the demo organisation, seeded once per test binary run
// and copied for each test (bcrypt is slow).
func seededDB(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vaihde.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, err := st.CreateOrg(context.Background(), store.Org{Name: demo.OrgName, Domain: demo.Domain, CountryCode: "358", Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range demoUsers(t) {
		u.OrgID = org.ID
		if _, err := st.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

var (
	usersOnce sync.Once
	users     []store.User
)

// demoUsers are the demo accounts (computed once: they contain bcrypt hashes).
func demoUsers(t testing.TB) []store.User {
	usersOnce.Do(func() {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "seed.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, accts, err := demo.Seed(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accts {
			u := a.User
			u.ID, u.OrgID = 0, 0
			users = append(users, u)
		}
	})
	return users
}

type testServer struct {
	*Server
	st   *sqlite.Store
	path string
}

func startServer(t testing.TB, path string) *testServer {
	t.Helper()
	return startServerWith(t, path, func(cfg *config.Config) { cfg.MediaIP = "127.0.0.1" }, nil)
}

// startServerWith starts a server on path, on an ephemeral loopback SIP port, after letting
// adjust change the configuration and setup register handlers (either may be nil).
func startServerWith(t testing.TB, path string, adjust func(*config.Config), setup func(*Server)) *testServer {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.SIPAddr = "127.0.0.1:0"
	if adjust != nil {
		adjust(&cfg)
	}
	s, err := New(cfg, st, discard)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	if setup != nil {
		setup(s)
	}
	ts := &testServer{Server: s, st: st, path: path}
	t.Cleanup(ts.stop)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ts
}

func (ts *testServer) stop() {
	ts.Server.Close()
	ts.st.Close()
}

type testClient struct {
	ua  *sipgo.UserAgent
	cli *sipgo.Client
}

func newClient(t testing.TB) *testClient {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("vaihde-test"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(discard)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(discard)))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	return &testClient{ua: ua, cli: cli}
}

// register builds a REGISTER for ext with the given Contact header values and Expires.
func registerReq(dest, transport, ext string, expires int, contacts ...string) *sip.Request {
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: testDomain})
	aor := sip.Uri{Scheme: "sip", User: ext, Host: testDomain}
	from := &sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	cid := sip.CallIDHeader(sip.GenerateTagN(24))
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.REGISTER})
	for _, c := range contacts {
		req.AppendHeader(sip.NewHeader("Contact", c))
	}
	req.AppendHeader(sip.NewHeader("User-Agent", "vaihde-test"))
	if expires >= 0 {
		req.AppendHeader(sip.NewHeader("Expires", itoa(expires)))
	}
	req.SetDestination(dest)
	req.SetTransport(transport)
	return req
}

// do sends req and answers a 401/407 challenge once with password (if not empty).
func (c *testClient) do(t testing.TB, req *sip.Request, user, password string) *sip.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.cli.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", req.Method, err)
	}
	if (res.StatusCode == 401 || res.StatusCode == 407) && password != "" {
		res, err = c.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
		if err != nil {
			t.Fatalf("%s with auth: %v", req.Method, err)
		}
	}
	return res
}

func contactsOf(res *sip.Response) []string {
	var out []string
	for _, h := range res.GetHeaders("Contact") {
		out = append(out, h.Value())
	}
	return out
}

func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func digestAuth(user, pass string) sipgo.DigestAuth {
	return sipgo.DigestAuth{Username: user, Password: pass}
}

// newServerWith starts a server on path after letting setup register handlers.
func newServerWith(t testing.TB, path string, setup func(*Server)) *testServer {
	t.Helper()
	return startServerWith(t, path, nil, setup)
}
