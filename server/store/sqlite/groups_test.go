package sqlite

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// fullQueue sets every field of store.Queue to a non-zero value, so a round trip that loses
// one fails.
func fullQueue(orgID int64, members []store.QueueMember, sups []int64) store.Queue {
	return store.Queue{
		OrgID: orgID, Name: "Asiakaspalvelu", Number: "8000",
		BillingID: "B-1", HideFromDir: true, PresentNumber: true, Show: store.ShowCallerAffix, Affix: "1*", AffixSuffix: true,
		MaxWait: 5 * time.Minute, MaxWaitTarget: "1001", MaxQueued: 10, RushReopen: 8, RushMaxWait: 3 * time.Minute,
		RushTarget: "voicemail:1001", MaxRingAttempts: 2, NoAnswerTarget: "8001", NoAgentsTarget: "+358401234567", NoAgentsIfNoneFree: true,
		RedStops: true, LongestIdle: true, Devices: store.Devices{Softphone: true, Mobile: true}, RingAtOnce: 2,
		WrapUp: 20 * time.Second, RingTime: 15 * time.Second, AutoLogoutAfter: 2,
		EntryPrompt: "entry", Music: "music1", ProgressPrompt: "still", ProgressEvery: 30 * time.Second,
		RingbackOnConnect: true, SayPosition: true, SayEstimate: true,
		Callback: true, CallbackRingTime: 30 * time.Second, CallbackAttempts: 3, CallbackValidity: 4 * time.Hour,
		CallbackText: "Takaisinsoitto", CallbackAgentPrompt: "cb-agent", CallbackOfferPrompt: "cb-offer",
		OfferAfterOpen: 10 * time.Minute, OfferQueuedOver: 3, OfferLongestOver: 2 * time.Minute, OfferEstimateOver: 4 * time.Minute,
		StopBeforeClose: 15 * time.Minute,
		Hours:           &store.OfficeHours{Days: [7]bool{false, true, true, true, true, true, false}, Start: 8 * 60, End: 16 * 60},
		NightManual:     true, NightTarget: "voicemail:1001",
		Supervisors: sups, Members: members,
	}
}

func addUser(t *testing.T, s *Store, orgID int64, ext string) store.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), store.User{OrgID: orgID, Extension: ext, Name: "User " + ext})
	if err != nil {
		t.Fatalf("CreateUser %s: %v", ext, err)
	}
	return u
}

