package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/directory"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

func TestSeedIdempotent(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, accts, err := Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	org2, accts2, err := Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if org != org2 || len(accts) != 10 || len(accts2) != 10 {
		t.Fatalf("second seed differs: %+v %+v, %d/%d accounts", org, org2, len(accts), len(accts2))
	}
	if !org.Demo || org.Domain != Domain || org.CountryCode != "358" || org.Switchboard != "+35891234000" {
		t.Fatalf("org = %+v", org)
	}
	users, _ := st.ListUsers(ctx, org.ID)
	if len(users) != 10 {
		t.Fatalf("%d users after two seeds", len(users))
	}
	tests := []struct {
		i                                 int
		ext, company, mobile, email, lang string
	}{
		{0, "1001", "+358912341001", "+358401231001", "aino.virtanen@demo.vaihde.local", "fi"},
		{2, "1003", "+358912341003", "+358401231003", "sofia.lindqvist@demo.vaihde.local", "sv"},
		{9, "1010", "+358912341010", "+358401231010", "anna.berg@demo.vaihde.local", "en"},
	}
	for _, tc := range tests {
		a := accts2[tc.i]
		u := a.User
		if u.Extension != tc.ext || u.CompanyNumber != tc.company || u.MobileNumber != tc.mobile || u.Email != tc.email || u.Language != tc.lang {
			t.Errorf("account %d = %+v", tc.i, u)
		}
		if a.Password != "demo"+tc.ext || !auth.CheckPassword(u.PasswordHash, a.Password) ||
			u.HA1MD5 != auth.HA1MD5(tc.ext, Domain, a.Password) || u.HA1SHA256 != auth.HA1SHA256(tc.ext, Domain, a.Password) {
			t.Errorf("account %s credentials wrong", tc.ext)
		}
	}
}

func openDemo(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// checkIssue3Data asserts the directory fields, roles and contacts of a seeded demo.
func checkIssue3Data(t *testing.T, st *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	org, err := st.OrgByDomain(ctx, Domain)
	if err != nil {
		t.Fatal(err)
	}
	if !org.ShowRoles || org.SMSSender != SMSSender {
		t.Fatalf("org settings = %+v", org)
	}
	users, _ := st.ListUsers(ctx, org.ID)
	if len(users) != 10 {
		t.Fatalf("%d users", len(users))
	}
	departments := map[string]bool{}
	for _, u := range users {
		if u.Department == "" || u.Title == "" || u.Keywords == "" {
			t.Errorf("user %s lacks directory fields: %+v", u.Extension, u)
		}
		if u.Admin != (u.Extension == "1001") {
			t.Errorf("user %s admin = %v", u.Extension, u.Admin)
		}
		departments[u.Department] = true
	}
	for _, d := range []string{"Myynti", "Asiakaspalvelu", "Talous", "IT"} {
		if !departments[d] {
			t.Errorf("no user in department %s", d)
		}
	}

	orgContacts, err := st.ContactsOf(ctx, org.ID, 0)
	if err != nil || len(orgContacts) != 3 {
		t.Fatalf("organisation contacts = %+v, %v", orgContacts, err)
	}
	names := map[string]bool{}
	for _, c := range orgContacts {
		names[c.Name] = true
		if c.Phone == "" || c.OwnerID != 0 {
			t.Errorf("organisation contact %+v", c)
		}
	}
	for _, n := range []string{"Kiinteistöhuolto Oy", "Taksi Helsinki", "IT-tuki (ulkoinen)"} {
		if !names[n] {
			t.Errorf("missing organisation contact %q", n)
		}
	}

	aino, _ := st.UserByExtension(ctx, org.ID, "1001")
	mikko, _ := st.UserByExtension(ctx, org.ID, "1002")
	mine, err := st.ContactsOf(ctx, org.ID, aino.ID)
	if err != nil || len(mine) != 2 {
		t.Fatalf("1001's contacts = %+v, %v", mine, err)
	}
	var internal, vip int
	for _, c := range mine {
		switch {
		case c.UserID == mikko.ID && c.Favourite:
			internal++
		case c.UserID == 0 && c.VIP && c.Mobile != "":
			vip++
		default:
			t.Errorf("unexpected contact %+v", c)
		}
	}
	if internal != 1 || vip != 1 {
		t.Fatalf("1001 has %d favourite internal and %d VIP contacts: %+v", internal, vip, mine)
	}
	if other, _ := st.ContactsOf(ctx, org.ID, mikko.ID); len(other) != 0 {
		t.Fatalf("1002 has contacts %+v", other)
	}
}

func TestSeedDirectoryAndContacts(t *testing.T) {
	st := openDemo(t)
	for range 3 { // idempotent: the same data however often it runs
		if _, _, err := Seed(context.Background(), st); err != nil {
			t.Fatal(err)
		}
		checkIssue3Data(t, st)
	}
}

// TestSeedUpgradesIssue2Database seeds a database the way the issue-2 demo did (no directory
// fields, no contacts, no organisation settings) and checks that Seed fills them in once.
func TestSeedUpgradesIssue2Database(t *testing.T) {
	st := openDemo(t)
	ctx := context.Background()
	org, err := st.CreateOrg(ctx, store.Org{Name: OrgName, Domain: Domain, CountryCode: CountryCode, Switchboard: Switchboard, Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range people[:3] {
		ext := fmt.Sprint(1001 + i)
		u := store.User{OrgID: org.ID, Extension: ext, Name: p.name, Language: p.lang}
		if err := auth.SetPassword(&u, Domain, "demo"+ext); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, _, err := Seed(ctx, st); err != nil {
			t.Fatal(err)
		}
		checkIssue3Data(t, st)
	}
	// An administrator's later choice is not overridden by another seed.
	org, _ = st.OrgByDomain(ctx, Domain)
	org.ShowRoles = false
	if err := st.UpdateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	if got, _, err := Seed(ctx, st); err != nil || got.ShowRoles {
		t.Fatalf("re-seed = %+v, %v: ShowRoles forced back on", got, err)
	}
}

func TestDemoDirectorySearch(t *testing.T) {
	st := openDemo(t)
	ctx := context.Background()
	org, _, err := Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	d := directory.New(st)
	tests := []struct {
		q    string
		want []string
	}{
		{"laskutus", []string{"Erik Johansson", "Helmi Koskinen"}},
		{"verkko it", []string{"Juha Nieminen", "Oskar Lindholm"}},
		{"makinen", []string{"Emma Mäkinen"}},
		{"myynti sofia", []string{"Sofia Lindqvist"}},
		{"0401231004", []string{"Juha Nieminen"}},
	}
	for _, tc := range tests {
		got, err := d.Search(ctx, org.ID, tc.q, 0)
		var names []string
		for _, u := range got {
			names = append(names, u.Name)
		}
		if err != nil || !slices.Equal(names, tc.want) {
			t.Errorf("Search(%q) = %v, %v; want %v", tc.q, names, err, tc.want)
		}
	}
}
