package provision

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

var t0 = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

const goodPassword = "Kesä-2030-x"

func newService(t *testing.T) (*Service, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Service{St: st, Now: func() time.Time { return t0 }}, st
}

// acme creates acme.example with 2001 (admin, +358 9 1234 2001 / 040 111 2001).
func acme(t *testing.T, s *Service) store.Org {
	t.Helper()
	ctx := context.Background()
	o, err := s.CreateOrg(ctx, OrgSpec{Domain: "Acme.Example", Name: "Acme Oy"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, UserSpec{Org: "acme.example", Extension: "2001", Name: "Aino Ahonen",
		CompanyNumber: "09 1234 2001", MobileNumber: "+358 40 111 2001", Email: "aino@acme.example", Admin: true}, goodPassword); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCreateOrgAndUser(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	o := acme(t, s)
	if o.Domain != "acme.example" || o.CountryCode != "358" || o.TimeZone != "Europe/Helsinki" || o.Name != "Acme Oy" {
		t.Fatalf("org %+v", o)
	}
	u, err := st.UserByExtension(ctx, o.ID, "2001")
	if err != nil {
		t.Fatal(err)
	}
	if u.CompanyNumber != "+358912342001" || u.MobileNumber != "+358401112001" || u.Language != "fi" || !u.Admin {
		t.Fatalf("user %+v", u)
	}
	// One hashing for SIP and HTTP: the realm is the organisation's domain.
	if u.HA1MD5 != auth.HA1MD5("2001", "acme.example", goodPassword) || u.HA1SHA256 != auth.HA1SHA256("2001", "acme.example", goodPassword) ||
		!auth.CheckPassword(u.PasswordHash, goodPassword) {
		t.Fatal("password hashes do not match the password")
	}
	audit, err := st.ListAudit(ctx, o.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Action != "user.create" || audit[1].Action != "org.create" || audit[0].Actor != Actor || !audit[0].At.Equal(t0) {
		t.Fatalf("audit %+v", audit)
	}
	// Swedish organisation: English by default, numbers in its own country code.
	se, err := s.CreateOrg(ctx, OrgSpec{Domain: "bolag.example", Name: "Bolag AB", CountryCode: "46", TimeZone: "Europe/Stockholm"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.CreateUser(ctx, UserSpec{Org: "bolag.example", Extension: "2001", Name: "Sven", MobileNumber: "070-123 45 67"}, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if v.OrgID != se.ID || v.MobileNumber != "+46701234567" || v.Language != "en" {
		t.Fatalf("swedish user %+v", v)
	}
}

// TestCreateUserBadInput: every bad field is an InputError with a clear message, and nothing
// is written (no user, no audit entry).
func TestCreateUserBadInput(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	o := acme(t, s)
	ok := UserSpec{Org: "acme.example", Extension: "2002", Name: "Bertta Berg"}
	cases := []struct {
		name     string
		change   func(*UserSpec)
		password string
		want     string
	}{
		{"unknown org", func(u *UserSpec) { u.Org = "nope.example" }, goodPassword, `unknown organisation "nope.example"`},
		{"duplicate extension", func(u *UserSpec) { u.Extension = "2001" }, goodPassword, "extension 2001 already exists in acme.example"},
		{"extension with letters", func(u *UserSpec) { u.Extension = "20a1" }, goodPassword, `extension "20a1"`},
		{"extension too short", func(u *UserSpec) { u.Extension = "20" }, goodPassword, `extension "20"`},
		{"extension with leading zero", func(u *UserSpec) { u.Extension = "0201" }, goodPassword, `extension "0201"`},
		{"extension is the voicemail number", func(u *UserSpec) { u.Extension = "9000" }, goodPassword, "reserved"},
		{"extension is emergency", func(u *UserSpec) { u.Extension = "112" }, goodPassword, "reserved"},
		{"empty name", func(u *UserSpec) { u.Name = "  " }, goodPassword, "name is empty"},
		{"control in name", func(u *UserSpec) { u.Name = "A\x07B" }, goodPassword, "control characters"},
		{"malformed mobile", func(u *UserSpec) { u.MobileNumber = "040-12x" }, goodPassword, `mobile number "040-12x" is not a telephone number`},
		{"mobile is an extension", func(u *UserSpec) { u.MobileNumber = "2003" }, goodPassword, `mobile number "2003"`},
		{"malformed company number", func(u *UserSpec) { u.CompanyNumber = "+0123" }, goodPassword, "company number"},
		{"number taken", func(u *UserSpec) { u.MobileNumber = "040 111 2001" }, goodPassword, "+358401112001 already belongs to extension 2001"},
		{"same company and mobile", func(u *UserSpec) { u.CompanyNumber, u.MobileNumber = "0401112002", "+358401112002" }, goodPassword, "the same"},
		{"bad email", func(u *UserSpec) { u.Email = "Bertta <b@acme.example>" }, goodPassword, "email"},
		{"email without domain dot", func(u *UserSpec) { u.Email = "b@acme" }, goodPassword, "email"},
		{"unknown language", func(u *UserSpec) { u.Language = "de" }, goodPassword, `unknown language "de"`},
		{"weak password", nil, "abc", "weak password"},
		{"password with a space", nil, "Kesä 2030-x", "spaces"},
		{"password on the extension", nil, "2002abcdef", "built on the extension"},
		{"empty password", nil, "", "weak password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := ok
			if tc.change != nil {
				tc.change(&spec)
			}
			_, err := s.CreateUser(ctx, spec, tc.password)
			if !IsInput(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want an InputError containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("message spans lines: %q", err)
			}
			users, _ := st.ListUsers(ctx, o.ID)
			audit, _ := st.ListAudit(ctx, o.ID, 0)
			if len(users) != 1 || len(audit) != 2 {
				t.Fatalf("bad input wrote something: %d users, %d audit entries", len(users), len(audit))
			}
		})
	}
}

func TestCreateOrgBadInput(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	acme(t, s)
	cases := []struct {
		name string
		spec OrgSpec
		want string
	}{
		{"duplicate", OrgSpec{Domain: "ACME.example", Name: "X"}, "acme.example already exists"},
		{"ip address", OrgSpec{Domain: "192.0.2.1", Name: "X"}, "IP address"},
		{"one label", OrgSpec{Domain: "localhost", Name: "X"}, "two labels"},
		{"underscore", OrgSpec{Domain: "my_firm.example", Name: "X"}, "only letters"},
		{"empty label", OrgSpec{Domain: "a..example", Name: "X"}, "empty"},
		{"hyphen edge", OrgSpec{Domain: "-a.example", Name: "X"}, "'-'"},
		{"numeric tld", OrgSpec{Domain: "a.123", Name: "X"}, "numeric"},
		{"no name", OrgSpec{Domain: "b.example"}, "organisation name is empty"},
		{"country code with plus", OrgSpec{Domain: "b.example", Name: "B", CountryCode: "+358"}, "country code"},
		{"country code zero", OrgSpec{Domain: "b.example", Name: "B", CountryCode: "0"}, "country code"},
		{"unknown time zone", OrgSpec{Domain: "b.example", Name: "B", TimeZone: "Mars/Olympus"}, "unknown time zone"},
		{"local time zone", OrgSpec{Domain: "b.example", Name: "B", TimeZone: "Local"}, "time zone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateOrg(ctx, tc.spec)
			if !IsInput(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want an InputError containing %q", err, tc.want)
			}
			orgs, _ := st.ListOrgs(ctx)
			if len(orgs) != 1 {
				t.Fatalf("bad input wrote an organisation: %d", len(orgs))
			}
		})
	}
}

func TestSetPassword(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	o := acme(t, s)
	if err := s.SetPassword(ctx, "acme.example", "2001", "has space 123"); !IsInput(err) {
		t.Fatalf("spaced password: %v", err)
	}
	if err := s.SetPassword(ctx, "acme.example", "2999", "Uusi-salasana-9"); !IsInput(err) || !strings.Contains(err.Error(), `no user with extension "2999"`) {
		t.Fatalf("unknown user: %v", err)
	}
	u, _ := st.UserByExtension(ctx, o.ID, "2001")
	if !auth.CheckPassword(u.PasswordHash, goodPassword) {
		t.Fatal("refused change changed the password")
	}
	if err := s.SetPassword(ctx, "acme.example", "2001", "Uusi-salasana-9"); err != nil {
		t.Fatal(err)
	}
	u, _ = st.UserByExtension(ctx, o.ID, "2001")
	if !auth.CheckPassword(u.PasswordHash, "Uusi-salasana-9") || u.HA1MD5 != auth.HA1MD5("2001", "acme.example", "Uusi-salasana-9") {
		t.Fatal("new password not set")
	}
	audit, _ := st.ListAudit(ctx, o.ID, 1)
	if len(audit) != 1 || audit[0].Action != "user.password" || strings.Contains(audit[0].New+audit[0].Old, "Uusi") {
		t.Fatalf("audit %+v", audit)
	}
}

func TestDeleteUser(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	o := acme(t, s)
	if w, _ := s.AdminWarning(ctx, "acme.example"); w != "" {
		t.Fatalf("one user, one admin: warning %q", w)
	}
	for _, ext := range []string{"2002", "2003"} {
		if _, err := s.CreateUser(ctx, UserSpec{Org: "acme.example", Extension: ext, Name: "User " + ext}, goodPassword); err != nil {
			t.Fatal(err)
		}
	}
	if w, _ := s.AdminWarning(ctx, "acme.example"); w == "" {
		t.Fatal("three users and one admin: no warning")
	}
	if _, err := s.DeleteUser(ctx, "acme.example", "2001"); !IsInput(err) || !strings.Contains(err.Error(), "last administrator") {
		t.Fatalf("deleting the last admin: %v", err)
	}
	if _, err := s.CreateUser(ctx, UserSpec{Org: "acme.example", Extension: "2004", Name: "Second Admin", Admin: true}, goodPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteUser(ctx, "acme.example", "2004"); !IsInput(err) || !strings.Contains(err.Error(), "at least two administrators") {
		t.Fatalf("deleting one of two admins of four users: %v", err)
	}
	if _, err := s.DeleteUser(ctx, "acme.example", "2999"); !IsInput(err) {
		t.Fatalf("deleting a missing user: %v", err)
	}
	u, err := s.DeleteUser(ctx, "acme.example", "2002")
	if err != nil || u.Name != "User 2002" {
		t.Fatalf("delete: %+v %v", u, err)
	}
	if _, err := st.UserByExtension(ctx, o.ID, "2002"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("user still there: %v", err)
	}
	audit, _ := st.ListAudit(ctx, o.ID, 1)
	if len(audit) != 1 || audit[0].Action != "user.delete" || audit[0].Target != "user 2002" {
		t.Fatalf("audit %+v", audit)
	}
	for _, ext := range []string{"2003", "2004"} {
		if _, err := s.DeleteUser(ctx, "acme.example", ext); err != nil {
			t.Fatalf("delete %s: %v", ext, err)
		}
	}
	// Alone, the last admin may go.
	if _, err := s.DeleteUser(ctx, "acme.example", "2001"); err != nil {
		t.Fatal(err)
	}
}

func TestNumberPool(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	o := acme(t, s)
	if _, err := s.CreateOrg(ctx, OrgSpec{Domain: "other.example", Name: "Other"}); err != nil {
		t.Fatal(err)
	}
	d, err := s.SetDID(ctx, "acme.example", "09 1234 2000", "2001", "reception")
	if err != nil || d.Number != "+358912342000" || d.Extension != "2001" || d.OrgID != o.ID {
		t.Fatalf("set did: %+v %v", d, err)
	}
	if _, err := s.SetDID(ctx, "acme.example", "+358912342009", "9000", ""); err != nil {
		t.Fatalf("a DID to the voicemail number: %v", err)
	}
	for name, tc := range map[string]struct{ org, num, ext, want string }{
		"another org's number": {"other.example", "+358912342000", "", "belongs to another organisation"},
		"no such extension":    {"acme.example", "+358912342001", "2999", `no user with extension "2999"`},
		"not a number":         {"acme.example", "12x", "", "not a telephone number"},
		"an extension":         {"acme.example", "2001", "", "not a telephone number"},
		"unknown org":          {"nope.example", "+358912342001", "", "unknown organisation"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.SetDID(ctx, tc.org, tc.num, tc.ext, ""); !IsInput(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if err := s.DeleteDID(ctx, "other.example", "+358912342000"); !IsInput(err) {
		t.Fatalf("another organisation deleted acme's number: %v", err)
	}
	ds, _ := st.ListDIDs(ctx, o.ID)
	if len(ds) != 2 {
		t.Fatalf("pool %+v", ds)
	}
	if err := s.DeleteDID(ctx, "acme.example", "09 1234 2000"); err != nil {
		t.Fatal(err)
	}
	if ds, _ := s.DIDs(ctx, "acme.example"); len(ds) != 1 || ds[0].Number != "+358912342009" {
		t.Fatalf("pool after delete %+v", ds)
	}
}
