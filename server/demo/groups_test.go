package demo

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

func TestSeedGroups(t *testing.T) {
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
	id := map[string]int64{}
	for _, a := range accts {
		id[a.User.Extension] = a.User.ID
	}
	users, _ := st.ListUsers(ctx, org.ID)
	var agents, sups, ops int
	for _, u := range users {
		if u.Agent {
			agents++
		}
		if u.Supervisor {
			sups++
		}
		if u.Operator {
			ops++
		}
		wantAgent := u.Extension == "1004" || u.Extension == "1005" || u.Extension == "1006"
		if u.Agent != wantAgent || u.Operator != (u.Extension == "1009") {
			t.Errorf("user %s roles agent=%t operator=%t", u.Extension, u.Agent, u.Operator)
		}
	}
	if agents > org.AgentLicences || sups > org.SupervisorLicences || ops > org.OperatorLicences || agents != 3 || ops != 1 {
		t.Errorf("roles %d/%d/%d do not fit licences %+v", agents, sups, ops, org)
	}

	kind, qid, err := st.GroupByNumber(ctx, org.ID, "8000")
	if err != nil || kind != store.KindQueue {
		t.Fatalf("8000 = %s, %v", kind, err)
	}
	q, err := st.Queue(ctx, org.ID, qid)
	if err != nil {
		t.Fatal(err)
	}
	wantMembers := []store.QueueMember{{UserID: id["1004"], Skill: 1}, {UserID: id["1005"], Skill: 2}, {UserID: id["1006"], Skill: 3}}
	if q.Name != "Asiakaspalvelu" || !reflect.DeepEqual(q.Members, wantMembers) || q.RingAtOnce != 1 || !q.LongestIdle ||
		q.RingTime != 15*time.Second || q.ProgressEvery != 30*time.Second || !q.SayPosition || !q.SayEstimate || !q.Callback ||
		q.CallbackAttempts == 0 || q.CallbackValidity == 0 || q.CallbackRingTime == 0 || q.Music != "" {
		t.Errorf("Asiakaspalvelu = %+v", q)
	}
	kind, sid, err := st.GroupByNumber(ctx, org.ID, "8010")
	if err != nil || kind != store.KindQueue {
		t.Fatalf("8010 = %s, %v", kind, err)
	}
	sw, _ := st.Queue(ctx, org.ID, sid)
	if sw.Name != "Vaihde" || len(sw.Members) != 1 || sw.Members[0].UserID != id["1009"] {
		t.Errorf("Vaihde = %+v", sw)
	}
	kind, hid, err := st.GroupByNumber(ctx, org.ID, "8001")
	if err != nil || kind != store.KindHunt {
		t.Fatalf("8001 = %s, %v", kind, err)
	}
	h, _ := st.HuntGroup(ctx, org.ID, hid)
	if h.Name != "Myynti" || h.Mode != store.HuntParallel || !reflect.DeepEqual(h.Members, []int64{id["1007"], id["1008"]}) {
		t.Errorf("Myynti = %+v", h)
	}
	kind, mid, err := st.GroupByNumber(ctx, org.ID, "8020")
	if err != nil || kind != store.KindMenu {
		t.Fatalf("8020 = %s, %v", kind, err)
	}
	m, _ := st.Menu(ctx, org.ID, mid)
	if !reflect.DeepEqual(m.Options, map[string]string{"1": "8000", "2": "8001"}) {
		t.Errorf("menu = %+v", m)
	}
	logins, _ := st.AgentLogins(ctx, org.ID)
	in := map[[2]int64]bool{}
	for _, l := range logins {
		in[[2]int64{l.QueueID, l.UserID}] = l.LoggedIn
	}
	for _, ext := range []string{"1004", "1005", "1006"} {
		if !in[[2]int64{qid, id[ext]}] {
			t.Errorf("%s not logged in to Asiakaspalvelu: %+v", ext, logins)
		}
	}
	if !in[[2]int64{sid, id["1009"]}] {
		t.Errorf("1009 not logged in to Vaihde: %+v", logins)
	}

	// Idempotent: a second seed changes nothing, also after an agent logged out.
	if err := st.PutAgentLogin(ctx, org.ID, store.AgentLogin{QueueID: qid, UserID: id["1006"], LoggedIn: false, At: time.Unix(1, 0)}); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Queues(ctx, org.ID)
	org2, _, err := Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := st.Queues(ctx, org.ID)
	hs, _ := st.HuntGroups(ctx, org.ID)
	ms, _ := st.Menus(ctx, org.ID)
	logins2, _ := st.AgentLogins(ctx, org.ID)
	if org2 != org || !reflect.DeepEqual(before, after) || len(after) != 2 || len(hs) != 1 || len(ms) != 1 || len(logins2) != len(logins) {
		t.Fatalf("second seed changed groups: %d queues, %d hunt, %d menus, org %+v vs %+v", len(after), len(hs), len(ms), org2, org)
	}
	for _, l := range logins2 {
		if l.UserID == id["1006"] && l.LoggedIn {
			t.Error("second seed logged 1006 in again")
		}
	}
}

// TestSeedGroupsOnOldDemoDatabase: a demo database from before the groups (no roles, no
// licences, no groups) gets them on the next start.
func TestSeedGroupsOnOldDemoDatabase(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, _, err := Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	// Back to how an issue-9 demo database looks.
	ms, _ := st.Menus(ctx, org.ID)
	for _, m := range ms {
		if err := st.DeleteMenu(ctx, org.ID, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	hs, _ := st.HuntGroups(ctx, org.ID)
	for _, h := range hs {
		if err := st.DeleteHuntGroup(ctx, org.ID, h.ID); err != nil {
			t.Fatal(err)
		}
	}
	qs, _ := st.Queues(ctx, org.ID)
	for _, q := range qs {
		if err := st.DeleteQueue(ctx, org.ID, q.ID); err != nil {
			t.Fatal(err)
		}
	}
	users, _ := st.ListUsers(ctx, org.ID)
	for _, u := range users {
		u.Agent, u.Supervisor, u.Operator = false, false, false
		if err := st.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	org.AgentLicences, org.SupervisorLicences, org.OperatorLicences = 0, 0, 0
	if err := st.UpdateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}

	org, _, err = Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	for num, kind := range map[string]store.GroupKind{"8000": store.KindQueue, "8001": store.KindHunt, "8010": store.KindQueue, "8020": store.KindMenu} {
		if k, _, err := st.GroupByNumber(ctx, org.ID, num); err != nil || k != kind {
			t.Errorf("%s after reseed: %s %v", num, k, err)
		}
	}
	if logins, _ := st.AgentLogins(ctx, org.ID); len(logins) != 4 {
		t.Errorf("logins after reseed: %+v", logins)
	}
	if org.AgentLicences < 3 || org.OperatorLicences < 1 {
		t.Errorf("licences after reseed: %+v", org)
	}
}
