package queue

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// Each case rings one waiting caller through to agents, each offer left unanswered, and checks
// who rings in which order (GRP-3, GRP-4).
func TestDistributionOrder(t *testing.T) {
	tests := []struct {
		name  string
		q     store.Queue
		opts  []opt
		setup func(h *harness)
		want  [][]int64 // the Users of each successive ring
	}{
		{
			name: "skill 1 before 2 before 3, then around again",
			q:    store.Queue{Members: members(skill(101, 3), skill(102, 1), skill(103, 2))},
			want: [][]int64{{102}, {103}, {101}, {102}},
		},
		{
			name: "skill 0 counts as 3",
			q:    store.Queue{Members: members(skill(101, 0), skill(102, 2)), LongestIdle: true},
			want: [][]int64{{102}, {101}},
		},
		{
			name: "ordered members by order, unordered last",
			q:    store.Queue{Members: members(ordered(101, 0), ordered(102, 2), ordered(103, 1)), LongestIdle: true},
			want: [][]int64{{103}, {102}, {101}},
		},
		{
			name: "skill before order",
			q:    store.Queue{Members: members(store.QueueMember{UserID: 101, Order: 1, Skill: 2}, store.QueueMember{UserID: 102, Skill: 1}), LongestIdle: true},
			want: [][]int64{{102}, {101}},
		},
		{
			name: "equal skill: longest idle first",
			q:    store.Queue{Members: members(skill(101, 2), skill(102, 2), skill(103, 2)), LongestIdle: true},
			setup: func(h *harness) {
				// Everyone on a call; 102 finishes first, then 103, then 101.
				for _, id := range []int64{101, 102, 103} {
					h.e.PhoneState(id, true)
				}
				for _, id := range []int64{102, 103, 101} {
					h.clock.Advance(time.Second)
					h.e.PhoneState(id, false)
				}
			},
			want: [][]int64{{102}, {103}, {101}},
		},
		{
			name: "equal skill without longest idle: random (injected)",
			q:    store.Queue{Members: members(skill(101, 2), skill(102, 2), skill(103, 2))},
			// Keys are drawn in user-ID order: 101→50, 102→90, 103→10: 103 first, then 101.
			opts: []opt{withRand(50, 90, 10, 5, 7)},
			want: [][]int64{{103}, {101}},
		},
		{
			name: "ring at once: the two best together",
			q:    store.Queue{Members: members(skill(101, 3), skill(102, 1), skill(103, 2)), RingAtOnce: 2},
			want: [][]int64{{102, 103}, {101}},
		},
		{
			name:  "busy agent (in any call) skipped",
			q:     store.Queue{Members: members(skill(101, 1), skill(102, 2))},
			setup: func(h *harness) { h.e.PhoneState(101, true) },
			want:  [][]int64{{102}, {102}},
		},
		{
			name:  "red presence stops calls when RedStops",
			q:     store.Queue{Members: members(skill(101, 1), skill(102, 2)), RedStops: true},
			setup: func(h *harness) { h.e.Presence(101, true) },
			want:  [][]int64{{102}, {102}},
		},
		{
			name:  "red presence ignored without RedStops",
			q:     store.Queue{Members: members(skill(101, 1), skill(102, 2))},
			setup: func(h *harness) { h.e.Presence(101, true) },
			want:  [][]int64{{101}, {102}},
		},
		{
			name: "paused agent skipped",
			q:    store.Queue{Members: members(skill(101, 1), skill(102, 2))},
			setup: func(h *harness) {
				if _, err := h.e.Pause(context.Background(), testOrg, 101, "lunch"); err != nil {
					h.t.Fatal(err)
				}
			},
			want: [][]int64{{102}, {102}},
		},
		{
			name: "logged-out agent skipped",
			q:    store.Queue{Members: members(skill(101, 1), skill(102, 2))},
			setup: func(h *harness) {
				if _, err := h.e.Login(context.Background(), testOrg, 101, 1, false); err != nil {
					h.t.Fatal(err)
				}
			},
			want: [][]int64{{102}, {102}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.ID, tt.q.Name, tt.q.Number = 1, "Asiakaspalvelu", "8000"
			h := newHarness(t, []store.Queue{tt.q}, tt.opts...)
			if tt.setup != nil {
				tt.setup(h)
			}
			c := h.call(1, "+358401111111")
			for i, want := range tt.want {
				r := h.nextRing()
				if !slices.Equal(r.r.Users, want) {
					t.Fatalf("ring %d: users %v, want %v", i+1, r.r.Users, want)
				}
				if r.r.Timeout != DefaultRingTime {
					t.Errorf("ring time %v, want %v", r.r.Timeout, DefaultRingTime)
				}
				for _, id := range want {
					if s := h.state(id); s != shared.AgentRinging {
						t.Errorf("agent %d state %s while rung", id, s)
					}
				}
				r.fail(mediaapp.ErrNoAnswer)
			}
			c.hangup()
			c.wait(t)
		})
	}
}

