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

func callbackQueue() store.Queue {
	return store.Queue{ID: 1, Name: "Asiakaspalvelu", Number: "8000", Callback: true, CallbackRingTime: 30 * time.Second,
		CallbackAttempts: 2, CallbackValidity: 2 * time.Hour, CallbackText: "Takaisinsoittopyyntö",
		Members: members(skill(101, 1))}
}

// waitOutcome waits until the caller's flow is either parked in the music (false) or ended
// (true).
func (h *harness) settle(c *caller) (ended bool) {
	h.t.Helper()
	h.eventually("caller settled", func() bool {
		select {
		case err := <-c.done:
			c.done <- err
			ended = true
			return true
		default:
		}
		h.e.mu.Lock()
		defer h.e.mu.Unlock()
		for _, q := range h.e.orgs[testOrg].queues {
			for _, en := range q.waiting {
				if en.cb == nil && en.caller == c.number && en.wake != nil {
					return true
				}
			}
		}
		return false
	})
	return ended
}

// Every offer condition of GRP-6, each on its own.
func TestCallbackOfferConditions(t *testing.T) {
	weekdays := [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}
	tests := []struct {
		name   string
		q      func(q *store.Queue)
		opts   []opt
		before func(h *harness) // other callers, time passing
		number string
		offer  bool
	}{
		{name: "on, no conditions", offer: true},
		{name: "callback off", q: func(q *store.Queue) { q.Callback = false }},
		{name: "ring time 0 means off", q: func(q *store.Queue) { q.CallbackRingTime = 0 }},
		{name: "attempts 0 means off", q: func(q *store.Queue) { q.CallbackAttempts = 0 }},
		{name: "validity 0 means off", q: func(q *store.Queue) { q.CallbackValidity = 0 }},
		{name: "no originator", opts: []opt{withoutOriginator()}},
		{name: "withheld number", number: "-"},
		{name: "open 10 min: not yet at 5", q: func(q *store.Queue) { q.OfferAfterOpen = 10 * time.Minute },
			before: func(h *harness) { h.clock.Advance(5 * time.Minute) }},
		{name: "open 10 min: at 11", q: func(q *store.Queue) { q.OfferAfterOpen = 10 * time.Minute },
			before: func(h *harness) { h.clock.Advance(11 * time.Minute) }, offer: true},
		{name: "open 10 min by schedule: 08:05", q: func(q *store.Queue) {
			q.OfferAfterOpen = 10 * time.Minute
			q.Hours = &store.OfficeHours{Days: weekdays, Start: 8 * 60, End: 16 * 60}
		}, before: func(h *harness) { h.clock.Advance(-(2*time.Hour - 5*time.Minute)) }}, // 08:05 Helsinki
		{name: "open 10 min by schedule: 08:15", q: func(q *store.Queue) {
			q.OfferAfterOpen = 10 * time.Minute
			q.Hours = &store.OfficeHours{Days: weekdays, Start: 8 * 60, End: 16 * 60}
		}, before: func(h *harness) { h.clock.Advance(-(2*time.Hour - 15*time.Minute)) }, offer: true},
		{name: "more than 1 queued: alone", q: func(q *store.Queue) { q.OfferQueuedOver = 1 }},
		{name: "more than 1 queued: second", q: func(q *store.Queue) { q.OfferQueuedOver = 1 },
			before: func(h *harness) { h.call(1, "+358409000001", ""); h.parked(1, 1) }, offer: true},
		{name: "longest over 2 min: no", q: func(q *store.Queue) { q.OfferLongestOver = 2 * time.Minute },
			before: func(h *harness) { h.call(1, "+358409000001", ""); h.parked(1, 1); h.clock.Advance(time.Minute) }},
		{name: "longest over 2 min: yes", q: func(q *store.Queue) { q.OfferLongestOver = 2 * time.Minute },
			before: func(h *harness) { h.call(1, "+358409000001", ""); h.parked(1, 1); h.clock.Advance(3 * time.Minute) }, offer: true},
		// The busy agent is expected free in half the prior handling time (3 min): 90 s.
		{name: "estimate over 1 min", q: func(q *store.Queue) { q.OfferEstimateOver = time.Minute }, offer: true},
		{name: "estimate over 5 min: no", q: func(q *store.Queue) { q.OfferEstimateOver = 5 * time.Minute }},
		{name: "stop 15 min before closing: 15:50", q: func(q *store.Queue) {
			q.StopBeforeClose = 15 * time.Minute
			q.Hours = &store.OfficeHours{Days: weekdays, Start: 8 * 60, End: 16 * 60}
		}, before: func(h *harness) { h.clock.Advance(5*time.Hour + 50*time.Minute) }},
		{name: "stop 15 min before closing: 15:00", q: func(q *store.Queue) {
			q.StopBeforeClose = 15 * time.Minute
			q.Hours = &store.OfficeHours{Days: weekdays, Start: 8 * 60, End: 16 * 60}
		}, before: func(h *harness) { h.clock.Advance(5 * time.Hour) }, offer: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := callbackQueue()
			if tt.q != nil {
				tt.q(&q)
			}
			h := newHarness(t, []store.Queue{q}, tt.opts...)
			h.e.PhoneState(101, true)
			if tt.before != nil {
				// Schedules start at t0 = 10:00 Helsinki; negative advances set an earlier time.
				tt.before(h)
			}
			number := "+358401234567"
			if tt.number == "-" {
				number = ""
			}
			c := h.call(1, number, "1", "1")
			ended := h.settle(c)
			offered := playedKey(c.ch.Played(), keyCallbackOffer)
			if offered != tt.offer {
				t.Fatalf("offered %v, want %v (played %v)", offered, tt.offer, c.ch.Played())
			}
			if !tt.offer {
				if ended {
					t.Fatal("flow ended without an offer")
				}
				c.hangup()
				c.wait(t)
				return
			}
			if !ended || !c.ch.HungUp() {
				t.Fatalf("accepted callback: ended %v, hung up %v", ended, c.ch.HungUp())
			}
			p := c.ch.Played()
			wantTail := []string{keyCallbackNumber, "num/3", "num/5", "num/8", "num/4", "num/0", "num/1", "num/2", "num/3", "num/4", "num/5", "num/6", "num/7", keyCallbackConfirm, keyCallbackDone}
			if len(p) < len(wantTail) || !slices.Equal(p[len(p)-len(wantTail):], wantTail) {
				t.Errorf("played %v, want it to end with %v", p, wantTail)
			}
			cbs := h.st.callbackList()
			if len(cbs) != 1 {
				t.Fatalf("callbacks %+v", cbs)
			}
			cb := cbs[0]
			if cb.Number != number || cb.State != store.CallbackWaiting || cb.QueueID != 1 || cb.OrgID != testOrg ||
				!cb.Expires.Equal(h.clock.Now().Add(2*time.Hour)) {
				t.Errorf("callback %+v", cb)
			}
			st, _ := h.e.Stats(context.Background(), testOrg, 1, t0.Add(-24*time.Hour))
			if st.Callbacks != 1 {
				t.Errorf("stats callbacks %d", st.Callbacks)
			}
		})
	}
}

