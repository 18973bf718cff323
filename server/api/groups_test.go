package api

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// acmeAgents gives acme licences and the roles: 2001 supervisor, 2002 and 2003 agents.
func (a *adminEnv) acmeAgents(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	a.acme.AgentLicences, a.acme.SupervisorLicences = 5, 2
	if err := a.st.UpdateOrg(ctx, a.acme); err != nil {
		t.Fatal(err)
	}
	for ext, set := range map[string]func(*store.User){
		"2001": func(u *store.User) { u.Supervisor = true },
		"2002": func(u *store.User) { u.Agent = true },
		"2003": func(u *store.User) { u.Agent = true },
	} {
		u := a.acmeUsers[ext]
		set(&u)
		if err := a.st.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		a.acmeUsers[ext] = u
	}
}

func (a *adminEnv) fullQueueBody() shared.AdminQueue {
	return shared.AdminQueue{
		Name: "Tuki", Number: "8000", BillingID: "B-7", HideFromDirectory: true, PresentNumber: true,
		Show: "caller-affix", Affix: "1*", AffixSuffix: true,
		MaxWaitSec: 300, MaxWaitTarget: "2001", MaxQueued: 10, RushReopen: 7, RushMaxWaitSec: 120, RushTarget: "voicemail:2001",
		MaxRingAttempts: 2, NoAnswerTarget: "040 123 4567", NoAgentsTarget: "voicemail:2002", NoAgentsIfNoneFree: true,
		RedStops: true, LongestIdle: true, Devices: []string{"softphone", "mobile"}, RingAtOnce: 2, WrapUpSec: 20,
		RingTimeSec: 15, AutoLogoutAfter: 2, EntryPrompt: "entry", Music: "music1", ProgressPrompt: "still",
		ProgressEverySec: 30, RingbackOnConnect: true, SayPosition: true, SayEstimate: true,
		Callback: true, CallbackRingTimeSec: 25, CallbackAttempts: 2, CallbackValiditySec: 7200, CallbackText: "Soita takaisin",
		CallbackAgentPrompt: "cb-agent", CallbackOfferPrompt: "cb-offer", OfferAfterOpenSec: 1440 * 60, OfferQueuedOver: 3,
		OfferLongestOverSec: 120, OfferEstimateOverSec: 240, StopBeforeCloseSec: 900,
		Hours:       &shared.GroupHours{Days: []int{1, 2, 3, 4, 5}, Start: "08:00", End: "16:30"},
		NightManual: true, NightTarget: "voicemail:2001",
		Members:     []shared.GroupMember{{UserID: a.acmeUsers["2002"].ID, Order: 1, Skill: 1}, {Extension: "2003"}},
		Supervisors: []shared.GroupMember{{UserID: a.acmeUsers["2001"].ID}},
	}
}

