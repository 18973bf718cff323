package sms

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// fixture is a real SQLite store with one organisation and two users.
type fixture struct {
	st    store.Store
	org   store.Org
	alice store.User // has a mobile number
	bob   store.User // has none
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vaihde.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, err := st.CreateOrg(ctx, store.Org{Name: "Testi Oy", Domain: "testi.local", CountryCode: "358", Switchboard: "+35891234000", SMSSender: "TestiOy"})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := st.CreateUser(ctx, store.User{OrgID: org.ID, Extension: "1001", Name: "Alice", MobileNumber: "+358401110001"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := st.CreateUser(ctx, store.User{OrgID: org.ID, Extension: "1002", Name: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{st: st, org: org, alice: alice, bob: bob}
}

func (f fixture) count(t *testing.T) int {
	t.Helper()
	n, err := f.st.SMSCount(context.Background(), f.org.ID, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSendValidation(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	ob, err := NewOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(f.st, ob, nil)
	tests := []struct {
		name, to, text string
		want           error
		wantTo         string
	}{
		{"national mobile", "040 123 4567", "Hei", nil, "+358401234567"},
		{"international", "+46 70 123 45 67", "Hej", nil, "+46701234567"},
		{"00 prefix", "0046701234567", "Hej", nil, "+46701234567"},
		{"extension is not an sms number", "1002", "Hei", ErrBadNumber, ""},
		{"letters", "call me", "Hei", ErrBadNumber, ""},
		{"service code", "*21#", "Hei", ErrBadNumber, ""},
		{"empty number", "", "Hei", ErrBadNumber, ""},
		{"empty text", "0401234567", "", ErrBadText, ""},
		{"blank text", "0401234567", "  \n", ErrBadText, ""},
		{"eleven parts", "0401234567", strings.Repeat("a", 1531), ErrBadText, ""},
		{"ten parts fit", "0401234567", strings.Repeat("a", 1530), nil, "+358401234567"},
		{"ucs2 eleven parts", "0401234567", strings.Repeat("ж", 671), ErrBadText, ""},
	}
	sent := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := svc.Send(context.Background(), f.org, f.alice, tc.to, tc.text)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				return
			}
			sent++
			if rec.To != tc.wantTo || rec.From != "+358401110001" || rec.Status != "sent" || rec.ID == 0 || rec.ProviderID == "" {
				t.Fatalf("record %+v", rec)
			}
		})
	}
	// Invalid input never reaches the gateway.
	if out, err := ReadOutbox(dir); err != nil || len(out) != sent {
		t.Fatalf("outbox has %d entries (%v), want %d", len(out), err, sent)
	}
}

func TestOutboxRoundTripAndCount(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "nested", "sms-outbox") // created by NewOutbox
	ob, err := NewOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(f.st, ob, nil)
	ctx := context.Background()
	if _, err := svc.Send(ctx, f.org, f.alice, "0401234567", "Lounas klo 12? €"); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Pitkä viesti. ", 20) // 280 GSM characters: 2 parts
	if _, err := svc.Send(ctx, f.org, f.bob, "+358 50 765 4321", long); err != nil {
		t.Fatal(err)
	}
	out, err := ReadOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("outbox: %+v", out)
	}
	if e := out[0]; e.From != "+358401110001" || e.To != "+358401234567" || e.Text != "Lounas klo 12? €" || e.Parts != 1 || e.Org != f.org.ID || e.SentAt.IsZero() || e.ID == "" {
		t.Errorf("first entry %+v", e)
	}
	// Bob has no mobile number: the organisation's SMS sender is used.
	if e := out[1]; e.From != "TestiOy" || e.To != "+358507654321" || e.Text != long || e.Parts != 2 {
		t.Errorf("second entry %+v", e)
	}
	if n := f.count(t); n != 3 {
		t.Fatalf("SMSCount = %d, want 3 parts", n)
	}
	if out, err := ReadOutbox(filepath.Join(t.TempDir(), "missing")); err != nil || len(out) != 0 {
		t.Fatalf("missing outbox: %v %v", out, err)
	}
}

