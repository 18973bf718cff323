package presence

import (
	"context"
	"errors"
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

// TestPutActivity adds and renames activities as an admin does: a new activity can be chosen,
// a renamed one keeps the other defaults, a re-coloured one re-colours its users live, and bad
// definitions are refused.
func TestPutActivity(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, err := st.CreateOrg(ctx, store.Org{Name: "A Oy", Domain: "a.test", CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.User{OrgID: org.ID, Extension: "1001", Name: "U", Language: "fi"})
	if err != nil {
		t.Fatal(err)
	}
	h := New(st, nil, nil)
	defer h.Close()
	var c collector
	defer h.Watch(org.ID, c.fn)()

	training := presence.Activity{Number: 10, Names: presence.Names{FI: "Koulutuksessa", SV: "På utbildning", EN: "Training"}}
	if err := h.PutActivity(ctx, org.ID, training); err != nil {
		t.Fatal(err)
	}
	st1, err := h.Set(ctx, u.ID, Change{Activity: ptr(10)})
	if err != nil || st1.Activity != 10 || st1.Green {
		t.Fatalf("set the new activity: %+v %v", st1, err)
	}
	acts, err := h.Activities(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != len(presence.DefaultActivities())+1 {
		t.Fatalf("activities after adding one: %d", len(acts))
	}
	training.Green = true
	if err := h.PutActivity(ctx, org.ID, training); err != nil {
		t.Fatal(err)
	}
	got := c.waitN(t, 2)
	if last := got[len(got)-1]; last.UserID != u.ID || !last.Green {
		t.Fatalf("watcher after re-colouring: %+v", last)
	}
	for _, bad := range []presence.Activity{
		{Number: 0, Names: presence.Names{EN: "Zero"}},
		{Number: 100, Names: presence.Names{EN: "Too high"}},
		{Number: 11},
		{Number: 11, Names: presence.Names{EN: "Far too long a name for an activity in any menu at all"}},
		{Number: 11, Names: presence.Names{EN: "two\nlines"}},
	} {
		if err := h.PutActivity(ctx, org.ID, bad); !errors.Is(err, ErrBadActivity) {
			t.Errorf("PutActivity(%+v) = %v, want ErrBadActivity", bad, err)
		}
	}
}
