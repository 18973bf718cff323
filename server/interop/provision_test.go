package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/store/sqlite"
	"github.com/vaihde/vaihde/shared/api"
)

// The example company.
const acmeDomain = "acme.example"

// acmePassword is the password the tests give an acme.example user.
func acmePassword(ext string) string { return "Acme!" + ext + "!secret" }

// runCLI runs a provisioning command of the vaihde binary on srv's database (or db when not
// empty) with stdin, and returns its exit status and output. The server may be running.
func runCLI(t *testing.T, db string, stdin string, args ...string) (int, string) {
	t.Helper()
	if buildErr != nil || serverBinary == "" {
		t.Fatalf("server binary not built: %v", buildErr)
	}
	args = append(args, "-db", db)
	cmd := exec.Command(serverBinary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	case err != nil:
		t.Fatalf("run vaihde %q: %v", args, err)
	}
	return 0, string(out)
}

// mustCLI runs a command that must succeed.
func mustCLI(t *testing.T, db, stdin string, args ...string) string {
	t.Helper()
	code, out := runCLI(t, db, stdin, args...)
	if code != 0 {
		t.Fatalf("vaihde %s: exit %d: %s", strings.Join(args, " "), code, out)
	}
	return out
}

func (v *vaihde) db() string { return filepath.Join(v.dir, "vaihde.db") }

// createAcme creates acme.example and the users exts with acmePassword (the first two
// administrators, as seed 004 wants).
func createAcme(t *testing.T, db string, exts ...string) {
	t.Helper()
	mustCLI(t, db, "", "org", "create", "--domain", acmeDomain, "--name", "Acme Oy", "--country-code", "358", "--time-zone", "Europe/Helsinki")
	for i, ext := range exts {
		args := []string{"user", "create", "--org", acmeDomain, "--ext", ext, "--name", "Acme User " + ext,
			"--mobile", "040 555 " + ext, "--lang", "en", "--password-stdin"}
		if i < 2 {
			args = append(args, "--admin")
		}
		mustCLI(t, db, acmePassword(ext)+"\n", args...)
	}
}

// sipRegister sends a REGISTER for ext@domain to srv over UDP with a sipgo client, answering
// the digest challenge with password, and returns the final status code.
func sipRegister(t *testing.T, srv *vaihde, domain, ext, password string) int {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("vaihde-interop"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	aor := sip.Uri{Scheme: "sip", User: ext, Host: domain}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: domain})
	from := &sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@127.0.0.1:%d>", ext, freeUDPPort(t))))
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	req.SetDestination(srv.host())
	req.SetTransport("UDP")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cli.Do(ctx, req)
	if err != nil {
		t.Fatalf("REGISTER %s@%s: %v", ext, domain, err)
	}
	if res.StatusCode == 401 {
		res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: ext, Password: password})
		if err != nil {
			t.Fatalf("REGISTER %s@%s with credentials: %v", ext, domain, err)
		}
	}
	return res.StatusCode
}

