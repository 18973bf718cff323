package messaging

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/store"
)

// sendIn sends req from d with credentials ext/pass (answering one challenge).
func sendIn(t *testing.T, d *device, req *sip.Request, ext, pass string) *sip.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := d.cli.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = d.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: ext, Password: pass})
	}
	if err != nil {
		t.Fatalf("%s: %v", req.Method, err)
	}
	return res
}

// inDomain builds a request of method from ext@domain to user@toDomain, sent to the server's
// address (the organisation is chosen by the To domain).
func (h *harness) inDomain(method sip.RequestMethod, ext, domain, user, toDomain string) *sip.Request {
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: user, Host: h.host, Port: h.port})
	if method == sip.REGISTER {
		req = sip.NewRequest(method, sip.Uri{Scheme: "sip", Host: h.host, Port: h.port})
	}
	fp := sip.NewParams()
	fp.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: ext, Host: domain}, Params: fp})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: toDomain}})
	return req
}

// TestIntegrationMessageAcrossOrganisationsRefused (ORG-1): a user of acme.example, which has
// extensions 1001 and 1002 like the demo organisation, cannot message the demo organisation's
// users, neither by naming its domain (refused in that realm) nor by number from its own
// organisation (unknown there); its own colleague 1002 gets the message, demo's 1002 nothing.
func TestIntegrationMessageAcrossOrganisationsRefused(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	acme, err := h.st.CreateOrg(ctx, store.Org{Name: "Acme Oy", Domain: "acme.example", CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"1001", "1002"} {
		if _, err := h.st.CreateUser(ctx, store.User{OrgID: acme.ID, Extension: ext, Name: "Acme " + ext,
			HA1MD5: auth.HA1MD5(ext, acme.Domain, "acme"+ext), HA1SHA256: auth.HA1SHA256(ext, acme.Domain, "acme"+ext)}); err != nil {
			t.Fatal(err)
		}
	}
	demo2 := newDevice(t, "1002")
	h.register(demo2)
	a1, a2 := newDevice(t, "1001"), newDevice(t, "1002")
	reg := h.inDomain(sip.REGISTER, "1002", acme.Domain, "1002", acme.Domain)
	host, port, _ := sip.ParseAddr(a2.addr)
	reg.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: host, Port: port}})
	reg.AppendHeader(sip.NewHeader("Expires", "300"))
	if res := sendIn(t, a2, reg, "1002", "acme1002"); res.StatusCode != 200 {
		t.Fatalf("register acme 1002: %d", res.StatusCode)
	}

	msg := func(user, toDomain, body string) *sip.Response {
		req := h.inDomain(sip.MESSAGE, "1001", acme.Domain, user, toDomain)
		req.AppendHeader(sip.NewHeader("Content-Type", "text/plain"))
		req.SetBody([]byte(body))
		return sendIn(t, a1, req, "1001", "acme1001")
	}
	if res := msg("1002", demo.Domain, "into demo"); res.StatusCode != 403 {
		t.Fatalf("MESSAGE into the demo organisation: %d %s, want 403", res.StatusCode, res.Reason)
	}
	if res := msg(h.users["1002"].CompanyNumber, acme.Domain, "by demo's number"); res.StatusCode != 404 {
		t.Fatalf("MESSAGE to the demo user's number from acme: %d %s, want 404", res.StatusCode, res.Reason)
	}
	demo2.quiet("cross-organisation MESSAGE", time.Second)
	if res := msg("1002", acme.Domain, "hei kollega"); res.StatusCode >= 300 {
		t.Fatalf("MESSAGE to acme's own 1002: %d %s", res.StatusCode, res.Reason)
	}
	if got := a2.expect("acme's 1002"); string(got.Body()) != "hei kollega" {
		t.Fatalf("acme 1002 got %q", got.Body())
	}
	demo2.quiet("MESSAGE inside acme", 500*time.Millisecond)
}
