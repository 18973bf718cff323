package interop

// Caller ID by role (PRES-3, acceptance 2 of issue 3) with the real binary: baresip 1001 sets
// each role through the HTTP API and calls out through the trunk to a SIPp carrier and
// internally to a SIPp colleague registered as 1002; both SIPps record the INVITE they got and
// the test checks From, P-Asserted-Identity and Privacy.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/presence"
)

// rolesSetRole logs in as user and sets its role with PUT /api/presence.
func rolesSetRole(srv *vaihde, user, password string, role presence.Role) error {
	body, _ := json.Marshal(api.LoginRequest{User: user, Password: password})
	cl := &http.Client{Timeout: 10 * time.Second}
	res, err := cl.Post("http://"+srv.httpAddr+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("login as %s: HTTP %d", user, res.StatusCode)
	}
	var login api.LoginResponse
	if err := json.NewDecoder(res.Body).Decode(&login); err != nil {
		return fmt.Errorf("decode login: %w", err)
	}
	n := int(role)
	upd, _ := json.Marshal(api.PresenceUpdate{Role: &n})
	req, err := http.NewRequest(http.MethodPut, "http://"+srv.httpAddr+"/api/presence", bytes.NewReader(upd))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+login.Token)
	req.Header.Set("Content-Type", "application/json")
	res2, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("put presence: %w", err)
	}
	defer res2.Body.Close()
	if res2.StatusCode != http.StatusOK {
		var e api.Error
		_ = json.NewDecoder(res2.Body).Decode(&e)
		return fmt.Errorf("put presence role %d: HTTP %d %+v", n, res2.StatusCode, e)
	}
	return nil
}

// rolesIdentity is the caller identity of an INVITE as the test compares it: From as
// `"Name" <uri>` without parameters, and the P-Asserted-Identity and Privacy values.
type rolesIdentity struct {
	from, pai, privacy string
}

// rolesIdentityOf reads the identity headers of a traced INVITE.
func rolesIdentityOf(inv string) rolesIdentity {
	from := trunkHeader(inv, "From")
	if i := strings.LastIndexByte(from, '>'); i >= 0 {
		from = from[:i+1] // drop ;tag=…
	}
	return rolesIdentity{from: from, pai: trunkHeader(inv, "P-Asserted-Identity"), privacy: trunkHeader(inv, "Privacy")}
}

