package signaling

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/store"
)

func TestIntegrationRegister(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	for _, transport := range []string{"UDP", "TCP"} {
		t.Run(transport, func(t *testing.T) {
			ts := startServer(t, seededDB(t))
			addr := ts.Addr(strings.ToLower(transport))
			c := newClient(t)
			var mu sync.Mutex
			changes := map[int64]int{}
			ts.OnBindingsChanged(func(id int64) { mu.Lock(); changes[id]++; mu.Unlock() })
			u, err := ts.st.UserByExtension(context.Background(), 1, "1001")
			if err != nil {
				t.Fatal(err)
			}

			// Unauthenticated: a challenge with SHA-256 first, then MD5, qop=auth.
			res := c.do(t, registerReq(addr, transport, "1001", 600, "<sip:1001@127.0.0.1:5999>"), "", "")
			chal := res.GetHeaders("WWW-Authenticate")
			if res.StatusCode != 401 || len(chal) != 2 || !strings.Contains(chal[0].Value(), "SHA-256") || !strings.Contains(chal[1].Value(), "MD5") {
				t.Fatalf("challenge = %d %v", res.StatusCode, chal)
			}

			// MD5 only: answer a copy of the challenge that carries just the MD5 header.
			req := registerReq(addr, transport, "1001", 600, "<sip:1001@127.0.0.1:5999>")
			res = c.do(t, req, "", "")
			md5Only := res.Clone()
			md5Only.RemoveHeader("WWW-Authenticate")
			md5Only.AppendHeader(sip.NewHeader("WWW-Authenticate", res.GetHeaders("WWW-Authenticate")[1].Value()))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err = c.cli.DoDigestAuth(ctx, req, md5Only, digestAuth("1001", "demo1001"))
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("MD5 register: %v %v", res, err)
			}
			if got := contactsOf(res); len(got) != 1 || !strings.Contains(got[0], "sip:1001@127.0.0.1:5999") || !strings.Contains(got[0], "expires=600") {
				t.Fatalf("contacts after first register: %q", got)
			}

			steps := []struct {
				name     string
				ext      string
				pass     string
				expires  int
				contacts []string
				code     int
				want     int // number of Contacts in the 200
				check    func(t *testing.T, res *sip.Response)
			}{
				{"sha256 second device", "1001", "demo1001", 300, []string{`<sip:1001@127.0.0.1:6000;transport=udp>;+sip.instance="<urn:uuid:1>"`}, 200, 2, nil},
				{"refresh keeps two", "1001", "demo1001", 600, []string{"<sip:1001@127.0.0.1:5999>"}, 200, 2, nil},
				{"query without contact", "1001", "demo1001", -1, nil, 200, 2, nil},
				{"too brief", "1001", "demo1001", 30, []string{"<sip:1001@127.0.0.1:5999>"}, 423, 0, func(t *testing.T, res *sip.Response) {
					if h := res.GetHeader("Min-Expires"); h == nil || h.Value() != "60" {
						t.Fatalf("Min-Expires = %v", h)
					}
				}},
				{"too long is clamped", "1001", "demo1001", 999999, []string{"<sip:1001@127.0.0.1:5999>"}, 200, 2, func(t *testing.T, res *sip.Response) {
					for _, c := range contactsOf(res) {
						if strings.Contains(c, "5999") && !strings.Contains(c, "expires=3600") {
							t.Fatalf("not clamped: %s", c)
						}
					}
				}},
				{"expires param wins", "1001", "demo1001", 600, []string{"<sip:1001@127.0.0.1:6001>;expires=120"}, 200, 3, nil},
				{"remove one", "1001", "demo1001", 0, []string{"<sip:1001@127.0.0.1:6001>"}, 200, 2, nil},
				{"wrong password", "1001", "wrong", 600, []string{"<sip:1001@127.0.0.1:6002>"}, 403, 0, nil},
				{"unknown user", "1999", "demo1999", 600, []string{"<sip:1999@127.0.0.1:6002>"}, 403, 0, nil},
				{"other user's AOR", "1002", "demo1002", 600, []string{"<sip:1002@127.0.0.1:6003>"}, 200, 1, nil},
				{"someone else's AOR", "1002", "demo1001", 600, []string{"<sip:1002@127.0.0.1:6004>"}, 403, 0, nil},
				{"wildcard needs expires 0", "1001", "demo1001", 600, []string{"*"}, 400, 0, nil},
				{"wildcard removes all", "1001", "demo1001", 0, []string{"*"}, 200, 0, nil},
			}
			for _, st := range steps {
				authUser := st.ext
				if st.name == "someone else's AOR" {
					authUser = "1001" // valid credentials of 1001 for 1002's address of record
				}
				res := c.do(t, registerReq(addr, transport, st.ext, st.expires, st.contacts...), authUser, st.pass)
				if res.StatusCode != st.code {
					t.Fatalf("%s: status %d %s, want %d", st.name, res.StatusCode, res.Reason, st.code)
				}
				if st.code == 200 && len(contactsOf(res)) != st.want {
					t.Fatalf("%s: contacts %q, want %d", st.name, contactsOf(res), st.want)
				}
				if st.check != nil {
					st.check(t, res)
				}
				if st.name == "remove one" {
					// Targets point at where the REGISTERs came from (the client's socket).
					tg, _ := ts.Targets(context.Background(), u.ID)
					if len(tg) != 2 {
						t.Fatalf("targets = %+v", tg)
					}
					for _, x := range tg {
						if x.Transport != strings.ToLower(transport) || !strings.HasPrefix(x.Destination, "127.0.0.1:") ||
							x.Destination == "127.0.0.1:5999" || x.UserAgent != "vaihde-test" {
							t.Fatalf("target %+v", x)
						}
					}
					bs, _ := ts.st.Bindings(context.Background(), u.ID, time.Now())
					if len(bs) != 2 {
						t.Fatalf("store has %d bindings", len(bs))
					}
				}
			}
			if tg, _ := ts.Targets(context.Background(), u.ID); len(tg) != 0 {
				t.Fatalf("targets after wildcard: %+v", tg)
			}
			if bs, _ := ts.st.Bindings(context.Background(), u.ID, time.Now()); len(bs) != 0 {
				t.Fatalf("store bindings after wildcard: %+v", bs)
			}
			mu.Lock()
			defer mu.Unlock()
			if changes[u.ID] < 4 {
				t.Fatalf("OnBindingsChanged called %d times for 1001", changes[u.ID])
			}
		})
	}
}

func TestIntegrationRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	addr := ts.Addr("udp")
	c := newClient(t)
	for i := 0; i < 10; i++ {
		res := c.do(t, registerReq(addr, "UDP", "1003", 600, "<sip:1003@127.0.0.1:7000>"), "1003", "guess")
		if res.StatusCode != 403 {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
	}
	// Now even the right password is refused, with a clear reason.
	res := c.do(t, registerReq(addr, "UDP", "1003", 600, "<sip:1003@127.0.0.1:7000>"), "1003", "demo1003")
	if res.StatusCode != 403 || res.Reason != "Too many failed attempts" {
		t.Fatalf("after 10 failures: %d %s", res.StatusCode, res.Reason)
	}
}

func TestIntegrationRestartKeepsRegistration(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	path := seededDB(t)
	ts := startServer(t, path)
	c := newClient(t)
	res := c.do(t, registerReq(ts.Addr("udp"), "UDP", "1004", 600, "<sip:1004@127.0.0.1:7100>"), "1004", "demo1004")
	if res.StatusCode != 200 {
		t.Fatalf("register: %d", res.StatusCode)
	}
	u, _ := ts.st.UserByExtension(context.Background(), 1, "1004")
	before, _ := ts.Targets(context.Background(), u.ID)
	ts.stop()

	ts2 := startServer(t, path)
	after, _ := ts2.Targets(context.Background(), u.ID)
	if len(before) != 1 || len(after) != 1 || after[0].Contact.String() != before[0].Contact.String() || after[0].Destination != before[0].Destination {
		t.Fatalf("targets before %+v after %+v", before, after)
	}
	// A REGISTER without Contact lists the persisted binding.
	res = c.do(t, registerReq(ts2.Addr("udp"), "UDP", "1004", -1), "1004", "demo1004")
	if res.StatusCode != 200 || len(contactsOf(res)) != 1 || !strings.Contains(contactsOf(res)[0], "7100") {
		t.Fatalf("query after restart: %d %q", res.StatusCode, contactsOf(res))
	}
}

