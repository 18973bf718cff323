package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vaihde/vaihde/server/store"
)

// TestDataVersionSeesOtherConnections: a commit through another Store (another process in
// production) changes the data version; the store's own writes do not.
func TestDataVersionSeesOtherConnections(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	v0, err := a.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateOrg(ctx, store.Org{Name: "Own", Domain: "own.example"}); err != nil {
		t.Fatal(err)
	}
	if v1, _ := a.DataVersion(ctx); v1 != v0 {
		t.Fatalf("own write changed the data version %d → %d", v0, v1)
	}
	if _, err := b.CreateOrg(ctx, store.Org{Name: "Other", Domain: "other.example"}); err != nil {
		t.Fatal(err)
	}
	if v2, _ := a.DataVersion(ctx); v2 == v0 {
		t.Fatalf("another connection's commit left the data version at %d", v0)
	}
}

// TestBackupTo copies the database consistently and refuses to overwrite a file.
func TestBackupTo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, filepath.Join(dir, "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateOrg(ctx, store.Org{Name: "Acme", Domain: "acme.example"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.db")
	if err := st.BackupTo(ctx, out); err != nil {
		t.Fatal(err)
	}
	if err := st.BackupTo(ctx, out); err == nil {
		t.Fatal("a second backup overwrote the first")
	}
	cp, err := Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if o, err := cp.OrgByDomain(ctx, "acme.example"); err != nil || o.Name != "Acme" {
		t.Fatalf("copy: %+v %v", o, err)
	}
}
