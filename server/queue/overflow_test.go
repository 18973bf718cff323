package queue

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// No answer: ring time × MaxRingAttempts unanswered offers, then NoAnswerTarget (GRP-8).
func TestOverflowNoAnswer(t *testing.T) {
	q := store.Queue{ID: 1, Name: "A", Number: "8000", RingTime: 15 * time.Second, MaxRingAttempts: 2, NoAnswerTarget: "1099",
		Members: members(skill(101, 1), skill(102, 2))}
	h := newHarness(t, []store.Queue{q})
	c := h.call(1, "+358401111111")
	var rang time.Duration
	for i := range 2 {
		r := h.nextRing()
		if r.r.Timeout != 15*time.Second {
			t.Fatalf("ring %d timeout %v", i+1, r.r.Timeout)
		}
		rang += r.r.Timeout
		r.fail(mediaapp.ErrNoAnswer)
	}
	if got := h.nextConnect(); got.target != "1099" || got.caller != c {
		t.Fatalf("overflow to %q, want 1099", got.target)
	}
	if rang != 30*time.Second {
		t.Errorf("rang %v before overflow, want 15 s × 2", rang)
	}
	if err := c.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := h.st.outcomes(); !slices.Equal(got, []string{"overflow"}) {
		t.Errorf("outcomes %v", got)
	}
}

// Per-call maximum wait (GRP-2): waiting, and also while an agent rings.
func TestOverflowMaxWait(t *testing.T) {
	for _, ringing := range []bool{false, true} {
		name := map[bool]string{false: "waiting", true: "while ringing"}[ringing]
		t.Run(name, func(t *testing.T) {
			q := store.Queue{ID: 1, Name: "A", Number: "8000", MaxWait: time.Minute, MaxWaitTarget: "voicemail:1000",
				RingTime: 2 * time.Minute, Members: members(skill(101, 1))}
			h := newHarness(t, []store.Queue{q})
			if !ringing {
				h.e.PhoneState(101, true)
			}
			c := h.call(1, "+358401111111")
			if ringing {
				h.nextRing() // never answered: max wait cuts it short
				h.eventually("ringing", func() bool {
					h.e.mu.Lock()
					defer h.e.mu.Unlock()
					return h.e.orgs[testOrg].queues[1].waiting[0].ringStop != nil
				})
			} else {
				h.parked(1, 1)
			}
			h.clock.Advance(59 * time.Second)
			select {
			case got := <-h.connects:
				t.Fatalf("overflow to %q before max wait", got.target)
			default:
			}
			h.clock.Advance(time.Second)
			if got := h.nextConnect(); got.target != "voicemail:1000" {
				t.Fatalf("overflow to %q", got.target)
			}
			c.wait(t)
			if ringing {
				// Cut short by max wait: no miss counted against the agent.
				h.e.mu.Lock()
				missed := h.e.orgs[testOrg].queues[1].members[101].missed
				h.e.mu.Unlock()
				if missed != 0 {
					t.Errorf("agent missed %d", missed)
				}
			}
		})
	}
}

// Rush (GRP-8): closes to new calls while the length reaches MaxQueued and reopens only when
// it has fallen to RushReopen (hysteresis); also while the longest wait exceeds RushMaxWait.
func TestOverflowRushHysteresis(t *testing.T) {
	q := store.Queue{ID: 1, Name: "A", Number: "8000", MaxQueued: 3, RushReopen: 1, RushTarget: "8001", Members: members(skill(101, 1))}
	h := newHarness(t, []store.Queue{q})
	h.e.PhoneState(101, true)
	var in []*caller
	for i := range 3 {
		in = append(in, h.call(1, "+35840000000"+string(rune('1'+i))))
		h.parked(1, i+1)
	}
	rushed := func() bool {
		c := h.call(1, "+358409999999")
		res := false
		h.eventually("rush decision", func() bool {
			select {
			case got := <-h.connects:
				if got.target != "8001" {
					t.Fatalf("rush overflow to %q", got.target)
				}
				res = true
				return true
			default:
			}
			h.e.mu.Lock()
			defer h.e.mu.Unlock()
			for _, en := range h.e.orgs[testOrg].queues[1].waiting {
				if en.caller == "+358409999999" {
					return true
				}
			}
			return false
		})
		if !res {
			c.hangup()
		}
		c.wait(t)
		return res
	}
	if !rushed() {
		t.Fatal("4th caller entered a queue of MaxQueued 3")
	}
	in[0].hangup()
	in[0].wait(t)
	h.parked(1, 2)
	if !rushed() {
		t.Fatal("queue reopened at length 2, above RushReopen 1")
	}
	in[1].hangup()
	in[1].wait(t)
	h.parked(1, 1)
	if rushed() {
		t.Fatal("queue still closed at length 1 = RushReopen")
	}
	in[2].hangup()
	in[2].wait(t)

	// Longest wait over RushMaxWait closes it too, whatever the length.
	q2 := store.Queue{ID: 1, Name: "A", Number: "8000", RushMaxWait: 5 * time.Minute, RushTarget: "8001", Members: members(skill(101, 1))}
	h = newHarness(t, []store.Queue{q2})
	h.e.PhoneState(101, true)
	first := h.call(1, "+358401111111")
	h.parked(1, 1)
	h.clock.Advance(5*time.Minute + time.Second)
	if !rushed() {
		t.Fatal("not closed with the longest wait over RushMaxWait")
	}
	first.hangup()
	first.wait(t)
	if rushed() {
		t.Fatal("not reopened once the long waiter left")
	}
}

