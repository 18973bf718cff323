package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
	shared "github.com/vaihde/vaihde/shared/api"
)

// addAcme creates a second organisation, acme.example, whose 1001 is another person than
// the demo's 1001, and whose 2002 has a number the demo organisation also uses (a number
// must belong to one organisation: this one is ambiguous).
func addAcme(t *testing.T, st *sqlite.Store) store.Org {
	t.Helper()
	ctx := context.Background()
	org, err := st.CreateOrg(ctx, store.Org{Name: "Acme Oy", Domain: "acme.example", CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.User{
		{Extension: "1001", Name: "Acme One", CompanyNumber: "+358201110001", Language: "en"},
		{Extension: "2001", Name: "Acme Two", MobileNumber: "+358501112001", Language: "fi"},
		{Extension: "2002", Name: "Acme Shared", CompanyNumber: "+358912341005", Language: "fi"}, // demo 1005's company number too
	} {
		u.OrgID = org.ID
		if err := auth.SetPassword(&u, org.Domain, "acme"+u.Extension); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return org
}

// TestLoginAcrossOrganisations: "ext@domain", a phone number in any form without a domain
// (found across organisations), an extension without one (the default organisation), and the
// response tells the extension and the organisation's SIP domain.
func TestLoginAcrossOrganisations(t *testing.T) {
	_, hs, st, _ := setup(t)
	addAcme(t, st)
	tests := []struct {
		name, user, pass, domain string
		code                     int
		ext, wantDomain, wantOrg string
	}{
		{"ext@domain", "2001@acme.example", "acme2001", "", 200, "2001", "acme.example", "Acme Oy"},
		{"same extension, other org", "1001@acme.example", "acme1001", "", 200, "1001", "acme.example", "Acme Oy"},
		{"same extension, demo org", "1001@demo.vaihde.local", "demo1001", "", 200, "1001", demo.Domain, "Demo Oy"},
		{"domain in both forms", "1001@ACME.example", "acme1001", "acme.example", 200, "1001", "acme.example", "Acme Oy"},
		{"bare extension: default org", "1001", "demo1001", "", 200, "1001", demo.Domain, "Demo Oy"},
		{"other org's password for the default org's extension", "1001", "acme1001", "", 401, "", "", ""},
		{"number across orgs, E.164", "+358501112001", "acme2001", "", 200, "2001", "acme.example", "Acme Oy"},
		{"number across orgs, national", "050 111 2001", "acme2001", "", 200, "2001", "acme.example", "Acme Oy"},
		{"number across orgs, 00 form", "00358 20 111 0001", "acme1001", "", 200, "1001", "acme.example", "Acme Oy"},
		{"demo number without domain", "09 1234 1003", "demo1003", "", 200, "1003", demo.Domain, "Demo Oy"},
		{"number at domain", "+358501112001@acme.example", "acme2001", "", 200, "2001", "acme.example", "Acme Oy"},
		{"ambiguous number", "+358912341005", "acme2002", "", 401, "", "", ""},
		{"ambiguous number, other password", "+358912341005", "demo1005", "", 401, "", "", ""},
		{"ambiguous number made clear by domain", "+358912341005", "acme2002", "acme.example", 200, "2002", "acme.example", "Acme Oy"},
		{"unknown number", "+358409999999", "x", "", 401, "", "", ""},
		{"wrong org", "2001@demo.vaihde.local", "acme2001", "", 401, "", "", ""},
		{"unknown domain", "2001@nope.example", "acme2001", "", 401, "", "", ""},
		{"domains differ", "2001@acme.example", "acme2001", demo.Domain, 400, "", "", ""},
		{"nothing before @", "@acme.example", "acme2001", "", 400, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := post(t, hs.URL+"/api/login", shared.LoginRequest{User: tc.user, Password: tc.pass, Domain: tc.domain})
			if res.StatusCode != tc.code {
				t.Fatalf("status %d %s, want %d", res.StatusCode, body, tc.code)
			}
			if tc.code != 200 {
				var e shared.Error
				if json.Unmarshal(body, &e) != nil || e.Error == "" {
					t.Fatalf("error body %q", body)
				}
				if tc.code == 401 && e.Error != "wrong user or password" {
					t.Fatalf("401 says %q: every failure must read alike", e.Error)
				}
				return
			}
			var lr shared.LoginResponse
			if err := json.Unmarshal(body, &lr); err != nil {
				t.Fatal(err)
			}
			if lr.Token == "" || lr.Profile.Extension != tc.ext || lr.Profile.Domain != tc.wantDomain || lr.Profile.Org != tc.wantOrg {
				t.Fatalf("login response %+v, want %s@%s (%s)", lr.Profile, tc.ext, tc.wantDomain, tc.wantOrg)
			}
		})
	}
}

// TestLoginAlwaysRunsBcrypt: every login attempt runs exactly one bcrypt comparison, known
// user or not, against a hash of the real cost, so the time taken does not tell who exists.
func TestLoginAlwaysRunsBcrypt(t *testing.T) {
	s, hs, st, accts := setup(t)
	addAcme(t, st)
	var (
		mu     sync.Mutex
		hashes []string
	)
	s.checkPassword = func(hash, password string) bool {
		mu.Lock()
		hashes = append(hashes, hash)
		mu.Unlock()
		return auth.CheckPassword(hash, password)
	}
	// A user without a password (not yet provisioned) also costs one full comparison.
	nopw := store.User{OrgID: accts[0].User.OrgID, Extension: "1099", Name: "No Password", Language: "fi"}
	if _, err := st.CreateUser(context.Background(), nopw); err != nil {
		t.Fatal(err)
	}
	realCost, err := bcrypt.Cost([]byte(accts[0].User.PasswordHash))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, pass, domain string
		code                     int
	}{
		{"known user, right password", "1001", "demo1001", "", 200},
		{"known user, wrong password", "1002", "nope", "", 401},
		{"unknown extension", "1999", "nope", "", 401},
		{"unknown number", "+358409999999", "nope", "", 401},
		{"unknown domain", "1001", "demo1001", "nope.example", 401},
		{"garbage user", "abc", "nope", "", 401},
		{"ambiguous number", "+358912341005", "demo1005", "", 401},
		{"user without password", "1099", "", "", 400}, // refused before: nothing to compare
		{"user without password, any password", "1099", "guess", "", 401},
	} {
		mu.Lock()
		hashes = nil
		mu.Unlock()
		res, body := post(t, hs.URL+"/api/login", shared.LoginRequest{User: tc.user, Password: tc.pass, Domain: tc.domain})
		if res.StatusCode != tc.code {
			t.Fatalf("%s: status %d %s, want %d", tc.name, res.StatusCode, body, tc.code)
		}
		mu.Lock()
		got := append([]string(nil), hashes...)
		mu.Unlock()
		want := 1
		if tc.code == 400 {
			want = 0
		}
		if len(got) != want {
			t.Fatalf("%s: bcrypt ran %d times, want %d", tc.name, len(got), want)
		}
		for _, h := range got {
			if c, err := bcrypt.Cost([]byte(h)); err != nil || c != realCost {
				t.Errorf("%s: compared against a hash of cost %d (%v), want the real cost %d", tc.name, c, err, realCost)
			}
		}
	}
}

// TestLogout: POST /api/logout ends the token; later requests with it are 401.
func TestLogout(t *testing.T) {
	_, hs, _, _ := setup(t)
	login := func() string {
		_, body := post(t, hs.URL+"/api/login", shared.LoginRequest{User: "1001", Password: "demo1001"})
		var lr shared.LoginResponse
		if err := json.Unmarshal(body, &lr); err != nil || lr.Token == "" {
			t.Fatalf("login: %s", body)
		}
		return lr.Token
	}
	tok, other := login(), login()
	logout := func(token string) int {
		req, _ := http.NewRequest("POST", hs.URL+"/api/logout", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if res, _ := get(t, hs.URL+"/api/me", tok); res.StatusCode != 200 {
		t.Fatalf("before logout: %d", res.StatusCode)
	}
	if code := logout(tok); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	for _, path := range []string{"/api/me", "/api/calls", "/api/events"} {
		if res, _ := get(t, hs.URL+path, tok); res.StatusCode != 401 {
			t.Errorf("%s after logout: %d, want 401", path, res.StatusCode)
		}
	}
	if code := logout(tok); code != 401 {
		t.Errorf("second logout: %d, want 401", code)
	}
	if code := logout(""); code != 401 {
		t.Errorf("logout without token: %d, want 401", code)
	}
	// Another session of the same user is not affected.
	if res, _ := get(t, hs.URL+"/api/me", other); res.StatusCode != 200 {
		t.Fatalf("the user's other session ended too: %d", res.StatusCode)
	}
}

// TestSMSRateLimit: per user and per organisation, over a sliding window on the injected
// clock; 429 with a clear error and Retry-After; refused messages cost nothing.
func TestSMSRateLimit(t *testing.T) {
	e := newEnv(t, nil)
	var (
		mu  sync.Mutex
		now = time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	)
	e.s.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	e.s.smsLimit = newSMSLimiter(SMSLimits{PerUser: 2, PerOrg: 3, Window: time.Hour})
	a, b, c := e.login(t, "1001"), e.login(t, "1002"), e.login(t, "1003")
	send := func(tok string) (int, []byte) {
		return e.do(t, "POST", "/api/sms", tok, shared.SendSMS{To: "040 555 1234", Text: "hei"})
	}
	for i := range 2 {
		if code, body := send(a); code != 200 {
			t.Fatalf("1001's message %d: %d %s", i+1, code, body)
		}
		advance(time.Minute)
	}
	// A refused message (bad number) does not count.
	code, body := e.do(t, "POST", "/api/sms", b, shared.SendSMS{To: "nope", Text: "x"})
	wantError(t, "bad number", code, body, 400, "not a valid phone number")

	code, body = send(a)
	wantError(t, "user over limit", code, body, 429, "SMS limit reached: you may send at most 2 messages per hour; try again in 58 min")
	if code, body := send(b); code != 200 {
		t.Fatalf("1002 within the organisation's limit: %d %s", code, body)
	}
	code, body = send(c)
	wantError(t, "organisation over limit", code, body, 429, "your organisation may send at most 3 messages per hour")

	req, _ := http.NewRequest("POST", e.url+"/api/sms", strings.NewReader(`{"to":"0405551234","text":"x"}`))
	req.Header.Set("Authorization", "Bearer "+a)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "3480" {
		t.Fatalf("Retry-After %q (status %d), want 3480 s", res.Header.Get("Retry-After"), res.StatusCode)
	}
	e.gw.mu.Lock()
	sentN := len(e.gw.sent)
	e.gw.mu.Unlock()
	if sentN != 3 {
		t.Fatalf("the gateway got %d messages, want 3", sentN)
	}
	// An hour after the first message, 1001 may send one again (the window slides).
	advance(time.Hour - 2*time.Minute)
	if code, body := send(a); code != 200 {
		t.Fatalf("after the window: %d %s", code, body)
	}
	if code, _ := send(a); code != 429 {
		t.Fatalf("the second message of the new window: %d, want 429 (the first one's minute is not over)", code)
	}
}

// TestIntegrationLogoutEndsEventStream: an event stream opened with a token ends when that
// session logs out; a stream of the user's other session goes on.
func TestIntegrationLogoutEndsEventStream(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	e := newEnv(t, nil)
	tok, other := e.login(t, "1001"), e.login(t, "1001")
	ch, res := e.openStream(t, tok)
	otherCh, _ := e.openStream(t, other)
	if res.StatusCode != 200 {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	waitEvent(t, ch, 5*time.Second, "hello", func(ev sseEvent, _ shared.Event) bool { return ev.typ == shared.EventHello })
	waitEvent(t, otherCh, 5*time.Second, "hello", func(ev sseEvent, _ shared.Event) bool { return ev.typ == shared.EventHello })
	if code, body := e.do(t, "POST", "/api/logout", tok, nil); code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", code, body)
	}
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-ch:
		case <-deadline:
			t.Fatal("the logged-out session's event stream is still open")
		}
	}
	select {
	case _, ok := <-otherCh:
		if !ok {
			t.Fatal("the other session's stream ended too")
		}
	case <-time.After(200 * time.Millisecond):
	}
}