// What the rung agent sees and hears, what the caller hears, which devices ring (GRP-1, 4, 5).
func TestRingRequest(t *testing.T) {
	tests := []struct {
		name     string
		q        store.Queue
		shown    string
		devices  []string
		ringback bool
		ringTime time.Duration
	}{
		{name: "defaults", q: store.Queue{}, shown: "+358401111111", ringTime: 20 * time.Second},
		{name: "group number shown", q: store.Queue{Show: store.ShowGroupNumber}, shown: "8000", ringTime: 20 * time.Second},
		{name: "prefix", q: store.Queue{Show: store.ShowCallerAffix, Affix: "1*"}, shown: "1*+358401111111", ringTime: 20 * time.Second},
		{name: "suffix", q: store.Queue{Show: store.ShowCallerAffix, Affix: "*1", AffixSuffix: true}, shown: "+358401111111*1", ringTime: 20 * time.Second},
		{name: "devices and ringback and ring time", q: store.Queue{Devices: store.Devices{Mobile: true, Softphone: true}, RingbackOnConnect: true, RingTime: 12 * time.Second},
			shown: "+358401111111", devices: []string{"softphone", "mobile"}, ringback: true, ringTime: 12 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.ID, q.Name, q.Number, q.Members = 1, "Asiakaspalvelu", "8000", members(skill(101, 1))
			h := newHarness(t, []store.Queue{q})
			c := h.call(1, "+358401111111")
			r := h.nextRing()
			g := r.r.Group
			if g.Kind != "queue" || g.Name != "Asiakaspalvelu" || g.Number != "8000" || g.ID != 1 || g.Shown != tt.shown || g.Callback != "" {
				t.Errorf("group info %+v, want shown %q", g, tt.shown)
			}
			if !slices.Equal(r.r.Devices, tt.devices) {
				t.Errorf("devices %v, want %v", r.r.Devices, tt.devices)
			}
			if tt.ringback != (r.r.Hear == nil) {
				t.Errorf("hear %v, ringback wanted %v", r.r.Hear, tt.ringback)
			}
			if !tt.ringback && r.r.Hear.Name != "music/hold" {
				t.Errorf("caller hears %q while agents ring, want the hold music", r.r.Hear.Name)
			}
			if r.r.Timeout != tt.ringTime {
				t.Errorf("ring time %v, want %v", r.r.Timeout, tt.ringTime)
			}
			end := r.answer(h, 101)
			if err := c.wait(t); err != nil {
				t.Fatal(err)
			}
			h.waitState(101, shared.AgentInCall)
			v, _ := h.e.View(context.Background(), testOrg, 101)
			if v.Offer == nil || v.Offer.Caller != "+358401111111" || v.Offer.Queue != "Asiakaspalvelu" {
				t.Errorf("in-call offer %+v", v.Offer)
			}
			end()
			h.waitState(101, shared.AgentAvailable)
		})
	}
}

