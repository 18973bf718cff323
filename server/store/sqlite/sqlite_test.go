package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func seed(t *testing.T, s *Store) (store.Org, store.User) {
	t.Helper()
	ctx := context.Background()
	o, err := s.CreateOrg(ctx, store.Org{Name: "Demo", Domain: "Demo.Example", CountryCode: "358", Demo: true})
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	u, err := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1001", Name: "Aino", CompanyNumber: "+358912341001",
		MobileNumber: "+358401231001", Language: "fi", HA1MD5: "m", HA1SHA256: "s", PasswordHash: "p"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return o, u
}

func TestMigrateIsIdempotentAndVersioned(t *testing.T) {
	_, path := openTest(t)
	s2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	var n, max int
	if err := s2.r.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != SchemaVersion || max != SchemaVersion {
		t.Fatalf("schema_migrations rows=%d max=%d, want %d", n, max, SchemaVersion)
	}
	var fk int
	if err := s2.w.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys=%d err=%v", fk, err)
	}
	var mode string
	if err := s2.w.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode=%q err=%v", mode, err)
	}
}

func TestOrgsAndUsers(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, u := seed(t, s)

	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"duplicate domain", func() error { _, err := s.CreateOrg(ctx, store.Org{Name: "x", Domain: "demo.example"}); return err }, store.ErrConflict},
		{"duplicate extension", func() error {
			_, err := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1001"})
			return err
		}, store.ErrConflict},
		{"duplicate mobile", func() error {
			_, err := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1002", MobileNumber: "+358401231001"})
			return err
		}, store.ErrConflict},
		{"two users without numbers", func() error {
			if _, err := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1003"}); err != nil {
				return err
			}
			_, err := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1004"})
			return err
		}, nil},
		{"missing org", func() error { _, err := s.OrgByID(ctx, 999); return err }, store.ErrNotFound},
		{"missing domain", func() error { _, err := s.OrgByDomain(ctx, "nope"); return err }, store.ErrNotFound},
		{"missing user", func() error { _, err := s.UserByExtension(ctx, o.ID, "9999"); return err }, store.ErrNotFound},
		{"missing number", func() error { _, err := s.UserByNumber(ctx, o.ID, "+1"); return err }, store.ErrNotFound},
		{"update missing", func() error { return s.UpdateUser(ctx, store.User{ID: 999}) }, store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}

	got, err := s.OrgByDomain(ctx, "DEMO.example")
	if err != nil || got != o {
		t.Fatalf("OrgByDomain = %+v, %v; want %+v", got, err, o)
	}
	if d, err := s.DemoOrg(ctx); err != nil || d.ID != o.ID {
		t.Fatalf("DemoOrg = %+v, %v", d, err)
	}
	for _, num := range []string{"+358912341001", "+358401231001"} {
		if g, err := s.UserByNumber(ctx, o.ID, num); err != nil || g != u {
			t.Fatalf("UserByNumber(%s) = %+v, %v", num, g, err)
		}
	}
	u.Name = "Aino V"
	u.MobileNumber = ""
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.UserByID(ctx, u.ID); g != u {
		t.Fatalf("after update %+v want %+v", g, u)
	}
	list, err := s.ListUsers(ctx, o.ID)
	if err != nil || len(list) != 3 || list[0].Extension != "1001" {
		t.Fatalf("ListUsers = %+v, %v", list, err)
	}
}

func TestBindings(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	_, u := seed(t, s)
	now := time.Now()
	b1 := store.Binding{UserID: u.ID, Contact: "sip:1001@10.0.0.1:5060", Source: "udp:192.0.2.1:40000", CallID: "c1", CSeq: 1, Expires: now.Add(time.Hour), UserAgent: "ua"}
	b2 := store.Binding{UserID: u.ID, Contact: "sip:1001@10.0.0.2:5060", Expires: now.Add(-time.Second)}
	for _, b := range []store.Binding{b1, b2} {
		if err := s.PutBinding(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Bindings(ctx, u.ID, now)
	if err != nil || len(got) != 1 || got[0].Contact != b1.Contact || got[0].Source != b1.Source || !got[0].Expires.Equal(b1.Expires) {
		t.Fatalf("Bindings = %+v, %v", got, err)
	}
	// Upsert on (user, contact).
	b1.CSeq = 2
	b1.Expires = now.Add(2 * time.Hour)
	if err := s.PutBinding(ctx, b1); err != nil {
		t.Fatal(err)
	}
	all, err := s.AllBindings(ctx, now)
	if err != nil || len(all) != 1 || all[0].CSeq != 2 {
		t.Fatalf("AllBindings = %+v, %v", all, err)
	}
	if n, err := s.PurgeExpired(ctx, now); err != nil || n != 1 {
		t.Fatalf("PurgeExpired = %d, %v", n, err)
	}
	if err := s.DeleteBinding(ctx, u.ID, b1.Contact); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Bindings(ctx, u.ID, now); len(got) != 0 {
		t.Fatalf("after delete: %+v", got)
	}
	if err := s.PutBinding(ctx, store.Binding{UserID: 12345, Contact: "x", Expires: now}); err == nil {
		t.Fatal("binding for missing user accepted (foreign keys off?)")
	}
	_ = s.PutBinding(ctx, b1)
	if err := s.DeleteBindings(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AllBindings(ctx, now); len(got) != 0 {
		t.Fatalf("after DeleteBindings: %+v", got)
	}
}

func TestCallLog(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	_, u := seed(t, s)
	base := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		c := store.CallRecord{UserID: u.ID, CallID: "x", Direction: store.Outgoing, Peer: "1002", Outcome: store.Answered,
			StartedAt: base.Add(time.Duration(i) * time.Minute), EndedAt: base.Add(time.Duration(i)*time.Minute + 30*time.Second)}
		if i == 4 {
			c.AnsweredAt = c.StartedAt.Add(time.Second)
		}
		if _, err := s.AddCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Calls(ctx, u.ID, 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("Calls = %d, %v", len(got), err)
	}
	if !got[0].StartedAt.Equal(base.Add(4*time.Minute)) || got[0].AnsweredAt.IsZero() || !got[1].AnsweredAt.IsZero() {
		t.Fatalf("order/times wrong: %+v", got)
	}
}

func BenchmarkPutBinding(b *testing.B) {
	path := filepath.Join(b.TempDir(), "b.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	o, _ := s.CreateOrg(context.Background(), store.Org{Name: "x", Domain: "x"})
	u, _ := s.CreateUser(context.Background(), store.User{OrgID: o.ID, Extension: "1"})
	bd := store.Binding{UserID: u.ID, Contact: "sip:1@x", Expires: time.Now().Add(time.Hour)}
	for i := 0; b.Loop(); i++ {
		bd.CSeq = uint32(i)
		if err := s.PutBinding(context.Background(), bd); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOpenPathWithURIChars: a database path with characters that mean something in a URI
// opens exactly that file.
func TestOpenPathWithURIChars(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a #b ?c %d")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "v 1.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateOrg(ctx, store.Org{Name: "X", Domain: "x.test", CountryCode: "358"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %q: %v", path, err)
	}
	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.OrgByDomain(ctx, "x.test"); err != nil {
		t.Fatalf("reopen: %v", err)
	}
}
