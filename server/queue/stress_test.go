package queue

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// Many callers, a few agents, offers answered or not at random: no agent is ever offered two
// calls at once or a call while in one, and every caller is served.
func TestManyCallersNoDoubleBooking(t *testing.T) {
	const callers, agents = 40, 5
	var ms []store.QueueMember
	for a := range agents {
		ms = append(ms, skill(int64(101+a), 1+a%3))
	}
	h := newHarness(t, []store.Queue{{ID: 1, Name: "A", Number: "8000", LongestIdle: true, RingAtOnce: 2, Members: ms}})
	for a := range agents {
		h.e.PhoneState(int64(101+a), true)
	}
	var cs []*caller
	for i := range callers {
		cs = append(cs, h.call(1, fmt.Sprintf("+3584000%04d", i)))
		h.parked(1, i+1)
		h.clock.Advance(time.Second)
	}
	for a := range agents {
		h.e.PhoneState(int64(101+a), false)
	}
	r := rand.New(rand.NewPCG(10, 10))
	busy := map[int64]string{} // agent → what it is doing
	served := 0
	for served < callers {
		req := h.nextRing()
		for _, u := range req.r.Users {
			if what, ok := busy[u]; ok {
				t.Fatalf("agent %d offered %s while %s", u, req.caller.number, what)
			}
		}
		if r.IntN(5) == 0 {
			req.fail(mediaapp.ErrNoAnswer)
			continue
		}
		u := req.r.Users[r.IntN(len(req.r.Users))]
		busy[u] = "talking to " + req.caller.number
		end := req.answer(h, u)
		if err := req.caller.wait(t); err != nil {
			t.Fatal(err)
		}
		served++
		delete(busy, u)
		end()
	}
	for _, c := range cs {
		select {
		case <-c.done:
			t.Fatalf("%s: flow result read twice?", c.number)
		default:
		}
	}
	st, _ := h.e.Stats(t.Context(), testOrg, 1, t0)
	h.eventually("all answered written", func() bool {
		st, _ = h.e.Stats(t.Context(), testOrg, 1, t0)
		return st.Answered == callers
	})
	if st.Waiting != 0 || st.Abandoned != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Load after an administrator's change keeps waiting callers and agent state, and applies the
// new settings and members.
func TestReloadKeepsState(t *testing.T) {
	q := store.Queue{ID: 1, OrgID: testOrg, Name: "A", Number: "8000", Members: members(skill(101, 1), skill(102, 2))}
	h := newHarness(t, []store.Queue{q})
	h.e.PhoneState(101, true)
	h.e.PhoneState(102, true)
	c := h.call(1, "+358401111111")
	h.parked(1, 1)
	if _, err := h.e.Pause(t.Context(), testOrg, 102, "coffee"); err != nil {
		t.Fatal(err)
	}
	// 101 leaves the queue, 103 joins with skill 1, and the queue is renamed.
	q.Name = "B"
	q.Members = members(skill(102, 2), skill(103, 1))
	h.dir.users[103] = store.User{ID: 103, OrgID: testOrg, Name: "Agent 103", Agent: true}
	h.st.queues[1] = q
	if err := h.e.Load(t.Context(), testOrg); err != nil {
		t.Fatal(err)
	}
	h.parked(1, 1)
	v, _ := h.e.View(t.Context(), testOrg, 101)
	if len(v.Queues) != 0 {
		t.Errorf("removed member still has %+v", v.Queues)
	}
	if v, _ := h.e.View(t.Context(), testOrg, 102); v.State != "in-call" || v.PauseReason != "coffee" {
		t.Errorf("pause lost on reload: %+v", v)
	}
	// 103 is a new member, logged out until they log in.
	if _, err := h.e.Login(t.Context(), testOrg, 103, 1, true); err != nil {
		t.Fatal(err)
	}
	r := h.nextRing()
	if r.caller != c || len(r.r.Users) != 1 || r.r.Users[0] != 103 || r.r.Group.Name != "B" {
		t.Fatalf("after reload rang %v for %s in %q", r.r.Users, r.caller.number, r.r.Group.Name)
	}
	c.hangup()
	c.wait(t)
}