func TestAdminQueueLifecycle(t *testing.T) {
	a := newAdminEnv(t)
	a.acmeAgents(t)
	in := a.fullQueueBody()
	var q shared.AdminQueue
	code, body := a.do(t, "POST", "/api/admin/queues", a.acmeAdmin, in)
	if code != 201 || json.Unmarshal(body, &q) != nil || q.ID == 0 {
		t.Fatalf("create: %d %s", code, body)
	}
	// Answered normalised: the outside number in E.164, the member by extension resolved,
	// the unset skill 3, extensions and names shown.
	want := in
	want.ID, want.NoAnswerTarget = q.ID, "+358401234567"
	want.Members = []shared.GroupMember{
		{UserID: a.acmeUsers["2002"].ID, Extension: "2002", Name: "Acme 2002", Order: 1, Skill: 1},
		{UserID: a.acmeUsers["2003"].ID, Extension: "2003", Name: "Acme 2003", Skill: 3},
	}
	want.Supervisors = []shared.GroupMember{{UserID: a.acmeUsers["2001"].ID, Extension: "2001", Name: "Acme 2001"}}
	want.Hours.Outside = ""
	if !reflect.DeepEqual(q, want) {
		t.Fatalf("created\n%+v\nwant\n%+v", q, want)
	}
	var got shared.AdminQueue
	code, body = a.do(t, "GET", fmt.Sprintf("/api/admin/queues/%d", q.ID), a.acmeAdmin, nil)
	if code != 200 || json.Unmarshal(body, &got) != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("get: %d %s", code, body)
	}
	// The store holds every setting as given.
	sq, err := a.st.Queue(context.Background(), a.acme.ID, q.ID)
	if err != nil || sq.OfferAfterOpen.Minutes() != 1440 || sq.RingTime.Seconds() != 15 || !sq.Devices.Softphone || sq.Devices.Desk {
		t.Fatalf("stored %+v, %v", sq, err)
	}
	// PUT replaces: one member less, other ring time.
	got.RingTimeSec, got.Members = 25, got.Members[:1]
	code, body = a.do(t, "PUT", fmt.Sprintf("/api/admin/queues/%d", q.ID), a.acmeAdmin, got)
	if code != 200 || json.Unmarshal(body, &q) != nil || q.RingTimeSec != 25 || len(q.Members) != 1 {
		t.Fatalf("update: %d %s", code, body)
	}
	var list shared.AdminQueueList
	code, body = a.do(t, "GET", "/api/admin/queues", a.acmeAdmin, nil)
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list.Queues) != 1 || list.Queues[0].RingTimeSec != 25 {
		t.Fatalf("list: %d %s", code, body)
	}
	code, body = a.do(t, "DELETE", fmt.Sprintf("/api/admin/queues/%d", q.ID), a.acmeAdmin, nil)
	if code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
	code, body = a.do(t, "GET", fmt.Sprintf("/api/admin/queues/%d", q.ID), a.acmeAdmin, nil)
	wantError(t, "get deleted", code, body, 404, "no such queue")
	// Audit: create, update (only what changed), delete, by 2001.
	var actions []string
	for _, e := range a.auditOf(t, a.acme.ID) {
		if strings.HasPrefix(e.Action, "queue.") {
			actions = append(actions, e.Action)
			if e.Actor != "2001" || e.Target != "queue 8000" {
				t.Errorf("audit %+v", e)
			}
			if e.Action == "queue.update" && (e.Old != "ring_time=15s; members=2002:skill1:order1 2003:skill3:order0" ||
				e.New != "ring_time=25s; members=2002:skill1:order1") {
				t.Errorf("update audit old %q new %q", e.Old, e.New)
			}
		}
	}
	if strings.Join(actions, ",") != "queue.delete,queue.update,queue.create" {
		t.Errorf("audit actions %v", actions)
	}
}