// TestIntegrationCallerIDByRole: for each of the five roles, 1001 (baresip) sets the role over
// the HTTP API, calls an external number (the SIPp carrier on 127.0.0.2 answers 486) and
// colleague 1002 (a SIPp UAS registered as 1002, rings then answers 486). The carrier must see
// the role's number in From and P-Asserted-Identity (Hidden: anonymous From, Privacy: id and
// the real number only in P-Asserted-Identity); 1002 must see 1001's extension in From and the
// role's number in P-Asserted-Identity (Hidden: anonymous From, Privacy: id, no asserted
// identity), and 1002's call log names the caller "anonymous" for Hidden.
func TestIntegrationCallerIDByRole(t *testing.T) {
	integration(t, "sipp", "baresip")
	carrier := trunkCarrier{ip: trunkCarrierIP, port: trunkFreePort(t, trunkCarrierIP)}
	cfg := map[string]any{"trunk": map[string]any{
		"host": carrier.ip, "port": carrier.port, "transport": "udp",
		"username": trunkUser, "password": trunkPass, "domain": "carrier.test",
		"caller_id": trunkCallerID,
	}}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vaihde.json")
	writeFile(t, path, string(b))
	// SIPp (the colleague's registration) knows only MD5 digest.
	srv := startVaihde(t, "-config", path, "-digest-algorithms", "MD5")

	// Colleague 1002: SIPp registers from a port, and a SIPp UAS on that port takes the calls.
	calleePort := freeUDPPort(t)
	reg := startTrunkSIPp(t, "sipp-register-1002", "sipp/register.xml", "127.0.0.1", calleePort, srv.host(),
		"-s", "1002", "-au", "1002", "-ap", "demo1002")
	if r := reg.wait(t, 40*time.Second); r.exit != 0 {
		t.Fatalf("SIPp registering 1002: exit %d, responses %v\n%s", r.exit, r.responseCodes(), tailString(r.errors, 2000))
	}
	a := registered(t, srv, "1001", toneA, false, "")

	const (
		mobile  = "+358401231001" // demo user 1001
		company = "+358912341001"
	)
	board := demo.Switchboard
	if board == "" {
		board = company
	}
	dom := demoDomain
	tests := []struct {
		role            presence.Role
		trunk, internal rolesIdentity
		logPeer         string
	}{
		{presence.RoleMobile,
			rolesIdentity{"<sip:" + mobile + "@carrier.test>", "<sip:" + mobile + "@carrier.test>", ""},
			rolesIdentity{`"Aino Virtanen" <sip:1001@` + dom + ">", `"Aino Virtanen" <sip:` + mobile + "@" + dom + ">", ""}, "1001"},
		{presence.RoleLandline,
			rolesIdentity{"<sip:" + company + "@carrier.test>", "<sip:" + company + "@carrier.test>", ""},
			rolesIdentity{`"Aino Virtanen" <sip:1001@` + dom + ">", `"Aino Virtanen" <sip:` + company + "@" + dom + ">", ""}, "1001"},
		{presence.RoleSwitchboard,
			rolesIdentity{"<sip:" + board + "@carrier.test>", "<sip:" + board + "@carrier.test>", ""},
			rolesIdentity{`"Aino Virtanen" <sip:1001@` + dom + ">", `"Aino Virtanen" <sip:` + board + "@" + dom + ">", ""}, "1001"},
		{presence.RoleHidden,
			rolesIdentity{`"Anonymous" <sip:anonymous@anonymous.invalid>`, "<sip:" + mobile + "@carrier.test>", "id"},
			rolesIdentity{`"Anonymous" <sip:anonymous@anonymous.invalid>`, "", "id"}, "anonymous"},
		{presence.RoleAwayNotice,
			rolesIdentity{"<sip:" + mobile + "@carrier.test>", "<sip:" + mobile + "@carrier.test>", ""},
			rolesIdentity{`"Aino Virtanen" <sip:1001@` + dom + ">", `"Aino Virtanen" <sip:` + mobile + "@" + dom + ">", ""}, "1001"},
	}
	// call places one call from 1001 to uri, answered 486 by SIPp (scenario on ip:port), and
	// returns the INVITE SIPp received.
	call := func(t *testing.T, label, scenario, ip string, port int, uri string) string {
		t.Helper()
		sipp := startTrunkSIPp(t, label, scenario, ip, port, "")
		ma := a.mark()
		a.cmd("dial", uri)
		ev := a.waitEvent(ma, "CALL_CLOSED", 40*time.Second, nil)
		t.Logf("1001 → %s closed: %s", uri, ev.Param)
		r := sipp.wait(t, 30*time.Second)
		if r.exit != 0 {
			t.Fatalf("%s exit %d (0: INVITE refused with 486, ACK)\nerrors:\n%s\noutput:\n%s",
				label, r.exit, tailString(r.errors, 2000), tailString(r.output, 2000))
		}
		invites := trunkReceived(r.messages, "INVITE")
		if len(invites) != 1 {
			t.Fatalf("%s received %d INVITEs, want 1", label, len(invites))
		}
		return invites[0]
	}
	for _, tc := range tests {
		t.Run(tc.role.Names().EN, func(t *testing.T) {
			if err := rolesSetRole(srv, "1001", "demo1001", tc.role); err != nil {
				t.Fatalf("set role %s: %v", tc.role.Names().EN, err)
			}

			inv := call(t, "sipp-carrier", "roles_carrier_busy.xml", carrier.ip, carrier.port, "sip:"+trunkExternal+"@"+srv.host())
			got := rolesIdentityOf(inv)
			t.Logf("carrier got From: %s | P-Asserted-Identity: %s | Privacy: %s", got.from, got.pai, got.privacy)
			if got != tc.trunk {
				t.Errorf("carrier got %+v, want %+v", got, tc.trunk)
			}
			if u := trunkURIUser(trunkHeader(inv, "To")); u != trunkExternalE {
				t.Errorf("carrier got To user %q, want %s", u, trunkExternalE)
			}

			called := time.Now()
			inv = call(t, "sipp-1002", "roles_callee_busy.xml", "127.0.0.1", calleePort, srv.uri("1002"))
			got = rolesIdentityOf(inv)
			t.Logf("1002 got From: %s | P-Asserted-Identity: %s | Privacy: %s", got.from, got.pai, got.privacy)
			if got != tc.internal {
				t.Errorf("1002 got %+v, want %+v", got, tc.internal)
			}
			e := trunkWaitCallLog(t, srv, "1002", "in", tc.logPeer, "missed", called)
			if tc.role == presence.RoleHidden && e.PeerName != "" {
				t.Errorf("1002's call log names a hidden caller %q", e.PeerName)
			}
		})
	}
}