func TestQueueRoundTripEverySetting(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, u1 := seed(t, s)
	u2, u3 := addUser(t, s, o.ID, "1002"), addUser(t, s, o.ID, "1003")
	q := fullQueue(o.ID, []store.QueueMember{{UserID: u2.ID, Order: 1, Skill: 1}, {UserID: u1.ID, Order: 0, Skill: 3}, {UserID: u3.ID, Order: 2, Skill: 2}}, []int64{u1.ID})
	created, err := s.CreateQueue(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 {
		t.Fatal("no id")
	}
	q.ID = created.ID
	got, err := s.Queue(ctx, o.ID, q.ID)
	if err != nil || !reflect.DeepEqual(got, q) {
		t.Fatalf("Queue = %+v, %v\nwant %+v", got, err, q)
	}
	// Update: members reordered and one removed; settings changed.
	q.Name, q.RingTime, q.Hours, q.Members, q.Supervisors = "CS", 25*time.Second, nil, []store.QueueMember{{UserID: u3.ID, Order: 1, Skill: 1}}, nil
	if err := s.UpdateQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	got, err = s.Queue(ctx, o.ID, q.ID)
	if err != nil || !reflect.DeepEqual(got, q) {
		t.Fatalf("after update Queue = %+v, %v\nwant %+v", got, err, q)
	}
	all, err := s.Queues(ctx, o.ID)
	if err != nil || len(all) != 1 || !reflect.DeepEqual(all[0], q) {
		t.Fatalf("Queues = %+v, %v", all, err)
	}
	// Settings stay queryable in SQL.
	var ring int64
	if err := s.r.QueryRowContext(ctx, `SELECT json_extract(settings, '$.RingTime') FROM groups WHERE id = ?`, q.ID).Scan(&ring); err != nil || ring != int64(25*time.Second) {
		t.Fatalf("json_extract RingTime = %d, %v", ring, err)
	}
	if err := s.DeleteQueue(ctx, o.ID, q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Queue(ctx, o.ID, q.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted queue: %v", err)
	}
	if err := s.DeleteQueue(ctx, o.ID, q.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestHuntGroupAndMenuRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, u1 := seed(t, s)
	u2 := addUser(t, s, o.ID, "1002")
	h := store.HuntGroup{OrgID: o.ID, Name: "Myynti", Number: "8001", Mode: store.HuntSerial, Members: []int64{u2.ID, u1.ID},
		Devices: store.Devices{Desk: true}, RingTime: 12 * time.Second, StopActivities: []int{3, 5}, StopRed: true,
		Attempts: 2, AfterTarget: "1001", BeforePrompt: "before", AfterPrompt: "after",
		Hours: &store.OfficeHours{Days: [7]bool{1: true}, Start: 480, End: 960}, NightTarget: "voicemail:1001", HideFromDir: true}
	hc, err := s.CreateHuntGroup(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	h.ID = hc.ID
	if got, err := s.HuntGroup(ctx, o.ID, h.ID); err != nil || !reflect.DeepEqual(got, h) {
		t.Fatalf("HuntGroup = %+v, %v\nwant %+v", got, err, h)
	}
	h.Mode, h.Members = store.HuntParallel, []int64{u1.ID}
	if err := s.UpdateHuntGroup(ctx, h); err != nil {
		t.Fatal(err)
	}
	if hs, err := s.HuntGroups(ctx, o.ID); err != nil || len(hs) != 1 || !reflect.DeepEqual(hs[0], h) {
		t.Fatalf("HuntGroups = %+v, %v", hs, err)
	}
	m := store.Menu{OrgID: o.ID, Name: "Päävalikko", Number: "8020", Prompt: "welcome",
		Options: map[string]string{"1": "8000", "2": "8001", "#": "1001"}, Timeout: 7 * time.Second, Repeats: 1,
		TimeoutTarget: "1001", InvalidTarget: "", NightTarget: "voicemail:1001"}
	mc, err := s.CreateMenu(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	m.ID = mc.ID
	if got, err := s.Menu(ctx, o.ID, m.ID); err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("Menu = %+v, %v\nwant %+v", got, err, m)
	}
	m.Options["*"] = "8020"
	if err := s.UpdateMenu(ctx, m); err != nil {
		t.Fatal(err)
	}
	if ms, err := s.Menus(ctx, o.ID); err != nil || len(ms) != 1 || !reflect.DeepEqual(ms[0], m) {
		t.Fatalf("Menus = %+v, %v", ms, err)
	}
	for num, want := range map[string]store.GroupKind{"8001": store.KindHunt, "8020": store.KindMenu} {
		kind, id, err := s.GroupByNumber(ctx, o.ID, num)
		if err != nil || kind != want || (id != h.ID && id != m.ID) {
			t.Errorf("GroupByNumber(%s) = %s %d %v", num, kind, id, err)
		}
	}
	if _, _, err := s.GroupByNumber(ctx, o.ID, "8099"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GroupByNumber(free) = %v", err)
	}
	// A kind is not another: the menu's ID is no hunt group.
	if _, err := s.HuntGroup(ctx, o.ID, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("HuntGroup(menu id) = %v", err)
	}
	if err := s.DeleteMenu(ctx, o.ID, h.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteMenu(hunt id) = %v", err)
	}
	if err := s.DeleteHuntGroup(ctx, o.ID, h.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMenu(ctx, o.ID, m.ID); err != nil {
		t.Fatal(err)
	}
}

func TestGroupNumberRules(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a, b, ua, _ := seedTwo(t, s)
	if err := s.PutDID(ctx, store.DID{OrgID: a.ID, Number: "+358912340100"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDID(ctx, store.DID{OrgID: a.ID, Number: "+358912340101", Extension: "1001"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDID(ctx, store.DID{OrgID: b.ID, Number: "+358912340200"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateQueue(ctx, store.Queue{OrgID: a.ID, Name: "Q", Number: "8000"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, number, reason string // reason: "" = accepted
	}{
		{"test number", "8001", ""},
		{"unassigned DID of the pool", "+358912340100", ""},
		{"last test number", "8099", ""},
		{"taken by a queue", "8000", `is already the queue "Q"`},
		{"a user's extension", "1001", "is the extension of Aino"},
		{"a user's company number", ua.CompanyNumber, "is the company number of Aino"},
		{"a user's mobile number", ua.MobileNumber, "is the mobile number of Aino"},
		{"not a test number", "8100", "neither a test number"},
		{"another organisation's DID", "+358912340200", "belongs to another organisation"},
		{"a DID routed to a user", "+358912340101", "routed to extension 1001"},
		{"not in the pool", "+358912349999", "not in the organisation's number pool"},
		{"empty", "", "is empty"},
	}
	for i, tc := range tests {
		// Alternate kinds: the rule is the same for every kind.
		var err error
		switch i % 3 {
		case 0:
			_, err = s.CreateMenu(ctx, store.Menu{OrgID: a.ID, Name: tc.name, Number: tc.number})
		case 1:
			_, err = s.CreateHuntGroup(ctx, store.HuntGroup{OrgID: a.ID, Name: tc.name, Number: tc.number})
		case 2:
			_, err = s.CreateQueue(ctx, store.Queue{OrgID: a.ID, Name: tc.name, Number: tc.number})
		}
		if tc.reason == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var ne *store.NumberError
		if !errors.As(err, &ne) || !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s (%s): err = %v, want a NumberError containing %q", tc.name, tc.number, err, tc.reason)
		}
	}
	// The other organisation may use the same test number.
	if _, err := s.CreateQueue(ctx, store.Queue{OrgID: b.ID, Name: "Q", Number: "8000"}); err != nil {
		t.Fatalf("other org 8000: %v", err)
	}
	// Updating keeps its own number but cannot take another group's.
	q, _ := s.CreateQueue(ctx, store.Queue{OrgID: a.ID, Name: "Q2", Number: "8050"})
	q.Name = "Q2b"
	if err := s.UpdateQueue(ctx, q); err != nil {
		t.Fatalf("update own number: %v", err)
	}
	q.Number = "8000"
	if err := s.UpdateQueue(ctx, q); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("update to a taken number: %v", err)
	}
	// The other way round: a user cannot take a group's number, a DID held by a group can be
	// neither routed to a user nor removed from the pool.
	if _, err := s.CreateUser(ctx, store.User{OrgID: a.ID, Extension: "8000"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("user with a group's number: %v", err)
	}
	ua.MobileNumber = "+358912340100"
	if err := s.UpdateUser(ctx, ua); !errors.Is(err, store.ErrConflict) {
		t.Errorf("user given a group's DID: %v", err)
	}
	if err := s.PutDID(ctx, store.DID{OrgID: a.ID, Number: "+358912340100", Extension: "1001"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("group's DID routed to a user: %v", err)
	}
	if err := s.DeleteDID(ctx, a.ID, "+358912340100"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("group's DID deleted: %v", err)
	}
	if err := s.PutDID(ctx, store.DID{OrgID: a.ID, Number: "+358912340100", Note: "Asiakaspalvelu"}); err != nil {
		t.Errorf("group's DID note: %v", err)
	}
	// A user of the other organisation may have 8000 as extension.
	if _, err := s.CreateUser(ctx, store.User{OrgID: b.ID, Extension: "8001"}); err != nil {
		t.Errorf("other org's user 8001: %v", err)
	}
}

func TestGroupTenancy(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a, b, ua, ub := seedTwo(t, s)
	qa, err := s.CreateQueue(ctx, store.Queue{OrgID: a.ID, Name: "A", Number: "8000", Members: []store.QueueMember{{UserID: ua.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	ha, err := s.CreateHuntGroup(ctx, store.HuntGroup{OrgID: a.ID, Name: "A", Number: "8001", Members: []int64{ua.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ma, err := s.CreateMenu(ctx, store.Menu{OrgID: a.ID, Name: "A", Number: "8002"})
	if err != nil {
		t.Fatal(err)
	}
	nf := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s from another organisation: %v, want ErrNotFound", what, err)
		}
	}
	_, err = s.Queue(ctx, b.ID, qa.ID)
	nf("Queue", err)
	_, err = s.HuntGroup(ctx, b.ID, ha.ID)
	nf("HuntGroup", err)
	_, err = s.Menu(ctx, b.ID, ma.ID)
	nf("Menu", err)
	nf("UpdateQueue", s.UpdateQueue(ctx, store.Queue{ID: qa.ID, OrgID: b.ID, Name: "x", Number: "8010"}))
	nf("UpdateHuntGroup", s.UpdateHuntGroup(ctx, store.HuntGroup{ID: ha.ID, OrgID: b.ID, Name: "x", Number: "8011"}))
	nf("UpdateMenu", s.UpdateMenu(ctx, store.Menu{ID: ma.ID, OrgID: b.ID, Name: "x", Number: "8012"}))
	nf("DeleteQueue", s.DeleteQueue(ctx, b.ID, qa.ID))
	nf("DeleteHuntGroup", s.DeleteHuntGroup(ctx, b.ID, ha.ID))
	nf("DeleteMenu", s.DeleteMenu(ctx, b.ID, ma.ID))
	_, _, err = s.GroupByNumber(ctx, b.ID, "8000")
	nf("GroupByNumber", err)
	nf("PutAgentLogin", s.PutAgentLogin(ctx, b.ID, store.AgentLogin{QueueID: qa.ID, UserID: ua.ID, LoggedIn: true, At: t0}))
	_, err = s.AddCallback(ctx, store.Callback{OrgID: b.ID, QueueID: qa.ID, Number: "+358401234567", Queued: t0})
	nf("AddCallback", err)
	_, err = s.AddQueueCall(ctx, store.QueueCall{OrgID: b.ID, QueueID: qa.ID, Entered: t0, Outcome: "answered"})
	nf("AddQueueCall", err)
	_, err = s.QueueCalls(ctx, b.ID, qa.ID, time.Time{})
	nf("QueueCalls", err)
	// Another organisation's user cannot be a member or supervisor.
	_, err = s.CreateQueue(ctx, store.Queue{OrgID: a.ID, Name: "B", Number: "8003", Members: []store.QueueMember{{UserID: ub.ID}}})
	nf("member of another organisation", err)
	_, err = s.CreateQueue(ctx, store.Queue{OrgID: a.ID, Name: "B", Number: "8003", Supervisors: []int64{ub.ID}})
	nf("supervisor of another organisation", err)
	_, err = s.CreateHuntGroup(ctx, store.HuntGroup{OrgID: a.ID, Name: "B", Number: "8003", Members: []int64{ub.ID}})
	nf("hunt member of another organisation", err)
	if qs, err := s.Queues(ctx, b.ID); err != nil || len(qs) != 0 {
		t.Errorf("Queues(b) = %+v, %v", qs, err)
	}
	// A cancelled callback of A cannot be changed through B.
	cb, err := s.AddCallback(ctx, store.Callback{OrgID: a.ID, QueueID: qa.ID, Number: "+358401234567", Queued: t0})
	if err != nil {
		t.Fatal(err)
	}
	cb.OrgID, cb.State = b.ID, store.CallbackCanceled
	nf("UpdateCallback", s.UpdateCallback(ctx, cb))
	// Listed twice is refused.
	if _, err := s.CreateQueue(ctx, store.Queue{OrgID: a.ID, Name: "B", Number: "8003",
		Members: []store.QueueMember{{UserID: ua.ID}, {UserID: ua.ID}}}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("member twice: %v", err)
	}
}

func TestAgentLoginsCallbacksAndCallsSurviveRestart(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	o, u1 := seed(t, s)
	u2 := addUser(t, s, o.ID, "1002")
	q, err := s.CreateQueue(ctx, store.Queue{OrgID: o.ID, Name: "Q", Number: "8000",
		Members: []store.QueueMember{{UserID: u1.ID, Skill: 1}, {UserID: u2.ID, Skill: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutAgentLogin(ctx, o.ID, store.AgentLogin{QueueID: q.ID, UserID: u1.ID, LoggedIn: true, At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAgentLogin(ctx, o.ID, store.AgentLogin{QueueID: q.ID, UserID: u2.ID, LoggedIn: true, At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAgentLogin(ctx, o.ID, store.AgentLogin{QueueID: q.ID, UserID: u2.ID, LoggedIn: false, At: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// Not a member: refused.
	u3 := addUser(t, s, o.ID, "1003")
	if err := s.PutAgentLogin(ctx, o.ID, store.AgentLogin{QueueID: q.ID, UserID: u3.ID, LoggedIn: true, At: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("login of a non-member: %v", err)
	}
	// Callbacks in the order callers entered, not the order of the requests.
	late, err := s.AddCallback(ctx, store.Callback{OrgID: o.ID, QueueID: q.ID, Number: "+358401111111", Queued: t0.Add(2 * time.Minute),
		Expires: t0.Add(4 * time.Hour), UpdatedAt: t0.Add(3 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	early, err := s.AddCallback(ctx, store.Callback{OrgID: o.ID, QueueID: q.ID, Number: "+358402222222", Name: "Kalle", Queued: t0,
		Expires: t0.Add(4 * time.Hour), UpdatedAt: t0.Add(4 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	done, err := s.AddCallback(ctx, store.Callback{OrgID: o.ID, QueueID: q.ID, Number: "+358403333333", Queued: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	done.State, done.Attempts, done.UpdatedAt = store.CallbackDone, 1, t0.Add(5*time.Minute)
	if err := s.UpdateCallback(ctx, done); err != nil {
		t.Fatal(err)
	}
	late.State, late.Attempts, late.UpdatedAt = store.CallbackCalling, 1, t0.Add(6*time.Minute)
	if err := s.UpdateCallback(ctx, late); err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.QueueCall{
		{OrgID: o.ID, QueueID: q.ID, Caller: "+358401111111", AgentID: u1.ID, Entered: t0, Answered: t0.Add(20 * time.Second), Ended: t0.Add(3 * time.Minute), Outcome: "answered"},
		{OrgID: o.ID, QueueID: q.ID, Caller: "+358402222222", Entered: t0.Add(time.Hour), Ended: t0.Add(time.Hour + time.Minute), Outcome: "abandoned"},
	} {
		if _, err := s.AddQueueCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	logins, err := s2.AgentLogins(ctx, o.ID)
	want := []store.AgentLogin{{QueueID: q.ID, UserID: u1.ID, LoggedIn: true, At: t0}, {QueueID: q.ID, UserID: u2.ID, LoggedIn: false, At: t0.Add(time.Minute)}}
	if err != nil || !reflect.DeepEqual(logins, want) {
		t.Fatalf("AgentLogins after restart = %+v, %v\nwant %+v", logins, err, want)
	}
	open, err := s2.OpenCallbacks(ctx)
	if err != nil || len(open) != 2 {
		t.Fatalf("OpenCallbacks = %+v, %v", open, err)
	}
	early.State = store.CallbackWaiting
	if !reflect.DeepEqual(open[0], early) || !reflect.DeepEqual(open[1], late) {
		t.Fatalf("OpenCallbacks order/content = %+v\nwant %+v, %+v", open, early, late)
	}
	calls, err := s2.QueueCalls(ctx, o.ID, q.ID, t0.Add(time.Minute))
	if err != nil || len(calls) != 1 || calls[0].Outcome != "abandoned" || calls[0].AgentID != 0 || !calls[0].Answered.IsZero() {
		t.Fatalf("QueueCalls since = %+v, %v", calls, err)
	}
	calls, _ = s2.QueueCalls(ctx, o.ID, q.ID, time.Time{})
	if len(calls) != 2 || calls[0].AgentID != u1.ID || !calls[0].Answered.Equal(t0.Add(20*time.Second)) {
		t.Fatalf("QueueCalls all = %+v", calls)
	}
	// Removing a member from the queue ends their login; deleting the queue everything.
	qq, _ := s2.Queue(ctx, o.ID, q.ID)
	qq.Members = qq.Members[1:]
	if err := s2.UpdateQueue(ctx, qq); err != nil {
		t.Fatal(err)
	}
	if logins, _ := s2.AgentLogins(ctx, o.ID); len(logins) != 1 || logins[0].UserID != u2.ID {
		t.Fatalf("logins after removing member = %+v", logins)
	}
	if err := s2.DeleteQueue(ctx, o.ID, q.ID); err != nil {
		t.Fatal(err)
	}
	if open, _ := s2.OpenCallbacks(ctx); len(open) != 0 {
		t.Fatalf("callbacks of a deleted queue = %+v", open)
	}
	if logins, _ := s2.AgentLogins(ctx, o.ID); len(logins) != 0 {
		t.Fatalf("logins of a deleted queue = %+v", logins)
	}
}

func TestDeletedUserLeavesGroups(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, u1 := seed(t, s)
	u2 := addUser(t, s, o.ID, "1002")
	q, err := s.CreateQueue(ctx, store.Queue{OrgID: o.ID, Name: "Q", Number: "8000",
		Members: []store.QueueMember{{UserID: u1.ID}, {UserID: u2.ID}}, Supervisors: []int64{u2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.CreateHuntGroup(ctx, store.HuntGroup{OrgID: o.ID, Name: "H", Number: "8001", Members: []int64{u2.ID, u1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutAgentLogin(ctx, o.ID, store.AgentLogin{QueueID: q.ID, UserID: u2.ID, LoggedIn: true, At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, o.ID, u2.ID); err != nil {
		t.Fatal(err)
	}
	q, _ = s.Queue(ctx, o.ID, q.ID)
	h, _ = s.HuntGroup(ctx, o.ID, h.ID)
	if len(q.Members) != 1 || q.Members[0].UserID != u1.ID || len(q.Supervisors) != 0 || !reflect.DeepEqual(h.Members, []int64{u1.ID}) {
		t.Fatalf("after deleting a member: queue %+v, hunt %+v", q, h)
	}
	if logins, _ := s.AgentLogins(ctx, o.ID); len(logins) != 0 {
		t.Fatalf("logins of a deleted user = %+v", logins)
	}
}
