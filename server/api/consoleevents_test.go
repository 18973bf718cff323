package api

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	shared "github.com/vaihde/vaihde/shared/api"
)

// TestConsoleEventsReachOnlyTheirAudience: "parked" events go to every user of the
// organisation whose calls are parked; "campon" events to the colleague the callers wait for
// and to the organisation's operators; neither ever reaches another organisation (ORG-1), not
// even a user whose ID is named.
func TestConsoleEventsReachOnlyTheirAudience(t *testing.T) {
	a := newAdminEnv(t)
	ctx := context.Background()
	a.s.deps.Parked = fakeParked{
		a.demo.ID: {{Slot: 1, Number: "+358401112222", ParkedBy: "1009", Retrieve: "9891"}},
		a.acme.ID: {{Slot: 1, Number: "+358409998888", ParkedBy: "2001", Retrieve: "9891"}, {Slot: 2, Number: "2003", Retrieve: "9892"}},
	}
	acmeOp := a.acmeUsers["2002"]
	acmeOp.Operator = true
	if err := a.st.UpdateUser(ctx, acmeOp); err != nil {
		t.Fatal(err)
	}
	if !a.accts["1009"].Operator {
		t.Fatal("demo's 1009 is no operator")
	}
	type viewer struct {
		name, token   string
		userID, orgID int64
		ch            <-chan sseEvent
	}
	colleague := a.accts["1004"]
	viewers := []*viewer{
		{name: "operator 1009", token: a.login(t, "1009"), userID: a.accts["1009"].ID, orgID: a.demo.ID},
		{name: "colleague 1004", token: a.login(t, "1004"), userID: colleague.ID, orgID: a.demo.ID},
		{name: "admin 1001", token: a.demoAdmin, userID: a.accts["1001"].ID, orgID: a.demo.ID},
		{name: "acme operator 2002", token: a.token(t, acmeOp.ID), userID: acmeOp.ID, orgID: a.acme.ID},
		{name: "acme user 2003", token: a.acmeUser, userID: a.acmeUsers["2003"].ID, orgID: a.acme.ID},
	}
	for _, v := range viewers {
		ch, res := a.openStream(t, v.token)
		if res.StatusCode != 200 {
			t.Fatalf("%s stream: %d", v.name, res.StatusCode)
		}
		waitEvent(t, ch, 5*time.Second, "hello", func(e sseEvent, _ shared.Event) bool { return e.typ == "hello" })
		v.ch = ch
	}
	a.s.ParkedChanged(a.demo.ID)
	a.s.CampOnChanged(a.demo.ID, colleague.ID, 2)
	// Demo's user ID in acme's event, and acme's user ID in demo's, reach no one named.
	a.s.CampOnChanged(a.acme.ID, colleague.ID, 7)
	a.s.CampOnChanged(a.demo.ID, a.acmeUsers["2003"].ID, 9)
	a.s.ParkedChanged(a.acme.ID)
	// A marker for each viewer, last: everything before it was delivered already.
	for _, v := range viewers {
		a.s.streams.publish(v.orgID, v.userID, shared.Event{Type: shared.EventAgent, Agent: &shared.AgentView{UserID: v.userID, State: "marker"}})
	}
	demoCampOn := fmt.Sprintf("campon %d 2", colleague.ID)
	acmeCampOn := fmt.Sprintf("campon %d 7", colleague.ID)
	strayCampOn := fmt.Sprintf("campon %d 9", a.acmeUsers["2003"].ID)
	wantGot := map[string][]string{
		"operator 1009":      {"parked +358401112222", demoCampOn, strayCampOn},
		"colleague 1004":     {"parked +358401112222", demoCampOn},
		"admin 1001":         {"parked +358401112222"},
		"acme operator 2002": {acmeCampOn, "parked +358409998888 2003"},
		"acme user 2003":     {"parked +358409998888 2003"},
	}
	for _, v := range viewers {
		var got []string
		waitEvent(t, v.ch, 5*time.Second, v.name+" marker", func(e sseEvent, ev shared.Event) bool {
			switch e.typ {
			case shared.EventParked:
				s := "parked"
				for _, p := range ev.Parked.Parked {
					s += " " + p.Number
				}
				got = append(got, s)
			case shared.EventCampOn:
				got = append(got, fmt.Sprintf("campon %d %d", ev.CampOn.UserID, ev.CampOn.Waiting))
			}
			return e.typ == shared.EventAgent && ev.Agent.State == "marker"
		})
		if !slices.Equal(got, wantGot[v.name]) {
			t.Errorf("%s got %q, want %q", v.name, got, wantGot[v.name])
		}
	}
}

// Without call park the "parked" event is never sent; an emptied park sends an empty list
// (not null), so the console clears it.
func TestParkedEventEmptyList(t *testing.T) {
	a := newAdminEnv(t)
	ch, res := a.openStream(t, a.demoUser)
	if res.StatusCode != 200 {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	waitEvent(t, ch, 5*time.Second, "hello", func(e sseEvent, _ shared.Event) bool { return e.typ == "hello" })
	a.s.ParkedChanged(a.demo.ID) // no park: nothing
	a.s.deps.Parked = fakeParked{}
	a.s.ParkedChanged(a.demo.ID)
	ev := waitEvent(t, ch, 5*time.Second, "parked", func(e sseEvent, _ shared.Event) bool { return e.typ != "" })
	if ev.Type != shared.EventParked || ev.Parked == nil || ev.Parked.Parked == nil || len(ev.Parked.Parked) != 0 {
		t.Fatalf("first event %+v, want an empty parked list", ev)
	}
}

// fakeCampOns counts camp-on waiters by user.
type fakeCampOns map[int64]int

func (f fakeCampOns) WaitingCount(userID int64) int { return f[userID] }

// A stream begins, right after "hello", with the callers camped on its user when there are
// any, so a Softphone that logs in or reconnects while they wait shows them.
func TestStreamStartsWithCampOnWaiters(t *testing.T) {
	a := newAdminEnv(t)
	colleague := a.accts["1004"]
	a.s.deps.CampOns = fakeCampOns{colleague.ID: 2}
	for _, tc := range []struct {
		ext   string
		token string
		want  string
	}{
		{"1004", a.login(t, "1004"), fmt.Sprintf("campon %d 2", colleague.ID)},
		{"1002", a.demoUser, "agent marker"},
	} {
		ch, res := a.openStream(t, tc.token)
		if res.StatusCode != 200 {
			t.Fatalf("%s stream: %d", tc.ext, res.StatusCode)
		}
		waitEvent(t, ch, 5*time.Second, "hello", func(e sseEvent, _ shared.Event) bool { return e.typ == "hello" })
		id := a.accts[tc.ext].ID
		a.s.streams.publish(a.demo.ID, id, shared.Event{Type: shared.EventAgent, Agent: &shared.AgentView{UserID: id, State: "marker"}})
		ev := waitEvent(t, ch, 5*time.Second, tc.ext+" first event", func(e sseEvent, _ shared.Event) bool { return e.typ != "" })
		got := "agent " + func() string {
			if ev.Agent != nil {
				return ev.Agent.State
			}
			return ""
		}()
		if ev.CampOn != nil {
			got = fmt.Sprintf("campon %d %d", ev.CampOn.UserID, ev.CampOn.Waiting)
		}
		if got != tc.want {
			t.Errorf("%s: first event after hello %q, want %q", tc.ext, got, tc.want)
		}
	}
}
