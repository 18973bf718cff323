package interop

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	sub := startSIPpSubscriber(t, srv, "subscribe_presence.xml", "1001", "1002")
	token := presenceLogin(t, srv, "1002", "demo1002")
	until := time.Now().Add(90 * time.Minute).Truncate(time.Minute)
	note := "Budget <Q4> & planning"
	if code := presencePut(t, srv, token, api.PresenceUpdate{Activity: presencePtr(sharedpresence.Meeting), Until: &until, Note: &note}); code != http.StatusOK {
		t.Fatalf("PUT /api/presence: HTTP %d", code)
	}
	m := sub.wait(t)
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

// TestIntegrationSIPpDialogSubscriber: SIPp subscribes to 1003's dialog state (RFC 4235, the
// busy-lamp field of a desk phone); baresip 1004 calls baresip 1003 (auto-answer) and hangs up;
// SIPp must see a confirmed dialog with 1004 as the remote party, then an empty list.
func TestIntegrationSIPpDialogSubscriber(t *testing.T) {
	integration(t, "sipp", "baresip")
	srv := startVaihde(t, "-digest-algorithms", "MD5")
	callee := registered(t, srv, "1003", toneA, true, "")
	caller := registered(t, srv, "1004", toneB, false, "")
	sub := startSIPpSubscriber(t, srv, "subscribe_dialog.xml", "1001", "1003")
	dial(t, caller, callee, srv.uriOf(callee))
	time.Sleep(500 * time.Millisecond) // the call stays up a moment, as a real one would
	hangup(t, caller, callee)
	m := sub.wait(t)
	for _, want := range []string{
		"Event: dialog", "Content-Type: application/dialog-info+xml",
		`direction="recipient"`, "<state>confirmed</state>", "<remote><identity>sip:1004@",
		"terminated;reason=timeout",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("SIPp's messages lack %q", want)
		}
	}
	if i := strings.Index(m, "<state>confirmed</state>"); i >= 0 {
		start := strings.LastIndex(m[:i], "<dialog-info")
		end := strings.Index(m[i:], "</dialog-info>")
		if start >= 0 && end >= 0 {
			t.Logf("a NOTIFY during the call:\n%s", m[start:i+end+len("</dialog-info>")])
		}
	}
	if t.Failed() {
		t.Logf("messages:\n%s", tailString(m, 8000))
	}
}

// sippSubscriber is a SIPp subscriber scenario running in the background.
type sippSubscriber struct {
	p   *proc
	dir string
}

func (s *sippSubscriber) messages() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "messages.log"))
	return string(b)
}

// startSIPpSubscriber runs scenario (testdata/sipp) subscribing as user (password demo<user>)
// to target, and returns once SIPp received the initial NOTIFY.
func startSIPpSubscriber(t *testing.T, srv *vaihde, scenario, user, target string) *sippSubscriber {
	t.Helper()
	dir := t.TempDir()
	scen, err := filepath.Abs(filepath.Join("testdata", "sipp", scenario))
	if err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "sipp-"+strings.TrimSuffix(scenario, ".xml"), dir, nil, "sipp",
		"-sf", scen,
		"-s", target, "-key", "subscriber", user, "-au", user, "-ap", "demo"+user,
		"-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)),
		"-m", "1", "-timeout", "60s", "-timeout_error", "-nostdin",
		// A NOTIFY retransmitted before SIPp got round to answering the first copy (a loaded
		// machine: the server's UDP timer A is 500 ms) is answered 200, not a scenario error.
		"-aa",
		"-trace_msg", "-message_file", filepath.Join(dir, "messages.log"),
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		srv.host())
	s := &sippSubscriber{p: p, dir: dir}
	if !pollUntil(20*time.Second, func() bool { return strings.Contains(s.messages(), "NOTIFY sip:"+user+"@") || p.exited() }) || p.exited() {
		t.Fatalf("no initial NOTIFY at SIPp (exited %v):\n%s", p.exited(), tailString(s.messages(), 4000))
	}
	return s
}

