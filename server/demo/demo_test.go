package demo

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vaihde/vaihde/server/auth"
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