// A callback is offered at a progress announcement once its condition starts to hold.
func TestCallbackOfferAtProgress(t *testing.T) {
	q := callbackQueue()
	q.OfferQueuedOver = 1
	q.ProgressEvery = 30 * time.Second
	h := newHarness(t, []store.Queue{q})
	h.e.PhoneState(101, true)
	first := h.call(1, "+358401111111", "1", "1")
	h.parked(1, 1)
	if playedKey(first.ch.Played(), keyCallbackOffer) {
		t.Fatal("offered alone in the queue")
	}
	h.call(1, "+358402222222", "", "") // declines at entry and at the progress announcement
	h.parked(1, 2)
	h.clock.Advance(30 * time.Second)
	first.wait(t)
	if p := first.ch.Played(); !playedKey(p, keyProgress) || !playedKey(p, keyCallbackOffer) {
		t.Fatalf("played %v", p)
	}
	if cbs := h.st.callbackList(); len(cbs) != 1 || !cbs[0].Queued.Equal(t0) {
		t.Fatalf("callbacks %+v, want one queued at the caller's entry %v", cbs, t0)
	}
}

// The callback keeps the caller's place: callers who were waiting before it are served
// first, those who came after it after it. Then it is placed: agent first (callback text and
// announcement), then the caller's number, on the agent's authority.
func TestCallbackKeepsPlace(t *testing.T) {
	h := newHarness(t, []store.Queue{callbackQueue()})
	h.e.PhoneState(101, true)
	c1 := h.call(1, "+358401111111", "") // declines the offer
	h.parked(1, 1)
	h.clock.Advance(10 * time.Second)
	c2 := h.call(1, "+358402222222", "1", "1")
	c2.wait(t)
	h.clock.Advance(10 * time.Second)
	c3 := h.call(1, "+358403333333", "")
	h.parked(1, 2)

	h.e.PhoneState(101, false)
	r := h.nextRing()
	if r.caller != c1 {
		t.Fatalf("first offer went to %s, want the caller who waited longest", r.caller.number)
	}
	end := r.answer(h, 101)
	c1.wait(t)
	end()
	o := h.nextOriginate()
	if !slices.Equal(o.first.Users, []int64{101}) || o.first.Group.Callback != "Takaisinsoittopyyntö" || o.first.Group.Kind != "queue" ||
		o.first.Timeout != DefaultRingTime {
		t.Errorf("callback first leg %+v", o.first)
	}
	if o.second.Number != "+358402222222" || o.second.By != 101 || o.second.Timeout != 30*time.Second {
		t.Errorf("callback second leg %+v", o.second)
	}
	if len(o.announce) != 1 || o.announce[0].Name != keyCallbackAgent {
		t.Errorf("agent announcement %v", o.announce)
	}
	select {
	case r := <-h.rings:
		t.Fatalf("%s rung before the callback ahead of them", r.caller.number)
	default:
	}
	h.waitState(101, shared.AgentRinging)
	v, _ := h.e.View(context.Background(), testOrg, 101)
	if v.Offer == nil || v.Offer.Callback != "Takaisinsoittopyyntö" {
		t.Errorf("agent view of a callback %+v", v.Offer)
	}
	end = o.answer(h, 101)
	h.waitState(101, shared.AgentInCall)
	if cbs := h.st.callbackList(); cbs[0].State != store.CallbackDone || cbs[0].Attempts != 1 {
		t.Errorf("callback after connecting %+v", cbs[0])
	}
	end()
	r = h.nextRing()
	if r.caller != c3 {
		t.Fatalf("third offer to %s", r.caller.number)
	}
	c3.hangup()
	c3.wait(t)
	got := h.st.outcomes()
	if !slices.Equal(got, []string{"answered", "callback", "abandoned"}) {
		t.Errorf("outcomes %v", got)
	}
}