// wait waits for the scenario to end, fails the test unless it succeeded, and returns SIPp's
// message trace.
func (s *sippSubscriber) wait(t *testing.T) string {
	t.Helper()
	select {
	case <-s.p.done:
	case <-time.After(50 * time.Second):
		t.Fatalf("SIPp did not finish:\n%s", tailString(s.messages(), 4000))
	}
	var ee *exec.ExitError
	if s.p.err != nil && !(errors.As(s.p.err, &ee) && ee.ExitCode() == 0) {
		b, _ := os.ReadFile(filepath.Join(s.dir, "errors.log"))
		t.Fatalf("SIPp failed: %v\nerrors:\n%s\nmessages:\n%s", s.p.err, b, tailString(s.messages(), 6000))
	}
	return s.messages()
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

// TestIntegrationBaresipPresenceSubscriber: baresip 1.0's presence module subscribes to the
// contacts marked ;presence=p2p (as the first account, 1001, with digest auth) and maps the
// PIDF it gets: <basic>open</basic> → Online, <rpid:busy/> or <rpid:on-the-phone/> → Busy,
// <rpid:away/> or closed → Offline. 1002 registers (SIPp), then changes its activity through
// the HTTP API; baresip logs each change of the contact's status.
func TestIntegrationBaresipPresenceSubscriber(t *testing.T) {
	integration(t, "baresip", "sipp")
	srv := startVaihde(t, "-digest-algorithms", "MD5")
	if r := runSIPp(t, srv, "register.xml", "1002", "demo1002", 1); r.exit != 0 {
		t.Fatalf("register 1002 with SIPp: exit %d\n%s", r.exit, r.errors)
	}
	b := startPresenceWatcher(t, srv, "1001", "1002")
	// The subscription is up once the server logged it (baresip subscribes a second after start).
	srv.waitLog(t, regexp.MustCompile(`msg=subscription [^\n]*subscriber=1001 target=1002`), 20*time.Second)
	token := presenceLogin(t, srv, "1002", "demo1002")
	change := func(activity int, from, to string) {
		t.Helper()
		if code := presencePut(t, srv, token, api.PresenceUpdate{Activity: presencePtr(activity)}); code != http.StatusOK {
			t.Fatalf("PUT /api/presence %d: HTTP %d", activity, code)
		}
		// baresip colours the names: "changed status from \x1b[32mOnline\x1b[;m to \x1b[31mBusy\x1b[;m".
		b.waitLog(t, regexp.MustCompile(`changed status from \S*`+from+`\S* to \S*`+to), 10*time.Second)
	}
	change(sharedpresence.Busy, "Online", "Busy")
	change(sharedpresence.Available, "Busy", "Online")
	change(sharedpresence.Away, "Online", "Offline")
}

// TestIntegrationBaresipSeesOnThePhone: a baresip watching 1003 sees it Busy while 1003 is in
// a call (<rpid:on-the-phone/> from the call engine's call state) and Online again after.
func TestIntegrationBaresipSeesOnThePhone(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t, "-digest-algorithms", "MD5")
	callee := registered(t, srv, "1003", toneA, true, "")
	caller := registered(t, srv, "1004", toneB, false, "")
	w := startPresenceWatcher(t, srv, "1001", "1003")
	srv.waitLog(t, regexp.MustCompile(`msg=subscription [^\n]*subscriber=1001 target=1003`), 20*time.Second)
	dial(t, caller, callee, srv.uriOf(callee))
	w.waitLog(t, regexp.MustCompile(`1003@[^>]*> changed status from \S*Online\S* to \S*Busy`), 10*time.Second)
	hangup(t, caller, callee)
	w.waitLog(t, regexp.MustCompile(`1003@[^>]*> changed status from \S*Busy\S* to \S*Online`), 10*time.Second)
}

// startPresenceWatcher starts a baresip whose only account is user (not registered) and whose
// contacts are the watched extensions, marked ;presence=p2p so that its presence module
// subscribes to each; the test reads the status changes baresip logs.
func startPresenceWatcher(t *testing.T, srv *vaihde, user string, watched ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config"), strings.Join([]string{
		"poll_method epoll",
		"sip_listen 127.0.0.1:" + strconv.Itoa(freeUDPTCPPort(t)),
		"net_interface 127.0.0.1",
		"module_path /usr/lib/baresip/modules",
		"module g711.so",
		"module_tmp uuid.so",
		"module_tmp account.so",
		"module_app contact.so", // before presence.so: it subscribes to the loaded contacts
		"module_app presence.so",
		"",
	}, "\n"))
	writeFile(t, filepath.Join(dir, "accounts"), "<"+srv.uri(user)+">;auth_user="+user+";auth_pass=demo"+user+";regint=0\n")
	var contacts strings.Builder
	for _, w := range watched {
		contacts.WriteString("\"" + w + "\" <" + srv.uri(w) + ">;presence=p2p\n")
	}
	writeFile(t, filepath.Join(dir, "contacts"), contacts.String())
	// stdbuf: baresip prints through stdio, block-buffered into a pipe.
	b := startProc(t, "baresip-watcher-"+user, dir, nil, "stdbuf", "-oL", "-eL", "baresip", "-f", dir)
	b.waitLog(t, regexp.MustCompile(`Subscribing to `+strconv.Itoa(len(watched))+` contacts`), 20*time.Second)
	return b
}