func TestIntegrationPurgeExpired(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	u, _ := ts.st.UserByExtension(context.Background(), 1, "1005")
	// A binding that expired a moment ago, as if left over from before a restart.
	b := store.Binding{UserID: u.ID, Contact: "sip:1005@127.0.0.1:7200", Source: "udp:127.0.0.1:7200", Expires: time.Now().Add(-time.Second)}
	if err := ts.st.PutBinding(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	ts.reg.load([]store.Binding{b})
	changed := make(chan int64, 1)
	ts.OnBindingsChanged(func(id int64) { changed <- id })
	ts.purge(context.Background(), time.Now())
	select {
	case id := <-changed:
		if id != u.ID {
			t.Fatalf("changed %d", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no change notification on purge")
	}
	if all, _ := ts.st.AllBindings(context.Background(), time.Time{}); len(all) != 0 {
		t.Fatalf("store still has %+v", all)
	}
}

func TestIntegrationAuthenticateRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	path := seededDB(t)
	st := startServer(t, path)
	st.Close() // rebuild with an INVITE handler registered before Start
	st.st.Close()
	ts := newServerWith(t, path, func(s *Server) {
		s.SIP().OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
			org, err := s.OrgForRequest(context.Background(), req)
			if err != nil {
				respond(tx, req, 404, "Not Found")
				return
			}
			u, ok := s.AuthenticateRequest(context.Background(), req, tx, org)
			if !ok {
				return
			}
			respond(tx, req, 488, "Authenticated "+u.Extension)
		})
	})
	c := newClient(t)
	for _, host := range []string{testDomain, "127.0.0.1"} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1002", Host: host})
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: testDomain}}
		from.Params.Add("tag", "abc")
		req.AppendHeader(from)
		req.SetDestination(ts.Addr("udp"))
		res := c.do(t, req, "", "")
		if res.StatusCode != 407 || len(res.GetHeaders("Proxy-Authenticate")) != 2 {
			t.Fatalf("%s: first answer %d", host, res.StatusCode)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := c.cli.DoDigestAuth(ctx, req, res, digestAuth("1001", "demo1001"))
		cancel()
		if err != nil || res.StatusCode != 488 || res.Reason != "Authenticated 1001" {
			t.Fatalf("%s: authenticated answer %v %v", host, res, err)
		}
	}
}

func TestIntegrationRefreshWriteThrough(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	c := newClient(t)
	addr := ts.Addr("udp")
	u, _ := ts.st.UserByExtension(context.Background(), 1, "1007")
	stored := func() time.Time {
		bs, _ := ts.st.Bindings(context.Background(), u.ID, time.Now())
		if len(bs) != 1 {
			t.Fatalf("store bindings %+v", bs)
		}
		return bs[0].Expires
	}
	reg := func(expires int) {
		res := c.do(t, registerReq(addr, "UDP", "1007", expires, "<sip:1007@127.0.0.1:7400>"), "1007", "demo1007")
		if res.StatusCode != 200 {
			t.Fatalf("register: %d", res.StatusCode)
		}
	}
	reg(600)
	first := stored()
	reg(600) // an immediate refresh (or retransmission) is not written again
	if got := stored(); !got.Equal(first) {
		t.Fatalf("immediate refresh rewrote expiry %v → %v", first, got)
	}
	reg(120) // a shorter interval is written at once
	if got := stored(); !got.Before(first.Add(-time.Minute)) {
		t.Fatalf("shorter expiry not persisted: %v (was %v)", got, first)
	}
}

// baresip 1.0 gives up when it sees a SHA-256 challenge: it is offered MD5 alone.
func TestIntegrationMD5OnlyUserAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	c := newClient(t)
	req := registerReq(ts.Addr("udp"), "UDP", "1008", 600, "<sip:1008@127.0.0.1:7500>")
	req.ReplaceHeader(sip.NewHeader("User-Agent", "baresip v1.0.0 (x86_64/linux)"))
	res := c.do(t, req, "", "")
	chal := res.GetHeaders("WWW-Authenticate")
	if res.StatusCode != 401 || len(chal) != 1 || !strings.Contains(chal[0].Value(), "algorithm=MD5") {
		t.Fatalf("challenge for baresip: %d %v", res.StatusCode, chal)
	}
	res = c.do(t, req, "1008", "demo1008")
	if res.StatusCode != 200 {
		t.Fatalf("register: %d", res.StatusCode)
	}
}

func TestRegistryPurgeRace(t *testing.T) {
	r := newRegistry()
	now := time.Now()
	// An entry purged while a registration holds a pointer to it must not swallow that
	// registration: lockUser hands out only live entries.
	old := r.user(1)
	r.purge(now)
	ub := r.lockUser(1)
	if ub == old {
		t.Fatal("lockUser returned the purged entry")
	}
	ub.list = append(ub.list, store.Binding{UserID: 1, Contact: "sip:a@b", Expires: now.Add(time.Hour)})
	ub.mu.Unlock()
	if got := r.current(1, now); len(got) != 1 {
		t.Fatalf("binding lost: %+v", got)
	}
}
