package interop

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// acmePass is the password of the second organisation's users in the Softphone tenant tests
// (acmeDomain, provision_test.go: the same extensions as the demo organisation).
const acmePass = "acme-secret-1001"

// seedAcme creates a database holding organisation acme.example with users 1001 and 1002
// (1002 with mobile +358405550002) before the server first opens it.
func seedAcme(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vaihde.db")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	org, err := st.CreateOrg(ctx, store.Org{Name: "Acme Oy", Domain: acmeDomain, CountryCode: "358"})
	if err != nil {
		t.Fatalf("create org: %v", err)
	}
	for _, u := range []store.User{
		{OrgID: org.ID, Extension: "1001", Name: "Anna Acme", Language: "en"},
		{OrgID: org.ID, Extension: "1002", Name: "Bertil Acme", Language: "sv", MobileNumber: "+358405550002"},
	} {
		if err := auth.SetPassword(&u, org.Domain, acmePass); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, u); err != nil {
			t.Fatalf("create user %s: %v", u.Extension, err)
		}
	}
	return path
}

// tenantPhone starts a Softphone engine without audio and logs it in with what a user would
// type into the login field.
func tenantPhone(t *testing.T, srv *vaihde, user, password string) *phone.Engine {
	t.Helper()
	e, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start Softphone engine: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.Login(ctx, phone.Account{Server: srv.host(), APIURL: "http://" + srv.httpAddr, User: user, Password: password}); err != nil {
		t.Fatalf("Softphone login as %s: %v", user, err)
	}
	var s phone.Snapshot
	if !pollUntil(30*time.Second, func() bool { s = e.Snapshot(); return s.Reg == phone.Registered }) {
		t.Fatalf("Softphone %s not registered within 30s: state %v (%s)", user, s.Reg, s.RegDetail)
	}
	return e
}

// ringsOnly dials ext from caller and checks that want rings while others stay quiet.
func ringsOnly(t *testing.T, caller *phone.Engine, ext string, want *phone.Engine, others ...*phone.Engine) {
	t.Helper()
	id, err := caller.Dial(context.Background(), ext)
	if err != nil {
		t.Fatalf("dial %s: %v", ext, err)
	}
	incoming := func(e *phone.Engine) bool {
		for _, c := range e.Snapshot().Calls {
			if c.State == phone.Incoming {
				return true
			}
		}
		return false
	}
	if !pollUntil(15*time.Second, func() bool { return incoming(want) }) {
		t.Fatalf("dialled %s: the wanted phone did not ring (caller's calls %+v)", ext, caller.Snapshot().Calls)
	}
	for _, o := range others {
		if incoming(o) {
			t.Errorf("dialled %s: %s@%s rang too", ext, o.Snapshot().Profile.Extension, o.Snapshot().Profile.Domain)
		}
	}
	_ = caller.Hangup(id)
	pollUntil(10*time.Second, func() bool { return !incoming(want) })
}

// TestIntegrationSoftphoneLoginForms logs the real Softphone engine in to the real server with
// every form of the login field: ext@domain in two organisations that both have extension 1001,
// a number with a domain, phone numbers without one (the server finds the organisation and
// says which domain to register to), and a bare extension. Each registers as its own address and
// a call to 1001 rings only the 1001 of the caller's organisation.
func TestIntegrationSoftphoneLoginForms(t *testing.T) {
	integration(t)
	srv := startVaihde(t, "-db", seedAcme(t))

	demo1001 := tenantPhone(t, srv, "1001@demo.vaihde.local", "demo1001")
	acme1001 := tenantPhone(t, srv, "1001@"+acmeDomain, acmePass)
	acme1002 := tenantPhone(t, srv, "+358 40 555 0002@"+acmeDomain, acmePass)
	demo1002 := tenantPhone(t, srv, "040 123 1002", "demo1002") // demo mobile +358401231002
	demo1003 := tenantPhone(t, srv, "1003", "demo1003")         // the server decides by address
	// A phone number alone finds the organisation: the server says which domain to register to.
	acme1002b := tenantPhone(t, srv, "040 555 0002", acmePass)

	for _, tc := range []struct {
		e                 *phone.Engine
		ext, domain, name string
	}{
		{demo1001, "1001", "demo.vaihde.local", "Aino Virtanen"},
		{acme1001, "1001", acmeDomain, "Anna Acme"},
		{acme1002, "1002", acmeDomain, "Bertil Acme"},
		{demo1002, "1002", "demo.vaihde.local", ""},
		{demo1003, "1003", "demo.vaihde.local", ""},
		{acme1002b, "1002", acmeDomain, "Bertil Acme"},
	} {
		p := tc.e.Snapshot().Profile
		if p.Extension != tc.ext || p.Domain != tc.domain || (tc.name != "" && p.Name != tc.name) {
			t.Errorf("profile %+v, want %s@%s %s", p, tc.ext, tc.domain, tc.name)
		}
	}
	if demo1001.Snapshot().Profile.ID == acme1001.Snapshot().Profile.ID {
		t.Fatalf("1001@demo and 1001@acme are the same user %d", demo1001.Snapshot().Profile.ID)
	}
	// The same extension in two organisations: each call stays in its own.
	ringsOnly(t, acme1002, "1001", acme1001, demo1001)
	ringsOnly(t, demo1002, "1001", demo1001, acme1001)

	// A wrong password in the right organisation is refused, not taken for the other one.
	e, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Login(context.Background(), phone.Account{Server: srv.host(), APIURL: "http://" + srv.httpAddr,
		User: "1001@" + acmeDomain, Password: "demo1001"}); err != nil {
		t.Fatal(err)
	}
	var s phone.Snapshot
	if !pollUntil(20*time.Second, func() bool { s = e.Snapshot(); return s.Reg != phone.Connecting }) || s.Reg != phone.WrongPassword {
		t.Errorf("1001@acme with demo's password: state %v (%s), want wrong password", s.Reg, s.RegDetail)
	}
}
