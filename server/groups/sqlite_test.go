package groups_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/groups"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// The demo organisation's groups in the real SQLite store: the menu on 8020 sends key 2 to the
// hunt group 8001, which rings 1007 and 1008 at once; an outside caller cannot dial 8020.
func TestDemoMenuReachesHuntGroupSQLite(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vaihde.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	org, accts, err := demo.Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]int64{}
	for _, a := range accts {
		id[a.User.Extension] = a.User.ID
	}
	s := groups.New(groups.Deps{Groups: st, Queues: &queueFlows{}})
	caller := b2bua.ServiceCall{Org: org, Caller: accts[0].User, CallerNumber: accts[0].User.Extension, Dialled: demo.MenuNumber, Internal: true}
	flow, ok := s.Service(ctx, caller)
	if !ok {
		t.Fatal("menu 8020 not answered")
	}
	ch := newChannel("2")
	ch.answer = func(r mediaapp.Ring) (int64, error) { return r.Users[0], nil }
	if err := flow(ctx, ch); err != nil {
		t.Fatal(err)
	}
	rings := ch.Rings()
	if len(rings) != 1 || !slices.Equal(rings[0].Users, []int64{id["1007"], id["1008"]}) {
		t.Fatalf("rang %v, want 1007 and 1008 (%d, %d) at once", ch.ringUsers(), id["1007"], id["1008"])
	}
	if g := rings[0].Group; g.Kind != "hunt" || g.Number != demo.HuntNumber || g.Name != "Myynti" {
		t.Errorf("group info %+v", g)
	}
	outside := b2bua.ServiceCall{Org: org, CallerNumber: "+358401234567", Dialled: demo.MenuNumber}
	if _, ok := s.Service(ctx, outside); ok {
		t.Error("an outside caller reached test number 8020")
	}
}