// Wrap-up follows each queue call and is shared across the agent's queues: the longest
// remaining wins; the agent may pause during it; never "available" meanwhile.
func TestWrapUpAcrossQueues(t *testing.T) {
	a := store.Queue{ID: 1, Name: "A", Number: "8000", WrapUp: 30 * time.Second, Members: members(skill(101, 1))}
	b := store.Queue{ID: 2, Name: "B", Number: "8001", WrapUp: 10 * time.Second, Members: members(skill(101, 1), skill(102, 3))}
	h := newHarness(t, []store.Queue{a, b})
	h.e.PhoneState(102, true) // keep 102 out of the way at first
	c1 := h.call(1, "+358401111111")
	end := h.nextRing().answer(h, 101)
	c1.wait(t)
	end()
	h.waitState(101, shared.AgentWrapUp)
	v, _ := h.e.View(context.Background(), testOrg, 101)
	if v.WrapUpUntil == nil || !v.WrapUpUntil.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("wrap-up until %v, want %v", v.WrapUpUntil, t0.Add(30*time.Second))
	}
	// A caller of queue B (wrap-up 10 s) must wait for A's 30 s.
	c2 := h.call(2, "+358402222222")
	h.parked(2, 1)
	h.clock.Advance(10 * time.Second)
	if s := h.state(101); s != shared.AgentWrapUp {
		t.Fatalf("after 10 s state %s, want wrap-up (queue A's 30 s wins)", s)
	}
	// Pause during wrap-up, resume after it: still no call before 30 s.
	if _, err := h.e.Pause(context.Background(), testOrg, 101, "notes"); err != nil {
		t.Fatal(err)
	}
	if s := h.state(101); s != shared.AgentPaused {
		t.Fatalf("paused in wrap-up: state %s", s)
	}
	h.clock.Advance(25 * time.Second)
	if s := h.state(101); s != shared.AgentPaused {
		t.Fatalf("wrap-up over, still paused: state %s", s)
	}
	if _, err := h.e.Resume(context.Background(), testOrg, 101); err != nil {
		t.Fatal(err)
	}
	r := h.nextRing()
	if !slices.Equal(r.r.Users, []int64{101}) {
		t.Fatalf("rang %v", r.r.Users)
	}
	end = r.answer(h, 101)
	c2.wait(t)
	// Queue B's call: 10 s of wrap-up.
	h.clock.Advance(time.Minute)
	end()
	h.waitState(101, shared.AgentWrapUp)
	v, _ = h.e.View(context.Background(), testOrg, 101)
	if want := h.clock.Now().Add(10 * time.Second); !v.WrapUpUntil.Equal(want) {
		t.Errorf("wrap-up after B's call until %v, want %v", v.WrapUpUntil, want)
	}
	h.clock.Advance(10 * time.Second)
	h.waitState(101, shared.AgentAvailable)
}

// A queue call does not reach an agent on another call, and the agent's own call state from
// the hub does not end wrap-up early.
func TestBusyAgentNeverOffered(t *testing.T) {
	q := store.Queue{ID: 1, Name: "A", Number: "8000", WrapUp: 20 * time.Second, Members: members(skill(101, 1))}
	h := newHarness(t, []store.Queue{q})
	h.e.PhoneState(101, true)
	if s := h.state(101); s != shared.AgentInCall {
		t.Fatalf("state %s, want in-call", s)
	}
	c := h.call(1, "+358401111111")
	h.parked(1, 1)
	h.e.mu.Lock()
	offered := h.e.orgs[testOrg].queues[1].waiting[0].offer != nil
	h.e.mu.Unlock()
	if offered {
		t.Fatal("busy agent offered a queue call")
	}
	h.e.PhoneState(101, false)
	end := h.nextRing().answer(h, 101)
	c.wait(t)
	h.e.PhoneState(101, true)
	h.e.PhoneState(101, false) // the hub's "call ended" before Done closes
	c2 := h.call(1, "+358402222222")
	h.parked(1, 1)
	end()
	h.waitState(101, shared.AgentWrapUp)
	h.clock.Advance(19 * time.Second)
	if s := h.state(101); s != shared.AgentWrapUp {
		t.Fatalf("state %s at 19 s of 20 s wrap-up", s)
	}
	h.clock.Advance(time.Second)
	h.nextRing().fail(mediaapp.ErrNoAnswer)
	c2.hangup()
	c2.wait(t)
}

