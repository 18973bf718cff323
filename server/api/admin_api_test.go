package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/voicemail"
	shared "github.com/vaihde/vaihde/shared/api"
)

// adminClock is the injected time of the admin tests: audit entries carry it.
var adminClock = time.Date(2031, 3, 14, 9, 26, 53, 0, time.UTC)

// adminEnv is the demo organisation (1001 its only administrator) plus a second organisation
// acme.example whose users 2001 and 2002 are administrators and 2003 is not.
type adminEnv struct {
	*env
	demo, acme          store.Org
	demoAdmin, demoUser string // tokens
	acmeAdmin, acmeUser string
	acmeUsers           map[string]store.User
}

// A password that passes the policy, set once with a cheap bcrypt-free path where possible.
const goodPassword = "Kissa-2031"

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	e := newEnv(t, nil)
	e.s.now = func() time.Time { return adminClock }
	ctx := context.Background()
	demo, err := e.st.OrgByDomain(ctx, "demo.vaihde.local")
	if err != nil {
		t.Fatal(err)
	}
	acme, err := e.st.CreateOrg(ctx, store.Org{Name: "Acme Oy", Domain: "acme.example", CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	a := &adminEnv{env: e, demo: demo, acme: acme, acmeUsers: map[string]store.User{}}
	for _, ext := range []string{"2001", "2002", "2003"} {
		u, err := e.st.CreateUser(ctx, store.User{OrgID: acme.ID, Extension: ext, Name: "Acme " + ext, Admin: ext != "2003"})
		if err != nil {
			t.Fatal(err)
		}
		a.acmeUsers[ext] = u
	}
	a.demoAdmin, a.demoUser = e.login(t, "1001"), e.login(t, "1002")
	a.acmeAdmin, a.acmeUser = e.token(t, a.acmeUsers["2001"].ID), e.token(t, a.acmeUsers["2003"].ID)
	if err := e.st.PutDID(ctx, store.DID{OrgID: demo.ID, Number: "+358912340000", Extension: "1001", Note: "main"}); err != nil {
		t.Fatal(err)
	}
	return a
}

// snapshot is everything the admin API can change of an organisation, credentials included.
func (a *adminEnv) snapshot(t *testing.T, orgID int64) string {
	t.Helper()
	ctx := context.Background()
	o, err1 := a.st.OrgByID(ctx, orgID)
	us, err2 := a.st.ListUsers(ctx, orgID)
	ds, err3 := a.st.ListDIDs(ctx, orgID)
	au, err4 := a.st.ListAudit(ctx, orgID, 1000)
	ac, err5 := a.st.Activities(ctx, orgID)
	qs, err6 := a.st.Queues(ctx, orgID)
	hs, err7 := a.st.HuntGroups(ctx, orgID)
	ms, err8 := a.st.Menus(ctx, orgID)
	ls, err9 := a.st.AgentLogins(ctx, orgID)
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return string(must(json.Marshal([]any{o, us, ds, au, ac, qs, hs, ms, ls})))
}

func (a *adminEnv) auditOf(t *testing.T, orgID int64) []store.AuditEntry {
	t.Helper()
	es, err := a.st.ListAudit(context.Background(), orgID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestAdminUserLifecycle(t *testing.T) {
	a := newAdminEnv(t)
	var res shared.AdminUserResult
	code, body := a.do(t, "POST", "/api/admin/users", a.acmeAdmin, shared.AdminUserCreate{
		AdminUser: shared.AdminUser{Extension: "2004", Name: " Liisa Laine ", CompanyNumber: "09 1234 2004",
			MobileNumber: "040-555 2004", Email: "liisa@acme.example", Department: "Sales", Title: "Manager",
			Keywords: "export", Agent: false, Terminals: []string{"mobile", "softphone"}, BarInternational: true,
			EmergencyArea: "HEL-1"},
		Password: goodPassword,
	})
	wantJSON(t, "create", code, body, 201, &res)
	u := res.User
	if u.ID == 0 || u.Name != "Liisa Laine" || u.CompanyNumber != "+358912342004" || u.MobileNumber != "+358405552004" ||
		u.Language != "fi" || !slices.Equal(u.Terminals, []string{"softphone", "mobile"}) || !u.BarInternational ||
		u.EmergencyArea != "HEL-1" || u.Admin {
		t.Fatalf("created %+v", u)
	}
	if strings.Contains(string(body), goodPassword) || strings.Contains(string(body), "$2a$") {
		t.Fatalf("create response leaks the password: %s", body)
	}
	// The new user logs in with the password, in their organisation only.
	r, lb := post(t, a.url+"/api/login", shared.LoginRequest{User: "2004", Password: goodPassword, Domain: "acme.example"})
	if r.StatusCode != 200 {
		t.Fatalf("login as the new user: %d %s", r.StatusCode, lb)
	}
	var lr shared.LoginResponse
	json.Unmarshal(lb, &lr)
	if r, _ := post(t, a.url+"/api/login", shared.LoginRequest{User: "2004", Password: goodPassword}); r.StatusCode != 401 {
		t.Fatalf("new acme user logged in to the demo organisation: %d", r.StatusCode)
	}

	var got shared.AdminUser
	path := fmt.Sprintf("/api/admin/users/%d", u.ID)
	code, body = a.do(t, "GET", path, a.acmeAdmin, nil)
	wantJSON(t, "get", code, body, 200, &got)
	if got.Extension != "2004" || got.Email != "liisa@acme.example" {
		t.Fatalf("get %+v", got)
	}
	var list shared.AdminUserList
	code, body = a.do(t, "GET", "/api/admin/users", a.acmeAdmin, nil)
	wantJSON(t, "list", code, body, 200, &list)
	if len(list.Users) != 4 || list.Users[3].Extension != "2004" || len(list.Warnings) != 0 {
		t.Fatalf("list %+v", list)
	}

	res = shared.AdminUserResult{}
	code, body = a.do(t, "PUT", path, a.acmeAdmin, shared.AdminUserUpdate{Title: ptr("Director"),
		Terminals: ptr([]string{"softphone", "desk", "mobile"}), Language: ptr("sv"), MobileNumber: ptr("")})
	wantJSON(t, "update", code, body, 200, &res)
	if res.User.Title != "Director" || len(res.User.Terminals) != 0 || res.User.Language != "sv" || res.User.MobileNumber != "" ||
		res.User.CompanyNumber != "+358912342004" {
		t.Fatalf("updated %+v", res.User)
	}
	code, body = a.do(t, "PUT", path, a.acmeAdmin, shared.AdminUserUpdate{Extension: ptr("2005")})
	wantError(t, "new extension without password", code, body, 400, "needs a new password")

	// A new password: the old one stops working, the user's sessions end.
	code, body = a.do(t, "PUT", path+"/password", a.acmeAdmin, shared.AdminPassword{Password: "Uusi-salasana-9"})
	if code != 204 {
		t.Fatalf("set password: %d %s", code, body)
	}
	if code, _ := a.do(t, "GET", "/api/me", lr.Token, nil); code != 401 {
		t.Fatalf("the user's session survived a new password: %d", code)
	}
	if r, _ := post(t, a.url+"/api/login", shared.LoginRequest{User: "2004", Password: goodPassword, Domain: "acme.example"}); r.StatusCode != 401 {
		t.Fatalf("old password still works: %d", r.StatusCode)
	}
	stored, _ := a.st.UserByID(context.Background(), u.ID)
	if !auth.CheckPassword(stored.PasswordHash, "Uusi-salasana-9") || stored.HA1MD5 != auth.HA1MD5("2004", "acme.example", "Uusi-salasana-9") {
		t.Fatal("new password not stored for the API and SIP digest")
	}

	code, body = a.do(t, "DELETE", path, a.acmeAdmin, nil)
	wantJSON(t, "delete", code, body, 200, &res)
	if code, _ := a.do(t, "GET", path, a.acmeAdmin, nil); code != 404 {
		t.Fatalf("deleted user still there: %d", code)
	}

	// Every change is in the audit log, newest first, at the injected time, without secrets.
	var al shared.AuditList
	code, body = a.do(t, "GET", "/api/admin/audit", a.acmeAdmin, nil)
	wantJSON(t, "audit", code, body, 200, &al)
	var actions []string
	for _, e := range al.Entries {
		actions = append(actions, e.Action)
		if !e.At.Equal(adminClock) || e.Actor != "2001" || e.Target != "user 2004" {
			t.Errorf("entry %+v: want actor 2001, target user 2004 at the injected time", e)
		}
	}
	if want := []string{"user.delete", "user.password", "user.update", "user.create"}; !slices.Equal(actions, want) {
		t.Fatalf("audit actions %v, want %v", actions, want)
	}
	upd := al.Entries[2]
	if !strings.Contains(upd.Old, "title=Manager") || !strings.Contains(upd.New, "title=Director") ||
		!strings.Contains(upd.Old, "mobile_number=+358405552004") || strings.Contains(upd.New, "name=") {
		t.Fatalf("update entry old→new: %q → %q", upd.Old, upd.New)
	}
	if al.Entries[1].New != "password=(changed)" || !strings.Contains(al.Entries[3].New, "password=(changed)") {
		t.Fatalf("password entries: %+v / %+v", al.Entries[1], al.Entries[3])
	}
	for _, bad := range []string{goodPassword, "Uusi-salasana-9", "$2a$", stored.HA1MD5, stored.HA1SHA256} {
		if strings.Contains(string(body), bad) {
			t.Fatalf("audit log contains a secret %q", bad)
		}
	}
	code, body = a.do(t, "GET", "/api/admin/audit?limit=1", a.acmeAdmin, nil)
	wantJSON(t, "audit limit", code, body, 200, &al)
	if len(al.Entries) != 1 || al.Entries[0].Action != "user.delete" {
		t.Fatalf("audit?limit=1: %+v", al.Entries)
	}
	code, body = a.do(t, "GET", "/api/admin/audit?limit=x", a.acmeAdmin, nil)
	wantError(t, "bad limit", code, body, 400, "limit")
}

func TestAdminUserBadInput(t *testing.T) {
	a := newAdminEnv(t)
	valid := func(mod func(*shared.AdminUserCreate)) shared.AdminUserCreate {
		c := shared.AdminUserCreate{AdminUser: shared.AdminUser{Extension: "2010", Name: "New Person"}, Password: goodPassword}
		mod(&c)
		return c
	}
	a.st.PutDID(context.Background(), store.DID{OrgID: a.acme.ID, Number: "+358201230000"})
	a.st.UpdateUser(context.Background(), func() store.User { u := a.acmeUsers["2003"]; u.MobileNumber = "+358401112003"; return u }())
	tests := []struct {
		name string
		body any
		code int
		want string
	}{
		{"weak password", valid(func(c *shared.AdminUserCreate) { c.Password = "short1" }), 400, "at least 8"},
		{"spaced password", valid(func(c *shared.AdminUserCreate) { c.Password = "has space 123" }), 400, "spaces"},
		{"letters only", valid(func(c *shared.AdminUserCreate) { c.Password = "abcdefghij" }), 400, "letters and digits"},
		{"no password", valid(func(c *shared.AdminUserCreate) { c.Password = "" }), 400, "at least 8"},
		{"no extension", valid(func(c *shared.AdminUserCreate) { c.Extension = "" }), 400, "extension"},
		{"bad extension", valid(func(c *shared.AdminUserCreate) { c.Extension = "12" }), 400, "extension must be 3–6 digits"},
		{"no name", valid(func(c *shared.AdminUserCreate) { c.Name = " " }), 400, "name"},
		{"duplicate extension", valid(func(c *shared.AdminUserCreate) { c.Extension = "2003" }), 409, "extension 2003 is already"},
		{"duplicate mobile", valid(func(c *shared.AdminUserCreate) { c.MobileNumber = "0401112003" }), 409, "mobile number +358401112003"},
		{"service number", valid(func(c *shared.AdminUserCreate) { c.Extension = "9000" }), 409, "service or emergency"},
		{"emergency number", valid(func(c *shared.AdminUserCreate) { c.Extension = "112" }), 409, "service or emergency"},
		{"bad number", valid(func(c *shared.AdminUserCreate) { c.CompanyNumber = "12ab" }), 400, "company_number"},
		{"bad email", valid(func(c *shared.AdminUserCreate) { c.Email = "nope" }), 400, "email"},
		{"bad language", valid(func(c *shared.AdminUserCreate) { c.Language = "de" }), 400, "language"},
		{"bad terminal", valid(func(c *shared.AdminUserCreate) { c.Terminals = []string{"fax"} }), 400, "terminal"},
		{"operator without softphone", valid(func(c *shared.AdminUserCreate) {
			c.Operator, c.Terminals, c.Password = true, []string{"mobile"}, goodPassword
		}), 400, "softphone"},
		{"bad emergency area", valid(func(c *shared.AdminUserCreate) { c.EmergencyArea = "a b" }), 400, "emergency_area"},
		{"multi-line title", valid(func(c *shared.AdminUserCreate) { c.Title = "a\nb" }), 400, "title"},
		{"invalid JSON", `{"extension":`, 400, "invalid JSON"},
	}
	before := a.snapshot(t, a.acme.ID)
	for _, tc := range tests {
		code, body := a.do(t, "POST", "/api/admin/users", a.acmeAdmin, tc.body)
		wantError(t, tc.name, code, body, tc.code, tc.want)
	}
	if a.snapshot(t, a.acme.ID) != before {
		t.Fatal("a refused request changed the organisation")
	}
	id := a.acmeUsers["2003"].ID
	for _, tc := range []struct {
		name string
		path string
		body any
		code int
		want string
	}{
		{"update to a taken extension", fmt.Sprintf("/api/admin/users/%d", id), shared.AdminUserUpdate{Extension: ptr("2002"), Password: ptr(goodPassword)}, 409, "already"},
		{"update with weak password", fmt.Sprintf("/api/admin/users/%d", id), shared.AdminUserUpdate{Password: ptr("x")}, 400, "password"},
		{"same company and mobile", fmt.Sprintf("/api/admin/users/%d", id), shared.AdminUserUpdate{CompanyNumber: ptr("+358401112003")}, 400, "differ"},
		{"weak new password", fmt.Sprintf("/api/admin/users/%d/password", id), shared.AdminPassword{Password: "2003abcd"}, 400, "extension"},
		{"malformed id", "/api/admin/users/abc", shared.AdminUserUpdate{}, 404, "no such user"},
	} {
		code, body := a.do(t, "PUT", tc.path, a.acmeAdmin, tc.body)
		wantError(t, tc.name, code, body, tc.code, tc.want)
	}
	if a.snapshot(t, a.acme.ID) != before {
		t.Fatal("a refused update changed the organisation")
	}
}

func TestAdminFloatingLicences(t *testing.T) {
	a := newAdminEnv(t)
	u3 := fmt.Sprintf("/api/admin/users/%d", a.acmeUsers["2003"].ID)
	u2 := fmt.Sprintf("/api/admin/users/%d", a.acmeUsers["2002"].ID)
	code, body := a.do(t, "PUT", u3, a.acmeAdmin, shared.AdminUserUpdate{Agent: ptr(true)})
	wantError(t, "no licences", code, body, 409, "all 0 agent licences")
	var org shared.AdminOrg
	code, body = a.do(t, "PUT", "/api/admin/org", a.acmeAdmin, shared.AdminOrgUpdate{AgentLicences: ptr(1), OperatorLicences: ptr(2)})
	wantJSON(t, "buy licences", code, body, 200, &org)
	if org.Agent != (shared.Licence{Total: 1}) || org.Operator != (shared.Licence{Total: 2}) {
		t.Fatalf("licences %+v %+v", org.Agent, org.Operator)
	}
	code, body = a.do(t, "PUT", u3, a.acmeAdmin, shared.AdminUserUpdate{Agent: ptr(true), Operator: ptr(true)})
	wantJSON(t, "first agent", code, body, 200, nil)
	code, body = a.do(t, "PUT", u2, a.acmeAdmin, shared.AdminUserUpdate{Agent: ptr(true)})
	wantError(t, "second agent", code, body, 409, "all 1 agent licences of the organisation are in use")
	code, body = a.do(t, "POST", "/api/admin/users", a.acmeAdmin, shared.AdminUserCreate{
		AdminUser: shared.AdminUser{Extension: "2020", Name: "Agent Two", Agent: true}, Password: goodPassword})
	wantError(t, "create a second agent", code, body, 409, "agent licences")
	code, body = a.do(t, "PUT", "/api/admin/org", a.acmeAdmin, shared.AdminOrgUpdate{AgentLicences: ptr(0)})
	wantError(t, "lower below holders", code, body, 409, "1 users hold the agent role")
	code, body = a.do(t, "GET", "/api/admin/org", a.acmeAdmin, nil)
	wantJSON(t, "org", code, body, 200, &org)
	if org.Agent != (shared.Licence{Total: 1, Used: 1}) || org.Operator != (shared.Licence{Total: 2, Used: 1}) {
		t.Fatalf("licence use %+v %+v", org.Agent, org.Operator)
	}
	// The licence floats: taken from one user, it can be given to another.
	code, body = a.do(t, "PUT", u3, a.acmeAdmin, shared.AdminUserUpdate{Agent: ptr(false)})
	wantJSON(t, "release", code, body, 200, nil)
	code, body = a.do(t, "PUT", u2, a.acmeAdmin, shared.AdminUserUpdate{Agent: ptr(true)})
	wantJSON(t, "reassign", code, body, 200, nil)
}

func TestAdminTwoAdministrators(t *testing.T) {
	a := newAdminEnv(t)
	ctx := context.Background()
	solo, err := a.st.CreateOrg(ctx, store.Org{Name: "Solo Oy", Domain: "solo.example", CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.st.CreateUser(ctx, store.User{OrgID: solo.ID, Extension: "3001", Name: "First", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	tok := a.token(t, first.ID)
	firstPath := fmt.Sprintf("/api/admin/users/%d", first.ID)

	// Alone: the last administrator can be neither demoted nor deleted.
	code, body := a.do(t, "PUT", firstPath, tok, shared.AdminUserUpdate{Admin: ptr(false)})
	wantError(t, "demote the only admin", code, body, 409, "last administrator")
	code, body = a.do(t, "DELETE", firstPath, tok, nil)
	wantError(t, "delete the only admin", code, body, 409, "last administrator")

	// A second user is allowed, with a warning until there is a second administrator.
	var res shared.AdminUserResult
	code, body = a.do(t, "POST", "/api/admin/users", tok, shared.AdminUserCreate{
		AdminUser: shared.AdminUser{Extension: "3002", Name: "Second"}, Password: goodPassword})
	wantJSON(t, "second user", code, body, 201, &res)
	if !slices.Equal(res.Warnings, []string{shared.WarnSecondAdmin}) {
		t.Fatalf("warnings %v", res.Warnings)
	}
	second := fmt.Sprintf("/api/admin/users/%d", res.User.ID)
	var org shared.AdminOrg
	code, body = a.do(t, "GET", "/api/admin/org", tok, nil)
	wantJSON(t, "org", code, body, 200, &org)
	if org.Users != 2 || org.Admins != 1 || !slices.Equal(org.Warnings, []string{shared.WarnSecondAdmin}) {
		t.Fatalf("org %+v", org)
	}
	code, body = a.do(t, "DELETE", firstPath, tok, nil)
	wantError(t, "delete the only admin of two", code, body, 409, "last administrator")

	res = shared.AdminUserResult{}
	code, body = a.do(t, "PUT", second, tok, shared.AdminUserUpdate{Admin: ptr(true)})
	wantJSON(t, "promote", code, body, 200, &res)
	if len(res.Warnings) != 0 {
		t.Fatalf("warnings after the second admin: %v", res.Warnings)
	}
	// Two users, two administrators: neither may stop being one.
	code, body = a.do(t, "PUT", second, tok, shared.AdminUserUpdate{Admin: ptr(false)})
	wantError(t, "demote one of two", code, body, 409, "at least two administrators")
	// A third user makes room: with three administrators, one can step down.
	code, body = a.do(t, "POST", "/api/admin/users", tok, shared.AdminUserCreate{
		AdminUser: shared.AdminUser{Extension: "3003", Name: "Third", Admin: true}, Password: goodPassword})
	wantJSON(t, "third admin", code, body, 201, &res)
	third := fmt.Sprintf("/api/admin/users/%d", res.User.ID)
	code, body = a.do(t, "PUT", third, tok, shared.AdminUserUpdate{Admin: ptr(false)})
	wantJSON(t, "demote one of three", code, body, 200, nil)
	code, body = a.do(t, "DELETE", second, tok, nil)
	wantError(t, "delete one of two admins among three users", code, body, 409, "at least two administrators")
	code, body = a.do(t, "DELETE", third, tok, nil)
	wantJSON(t, "delete a non-admin", code, body, 200, nil)
	// Two users, both administrators: deleting one leaves one user, its own administrator.
	code, body = a.do(t, "DELETE", second, tok, nil)
	wantJSON(t, "delete down to one user", code, body, 200, nil)
	users, _ := a.st.ListUsers(ctx, solo.ID)
	if len(users) != 1 || !users[0].Admin {
		t.Fatalf("solo users %+v", users)
	}
}

func TestAdminOrgSettings(t *testing.T) {
	a := newAdminEnv(t)
	var org shared.AdminOrg
	code, body := a.do(t, "GET", "/api/admin/org", a.acmeAdmin, nil)
	wantJSON(t, "get", code, body, 200, &org)
	if org.Domain != "acme.example" || org.TimeZone != "Europe/Helsinki" || org.VoicemailNumber != "9000" ||
		org.ActivityNumber != "9001" || !slices.Equal(org.EmergencyNumbers, []string{"112"}) || org.Users != 3 || org.Admins != 2 {
		t.Fatalf("defaults %+v", org)
	}
	code, body = a.do(t, "PUT", "/api/admin/org", a.acmeAdmin, shared.AdminOrgUpdate{
		Name: ptr("Acme Ab"), TimeZone: ptr("Europe/Stockholm"), CountryCode: ptr("46"), Switchboard: ptr("08-123 456 78"),
		BarInternational: ptr(true), BarPremium: ptr(true), MaxOutsideCalls: ptr(10), MaxOutsideCallsPerUser: ptr(2),
		EmergencyNumbers: ptr([]string{"112", "911", "911"}), VoicemailNumber: ptr("7000"), SMSSender: ptr("Acme"),
	})
	wantJSON(t, "put", code, body, 200, &org)
	if org.Name != "Acme Ab" || org.TimeZone != "Europe/Stockholm" || org.CountryCode != "46" || org.Switchboard != "+46812345678" ||
		!org.BarInternational || !org.BarPremium || org.MaxOutsideCalls != 10 || org.MaxOutsideCallsPerUser != 2 ||
		!slices.Equal(org.EmergencyNumbers, []string{"112", "911"}) || org.VoicemailNumber != "7000" || org.SMSSender != "Acme" {
		t.Fatalf("after put %+v", org)
	}
	stored, _ := a.st.OrgByID(context.Background(), a.acme.ID)
	if stored.Location().String() != "Europe/Stockholm" || stored.EmergencyNumbers != "911" || stored.Domain != "acme.example" {
		t.Fatalf("stored %+v", stored)
	}
	es := a.auditOf(t, a.acme.ID)
	if len(es) != 1 || es[0].Action != "org.update" || !strings.Contains(es[0].Old, "time_zone=;") ||
		!strings.Contains(es[0].New, "time_zone=Europe/Stockholm") || !strings.Contains(es[0].New, "max_outside_calls=10") ||
		strings.Contains(es[0].New, "agent_licences") {
		t.Fatalf("audit %+v", es)
	}

	before := a.snapshot(t, a.acme.ID)
	for _, tc := range []struct {
		name string
		body shared.AdminOrgUpdate
		code int
		want string
	}{
		{"unknown zone", shared.AdminOrgUpdate{TimeZone: ptr("Mars/Olympus")}, 400, "IANA"},
		{"local zone", shared.AdminOrgUpdate{TimeZone: ptr("Local")}, 400, "IANA"},
		{"country code", shared.AdminOrgUpdate{CountryCode: ptr("0358")}, 400, "country_code"},
		{"switchboard", shared.AdminOrgUpdate{Switchboard: ptr("abc")}, 400, "switchboard"},
		{"empty name", shared.AdminOrgUpdate{Name: ptr("")}, 400, "name"},
		{"negative limit", shared.AdminOrgUpdate{MaxOutsideCalls: ptr(-1)}, 400, "max_outside_calls"},
		{"emergency letters", shared.AdminOrgUpdate{EmergencyNumbers: ptr([]string{"11a"})}, 400, "emergency number"},
		{"emergency is an extension", shared.AdminOrgUpdate{EmergencyNumbers: ptr([]string{"2003"})}, 409, "extension of Acme 2003"},
		{"service number is an extension", shared.AdminOrgUpdate{ActivityNumber: ptr("2001")}, 409, "extension of Acme 2001"},
		{"same service numbers", shared.AdminOrgUpdate{ActivityNumber: ptr("7000")}, 400, "differ"},
		{"bad sms sender", shared.AdminOrgUpdate{SMSSender: ptr("Far too long a name")}, 400, "sms_sender"},
		{"negative licences", shared.AdminOrgUpdate{AgentLicences: ptr(-1)}, 400, "agent_licences"},
	} {
		code, body := a.do(t, "PUT", "/api/admin/org", a.acmeAdmin, tc.body)
		wantError(t, tc.name, code, body, tc.code, tc.want)
	}
	if a.snapshot(t, a.acme.ID) != before {
		t.Fatal("a refused settings change was stored")
	}
}

func TestAdminActivities(t *testing.T) {
	a := newAdminEnv(t)
	var act shared.Activity
	code, body := a.do(t, "PUT", "/api/admin/activities/12", a.acmeAdmin, shared.Activity{NameFI: "Messuilla", NameEN: "At a fair"})
	wantJSON(t, "put", code, body, 200, &act)
	var list shared.ActivityList
	code, body = a.do(t, "GET", "/api/admin/activities", a.acmeAdmin, nil)
	wantJSON(t, "list", code, body, 200, &list)
	if got, ok := findActivity(list.Activities, 12); !ok || got.NameEN != "At a fair" {
		t.Fatalf("activities %+v", list.Activities)
	}
	code, body = a.do(t, "GET", "/api/admin/activities", a.demoAdmin, nil)
	wantJSON(t, "demo list", code, body, 200, &list)
	if _, ok := findActivity(list.Activities, 12); ok {
		t.Fatal("acme's activity shows in the demo organisation")
	}
	es := a.auditOf(t, a.acme.ID)
	if len(es) != 1 || es[0].Action != "activity.put" || es[0].Target != "activity 12" || !strings.Contains(es[0].New, "name_en=At a fair") {
		t.Fatalf("audit %+v", es)
	}
}

func TestAdminNumberPool(t *testing.T) {
	a := newAdminEnv(t)
	var d shared.DID
	code, body := a.do(t, "PUT", "/api/admin/dids/020%20123%200001", a.acmeAdmin, shared.DIDUpdate{Extension: "2001", Note: "sales"})
	wantJSON(t, "put national form", code, body, 200, &d)
	if d != (shared.DID{Number: "+358201230001", Extension: "2001", Note: "sales"}) {
		t.Fatalf("did %+v", d)
	}
	code, body = a.do(t, "PUT", "/api/admin/dids/+358201230002", a.acmeAdmin, shared.DIDUpdate{})
	wantJSON(t, "pool number", code, body, 200, nil)
	code, body = a.do(t, "PUT", "/api/admin/dids/+358201230001", a.acmeAdmin, shared.DIDUpdate{Extension: "2002", Note: "sales"})
	wantJSON(t, "re-target", code, body, 200, nil)
	var list shared.DIDList
	code, body = a.do(t, "GET", "/api/admin/dids", a.acmeAdmin, nil)
	wantJSON(t, "list", code, body, 200, &list)
	if len(list.DIDs) != 2 || list.DIDs[0].Extension != "2002" || list.DIDs[1].Extension != "" {
		t.Fatalf("list %+v", list)
	}
	before := a.snapshot(t, a.demo.ID)
	// The demo organisation's number: a conflict that does not say whose it is.
	code, body = a.do(t, "PUT", "/api/admin/dids/09%201234%200000", a.acmeAdmin, shared.DIDUpdate{Extension: "2001"})
	wantError(t, "another organisation's number", code, body, 409, "another organisation")
	if strings.Contains(string(body), "demo") || strings.Contains(string(body), "Demo") {
		t.Fatalf("conflict reveals the owner: %s", body)
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		code               int
		want               string
	}{
		{"unknown extension", "PUT", "/api/admin/dids/+358201230003", shared.DIDUpdate{Extension: "2999"}, 400, "no such user"},
		{"not a number", "PUT", "/api/admin/dids/abc", shared.DIDUpdate{}, 400, "not a phone number"},
		{"an extension", "PUT", "/api/admin/dids/2001", shared.DIDUpdate{}, 400, "not a phone number"},
		{"delete another organisation's", "DELETE", "/api/admin/dids/+358912340000", nil, 404, "no such number"},
		{"delete unknown", "DELETE", "/api/admin/dids/+358201239999", nil, 404, "no such number"},
	} {
		code, body := a.do(t, tc.method, tc.path, a.acmeAdmin, tc.body)
		wantError(t, tc.name, code, body, tc.code, tc.want)
	}
	if a.snapshot(t, a.demo.ID) != before {
		t.Fatal("acme's attempts changed the demo organisation")
	}
	code, body = a.do(t, "DELETE", "/api/admin/dids/0201230002", a.acmeAdmin, nil)
	if code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
	var actions []string
	for _, e := range a.auditOf(t, a.acme.ID) {
		actions = append(actions, e.Action+" "+e.Target+" "+e.Old+" → "+e.New)
	}
	want := []string{
		"did.delete did +358201230002 number=+358201230002 → ",
		"did.put did +358201230001 extension=2001 → extension=2002",
		"did.put did +358201230002  → added",
		"did.put did +358201230001  → added; extension=2001; note=sales",
	}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit\n%q\nwant\n%q", actions, want)
	}
}

type adminCase struct {
	method, pattern, path string
	body                  any
	// foreign is what an administrator of acme gets for the same request: 404 when the path
	// names the demo organisation's record, else a success on acme's own data.
	foreign int
}

// adminTable lists every admin endpoint with a request that an administrator of the demo
// organisation could make, naming the demo organisation's IDs. A new route missing here fails
// TestAdminRoutesAllListed.
func adminTable(a *adminEnv) []adminCase {
	user := fmt.Sprint(a.accts["1002"].ID)
	g := a.demoGroups()
	return []adminCase{
		{"GET", "/api/admin/org", "/api/admin/org", nil, 200},
		{"PUT", "/api/admin/org", "/api/admin/org", shared.AdminOrgUpdate{Name: ptr("Taken over"), BarPremium: ptr(true)}, 200},
		{"GET", "/api/admin/users", "/api/admin/users", nil, 200},
		{"POST", "/api/admin/users", "/api/admin/users", shared.AdminUserCreate{
			AdminUser: shared.AdminUser{Extension: "1050", Name: "Intruder"}, Password: goodPassword}, 201},
		{"GET", "/api/admin/users/{id}", "/api/admin/users/" + user, nil, 404},
		{"PUT", "/api/admin/users/{id}", "/api/admin/users/" + user, shared.AdminUserUpdate{Name: ptr("Hijacked"), BarOutside: ptr(false)}, 404},
		{"DELETE", "/api/admin/users/{id}", "/api/admin/users/" + user, nil, 404},
		{"PUT", "/api/admin/users/{id}/password", "/api/admin/users/" + user + "/password", shared.AdminPassword{Password: goodPassword}, 404},
		{"PUT", "/api/admin/users/{id}/pin", "/api/admin/users/" + user + "/pin", shared.VoicemailPIN{PIN: "4321"}, 404},
		{"GET", "/api/admin/activities", "/api/admin/activities", nil, 200},
		{"PUT", "/api/admin/activities/{number}", "/api/admin/activities/11", shared.Activity{NameEN: "Hacked"}, 200},
		{"GET", "/api/admin/dids", "/api/admin/dids", nil, 200},
		// A number is global: another organisation's is a conflict, never a takeover.
		{"PUT", "/api/admin/dids/{number}", "/api/admin/dids/+358912340000", shared.DIDUpdate{Extension: "1001"}, 409},
		{"DELETE", "/api/admin/dids/{number}", "/api/admin/dids/+358912340000", nil, 404},
		{"GET", "/api/admin/audit", "/api/admin/audit", nil, 200},
		// Groups: demo's IDs are 404; a new group naming demo's users or numbers is refused (400).
		{"GET", "/api/admin/queues", "/api/admin/queues", nil, 200},
		{"POST", "/api/admin/queues", "/api/admin/queues", shared.AdminQueue{Name: "Intruder", Number: "8050",
			Members: []shared.GroupMember{{UserID: a.accts["1004"].ID, Skill: 1}}}, 400},
		{"GET", "/api/admin/queues/{id}", "/api/admin/queues/" + g["queue"], nil, 404},
		{"PUT", "/api/admin/queues/{id}", "/api/admin/queues/" + g["queue"], shared.AdminQueue{Name: "Hijacked", Number: "8000",
			Members: []shared.GroupMember{{UserID: a.accts["1004"].ID}}}, 404},
		{"DELETE", "/api/admin/queues/{id}", "/api/admin/queues/" + g["queue"], nil, 404},
		{"GET", "/api/admin/hunt-groups", "/api/admin/hunt-groups", nil, 200},
		{"POST", "/api/admin/hunt-groups", "/api/admin/hunt-groups", shared.AdminHuntGroup{Name: "Intruder", Number: "8051",
			Members: []shared.GroupMember{{UserID: a.accts["1007"].ID}}}, 400},
		{"GET", "/api/admin/hunt-groups/{id}", "/api/admin/hunt-groups/" + g["hunt"], nil, 404},
		{"PUT", "/api/admin/hunt-groups/{id}", "/api/admin/hunt-groups/" + g["hunt"], shared.AdminHuntGroup{Name: "Hijacked", Number: "8001"}, 404},
		{"DELETE", "/api/admin/hunt-groups/{id}", "/api/admin/hunt-groups/" + g["hunt"], nil, 404},
		{"GET", "/api/admin/menus", "/api/admin/menus", nil, 200},
		{"POST", "/api/admin/menus", "/api/admin/menus", shared.AdminMenu{Name: "Intruder", Number: "8052",
			Options: map[string]string{"1": "8000"}}, 400},
		{"GET", "/api/admin/menus/{id}", "/api/admin/menus/" + g["menu"], nil, 404},
		{"PUT", "/api/admin/menus/{id}", "/api/admin/menus/" + g["menu"], shared.AdminMenu{Name: "Hijacked", Number: "8020"}, 404},
		{"DELETE", "/api/admin/menus/{id}", "/api/admin/menus/" + g["menu"], nil, 404},
	}
}

// demoGroups returns the IDs of the demo organisation's queue 8000, hunt group 8001 and menu
// 8020.
func (a *adminEnv) demoGroups() map[string]string {
	out := map[string]string{}
	for k, num := range map[string]string{"queue": "8000", "hunt": "8001", "menu": "8020"} {
		_, id, err := a.st.GroupByNumber(context.Background(), a.demo.ID, num)
		if err != nil {
			panic(fmt.Sprintf("demo group %s: %v", num, err))
		}
		out[k] = fmt.Sprint(id)
	}
	return out
}

// TestAdminEndpointsRefuseStrangers: every admin endpoint refuses a request without a token
// (401) and a colleague who is not an administrator (403), and an administrator of another
// organisation never reaches this organisation's records (404 or 409); nothing changes.
func TestAdminEndpointsRefuseStrangers(t *testing.T) {
	a := newAdminEnv(t)
	a.withMailbox(t)
	for _, rt := range adminTable(a) {
		name := rt.method + " " + rt.path
		demoBefore, acmeBefore := a.snapshot(t, a.demo.ID), a.snapshot(t, a.acme.ID)
		code, body := a.do(t, rt.method, rt.path, "", rt.body)
		wantError(t, name+" without token", code, body, 401, "token")
		code, body = a.do(t, rt.method, rt.path, a.demoUser, rt.body)
		wantError(t, name+" by a non-admin", code, body, 403, "administrator")
		code, body = a.do(t, rt.method, rt.path, a.acmeUser, rt.body)
		wantError(t, name+" by another organisation's non-admin", code, body, 403, "administrator")
		if a.snapshot(t, a.demo.ID) != demoBefore || a.snapshot(t, a.acme.ID) != acmeBefore {
			t.Fatalf("%s: a refused request changed something", name)
		}
		code, body = a.do(t, rt.method, rt.path, a.acmeAdmin, rt.body)
		if code != rt.foreign {
			t.Fatalf("%s by acme's admin: %d %s, want %d", name, code, body, rt.foreign)
		}
		if a.snapshot(t, a.demo.ID) != demoBefore {
			t.Fatalf("%s by acme's admin changed the demo organisation", name)
		}
		for _, leak := range []string{"demo.vaihde.local", "Demo Oy", "Aino", a.accts["1002"].Name} {
			if strings.Contains(string(body), leak) {
				t.Fatalf("%s by acme's admin reveals %q: %s", name, leak, body)
			}
		}
	}
	// The same requests by the demo administrator succeed: the table is not refused for
	// some other reason (read-only first, the deleting ones last).
	table := adminTable(a)
	slices.SortStableFunc(table, func(x, y adminCase) int {
		return strings.Compare(fmt.Sprint(x.method == "DELETE"), fmt.Sprint(y.method == "DELETE"))
	})
	for _, rt := range table {
		code, body := a.do(t, rt.method, rt.path, a.demoAdmin, rt.body)
		if code >= 300 {
			t.Fatalf("%s %s by the demo admin: %d %s", rt.method, rt.path, code, body)
		}
	}
}

// TestAdminRoutesAllListed: the table above lists exactly adminRoutes, every one of them is
// registered on the mux (401, not the catch-all 404, without a token), and no source file
// registers an /api/admin route anywhere else.
func TestAdminRoutesAllListed(t *testing.T) {
	a := newAdminEnv(t)
	var table, routes, paths []string
	for _, rt := range adminTable(a) {
		table = append(table, rt.method+" "+rt.pattern)
	}
	for _, rt := range a.s.adminRoutes() {
		routes = append(routes, rt.method+" "+rt.path)
		paths = append(paths, rt.path)
	}
	slices.Sort(table)
	slices.Sort(routes)
	if !slices.Equal(table, routes) {
		t.Fatalf("adminTable %v\nadminRoutes %v", table, routes)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"((?:GET|HEAD|POST|PUT|PATCH|DELETE) )?/api/admin[^"]*"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if f != "admin.go" {
				t.Errorf("%s: %s registers an admin route outside adminRoutes", f, m[0])
			} else if !slices.Contains(routes, strings.Trim(m[0], `"`)) && !slices.Contains(paths, strings.Trim(m[0], `"`)) {
				t.Errorf("admin.go: %s is not an adminRoutes entry", m[0])
			}
		}
	}
	for _, rt := range adminTable(a) {
		if code, body := a.do(t, rt.method, rt.path, "", nil); code != 401 {
			t.Errorf("%s %s not registered: %d %s", rt.method, rt.path, code, body)
		}
	}
}

// TestAdminChangedHook: every admin change reports itself so caches and registrations follow.
func TestAdminChangedHook(t *testing.T) {
	a := newAdminEnv(t)
	var got []string
	a.s.deps.Changed = func(_ context.Context, orgID, userID int64) { got = append(got, fmt.Sprint(orgID, "/", userID)) }
	id := a.acmeUsers["2003"].ID
	a.do(t, "PUT", fmt.Sprintf("/api/admin/users/%d", id), a.acmeAdmin, shared.AdminUserUpdate{Title: ptr("x")})
	a.do(t, "PUT", fmt.Sprintf("/api/admin/users/%d/password", id), a.acmeAdmin, shared.AdminPassword{Password: goodPassword})
	a.do(t, "PUT", "/api/admin/org", a.acmeAdmin, shared.AdminOrgUpdate{BarPremium: ptr(true)})
	a.do(t, "DELETE", fmt.Sprintf("/api/admin/users/%d", id), a.acmeAdmin, nil)
	u, o := fmt.Sprint(a.acme.ID, "/", id), fmt.Sprint(a.acme.ID, "/0")
	if want := []string{u, u, o, u}; !slices.Equal(got, want) {
		t.Fatalf("Changed calls %v, want %v", got, want)
	}
}

// TestAuditOrgContacts: organisation contacts are managed by administrators, so their changes
// are in the audit log; a user's personal contacts are not admin changes.
func TestAuditOrgContacts(t *testing.T) {
	a := newAdminEnv(t)
	var c shared.Contact
	code, body := a.do(t, "POST", "/api/contacts", a.acmeAdmin, shared.Contact{Org: true, Name: "Taxi", Phone: "0100 0700"})
	wantJSON(t, "create", code, body, 200, &c)
	c.Name = "Taxi Turku"
	code, body = a.do(t, "PUT", "/api/contacts/"+itoa(c.ID), a.acmeAdmin, c)
	wantJSON(t, "update", code, body, 200, nil)
	code, body = a.do(t, "DELETE", "/api/contacts/"+itoa(c.ID), a.acmeAdmin, nil)
	if code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
	code, body = a.do(t, "POST", "/api/contacts", a.acmeAdmin, shared.Contact{Name: "My dentist", Phone: "0100 0800"})
	wantJSON(t, "personal", code, body, 200, nil)
	var got []string
	for _, e := range a.auditOf(t, a.acme.ID) {
		got = append(got, e.Action+": "+e.Old+" → "+e.New)
	}
	want := []string{
		"contact.delete: name=Taxi Turku; phone=+3581000700 → ",
		"contact.update: name=Taxi → name=Taxi Turku",
		"contact.create:  → name=Taxi; phone=+3581000700",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit\n%q\nwant\n%q", got, want)
	}
}

// TestAdminSetPIN: an administrator sets a user's voicemail PIN; the log says so, not the PIN.
func TestAdminSetPIN(t *testing.T) {
	a := newAdminEnv(t)
	path := fmt.Sprintf("/api/admin/users/%d/pin", a.acmeUsers["2003"].ID)
	code, body := a.do(t, "PUT", path, a.acmeAdmin, shared.VoicemailPIN{PIN: "4321"})
	wantError(t, "without a mailbox", code, body, 503, "voicemail")
	a.withMailbox(t)
	code, body = a.do(t, "PUT", path, a.acmeAdmin, shared.VoicemailPIN{PIN: "12a4"})
	wantError(t, "bad pin", code, body, 400, "4 to 8 digits")
	code, body = a.do(t, "PUT", path, a.acmeAdmin, shared.VoicemailPIN{PIN: "4321"})
	if code != 204 {
		t.Fatalf("set pin: %d %s", code, body)
	}
	vs, err := a.st.VoicemailSettings(context.Background(), a.acmeUsers["2003"].ID)
	if err != nil || !auth.CheckPassword(vs.PINHash, "4321") {
		t.Fatalf("pin not stored: %+v %v", vs, err)
	}
	es := a.auditOf(t, a.acme.ID)
	if len(es) != 1 || es[0].Action != "user.pin" || es[0].New != "pin=(changed)" || strings.Contains(es[0].Old+es[0].New, "4321") {
		t.Fatalf("audit %+v", es)
	}
}

// TestAdminDeleteUserPurgesMailbox: a deleted user's voice messages go with them, files
// included; a colleague's stay.
func TestAdminDeleteUserPurgesMailbox(t *testing.T) {
	a := newAdminEnv(t)
	mb := a.withMailbox(t)
	ctx := context.Background()
	var files []string
	for _, ext := range []string{"2003", "2002"} {
		v, err := mb.Save(ctx, voicemail.Message{OrgID: a.acme.ID, UserID: a.acmeUsers[ext].ID, Caller: "+358401112222"},
			bytes.NewReader(testWAV(1, 8000)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, mb.FilePath(v))
	}
	code, body := a.do(t, "DELETE", fmt.Sprintf("/api/admin/users/%d", a.acmeUsers["2003"].ID), a.acmeAdmin, nil)
	wantJSON(t, "delete", code, body, 200, nil)
	if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
		t.Fatalf("the deleted user's message is still on disk: %v", err)
	}
	if _, err := os.Stat(files[1]); err != nil {
		t.Fatalf("a colleague's message went too: %v", err)
	}
}
