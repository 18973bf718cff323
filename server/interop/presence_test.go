package interop

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	api "github.com/vaihde/vaihde/shared/api"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// presenceLogin logs user in over the HTTP API and returns the bearer token; the HTTP
// listener may come up a moment after SIP, so it retries for a while.
func presenceLogin(t *testing.T, srv *vaihde, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(api.LoginRequest{User: user, Password: password})
	cl := &http.Client{Timeout: 10 * time.Second}
	var login api.LoginResponse
	var last error
	ok := pollUntil(15*time.Second, func() bool {
		res, err := cl.Post("http://"+srv.httpAddr+"/api/login", "application/json", bytes.NewReader(body))
		if err != nil {
			last = err
			return false
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			last = errors.New("HTTP " + res.Status)
			return false
		}
		last = json.NewDecoder(res.Body).Decode(&login)
		return last == nil
	})
	if !ok {
		t.Fatalf("login as %s: %v", user, last)
	}
	return login.Token
}

// presencePut changes the token's user's presence and returns the HTTP status.
func presencePut(t *testing.T, srv *vaihde, token string, u api.PresenceUpdate) int {
	t.Helper()
	body, _ := json.Marshal(u)
	req, err := http.NewRequest(http.MethodPut, "http://"+srv.httpAddr+"/api/presence", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("PUT /api/presence: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestIntegrationSIPpPresenceSubscriber: SIPp subscribes to 1002's presence as 1001 with digest
// auth (RFC 3856), gets the initial PIDF NOTIFY, then 1002 sets "In a meeting" with an end time
// and a note through the HTTP API and SIPp must receive a NOTIFY with <rpid:meeting/>; it then
// unsubscribes and gets the terminated NOTIFY. SIPp 3.6 answers only MD5 challenges.
func TestIntegrationSIPpPresenceSubscriber(t *testing.T) {
	integration(t, "sipp")
	srv := startVaihde(t, "-digest-algorithms", "MD5")
	dir := t.TempDir()
	scen, err := filepath.Abs(filepath.Join("testdata", "sipp", "subscribe_presence.xml"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := filepath.Join(dir, "messages.log")
	p := startProc(t, "sipp-subscribe", dir, nil, "sipp",
		"-sf", scen,
		"-s", "1002", "-key", "subscriber", "1001", "-au", "1001", "-ap", "demo1001",
		"-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)),
		"-m", "1", "-timeout", "50s", "-timeout_error", "-nostdin",
		"-trace_msg", "-message_file", msgs,
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		srv.host())
	read := func() string { b, _ := os.ReadFile(msgs); return string(b) }
	// The initial NOTIFY has arrived once SIPp logged a received NOTIFY.
	if !pollUntil(20*time.Second, func() bool { return strings.Contains(read(), "NOTIFY sip:1001@") || p.exited() }) || p.exited() {
		t.Fatalf("no initial NOTIFY at SIPp (exited %v):\n%s", p.exited(), tailString(read(), 4000))
	}
	token := presenceLogin(t, srv, "1002", "demo1002")
	until := time.Now().Add(90 * time.Minute).Truncate(time.Minute)
	note := "Budget <Q4> & planning"
	if code := presencePut(t, srv, token, api.PresenceUpdate{Activity: presencePtr(sharedpresence.Meeting), Until: &until, Note: &note}); code != http.StatusOK {
		t.Fatalf("PUT /api/presence: HTTP %d", code)
	}
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		t.Fatalf("SIPp did not finish:\n%s", tailString(read(), 4000))
	}
	var ee *exec.ExitError
	if p.err != nil && !(errors.As(p.err, &ee) && ee.ExitCode() == 0) {
		b, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		t.Fatalf("SIPp failed: %v\nerrors:\n%s\nmessages:\n%s", p.err, b, tailString(read(), 6000))
	}
	m := read()
	for _, want := range []string{
		"SIP/2.0 407", "Proxy-Authenticate: Digest",
		"Event: presence", "Content-Type: application/pidf+xml",
		"<rpid:meeting/>", `entity="sip:1002@`,
		"Budget &lt;Q4&gt; &amp; planning", // the note, escaped
		"terminated;reason=timeout",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("SIPp's messages lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("messages:\n%s", tailString(m, 6000))
	}
}

// TestIntegrationPresenceAPIRefusesBadInput: the bad inputs of acceptance item 7 get clear
// errors over the HTTP API, and nothing reaches subscribers.
func TestIntegrationPresenceAPIRefusesBadInput(t *testing.T) {
	integration(t)
	srv := startVaihde(t)
	token := presenceLogin(t, srv, "1002", "demo1002")
	past := time.Now().Add(-2 * time.Hour)
	far := time.Now().AddDate(3, 0, 0)
	long := strings.Repeat("x", 10000)
	for name, u := range map[string]api.PresenceUpdate{
		"activity 42":         {Activity: presencePtr(42)},
		"role 9":              {Role: presencePtr(9)},
		"note of 10000 chars": {Note: &long},
		"until in the past":   {Until: &past},
		"until 3 years ahead": {Until: &far},
	} {
		if code := presencePut(t, srv, token, u); code != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", name, code)
		}
	}
	if code := presencePut(t, srv, token, api.PresenceUpdate{Activity: presencePtr(sharedpresence.Busy)}); code != http.StatusOK {
		t.Fatalf("valid change: HTTP %d", code)
	}
	if srv.exited() {
		t.Fatal("server exited")
	}
}

func presencePtr[T any](v T) *T { return &v }