// A failed attempt keeps the place and is retried after a gap; the agent not answering does
// not use up the caller's attempts; the attempts or the validity end it.
func TestCallbackRetryAndExpiry(t *testing.T) {
	h := newHarness(t, []store.Queue{callbackQueue()})
	h.e.PhoneState(101, true)
	c := h.call(1, "+358401111111", "1", "1")
	c.wait(t)
	h.e.PhoneState(101, false)
	h.nextOriginate().fail(errCallerNoAnswer)
	h.eventually("attempt stored", func() bool {
		cb := h.st.callbackList()[0]
		return cb.Attempts == 1 && cb.State == store.CallbackWaiting
	})
	select {
	case <-h.orig.reqs:
		t.Fatal("retried at once")
	default:
	}
	h.clock.Advance(callbackRetryGap)
	h.nextOriginate().fail(errAgentNoAnswer) // the agent's miss: the caller's attempts unchanged
	h.nextOriginate().fail(errCallerNoAnswer)
	h.eventually("expired", func() bool {
		cb := h.st.callbackList()[0]
		return cb.State == store.CallbackExpired && cb.Attempts == 2
	})
	st, _ := h.e.Stats(context.Background(), testOrg, 1, t0)
	if st.Callbacks != 0 {
		t.Errorf("expired callback still waiting: %+v", st)
	}

	// Validity: nobody free for two hours.
	h2 := newHarness(t, []store.Queue{callbackQueue()})
	h2.e.PhoneState(101, true)
	c = h2.call(1, "+358401111111", "1", "1")
	c.wait(t)
	h2.clock.Advance(2 * time.Hour)
	if cb := h2.st.callbackList()[0]; cb.State != store.CallbackExpired {
		t.Fatalf("after validity: %+v", cb)
	}
}

// Callbacks survive a restart: a new engine on the same store puts them back in their place,
// ahead of callers who came later.
func TestCallbackSurvivesRestart(t *testing.T) {
	h := newHarness(t, []store.Queue{callbackQueue()})
	h.beforeStart = func(e *Engine) { e.PhoneState(101, true) }
	h.e.PhoneState(101, true)
	c := h.call(1, "+358401111111", "1", "1")
	c.wait(t)
	h.clock.Advance(time.Minute)
	h.restart()
	st, err := h.e.Stats(context.Background(), testOrg, 1, t0)
	if err != nil || st.Callbacks != 1 {
		t.Fatalf("after restart: %+v %v", st, err)
	}
	later := h.call(1, "+358402222222", "")
	h.parked(1, 1)
	h.e.PhoneState(101, false)
	o := h.nextOriginate()
	if o.second.Number != "+358401111111" {
		t.Fatalf("restored callback placed to %q", o.second.Number)
	}
	end := o.answer(h, 101)
	end()
	if r := h.nextRing(); r.caller != later {
		t.Fatalf("next offer to %s", r.caller.number)
	}
	later.hangup()
	later.wait(t)
	// A callback left "calling" by a crash is retried.
	h.st.mu.Lock()
	h.st.callbacks[99] = store.Callback{ID: 99, OrgID: testOrg, QueueID: 1, Number: "+358403333333", Queued: h.clock.Now(),
		Expires: h.clock.Now().Add(time.Hour), State: store.CallbackCalling}
	h.st.mu.Unlock()
	h.beforeStart = nil
	h.restart()
	if o := h.nextOriginate(); o.second.Number != "+358403333333" {
		t.Fatalf("calling callback not retried: %+v", o.second)
	} else {
		o.fail(mediaapp.ErrSecondFailed)
	}
}