// No agents (GRP-8): nobody logged in; with NoAgentsIfNoneFree also nobody free.
func TestOverflowNoAgents(t *testing.T) {
	tests := []struct {
		name     string
		noneFree bool
		setup    func(h *harness)
		overflow bool
	}{
		{name: "nobody logged in", setup: func(h *harness) {
			h.e.Login(context.Background(), testOrg, 101, 1, false)
		}, overflow: true},
		{name: "busy agent: wait", setup: func(h *harness) { h.e.PhoneState(101, true) }},
		{name: "busy agent, none free overflows", noneFree: true, setup: func(h *harness) { h.e.PhoneState(101, true) }, overflow: true},
		{name: "free agent", noneFree: true, setup: func(h *harness) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := store.Queue{ID: 1, Name: "A", Number: "8000", NoAgentsTarget: "1000", NoAgentsIfNoneFree: tt.noneFree, Members: members(skill(101, 1))}
			h := newHarness(t, []store.Queue{q})
			tt.setup(h)
			c := h.call(1, "+358401111111")
			if tt.overflow {
				if got := h.nextConnect(); got.target != "1000" {
					t.Fatalf("overflow to %q", got.target)
				}
				c.wait(t)
				return
			}
			h.eventually("in queue", func() bool {
				st, _ := h.e.Stats(context.Background(), testOrg, 1, t0)
				return st.Waiting == 1
			})
			c.hangup()
			c.wait(t)
		})
	}
}

// Night (GRP-7, GRP-8): outside the opening hours in the organisation's time zone, or with the
// manual switch on, calls go to NightTarget; an empty target is busy.
func TestOverflowNight(t *testing.T) {
	weekdays := [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}
	hours := &store.OfficeHours{Days: weekdays, Start: 8 * 60, End: 16 * 60}
	tests := []struct {
		name   string
		at     time.Time
		manual bool
		hours  *store.OfficeHours
		target string
		night  bool
	}{
		// Helsinki is UTC+2 in December.
		{name: "before opening (07:30 Helsinki)", at: time.Date(2026, 12, 7, 5, 30, 0, 0, time.UTC), hours: hours, target: "1000", night: true},
		{name: "open (08:30 Helsinki, 06:30 UTC)", at: time.Date(2026, 12, 7, 6, 30, 0, 0, time.UTC), hours: hours, target: "1000"},
		{name: "after closing (16:00 Helsinki)", at: time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC), hours: hours, target: "1000", night: true},
		{name: "saturday", at: time.Date(2026, 12, 12, 10, 0, 0, 0, time.UTC), hours: hours, target: "1000", night: true},
		{name: "manual night during hours", at: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), hours: hours, manual: true, target: "1000", night: true},
		{name: "manual night without hours", at: t0, manual: true, target: "1000", night: true},
		{name: "manual night to busy", at: t0, manual: true, night: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := store.Queue{ID: 1, Name: "A", Number: "8000", Hours: tt.hours, NightManual: tt.manual, NightTarget: tt.target, Members: members(skill(101, 1))}
			h := newHarness(t, []store.Queue{q})
			h.clock.Advance(tt.at.Sub(t0))
			c := h.call(1, "+358401111111")
			if !tt.night {
				h.nextRing()
				c.hangup()
				c.wait(t)
				return
			}
			if tt.target == "" {
				c.wait(t)
				if p := c.ch.Played(); !slices.Equal(p, []string{"tone/busy"}) || !c.ch.HungUp() {
					t.Fatalf("night to busy: played %v, hung up %v", p, c.ch.HungUp())
				}
				return
			}
			if got := h.nextConnect(); got.target != tt.target {
				t.Fatalf("night overflow to %q", got.target)
			}
			c.wait(t)
			st, _ := h.e.Stats(context.Background(), testOrg, 1, t0)
			if !st.Night {
				t.Error("stats do not show night")
			}
		})
	}
}
