package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// seedTwo creates two organisations, each with a user 1001, for the cross-organisation tests.
func seedTwo(t *testing.T, s *Store) (a, b store.Org, ua, ub store.User) {
	t.Helper()
	ctx := context.Background()
	a, ua = seed(t, s)
	b, err := s.CreateOrg(ctx, store.Org{Name: "Acme", Domain: "acme.example", CountryCode: "358"})
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	ub, err = s.CreateUser(ctx, store.User{OrgID: b.ID, Extension: "1001", Name: "Bertta"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return a, b, ua, ub
}

func TestNewOrgAndUserFieldsRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, err := s.CreateOrg(ctx, store.Org{Name: "Acme", Domain: "acme.example", TimeZone: "Europe/Stockholm",
		BarInternational: true, BarPremium: true, MaxOutsideCalls: 4, MaxOutsideCallsPerUser: 1,
		EmergencyNumbers: "911 999", AgentLicences: 2, SupervisorLicences: 1, OperatorLicences: 3})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.OrgByID(ctx, o.ID)
	if err != nil || got != o {
		t.Fatalf("OrgByID = %+v, %v; want %+v", got, err, o)
	}
	o.TimeZone, o.BarPremium, o.MaxOutsideCalls, o.OperatorLicences = "UTC", false, 0, 0
	if err := s.UpdateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OrgByID(ctx, o.ID); got != o {
		t.Fatalf("after UpdateOrg %+v, want %+v", got, o)
	}

	u, err := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "2001", Agent: true, Operator: true,
		Terminals: "softphone desk", BarOutside: true, BarInternational: true, EmergencyArea: "09"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByID(ctx, u.ID); err != nil || got != u {
		t.Fatalf("UserByID = %+v, %v; want %+v", got, err, u)
	}
	u.Agent, u.Supervisor, u.Terminals, u.BarOutside, u.EmergencyArea = false, true, "", false, "02"
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got != u {
		t.Fatalf("after UpdateUser %+v, want %+v", got, u)
	}
}

func TestOrgLocation(t *testing.T) {
	tests := []struct {
		zone, want string
	}{
		{"", "Europe/Helsinki"},
		{"Europe/Stockholm", "Europe/Stockholm"},
		{"Not/AZone", "Europe/Helsinki"},
		{"UTC", "UTC"},
	}
	for _, tc := range tests {
		if got := (store.Org{TimeZone: tc.zone}).Location().String(); got != tc.want {
			t.Errorf("Location(%q) = %q, want %q", tc.zone, got, tc.want)
		}
	}
}

func TestNumberPool(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a, b, _, _ := seedTwo(t, s)

	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"a puts a pool number", func() error { return s.PutDID(ctx, store.DID{OrgID: a.ID, Number: "+358912340000"}) }, nil},
		{"a assigns it", func() error {
			return s.PutDID(ctx, store.DID{OrgID: a.ID, Number: "+358912340000", Extension: "1001", Note: "main"})
		}, nil},
		{"b takes a's number", func() error {
			return s.PutDID(ctx, store.DID{OrgID: b.ID, Number: "+358912340000", Extension: "1001"})
		}, store.ErrConflict},
		{"b puts its own", func() error { return s.PutDID(ctx, store.DID{OrgID: b.ID, Number: "+358201110000"}) }, nil},
		{"unknown org", func() error { return s.PutDID(ctx, store.DID{OrgID: 999, Number: "+358201110001"}) }, store.ErrNotFound},
		{"b deletes a's number", func() error { return s.DeleteDID(ctx, b.ID, "+358912340000") }, store.ErrNotFound},
		{"delete missing", func() error { return s.DeleteDID(ctx, a.ID, "+358999") }, store.ErrNotFound},
	}
	for _, tc := range tests {
		if err := tc.run(); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}

	d, err := s.DIDByNumber(ctx, "+358912340000")
	if err != nil || d != (store.DID{OrgID: a.ID, Number: "+358912340000", Extension: "1001", Note: "main"}) {
		t.Fatalf("DIDByNumber = %+v, %v: b's failed put must not change a's DID", d, err)
	}
	if _, err := s.DIDByNumber(ctx, "+358000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DIDByNumber(missing) err = %v", err)
	}
	la, _ := s.ListDIDs(ctx, a.ID)
	lb, _ := s.ListDIDs(ctx, b.ID)
	if len(la) != 1 || len(lb) != 1 || lb[0].Number != "+358201110000" {
		t.Fatalf("ListDIDs a=%+v b=%+v", la, lb)
	}
	if err := s.DeleteDID(ctx, a.ID, "+358912340000"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDID(ctx, store.DID{OrgID: b.ID, Number: "+358912340000"}); err != nil {
		t.Fatalf("a released number is free for b: %v", err)
	}
}