// waitLogCount waits until re matches the server's log more than n times and returns how long
// that took.
func waitLogCount(t *testing.T, srv *vaihde, re *regexp.Regexp, n int, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for len(re.FindAllString(srv.log.String(), -1)) <= n {
		if time.Since(start) > timeout {
			t.Fatalf("server log: %q seen %d times, want more than %d within %v", re, n, n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

var reloaded = regexp.MustCompile(`reloaded after a change by another process`)

// settle waits until the server has not reloaded for three poll intervals, so that the next
// reload is the answer to the next command, and returns how many reloads it logged so far.
func settle(t *testing.T, srv *vaihde) int {
	t.Helper()
	n, since := -1, time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		m := len(reloaded.FindAllString(srv.log.String(), -1))
		if m != n {
			n, since = m, time.Now()
		}
		if time.Since(since) > 1500*time.Millisecond {
			return n
		}
	}
	t.Fatal("the server keeps reloading with nobody changing its data")
	return 0
}

// TestIntegrationCLIWhileServerRuns: the vaihde commands change a running server's data and
// the server sees each change within 2 s — a new organisation and user register at once, a
// changed password is the only valid one on the next REGISTER, a deleted user's registration
// ends.
func TestIntegrationCLIWhileServerRuns(t *testing.T) {
	integration(t)
	srv := startVaihde(t)
	createAcme(t, srv.db(), "2001", "2002", "2003")
	created := time.Now()
	if code := sipRegister(t, srv, acmeDomain, "2001", acmePassword("2001")); code != 200 {
		t.Fatalf("REGISTER 2001@acme.example right after user create: %d", code)
	}
	if d := time.Since(created); d > 2*time.Second {
		t.Fatalf("new user registered after %v, want within 2 s", d)
	}
	if out := mustCLI(t, srv.db(), "", "user", "list", "--org", acmeDomain); !strings.Contains(out, "+358405552003") {
		t.Fatalf("user list:\n%s", out)
	}
	if out := mustCLI(t, srv.db(), "", "org", "list"); !strings.Contains(out, acmeDomain) || !strings.Contains(out, demoDomain) {
		t.Fatalf("org list:\n%s", out)
	}

	// A new password: the old one fails and the new one works once the server has reloaded.
	n := settle(t, srv)
	mustCLI(t, srv.db(), "N3w-pass-for-2002\n", "user", "passwd", "--org", acmeDomain, "--ext", "2002", "--password-stdin")
	d := waitLogCount(t, srv, reloaded, n, 2*time.Second)
	t.Logf("password change seen after %v", d)
	if code := sipRegister(t, srv, acmeDomain, "2002", acmePassword("2002")); code == 200 {
		t.Fatal("the old password still registers after user passwd")
	}
	if code := sipRegister(t, srv, acmeDomain, "2002", "N3w-pass-for-2002"); code != 200 {
		t.Fatalf("REGISTER with the new password: %d", code)
	}

	// Delete the registered 2003 (2001 and 2002 are the admins): its registration ends within 2 s.
	if code := sipRegister(t, srv, acmeDomain, "2003", acmePassword("2003")); code != 200 {
		t.Fatalf("REGISTER 2003: %d", code)
	}
	ended := regexp.MustCompile(`registrations ended: user removed.*bindings=1`)
	n = len(ended.FindAllString(srv.log.String(), -1))
	mustCLI(t, srv.db(), "", "user", "delete", "--org", acmeDomain, "--ext", "2003")
	d = waitLogCount(t, srv, ended, n, 2*time.Second)
	t.Logf("registration of the deleted user ended after %v", d)
	if code := sipRegister(t, srv, acmeDomain, "2003", acmePassword("2003")); code == 200 {
		t.Fatal("the deleted user registers again")
	}
	if code := sipRegister(t, srv, acmeDomain, "2001", acmePassword("2001")); code != 200 {
		t.Fatalf("2001 after 2003 was deleted: %d", code)
	}

	// Bad input while the server runs: status 2, one line, and the server keeps working.
	code, out := runCLI(t, srv.db(), acmePassword("2002")+"\n", "user", "create", "--org", acmeDomain, "--ext", "2002", "--name", "Dup", "--password-stdin")
	if code != 2 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "already exists") {
		t.Fatalf("duplicate extension: exit %d, output %q", code, out)
	}
	if code := sipRegister(t, srv, demoDomain, "1001", "demo1001"); code != 200 {
		t.Fatalf("demo 1001 after the acme changes: %d", code)
	}
}

// TestIntegrationAcmeEndToEnd is acceptance item 2 of issue 9: the CLI creates acme.example with
// 2001–2003 on a running server that also has the demo organisation; baresip phones register as
// 2001@acme.example …, 2001 calls 2002 and each hears the other; a demo call works as before;
// acme.example also gets extension 1001, and the two 1001s register and are reached separately;
// a call from one organisation to a user of the other is refused.
func TestIntegrationAcmeEndToEnd(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	createAcme(t, srv.db(), "2001", "2002", "2003", "1001")

	phone := func(ext, domain, password string, tone float64, autoAnswer bool) *baresip {
		b := startBaresip(t, srv, baresipOpts{User: ext, Password: password, Register: true, Domain: domain,
			ToneHz: tone, AutoAnswer: autoAnswer})
		b.waitRegistered()
		return b
	}
	a2001 := phone("2001", acmeDomain, acmePassword("2001"), toneA, false)
	a2002 := phone("2002", acmeDomain, acmePassword("2002"), toneB, true)
	a2003 := phone("2003", acmeDomain, acmePassword("2003"), toneA, false)
	a1001 := phone("1001", acmeDomain, acmePassword("1001"), toneC, true)
	d1001 := phone("1001", "", "demo1001", toneB, true)          // the demo organisation, by the server's address
	d1002 := phone("1002", demoDomain, "demo1002", toneA, false) // by domain, through the server as outbound proxy

	t.Run("acme 2001 calls 2002", func(t *testing.T) {
		dial(t, a2001, a2002, "sip:2002@"+acmeDomain)
		a2001.waitRecorded(4, 30*time.Second)
		a2002.waitRecorded(4, 30*time.Second)
		hangup(t, a2001, a2002)
		checkTone(t, "2002 hears 2001", a2002.lastRecording(), toneA, toneB, 3)
		checkTone(t, "2001 hears 2002", a2001.lastRecording(), toneB, toneA, 3)
	})
	t.Run("demo 1002 calls demo 1001", func(t *testing.T) {
		ma := a1001.mark()
		dial(t, d1002, d1001, srv.uriOf(d1001))
		d1002.waitRecorded(4, 30*time.Second)
		hangup(t, d1002, d1001)
		checkTone(t, "demo 1002 hears demo 1001", d1002.lastRecording(), toneB, toneA, 3)
		if a1001.hasEvent(ma, "CALL_ESTABLISHED") || a1001.hasEvent(ma, "CALL_INCOMING") {
			t.Fatal("a call to the demo 1001 reached acme's 1001")
		}
	})
	t.Run("no calls across the organisations", func(t *testing.T) {
		md, ma := d1002.mark(), a2001.mark()
		a2001.cmd("dial", "sip:1002@"+demoDomain)
		// The server must be the one refusing (a 4xx), not the phone failing to send.
		refusal := regexp.MustCompile(`\b4[0-9][0-9]\b`)
		ev := a2001.waitEvent(ma, "CALL_CLOSED", 30*time.Second, nil)
		t.Logf("refused: %s", ev.Param)
		if !refusal.MatchString(ev.Param) {
			t.Fatalf("acme → demo call closed with %q, want a SIP refusal", ev.Param)
		}
		if a2001.hasEvent(ma, "CALL_ESTABLISHED") || d1002.hasEvent(md, "CALL_INCOMING") || d1002.hasEvent(md, "CALL_ESTABLISHED") {
			t.Fatal("a call from acme.example reached the demo organisation's 1002")
		}
		md, ma = d1002.mark(), a2002.mark()
		d1002.cmd("dial", "sip:2002@"+acmeDomain)
		ev = d1002.waitEvent(md, "CALL_CLOSED", 30*time.Second, nil)
		t.Logf("refused: %s", ev.Param)
		if !refusal.MatchString(ev.Param) {
			t.Fatalf("demo → acme call closed with %q, want a SIP refusal", ev.Param)
		}
		if d1002.hasEvent(md, "CALL_ESTABLISHED") || a2002.hasEvent(ma, "CALL_ESTABLISHED") {
			t.Fatal("a call from the demo organisation reached acme's 2002")
		}
	})
	t.Run("acme 2003 calls acme 1001", func(t *testing.T) {
		md := d1001.mark()
		dial(t, a2003, a1001, "sip:1001@"+acmeDomain)
		a2003.waitRecorded(4, 30*time.Second)
		hangup(t, a2003, a1001)
		// acme's 1001 sends toneC; the demo 1001 would send toneB.
		checkTone(t, "acme 2003 hears acme 1001", a2003.lastRecording(), toneC, toneB, 3)
		if d1001.hasEvent(md, "CALL_ESTABLISHED") || d1001.hasEvent(md, "CALL_INCOMING") {
			t.Fatal("a call to acme's 1001 reached the demo 1001")
		}
	})
}

// TestIntegrationBackupRestore: a backup taken while the server runs (with a voicemail message
// just left) restores into a fresh directory, where a new server has the users, the
// organisation and the message; a restore over the live server's data is refused without
// --force and changes nothing.
func TestIntegrationBackupRestore(t *testing.T) {
	integration(t, "baresip")
	dir := promptsDir(t)
	srv := startVaihde(t, "-prompts-dir", dir)
	createAcme(t, srv.db(), "2001", "2002")
	caller := registered(t, srv, "1003", toneA, false, "")
	greeting := promptAudio(t, dir, "fi", "greeting_reached", "num/1", "num/0", "num/0", "num/4", "greeting_default", "leave_message")
	leaveVoicemail(t, srv, caller, "1004", greeting, 3*time.Second)
	token := apiLogin(t, srv, "1004", "demo1004")
	if !pollUntil(10*time.Second, func() bool { return len(mailbox(t, srv, token).Messages) == 1 }) {
		t.Fatal("no voicemail message to back up")
	}

	file := filepath.Join(t.TempDir(), "vaihde-backup.tar.gz")
	out := mustCLI(t, srv.db(), "", "backup", file, "-prompts-dir", dir)
	t.Logf("backup: %s", out)
	if !regexp.MustCompile(`and [1-9][0-9]* files \(voicemail`).MatchString(out) {
		t.Fatalf("backup output %q", out)
	}

	// The server is live: restore refuses and leaves everything as it was.
	code, msg := runCLI(t, srv.db(), "", "restore", file, "-prompts-dir", dir)
	if code != 2 || !strings.Contains(msg, "running vaihde server") || strings.Count(msg, "\n") != 1 {
		t.Fatalf("restore over the live server: exit %d, %q", code, msg)
	}
	if code := sipRegister(t, srv, acmeDomain, "2001", acmePassword("2001")); code != 200 {
		t.Fatalf("live server after the refused restore: %d", code)
	}
	if aside, _ := filepath.Glob(filepath.Join(srv.dir, "*before-restore*")); len(aside) > 0 {
		t.Fatalf("refused restore moved data: %v", aside)
	}

	// Into a fresh directory: a new server there has everything.
	freshDB := filepath.Join(t.TempDir(), "restored", "vaihde.db")
	mustCLI(t, freshDB, "", "restore", file)
	st, err := sqlite.Open(context.Background(), freshDB)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := st.VoicemailPaths(context.Background())
	st.Close()
	if err != nil || len(paths) != 1 {
		t.Fatalf("restored voicemail records %v %v", paths, err)
	}
	if fi, err := os.Stat(filepath.Join(filepath.Dir(freshDB), "voicemail", filepath.FromSlash(paths[0]))); err != nil || fi.Size() < 1000 {
		t.Fatalf("restored voicemail file: %v", err)
	}
	if out := mustCLI(t, freshDB, "", "user", "list", "--org", acmeDomain); !strings.Contains(out, "2001") || !strings.Contains(out, "2002") {
		t.Fatalf("restored users:\n%s", out)
	}
	srv2 := startVaihde(t, "-db", freshDB)
	if code := sipRegister(t, srv2, acmeDomain, "2002", acmePassword("2002")); code != 200 {
		t.Fatalf("REGISTER 2002 on the restored server: %d", code)
	}
	token2 := apiLogin(t, srv2, "1004", "demo1004")
	if l := mailbox(t, srv2, token2); len(l.Messages) != 1 || l.Messages[0].Caller != "1003" {
		t.Fatalf("restored mailbox of 1004: %+v", l)
	}
}

// TestIntegrationAdminAPIChangeReachesSIP: a change through the admin HTTP API is written by
// the server itself, which storewatch does not see; the API's change hook reloads the SIP side
// at once, so a new password counts on the very next REGISTER and a deleted user's
// registration ends before the API answers.
func TestIntegrationAdminAPIChangeReachesSIP(t *testing.T) {
	integration(t)
	srv := startVaihde(t)
	if code := sipRegister(t, srv, demoDomain, "1002", "demo1002"); code != 200 {
		t.Fatalf("REGISTER 1002: %d", code)
	}
	if code := sipRegister(t, srv, demoDomain, "1003", "demo1003"); code != 200 {
		t.Fatalf("REGISTER 1003: %d", code)
	}
	token := apiLogin(t, srv, "1001", "demo1001") // the demo administrator
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var list api.AdminUserList
	if err := httpJSON(ctx, http.MethodGet, "http://"+srv.httpAddr+"/api/admin/users", token, nil, &list); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, u := range list.Users {
		ids[u.Extension] = u.ID
	}
	body, _ := json.Marshal(api.AdminPassword{Password: "Uusi-salasana-1002"})
	if code := httpStatus(t, ctx, http.MethodPut, fmt.Sprintf("http://%s/api/admin/users/%d/password", srv.httpAddr, ids["1002"]), token, body); code != http.StatusNoContent {
		t.Fatalf("PUT password: %d", code)
	}
	if code := sipRegister(t, srv, demoDomain, "1002", "Uusi-salasana-1002"); code != 200 {
		t.Fatalf("REGISTER right after the API changed the password: %d", code)
	}
	if code := sipRegister(t, srv, demoDomain, "1002", "demo1002"); code == 200 {
		t.Fatal("the old password still registers after the API changed it")
	}
	ended := regexp.MustCompile(`registrations ended: user removed.*bindings=1`)
	if code := httpStatus(t, ctx, http.MethodDelete, fmt.Sprintf("http://%s/api/admin/users/%d", srv.httpAddr, ids["1003"]), token, nil); code != http.StatusOK {
		t.Fatalf("DELETE user: %d", code)
	}
	if !ended.MatchString(srv.log.String()) {
		t.Fatal("the deleted user's registration did not end before the API answered")
	}
}

// httpStatus sends a request with a bearer token and returns the response status.
func httpStatus(t *testing.T, ctx context.Context, method, url, token string, body []byte) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	res.Body.Close()
	return res.StatusCode
}
