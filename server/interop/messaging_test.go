package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	api "github.com/vaihde/vaihde/shared/api"
)

// TestIntegrationBaresipMessages (IM-1, acceptance 3): instant messages both ways between two
// baresip clients through the real server, a message to an offline user delivered when its
// baresip registers, and the history served by the HTTP API before and after a server restart
// on the same database.
func TestIntegrationBaresipMessages(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	a := startBaresip(t, srv, baresipOpts{User: "1001", Password: "demo1001", Register: true,
		Contacts: []string{srv.uri("1002"), srv.uri("1003")}})
	b := startBaresip(t, srv, baresipOpts{User: "1002", Password: "demo1002", Register: true,
		Contacts: []string{srv.uri("1001")}})
	a.waitRegistered()
	b.waitRegistered()
	aOut, bOut := a.console, b.console

	// 1001 → 1002 (baresip's current contact is the first of its contacts file).
	a.cmd("message", "Hei 1002, lounaalle?")
	waitConsole(t, "baresip 1002", bOut, regexp.MustCompile(`sip:1001@[^"]*: "Hei 1002, lounaalle\?"`))
	// 1002 → 1001.
	b.cmd("message", "Joo, kello 12")
	waitConsole(t, "baresip 1001", aOut, regexp.MustCompile(`sip:1002@[^"]*: "Joo, kello 12"`))

	// 1001 → 1003, who has no device: the server keeps the message (202) until 1003 registers.
	a.cmd("contact_next", "")
	a.cmd("message", "Soita kun ehdit")
	token1001 := apiLogin(t, srv, "1001", "demo1001")
	waitHistory(t, srv, token1001, "1003", func(ms []api.Message) bool {
		return len(ms) == 1 && ms[0].Body == "Soita kun ehdit" && ms[0].DeliveredAt == nil
	})
	c := startBaresip(t, srv, baresipOpts{User: "1003", Password: "demo1003", Register: true,
		Contacts: []string{srv.uri("1001")}})
	cOut := c.console
	c.waitRegistered()
	waitConsole(t, "baresip 1003", cOut, regexp.MustCompile(`sip:1001@[^"]*: "Soita kun ehdit"`))
	waitHistory(t, srv, token1001, "1003", func(ms []api.Message) bool {
		return len(ms) == 1 && ms[0].DeliveredAt != nil
	})

	// The history survives a restart of the server on the same database.
	want := []string{"Joo, kello 12", "Hei 1002, lounaalle?"} // newest first
	check := func(ms []api.Message) bool {
		if len(ms) != len(want) {
			return false
		}
		for i, m := range ms {
			if m.Body != want[i] {
				return false
			}
		}
		return ms[0].From == "1002" && ms[0].To == "1001" && ms[1].From == "1001" && ms[1].DeliveredAt != nil
	}
	waitHistory(t, srv, token1001, "1002", check)
	srv = restartVaihde(t, srv)
	token := apiLogin(t, srv, "1002", "demo1002")
	waitHistory(t, srv, token, "1001", check)
}

// waitConsole waits until a console's output matches re.
func waitConsole(t *testing.T, what string, out *logBuffer, re *regexp.Regexp) {
	t.Helper()
	if !pollUntil(20*time.Second, func() bool { return re.MatchString(out.String()) }) {
		t.Fatalf("%s: no console output matching %q", what, re)
	}
}

// restartVaihde stops srv and starts the server again on the same database, SIP and HTTP ports.
func restartVaihde(t *testing.T, srv *vaihde) *vaihde {
	t.Helper()
	srv.stop()
	lo, hi := rtpRange(t)
	args := []string{
		"-demo",
		"-sip-addr", "127.0.0.1:" + strconv.Itoa(srv.sipPort),
		"-tls-addr", "127.0.0.1:" + strconv.Itoa(freeTCPPort(t)),
		"-http-addr", srv.httpAddr,
		"-https-addr", "127.0.0.1:" + strconv.Itoa(freeTCPPort(t)),
		"-db", filepath.Join(srv.dir, "vaihde.db"),
		"-rtp-port-min", strconv.Itoa(lo),
		"-rtp-port-max", strconv.Itoa(hi),
		"-log-level", "debug",
	}
	p := startProc(t, "vaihde-restarted", srv.dir, nil, serverBinary, args...)
	v := &vaihde{proc: p, sipPort: srv.sipPort, httpAddr: srv.httpAddr, dir: srv.dir}
	if err := waitOptions(v.host(), 30*time.Second, p); err != nil {
		t.Fatalf("restarted vaihde did not answer OPTIONS on %s: %v", v.host(), err)
	}
	return v
}

// apiLogin logs in to the HTTP API and returns the bearer token.
func apiLogin(t *testing.T, srv *vaihde, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(api.LoginRequest{User: user, Password: password})
	var lr api.LoginResponse
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var err error
	// The HTTP listener may come up a moment after SIP.
	if !pollUntil(15*time.Second, func() bool {
		err = httpJSON(ctx, http.MethodPost, "http://"+srv.httpAddr+"/api/login", "", body, &lr)
		return err == nil
	}) {
		t.Fatalf("login %s: %v", user, err)
	}
	return lr.Token
}

// waitHistory polls GET /api/messages?with=peer until ok accepts the list (newest first).
func waitHistory(t *testing.T, srv *vaihde, token, peer string, ok func([]api.Message) bool) {
	t.Helper()
	var last api.MessageList
	var err error
	if !pollUntil(20*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		last = api.MessageList{}
		err = httpJSON(ctx, http.MethodGet, "http://"+srv.httpAddr+"/api/messages?with="+url.QueryEscape(peer), token, nil, &last)
		return err == nil && ok(last.Messages)
	}) {
		t.Fatalf("history with %s: %v; got %s", peer, err, formatMessages(last.Messages))
	}
}

func formatMessages(ms []api.Message) string {
	s := "["
	for _, m := range ms {
		s += fmt.Sprintf(" {%s→%s %q delivered=%v}", m.From, m.To, m.Body, m.DeliveredAt != nil)
	}
	return s + " ]"
}