func TestAdminQueueValidation(t *testing.T) {
	a := newAdminEnv(t)
	a.acmeAgents(t)
	ctx := context.Background()
	if err := a.st.PutDID(ctx, store.DID{OrgID: a.acme.ID, Number: "+358201234500"}); err != nil {
		t.Fatal(err)
	}
	if err := a.st.PutDID(ctx, store.DID{OrgID: a.acme.ID, Number: "+358201234501", Extension: "2001"}); err != nil {
		t.Fatal(err)
	}
	code, body := a.do(t, "POST", "/api/admin/queues", a.acmeAdmin, shared.AdminQueue{Name: "Taken", Number: "8010"})
	if code != 201 {
		t.Fatalf("first queue: %d %s", code, body)
	}
	tests := []struct {
		name   string
		change func(*shared.AdminQueue)
		code   int
		text   string
	}{
		{"a DID of the pool in national form", func(q *shared.AdminQueue) { q.Number = "020 1234 500" }, 201, ""},
		{"no name", func(q *shared.AdminQueue) { q.Name = " " }, 400, "name is empty"},
		{"number taken by a queue", func(q *shared.AdminQueue) { q.Number = "8010" }, 409, `already the queue "Taken"`},
		{"a user's extension", func(q *shared.AdminQueue) { q.Number = "2001" }, 400, "test number"},
		{"not a test number", func(q *shared.AdminQueue) { q.Number = "8100" }, 400, "test number"},
		{"DID routed to a user", func(q *shared.AdminQueue) { q.Number = "+358201234501" }, 409, "routed to extension 2001"},
		{"DID not in the pool", func(q *shared.AdminQueue) { q.Number = "+358201234599" }, 409, "not in the organisation's number pool"},
		{"member without the agent role", func(q *shared.AdminQueue) { q.Members = []shared.GroupMember{{Extension: "2001"}} }, 409, "agent role"},
		{"supervisor without the role", func(q *shared.AdminQueue) { q.Supervisors = []shared.GroupMember{{Extension: "2002"}} }, 409, "supervisor role"},
		{"member of another organisation", func(q *shared.AdminQueue) { q.Members = []shared.GroupMember{{UserID: a.accts["1004"].ID}} }, 400, "not a user"},
		{"member twice", func(q *shared.AdminQueue) {
			q.Members = []shared.GroupMember{{Extension: "2002"}, {UserID: a.acmeUsers["2002"].ID}}
		}, 400, "twice"},
		{"unknown member extension", func(q *shared.AdminQueue) { q.Members = []shared.GroupMember{{Extension: "2999"}} }, 400, "2999"},
		{"skill 4", func(q *shared.AdminQueue) { q.Members = []shared.GroupMember{{Extension: "2002", Skill: 4}} }, 400, "skill"},
		{"skill -1", func(q *shared.AdminQueue) { q.Members = []shared.GroupMember{{Extension: "2002", Skill: -1}} }, 400, "skill"},
		{"negative wait", func(q *shared.AdminQueue) { q.MaxWaitSec = -1 }, 400, "maximum wait"},
		{"offer after open over 1440 min", func(q *shared.AdminQueue) { q.OfferAfterOpenSec = 1441 * 60 }, 400, "offer callback after open"},
		{"huge ring time", func(q *shared.AdminQueue) { q.RingTimeSec = 1 << 40 }, 400, "ring time"},
		{"rush reopen above max", func(q *shared.AdminQueue) { q.MaxQueued, q.RushReopen = 5, 5 }, 400, "rush reopen"},
		{"overflow to nowhere", func(q *shared.AdminQueue) { q.NoAgentsTarget = "2999" }, 400, "no user, group or menu"},
		{"overflow to itself", func(q *shared.AdminQueue) { q.NoAgentsTarget = q.Number }, 400, "own number"},
		{"overflow to unknown voicemail", func(q *shared.AdminQueue) { q.NightTarget = "voicemail:2999" }, 400, "voicemail"},
		{"overflow to an emergency number", func(q *shared.AdminQueue) { q.RushTarget = "112" }, 400, "emergency"},
		{"overflow to another queue", func(q *shared.AdminQueue) { q.RushTarget = "8010" }, 201, ""},
		{"bad show", func(q *shared.AdminQueue) { q.Show = "both" }, 400, "show"},
		{"affix without caller-affix", func(q *shared.AdminQueue) { q.Affix = "1*" }, 400, "affix"},
		{"bad device", func(q *shared.AdminQueue) { q.Devices = []string{"fax"} }, 400, "device"},
		{"bad hours", func(q *shared.AdminQueue) { q.Hours = &shared.GroupHours{Days: []int{1}, Start: "17:00", End: "08:00"} }, 400, "end must be after"},
		{"bad hours day", func(q *shared.AdminQueue) { q.Hours = &shared.GroupHours{Days: []int{7}, Start: "08:00", End: "16:00"} }, 400, "day 7"},
		{"callback defaults", func(q *shared.AdminQueue) { q.Callback = true }, 201, ""},
	}
	for i, tc := range tests {
		q := shared.AdminQueue{Name: "Q", Number: fmt.Sprintf("80%02d", 20+i)}
		tc.change(&q)
		before := a.snapshot(t, a.acme.ID)
		code, body := a.do(t, "POST", "/api/admin/queues", a.acmeAdmin, q)
		if tc.code != 201 {
			wantError(t, tc.name, code, body, tc.code, tc.text)
			if a.snapshot(t, a.acme.ID) != before {
				t.Fatalf("%s: refused but changed something", tc.name)
			}
			continue
		}
		var got shared.AdminQueue
		if code != 201 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("%s: %d %s", tc.name, code, body)
		}
		if tc.name == "callback defaults" && (got.CallbackRingTimeSec != 30 || got.CallbackAttempts != 3 || got.CallbackValiditySec != 4*3600) {
			t.Errorf("callback defaults %+v", got)
		}
		if tc.name == "a DID of the pool in national form" && got.Number != "+358201234500" {
			t.Errorf("DID answered as %q", got.Number)
		}
	}
	// A group's DID can be neither routed to a user nor removed from the pool; a user cannot
	// take a group's number as extension.
	code, body = a.do(t, "PUT", "/api/admin/dids/+358201234500", a.acmeAdmin, shared.DIDUpdate{Extension: "2001"})
	wantError(t, "route a group's DID", code, body, 409, "group's number")
	code, body = a.do(t, "DELETE", "/api/admin/dids/+358201234500", a.acmeAdmin, nil)
	wantError(t, "delete a group's DID", code, body, 409, "group's number")
	code, body = a.do(t, "POST", "/api/admin/users", a.acmeAdmin, shared.AdminUserCreate{
		AdminUser: shared.AdminUser{Extension: "8010", Name: "Numbered"}, Password: goodPassword})
	wantError(t, "user on a group's number", code, body, 409, "in use")
}