func TestDeleteUser(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a, b, ua, ub := seedTwo(t, s)
	now := time.Unix(1_800_000_000, 0)
	ua2, err := s.CreateUser(ctx, store.User{OrgID: a.ID, Extension: "1002"})
	if err != nil {
		t.Fatal(err)
	}
	// Things of ua that must go with them, and of others that must stay.
	if err := s.PutBinding(ctx, store.Binding{UserID: ua.ID, Contact: "sip:1001@127.0.0.1", Expires: now.Add(time.Hour), UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBinding(ctx, store.Binding{UserID: ub.ID, Contact: "sip:1001@127.0.0.2", Expires: now.Add(time.Hour), UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateContact(ctx, store.Contact{OrgID: a.ID, OwnerID: ua.ID, Name: "personal"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateContact(ctx, store.Contact{OrgID: a.ID, OwnerID: ua2.ID, UserID: ua.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateContact(ctx, store.Contact{OrgID: a.ID, OwnerID: ua2.ID, Name: "stays"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMessage(ctx, store.Message{OrgID: a.ID, FromUserID: ua2.ID, ToUserID: ua.ID, Body: "hi", SentAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDID(ctx, store.DID{OrgID: a.ID, Number: "+358912341001", Extension: "1001"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDID(ctx, store.DID{OrgID: b.ID, Number: "+358201111001", Extension: "1001"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		org, user  int64
		want       error
		goneUserID int64
	}{
		{"other org's ID", b.ID, ua.ID, store.ErrNotFound, 0},
		{"unknown user", a.ID, 9999, store.ErrNotFound, 0},
		{"own user", a.ID, ua.ID, nil, ua.ID},
		{"again", a.ID, ua.ID, store.ErrNotFound, 0},
	}
	for _, tc := range tests {
		err := s.DeleteUser(ctx, tc.org, tc.user)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Fatalf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		if tc.want != nil {
			// Nothing deleted: both 1001s and ua's binding are still there (until the real delete).
			if _, err := s.UserByID(ctx, ub.ID); err != nil {
				t.Fatalf("%s: b's user gone: %v", tc.name, err)
			}
			continue
		}
		if _, err := s.UserByID(ctx, tc.goneUserID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: user still there: %v", tc.name, err)
		}
	}
	if bs, _ := s.Bindings(ctx, ua.ID, now); len(bs) != 0 {
		t.Errorf("ua's bindings remain: %+v", bs)
	}
	if bs, _ := s.Bindings(ctx, ub.ID, now); len(bs) != 1 {
		t.Errorf("ub's binding lost: %+v", bs)
	}
	if cs, _ := s.ContactsOf(ctx, a.ID, ua.ID); len(cs) != 0 {
		t.Errorf("ua's personal contacts remain: %+v", cs)
	}
	if cs, _ := s.ContactsOf(ctx, a.ID, ua2.ID); len(cs) != 1 || cs[0].Name != "stays" {
		t.Errorf("ua2's contacts = %+v, want only the external one", cs)
	}
	if ms, _ := s.Undelivered(ctx, ua.ID); len(ms) != 0 {
		t.Errorf("messages to ua remain: %+v", ms)
	}
	if d, _ := s.DIDByNumber(ctx, "+358912341001"); d.Extension != "" || d.OrgID != a.ID {
		t.Errorf("a's DID = %+v, want back in a's pool unassigned", d)
	}
	if d, _ := s.DIDByNumber(ctx, "+358201111001"); d.Extension != "1001" {
		t.Errorf("b's DID = %+v, must still point at b's 1001", d)
	}
}

func TestListOrgs(t *testing.T) {
	s, _ := openTest(t)
	a, b, _, _ := seedTwo(t, s)
	orgs, err := s.ListOrgs(context.Background())
	if err != nil || len(orgs) != 2 || orgs[0].ID != a.ID || orgs[1].ID != b.ID || orgs[1].Domain != "acme.example" {
		t.Fatalf("ListOrgs = %+v, %v", orgs, err)
	}
}

func TestAudit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a, b, ua, _ := seedTwo(t, s)
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	entries := []store.AuditEntry{
		{OrgID: a.ID, ActorID: ua.ID, Actor: "1001", At: t0, Action: "user.create", Target: "user 1002", New: "name=X"},
		{OrgID: a.ID, ActorID: ua.ID, Actor: "1001", At: t0.Add(time.Minute), Action: "user.password", Target: "user 1002", Old: "(changed)", New: "(changed)"},
		{OrgID: b.ID, Actor: "cli", At: t0.Add(2 * time.Minute), Action: "org.update"},
		{OrgID: a.ID, Actor: "1001", At: t0.Add(time.Minute), Action: "same time, later insert"},
	}
	for _, e := range entries {
		got, err := s.AddAudit(ctx, e)
		if err != nil || got.ID == 0 {
			t.Fatalf("AddAudit(%+v) = %+v, %v", e, got, err)
		}
	}
	if _, err := s.AddAudit(ctx, store.AuditEntry{OrgID: a.ID, Action: "x"}); err == nil {
		t.Fatal("AddAudit with zero time: want an error")
	}
	if _, err := s.AddAudit(ctx, store.AuditEntry{OrgID: 999, At: t0, Action: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AddAudit unknown org err = %v", err)
	}

	tests := []struct {
		org   int64
		limit int
		want  []string
	}{
		{a.ID, 0, []string{"same time, later insert", "user.password", "user.create"}},
		{a.ID, 2, []string{"same time, later insert", "user.password"}},
		{b.ID, 10, []string{"org.update"}},
		{999, 10, nil},
	}
	for _, tc := range tests {
		got, err := s.ListAudit(ctx, tc.org, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range got {
			actions = append(actions, e.Action)
			if e.OrgID != tc.org {
				t.Errorf("org %d got entry of org %d", tc.org, e.OrgID)
			}
		}
		if len(actions) != len(tc.want) {
			t.Fatalf("ListAudit(%d, %d) = %v, want %v", tc.org, tc.limit, actions, tc.want)
		}
		for i := range actions {
			if actions[i] != tc.want[i] {
				t.Fatalf("ListAudit(%d, %d) = %v, want %v", tc.org, tc.limit, actions, tc.want)
			}
		}
	}
	got, _ := s.ListAudit(ctx, a.ID, 10)
	last := got[len(got)-1]
	if !last.At.Equal(t0) || last.Actor != "1001" || last.ActorID != ua.ID || last.Target != "user 1002" || last.New != "name=X" {
		t.Fatalf("oldest entry = %+v", last)
	}
}

// TestDeletedUserIDNotReused: SQLite would give the highest deleted rowid again; a new user
// must never inherit a deleted user's ID (mailbox directories and sessions are keyed by it).
func TestDeletedUserIDNotReused(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, u1 := seed(t, s)
	u2, err := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1002"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, o.ID, u2.ID); err != nil {
		t.Fatal(err)
	}
	u3, err := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1002"})
	if err != nil {
		t.Fatal(err)
	}
	if u3.ID == u2.ID || u3.ID == u1.ID || u3.ID <= u2.ID {
		t.Fatalf("new user got ID %d; deleted %d, existing %d", u3.ID, u2.ID, u1.ID)
	}
	if got, err := s.UserByID(ctx, u3.ID); err != nil || got.Extension != "1002" {
		t.Fatalf("UserByID(%d) = %+v, %v", u3.ID, got, err)
	}
}