// AutoLogoutAfter unanswered offers in a row log the agent out of that queue, durably; an
// answered call resets the count.
func TestAutoLogout(t *testing.T) {
	q := store.Queue{ID: 1, Name: "A", Number: "8000", AutoLogoutAfter: 2, Members: members(skill(101, 1), skill(102, 2))}
	other := store.Queue{ID: 2, Name: "B", Number: "8001", Members: members(skill(101, 1))}
	h := newHarness(t, []store.Queue{q, other})
	c := h.call(1, "+358401111111")
	want := []int64{101, 102, 101}
	for i, id := range want {
		r := h.nextRing()
		if r.r.Users[0] != id {
			t.Fatalf("ring %d to %v, want %d", i+1, r.r.Users, id)
		}
		r.fail(mediaapp.ErrNoAnswer)
	}
	// 101 missed twice in a row: logged out of queue 1, not of queue 2.
	h.eventually("auto-logout", func() bool { return !h.st.login(1, 101) })
	v, _ := h.e.View(context.Background(), testOrg, 101)
	for _, aq := range v.Queues {
		if aq.ID == 1 && aq.LoggedIn || aq.ID == 2 && !aq.LoggedIn {
			t.Errorf("after auto-logout: %+v", v.Queues)
		}
	}
	if !h.st.login(2, 101) {
		t.Error("auto-logout left queue 2 too")
	}
	// 102 has missed once; the next offer is 102 (101 is out), answered: count reset.
	r := h.nextRing()
	if !slices.Equal(r.r.Users, []int64{102}) {
		t.Fatalf("after auto-logout rang %v", r.r.Users)
	}
	end := r.answer(h, 102)
	c.wait(t)
	end()
	h.waitState(102, shared.AgentAvailable)
	c2 := h.call(1, "+358402222222")
	h.nextRing().fail(mediaapp.ErrNoAnswer)
	r = h.nextRing()
	if !slices.Equal(r.r.Users, []int64{102}) {
		t.Fatalf("rang %v", r.r.Users)
	}
	if !h.st.login(1, 102) {
		t.Fatal("102 logged out after one miss since an answered call")
	}
	r.fail(mediaapp.ErrNoAnswer)
	h.eventually("102 auto-logout", func() bool { return !h.st.login(1, 102) })
	c2.hangup()
	c2.wait(t)
}

// Only holders of the agent role log in; other organisations' users and queues are not found.
func TestLoginRoles(t *testing.T) {
	q := store.Queue{ID: 1, Name: "A", Number: "8000", Members: members(skill(101, 1), skill(102, 1)), Supervisors: []int64{103}}
	h := newHarness(t, []store.Queue{q})
	u := h.dir.users[102]
	u.Agent = false
	h.dir.users[102] = u
	h.dir.users[103] = store.User{ID: 103, OrgID: testOrg, Name: "Sup"}
	h.dir.users[201] = store.User{ID: 201, OrgID: 2, Name: "Other", Agent: true}
	if err := h.e.Load(context.Background(), testOrg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := h.e.Login(ctx, testOrg, 102, 1, false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Login(ctx, testOrg, 102, 1, true); !errorsIs(err, ErrNotAgent) {
		t.Errorf("non-agent login: %v", err)
	}
	if _, err := h.e.Login(ctx, testOrg, 103, 1, true); !errorsIs(err, ErrNotMember) {
		t.Errorf("non-member login: %v", err)
	}
	if _, err := h.e.Login(ctx, testOrg, 101, 99, true); !errorsIs(err, store.ErrNotFound) {
		t.Errorf("unknown queue: %v", err)
	}
	if _, err := h.e.View(ctx, testOrg, 201); !errorsIs(err, store.ErrNotFound) {
		t.Errorf("other org's user: %v", err)
	}
	if ok, _ := h.e.CanSupervise(ctx, testOrg, 103, 1); !ok {
		t.Error("named supervisor cannot supervise")
	}
	if ok, _ := h.e.CanSupervise(ctx, testOrg, 101, 1); ok {
		t.Error("plain agent may supervise")
	}
	v, err := h.e.View(ctx, testOrg, 103)
	if err != nil || v.State != shared.AgentLoggedOut || len(v.Queues) != 0 {
		t.Errorf("non-member view %+v %v", v, err)
	}
}
