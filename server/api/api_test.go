package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
	shared "github.com/vaihde/vaihde/shared/api"
)

func setup(t *testing.T) (*Server, *httptest.Server, *sqlite.Store, []demo.Account) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "api.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, accts, err := demo.Seed(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return s, hs, st, accts
}

func post(t *testing.T, url string, body any) (*http.Response, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, data
}

func get(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, data
}

func TestLoginForms(t *testing.T) {
	_, hs, _, _ := setup(t)
	tests := []struct {
		name, user, pass, domain string
		code                     int
		ext                      string
	}{
		{"extension", "1001", "demo1001", "", 200, "1001"},
		{"company e164", "+358912341002", "demo1002", "", 200, "1002"},
		{"company national with spaces", "09 1234 1003", "demo1003", "", 200, "1003"},
		{"mobile national", "040-123 1004", "demo1004", "", 200, "1004"},
		{"mobile 00 form", "00358401231005", "demo1005", demo.Domain, 200, "1005"},
		{"wrong password", "1001", "demo1002", "", 401, ""},
		{"unknown user", "1999", "demo1999", "", 401, ""},
		{"garbage user", "abc", "x", "", 401, ""},
		{"unknown domain", "1001", "demo1001", "nope.example", 401, ""},
		{"empty password", "1001", "", "", 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := post(t, hs.URL+"/api/login", shared.LoginRequest{User: tc.user, Password: tc.pass, Domain: tc.domain})
			if res.StatusCode != tc.code {
				t.Fatalf("status %d %s", res.StatusCode, body)
			}
			if tc.code != 200 {
				var e shared.Error
				if json.Unmarshal(body, &e) != nil || e.Error == "" || res.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("error body %q", body)
				}
				return
			}
			var lr shared.LoginResponse
			if err := json.Unmarshal(body, &lr); err != nil {
				t.Fatal(err)
			}
			if lr.Token == "" || lr.Profile.Extension != tc.ext || lr.Profile.Domain != demo.Domain || lr.Profile.Org != "Demo Oy" || lr.ExpiresAt.Before(time.Now()) {
				t.Fatalf("login response %+v", lr)
			}
			if strings.Contains(string(body), "$2a$") || strings.Contains(string(body), "ha1") {
				t.Fatal("login response leaks a hash")
			}
		})
	}
}

// The profile tells the Softphone the organisation's emergency numbers besides 112, so that it
// reminds the caller to state their location on those calls too (CALL-10).
func TestMeTellsEmergencyNumbers(t *testing.T) {
	_, hs, st, _ := setup(t)
	ctx := context.Background()
	org, err := st.DemoOrg(ctx)
	if err != nil {
		t.Fatal(err)
	}
	org.EmergencyNumbers = "0800112112  116117"
	if err := st.UpdateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	_, body := post(t, hs.URL+"/api/login", shared.LoginRequest{User: "1001", Password: "demo1001"})
	var lr shared.LoginResponse
	if err := json.Unmarshal(body, &lr); err != nil {
		t.Fatal(err)
	}
	if got := lr.Profile.EmergencyNumbers; len(got) != 2 || got[0] != "0800112112" || got[1] != "116117" {
		t.Fatalf("emergency numbers in the profile: %q", got)
	}
}