func TestConcurrentOutboxWrites(t *testing.T) {
	dir := t.TempDir()
	ob, err := NewOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ob.Send(context.Background(), Message{From: "a", To: "+358401234567", Text: "x"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	out, err := ReadOutbox(dir)
	if err != nil || len(out) != 20 {
		t.Fatalf("%d entries, %v", len(out), err)
	}
	ids := map[string]bool{}
	for _, e := range out {
		ids[e.ID] = true
	}
	if len(ids) != 20 {
		t.Fatalf("ids not unique: %d", len(ids))
	}
}

// gatewayServer is a provider on 127.0.0.1 that records requests and answers with status/body.
type gatewayServer struct {
	mu       sync.Mutex
	requests []recorded
	status   int
	body     string
}

type recorded struct {
	method, path, ctype, auth, body string
}

func newGatewayServer(t *testing.T) (*gatewayServer, *httptest.Server) {
	g := &gatewayServer{status: 200, body: `{"message_id":"abc-123"}`}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.requests = append(g.requests, recorded{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(b)})
		status, body := g.status, g.body
		g.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return g, srv
}

func TestHTTPGateway(t *testing.T) {
	f := newFixture(t)
	g, srv := newGatewayServer(t)
	ctx := context.Background()

	t.Run("default JSON template with basic auth", func(t *testing.T) {
		gw, err := NewHTTP(HTTPConfig{URL: srv.URL + "/send", Username: "acct", Password: "s3cret"})
		if err != nil {
			t.Fatal(err)
		}
		svc := NewService(f.st, gw, nil)
		rec, err := svc.Send(ctx, f.org, f.alice, "0401234567", `Sanoi "hei" \ rivi
kaksi`)
		if err != nil {
			t.Fatal(err)
		}
		if rec.ProviderID != "abc-123" || rec.Status != "sent" {
			t.Fatalf("record %+v", rec)
		}
		r := g.requests[len(g.requests)-1]
		want := `{"from":"+358401110001","to":"+358401234567","text":"Sanoi \"hei\" \\ rivi\nkaksi"}`
		if r.method != "POST" || r.path != "/send" || r.ctype != "application/json" || r.body != want {
			t.Fatalf("request %+v\nwant body %s", r, want)
		}
		if r.auth != "Basic "+base64.StdEncoding.EncodeToString([]byte("acct:s3cret")) {
			t.Fatalf("auth header %q", r.auth)
		}
	})

	t.Run("form template with bearer token", func(t *testing.T) {
		g.mu.Lock()
		g.body = `{"data":{"id":42}}`
		g.mu.Unlock()
		gw, err := NewHTTP(HTTPConfig{URL: srv.URL + "/v2/sms", Method: "PUT", ContentType: "application/x-www-form-urlencoded",
			BodyTemplate: "to={{.To}}&from={{.From}}&parts={{.Parts}}", Token: "tok-xyz"})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := NewService(f.st, gw, nil).Send(ctx, f.org, f.alice, "+46701234567", "Hej")
		if err != nil {
			t.Fatal(err)
		}
		r := g.requests[len(g.requests)-1]
		if r.method != "PUT" || r.auth != "Bearer tok-xyz" || r.body != "to=+46701234567&from=+358401110001&parts=1" || r.ctype != "application/x-www-form-urlencoded" {
			t.Fatalf("request %+v", r)
		}
		if rec.ProviderID != "42" {
			t.Fatalf("provider id %q", rec.ProviderID)
		}
	})

	t.Run("500 is an error and a failed record", func(t *testing.T) {
		g.mu.Lock()
		g.status, g.body = 500, "internal trouble: queue full"
		g.mu.Unlock()
		gw, err := NewHTTP(HTTPConfig{URL: srv.URL + "/send", Username: "acct", Password: "s3cret"})
		if err != nil {
			t.Fatal(err)
		}
		before := f.count(t)
		rec, err := NewService(f.st, gw, nil).Send(ctx, f.org, f.alice, "0401234567", "Hei")
		if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "queue full") {
			t.Fatalf("error %v", err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Fatal("error leaks the password")
		}
		if rec.ID == 0 || !strings.HasPrefix(rec.Status, "failed: ") {
			t.Fatalf("record %+v", rec)
		}
		if f.count(t) != before {
			t.Fatal("a failed SMS was counted")
		}
	})

	t.Run("unreachable gateway", func(t *testing.T) {
		gw, err := NewHTTP(HTTPConfig{URL: "http://127.0.0.1:1/send?token=qsecret", Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := NewService(f.st, gw, nil).Send(ctx, f.org, f.alice, "0401234567", "Hei")
		if err == nil || strings.Contains(err.Error(), "qsecret") || !strings.HasPrefix(rec.Status, "failed: ") {
			t.Fatalf("error %v, record %+v", err, rec)
		}
	})
}

func TestNoGatewayAndNoSender(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := NewService(f.st, nil, nil).Send(ctx, f.org, f.alice, "0401234567", "Hei"); !errors.Is(err, ErrNoGateway) {
		t.Fatalf("nil gateway: %v", err)
	}
	ob, _ := NewOutbox(t.TempDir())
	bare := f.org
	bare.SMSSender, bare.Switchboard = "", ""
	if _, err := NewService(f.st, ob, nil).Send(ctx, bare, f.bob, "0401234567", "Hei"); !errors.Is(err, ErrNoSender) {
		t.Fatalf("no sender: %v", err)
	}
	bare.Switchboard = "+35891234000"
	rec, err := NewService(f.st, ob, nil).Send(ctx, bare, f.bob, "0401234567", "Hei")
	if err != nil || rec.From != "+35891234000" {
		t.Fatalf("switchboard sender: %+v %v", rec, err)
	}
}

func TestNewHTTPErrors(t *testing.T) {
	for _, c := range []HTTPConfig{
		{URL: ""},
		{URL: "ftp://x/"},
		{URL: "/relative"},
		{URL: "http://x/", BodyTemplate: "{{.Text"},
		{URL: "http://x/", BodyTemplate: "{{xml .Text}}"},
	} {
		if _, err := NewHTTP(c); err == nil {
			t.Errorf("NewHTTP(%+v) succeeded", c)
		}
	}
}

func TestFromConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	gw, err := FromConfig(config.SMS{Provider: config.SMSOutbox, Outbox: dir})
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := gw.(*Outbox); !ok || o.Dir() != dir {
		t.Fatalf("outbox gateway: %#v", gw)
	}
	gw, err = FromConfig(config.SMS{Provider: config.SMSHTTP, URL: "https://gw.example/send", Token: "t", TimeoutSeconds: 5})
	if _, ok := gw.(*HTTP); !ok || err != nil {
		t.Fatalf("http gateway: %#v %v", gw, err)
	}
	if gw, err := FromConfig(config.SMS{Provider: config.SMSNone}); gw != nil || err != nil {
		t.Fatalf("none: %#v %v", gw, err)
	}
	if _, err := FromConfig(config.SMS{Provider: "fax"}); err == nil {
		t.Fatal("unknown provider accepted")
	}
}
