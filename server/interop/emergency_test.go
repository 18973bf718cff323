package interop

// Emergency calls (SPEC CALL-10) and barring (NF-1) against SIPp playing the carrier, with the
// real server binary and baresip phones: the set-up of trunk_test.go.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// adminSetUser changes ext's settings through the admin API (as the demo admin 1001).
func adminSetUser(t *testing.T, srv *vaihde, token, ext string, upd api.AdminUserUpdate) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var list api.AdminUserList
	if err := httpJSON(ctx, http.MethodGet, "http://"+srv.httpAddr+"/api/admin/users", token, nil, &list); err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, u := range list.Users {
		if u.Extension == ext {
			id = u.ID
		}
	}
	if id == 0 {
		t.Fatalf("no user %s in the admin list", ext)
	}
	body, _ := json.Marshal(upd)
	var res api.AdminUserResult
	if err := httpJSON(ctx, http.MethodPut, fmt.Sprintf("http://%s/api/admin/users/%d", srv.httpAddr, id), token, body, &res); err != nil {
		t.Fatalf("update %s: %v", ext, err)
	}
}

// TestIntegrationEmergencyCallReachesCarrier (acceptance 4 of issue 9): 1001 has an immediate
// forward, a red activity and is barred from outside calls; its 112 call still goes straight
// out to the SIPp carrier, tagged with 1001's emergency area in the default header
// (X-Emergency-Area). 1002, barred from international calls, dials +46…: the call is refused
// (403) and the carrier receives nothing for it — the only INVITE it sees is the 112 call.
func TestIntegrationEmergencyCallReachesCarrier(t *testing.T) {
	integration(t, "sipp", "baresip")
	carrier := trunkCarrier{ip: trunkCarrierIP, port: trunkFreePort(t, trunkCarrierIP)}
	srv := startTrunkVaihde(t, carrier)

	admin := apiLogin(t, srv, "1001", "demo1001")
	adminSetUser(t, srv, admin, "1001", api.AdminUserUpdate{BarOutside: presencePtr(true), EmergencyArea: presencePtr("0900")})
	adminSetUser(t, srv, admin, "1002", api.AdminUserUpdate{BarInternational: presencePtr(true)})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	fwd, _ := json.Marshal(api.Forwarding{Immediate: "1003"})
	var got api.Forwarding
	if err := httpJSON(ctx, http.MethodPut, "http://"+srv.httpAddr+"/api/forwarding", admin, fwd, &got); err != nil || got.Immediate != "1003" {
		t.Fatalf("immediate forward of 1001: %v (%+v)", err, got)
	}
	if code := presencePut(t, srv, admin, api.PresenceUpdate{Activity: presencePtr(sharedpresence.Away)}); code != http.StatusOK {
		t.Fatalf("red activity for 1001: HTTP %d", code)
	}

	sipp := startTrunkSIPp(t, "sipp-carrier-emergency", "trunk_carrier_uas_emergency.xml", carrier.ip, carrier.port, "",
		"-mp", strconv.Itoa(trunkMediaPort(t, carrier.ip)), "-rtp_echo")
	a := registered(t, srv, "1001", toneA, false, "")
	b := registered(t, srv, "1002", toneB, false, "")

	// The barred international call is refused by the server.
	mb := b.mark()
	b.cmd("dial", "sip:+46701234567@"+srv.host())
	ev := b.waitEvent(mb, "CALL_CLOSED", 30*time.Second, nil)
	t.Logf("1002 calling +46701234567: %s", ev.Param)
	if !strings.Contains(ev.Param, "403") {
		t.Errorf("barred international call closed with %q, want 403", ev.Param)
	}

	// The emergency call goes out despite the forward, the red activity and the barring.
	ma := a.mark()
	a.cmd("dial", "sip:112@"+srv.host())
	ev, err := a.ctrl.wait(ma, 40*time.Second, func(e ctrlEvent) bool {
		return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
	})
	switch {
	case err != nil:
		t.Fatalf("1001 dialling 112: not established: %v (events: %s)", err, a.ctrl.summary())
	case ev.Type == "CALL_CLOSED":
		t.Fatalf("1001 dialling 112: call failed: %s", ev.Param)
	}
	mh := a.mark()
	a.cmd("hangup", "")
	a.waitEvent(mh, "CALL_CLOSED", 20*time.Second, nil)

	r := sipp.wait(t, 30*time.Second)
	if r.exit != 0 {
		t.Fatalf("carrier SIPp exit %d (0: one INVITE answered, BYE)\nerrors:\n%s\noutput:\n%s",
			r.exit, tailString(r.errors, 2000), tailString(r.output, 2000))
	}
	invites := trunkReceived(r.messages, "INVITE")
	if len(invites) != 1 {
		t.Fatalf("carrier received %d INVITEs, want only the emergency call's", len(invites))
	}
	inv := invites[0]
	if m := trunkRURIRe.FindStringSubmatch(inv); m == nil || m[1] != "112" {
		t.Errorf("emergency INVITE Request-URI %q, want user 112", trunkFirstLine(inv))
	}
	if area := trunkHeader(inv, "X-Emergency-Area"); area != "0900" {
		t.Errorf("emergency INVITE X-Emergency-Area %q, want 0900", area)
	}
	if u := trunkURIUser(trunkHeader(inv, "From")); !strings.HasPrefix(u, "+358") {
		t.Errorf("emergency INVITE From user %q, want the caller's E.164 number", u)
	}
	t.Logf("emergency INVITE: %s, X-Emergency-Area %s, From %s", trunkFirstLine(inv), trunkHeader(inv, "X-Emergency-Area"), trunkHeader(inv, "From"))
}