func TestMeAndCalls(t *testing.T) {
	s, hs, st, accts := setup(t)
	_, body := post(t, hs.URL+"/api/login", shared.LoginRequest{User: "1001", Password: "demo1001"})
	var lr shared.LoginResponse
	json.Unmarshal(body, &lr)

	res, body := get(t, hs.URL+"/api/me", lr.Token)
	var p shared.Profile
	if res.StatusCode != 200 || json.Unmarshal(body, &p) != nil || p.Name != "Aino Virtanen" || p.MobileNumber != "+358401231001" {
		t.Fatalf("me: %d %s", res.StatusCode, body)
	}

	uid := accts[0].User.ID
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, o := range []store.Outcome{store.Answered, store.Missed, store.Answered} {
		c := store.CallRecord{UserID: uid, Direction: store.Incoming, Peer: "1002", Outcome: o, StartedAt: base.Add(time.Duration(i) * time.Hour), EndedAt: base.Add(time.Duration(i)*time.Hour + 90*time.Second)}
		if o == store.Answered {
			c.AnsweredAt = c.StartedAt.Add(30 * time.Second)
		}
		st.AddCall(context.Background(), c)
	}
	res, body = get(t, hs.URL+"/api/calls?limit=2", lr.Token)
	var cl shared.CallList
	if res.StatusCode != 200 || json.Unmarshal(body, &cl) != nil || len(cl.Calls) != 2 {
		t.Fatalf("calls: %d %s", res.StatusCode, body)
	}
	if cl.Calls[0].Seconds != 60 || cl.Calls[0].AnsweredAt == nil || cl.Calls[1].Outcome != "missed" || cl.Calls[1].AnsweredAt != nil {
		t.Fatalf("calls content: %+v", cl.Calls)
	}
	if res, _ := get(t, hs.URL+"/api/calls?limit=x", lr.Token); res.StatusCode != 400 {
		t.Fatalf("bad limit: %d", res.StatusCode)
	}

	for _, tc := range []struct{ name, token string }{{"no token", ""}, {"bad token", "abc"}} {
		res, body := get(t, hs.URL+"/api/me", tc.token)
		var e shared.Error
		if res.StatusCode != 401 || json.Unmarshal(body, &e) != nil || e.Error == "" {
			t.Fatalf("%s: %d %s", tc.name, res.StatusCode, body)
		}
	}
	// Expired token.
	s.now = func() time.Time { return time.Now().Add(DefaultTokenLifetime + time.Minute) }
	if res, _ := get(t, hs.URL+"/api/me", lr.Token); res.StatusCode != 401 {
		t.Fatalf("expired token accepted: %d", res.StatusCode)
	}
	s.now = time.Now
	if res, _ := get(t, hs.URL+"/healthz", ""); res.StatusCode != 200 {
		t.Fatalf("healthz %d", res.StatusCode)
	}
}

func TestLoginRateLimit(t *testing.T) {
	_, hs, _, _ := setup(t)
	for i := 0; i < 9; i++ {
		if res, _ := post(t, hs.URL+"/api/login", shared.LoginRequest{User: "1002", Password: "nope"}); res.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
	}
	if res, _ := post(t, hs.URL+"/api/login", shared.LoginRequest{User: "1002", Password: "nope"}); res.StatusCode != 429 {
		t.Fatalf("10th failure: %d", res.StatusCode)
	}
	if res, _ := post(t, hs.URL+"/api/login", shared.LoginRequest{User: "1002", Password: "demo1002"}); res.StatusCode != 429 {
		t.Fatalf("blocked source could log in: %d", res.StatusCode)
	}
}

// An attacker guessing a user's password from elsewhere is blocked, and so are other sources
// that never logged in as that user, but the user's own computer (which logged in before)
// still logs in (NF-1: the lock-out must not lock the real user out).
func TestLoginLockoutSparesProvenSource(t *testing.T) {
	s, _, _, _ := setup(t)
	login := func(ip, password string) int {
		b, _ := json.Marshal(shared.LoginRequest{User: "1002", Password: password})
		req := httptest.NewRequest("POST", "/api/login", bytes.NewReader(b))
		req.RemoteAddr = ip + ":40000"
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	const user, attacker, stranger = "192.0.2.10", "198.51.100.7", "203.0.113.9"
	if code := login(user, "demo1002"); code != 200 {
		t.Fatalf("first login of the user: %d", code)
	}
	for i := 0; i < 10; i++ {
		login(attacker, "guess"+string(rune('a'+i)))
	}
	if code := login(attacker, "demo1002"); code != 429 {
		t.Fatalf("attacker's source after 10 failures, right password: %d, want 429", code)
	}
	if code := login(stranger, "demo1002"); code != 429 {
		t.Fatalf("an unproven source while the user is under attack: %d, want 429", code)
	}
	if code := login(user, "demo1002"); code != 200 {
		t.Fatalf("the user's own source was locked out: %d", code)
	}
}

// The profile tells the Softphone the user's add-on roles (ORG-2): it shows the agent view
// only to agents.
func TestProfileTellsRoles(t *testing.T) {
	_, hs, st, _ := setup(t)
	ctx := context.Background()
	org, err := st.DemoOrg(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByExtension(ctx, org.ID, "1005") // the demo's agent and supervisor
	if err != nil {
		t.Fatal(err)
	}
	u.Agent, u.Supervisor, u.Operator = true, true, false
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for ext, want := range map[string][3]bool{"1005": {true, true, false}, "1002": {}} {
		_, body := post(t, hs.URL+"/api/login", shared.LoginRequest{User: ext, Password: "demo" + ext})
		var lr shared.LoginResponse
		if err := json.Unmarshal(body, &lr); err != nil {
			t.Fatal(err)
		}
		p := lr.Profile
		if got := [3]bool{p.Agent, p.Supervisor, p.Operator}; got != want {
			t.Errorf("%s: roles agent/supervisor/operator %v, want %v", ext, got, want)
		}
	}
}