func TestAdminHuntGroupAndMenu(t *testing.T) {
	a := newAdminEnv(t)
	a.acmeAgents(t)
	var h shared.AdminHuntGroup
	code, body := a.do(t, "POST", "/api/admin/hunt-groups", a.acmeAdmin, shared.AdminHuntGroup{Name: "Myynti", Number: "8001",
		Members: []shared.GroupMember{{Extension: "2003"}, {Extension: "2001"}}, RingTimeSec: 20, StopActivities: []int{3},
		StopRed: true, Attempts: 2, AfterTarget: "voicemail:2001", Devices: []string{"desk"}})
	if code != 201 || json.Unmarshal(body, &h) != nil || h.Mode != "parallel" || len(h.Members) != 2 || h.Members[0].Extension != "2003" {
		t.Fatalf("create hunt: %d %s", code, body)
	}
	for _, tc := range []struct {
		name string
		body shared.AdminHuntGroup
		code int
		text string
	}{
		{"bad mode", shared.AdminHuntGroup{Name: "H", Number: "8002", Mode: "broadcast"}, 400, "mode"},
		{"stranger", shared.AdminHuntGroup{Name: "H", Number: "8002", Members: []shared.GroupMember{{UserID: a.accts["1007"].ID}}}, 400, "not a user"},
		{"bad activity", shared.AdminHuntGroup{Name: "H", Number: "8002", StopActivities: []int{-1}}, 400, "activity"},
		{"taken", shared.AdminHuntGroup{Name: "H", Number: "8001"}, 409, "hunt group"},
	} {
		code, body := a.do(t, "POST", "/api/admin/hunt-groups", a.acmeAdmin, tc.body)
		wantError(t, tc.name, code, body, tc.code, tc.text)
	}
	h.Mode = "serial"
	code, body = a.do(t, "PUT", fmt.Sprintf("/api/admin/hunt-groups/%d", h.ID), a.acmeAdmin, h)
	if code != 200 || !strings.Contains(string(body), `"mode":"serial"`) {
		t.Fatalf("update hunt: %d %s", code, body)
	}

	var m shared.AdminMenu
	code, body = a.do(t, "POST", "/api/admin/menus", a.acmeAdmin, shared.AdminMenu{Name: "Päävalikko", Number: "8020",
		Options: map[string]string{"1": "8001", "2": "2001", "#": "8020", "0": "voicemail:2001"}, TimeoutSec: 8})
	if code != 201 || json.Unmarshal(body, &m) != nil || m.Options["#"] != "" || m.Options["1"] != "8001" {
		t.Fatalf("create menu: %d %s", code, body)
	}
	for _, tc := range []struct {
		name string
		opts map[string]string
		sec  int
		text string
	}{
		{"key A", map[string]string{"A": "2001"}, 0, "menu key"},
		{"key 12", map[string]string{"12": "2001"}, 0, "menu key"},
		{"nowhere", map[string]string{"1": "2999"}, 0, "no user, group or menu"},
		{"timeout", nil, 61, "timeout"},
	} {
		code, body := a.do(t, "POST", "/api/admin/menus", a.acmeAdmin, shared.AdminMenu{Name: "M", Number: "8021", Options: tc.opts, TimeoutSec: tc.sec})
		wantError(t, tc.name, code, body, 400, tc.text)
	}
	code, body = a.do(t, "DELETE", fmt.Sprintf("/api/admin/hunt-groups/%d", h.ID), a.acmeAdmin, nil)
	if code != 204 {
		t.Fatalf("delete hunt: %d %s", code, body)
	}
	code, body = a.do(t, "DELETE", fmt.Sprintf("/api/admin/menus/%d", m.ID), a.acmeAdmin, nil)
	if code != 204 {
		t.Fatalf("delete menu: %d %s", code, body)
	}
	// A menu ID is no hunt group.
	code, body = a.do(t, "GET", fmt.Sprintf("/api/admin/hunt-groups/%d", m.ID), a.acmeAdmin, nil)
	wantError(t, "menu as hunt group", code, body, 404, "no such hunt group")
	var n int
	for _, e := range a.auditOf(t, a.acme.ID) {
		if strings.HasPrefix(e.Action, "hunt.") || strings.HasPrefix(e.Action, "menu.") {
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d hunt/menu audit entries, want 5", n)
	}
}
