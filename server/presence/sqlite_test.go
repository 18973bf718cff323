package presence

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
	"github.com/vaihde/vaihde/shared/presence"
)

// TestPersistenceAcrossHubs sets presence through one hub and reads it through a new hub on
// the same SQLite file: the activity, role, end time and note survive; idle does not.
func TestPersistenceAcrossHubs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrg(ctx, store.Org{Name: "P Oy", Domain: "p.test", CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, ext := range []string{"1001", "1002"} {
		u, err := st.CreateUser(ctx, store.User{OrgID: org.ID, Extension: ext, Name: "U" + ext, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	until := time.Now().Add(3 * time.Hour).Truncate(time.Second).UTC()
	h := New(st, nil, nil)
	if _, err := h.Set(ctx, ids[1], Change{Activity: ptr(presence.Meeting), Role: ptr(presence.RoleSwitchboard),
		Until: &until, Note: ptr("Q4 <budget> & ääkköset"), Idle: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	h.Close()
	st.Close()

	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h = New(st, nil, nil)
	defer h.Close()
	got, err := h.Get(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if got.Activity != presence.Meeting || got.Green || got.Role != presence.RoleSwitchboard || !got.Until.Equal(until) ||
		got.Note != "Q4 <budget> & ääkköset" || got.Idle {
		t.Fatalf("after restart: %+v (until want %v)", got, until)
	}
	all, err := h.Org(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Extension != "1001" || all[0].Activity != presence.Available || all[1].Activity != presence.Meeting {
		t.Fatalf("org after restart: %+v", all)
	}
	// Clearing the end time persists too.
	if _, err := h.Set(ctx, ids[1], Change{ClearUntil: true}); err != nil {
		t.Fatal(err)
	}
	h2 := New(st, nil, nil)
	defer h2.Close()
	if got, _ := h2.Get(ctx, ids[1]); !got.Until.IsZero() || got.Activity != presence.Meeting {
		t.Fatalf("cleared until: %+v", got)
	}
}
