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

// TestWaitingForTheConsole: the switchboard sees the callers in the order they will be served,
// with their waits on the engine's clock, the one being offered marked as ringing, and the
// manual night switch; another organisation's queue is not found.
func TestWaitingForTheConsole(t *testing.T) {
	q := store.Queue{ID: 1, Name: "Vaihde", Number: "8010", NightManual: false, Members: members(skill(101, 1))}
	h := newHarness(t, []store.Queue{q})
	h.e.PhoneState(101, true) // the operator is on a call: nobody is offered yet
	first := h.call(1, "+358401111111")
	h.parked(1, 1)
	h.clock.Advance(30 * time.Second)
	second := h.call(1, "+358402222222")
	h.parked(1, 2)
	h.clock.Advance(10 * time.Second)

	w, err := h.e.Waiting(context.Background(), testOrg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if w.Number != "8010" || w.Night || w.NightManual || len(w.Callers) != 2 {
		t.Fatalf("waiting %+v", w)
	}
	want := []shared.QueueCaller{{Position: 1, Caller: "+358401111111", WaitSec: 40}, {Position: 2, Caller: "+358402222222", WaitSec: 10}}
	for i, c := range w.Callers {
		if c.Position != want[i].Position || c.Caller != want[i].Caller || c.WaitSec != want[i].WaitSec || c.Ringing || c.Callback {
			t.Fatalf("caller %d: %+v, want %+v", i, c, want[i])
		}
	}

	h.e.PhoneState(101, false) // free: the first caller rings the operator
	r := h.nextRing()
	w, err = h.e.Waiting(context.Background(), testOrg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Callers[0].Ringing || w.Callers[1].Ringing {
		t.Fatalf("ringing marks %+v", w.Callers)
	}
	r.fail(mediaapp.ErrNoAnswer)
	first.hangup()
	second.hangup()
	first.wait(t)
	second.wait(t)

	if _, err := h.e.Waiting(context.Background(), testOrg+1, 1); err == nil {
		t.Fatal("another organisation's queue was found")
	}
}

// TestTakeChosenCaller (OP-1: answer any chosen call): the operator, rung with the first
// caller, takes the third from the console: the first ring is withdrawn without counting as a
// miss, the third caller rings the operator next and is connected; the first keeps their
// place. A caller ringing a colleague, a caller who left, a non-member and a busy operator are
// refused.
func TestTakeChosenCaller(t *testing.T) {
	q := store.Queue{ID: 1, Name: "Vaihde", Number: "8010", Members: members(skill(101, 1), skill(102, 2)),
		AutoLogoutAfter: 1}
	h := newHarness(t, []store.Queue{q})
	ctx := context.Background()
	h.e.PhoneState(101, true) // both operators busy while three callers queue up
	h.e.PhoneState(102, true)
	var callers []*caller
	for i, n := range []string{"+358401111111", "+358402222222", "+358403333333"} {
		callers = append(callers, h.call(1, n))
		h.parked(1, i+1)
		h.clock.Advance(10 * time.Second)
	}
	w, err := h.e.Waiting(ctx, testOrg, 1)
	if err != nil || len(w.Callers) != 3 || w.Callers[2].ID == 0 || w.Callers[0].ID == w.Callers[2].ID {
		t.Fatalf("waiting %+v %v", w, err)
	}
	first, third := w.Callers[0].ID, w.Callers[2].ID

	if err := h.e.Take(ctx, testOrg, 1, 101, third); !errorsIs(err, store.ErrConflict) {
		t.Fatalf("take while on a call: %v, want a conflict", err)
	}
	h.e.PhoneState(101, false) // free: the first caller rings 101
	r := h.nextRing()
	if r.caller != callers[0] || !slices.Equal(r.r.Users, []int64{101}) {
		t.Fatalf("first ring: %s to %v", r.caller.number, r.r.Users)
	}
	if err := h.e.Take(ctx, testOrg, 1, 101, third); err != nil {
		t.Fatalf("take: %v", err)
	}
	r2 := h.nextRing() // the first ring was withdrawn; the taken caller rings 101
	if r2.caller != callers[2] || !slices.Equal(r2.r.Users, []int64{101}) {
		t.Fatalf("after take: %s rings %v, want the third caller to 101", r2.caller.number, r2.r.Users)
	}
	hang := r2.answer(h, 101)
	h.eventually("the taken caller connected", func() bool {
		w, _ := h.e.Waiting(ctx, testOrg, 1)
		return len(w.Callers) == 2
	})
	w, _ = h.e.Waiting(ctx, testOrg, 1)
	if w.Callers[0].ID != first || w.Callers[0].Position != 1 || w.Callers[1].Caller != "+358402222222" {
		t.Fatalf("after the take the first caller lost their place: %+v", w.Callers)
	}
	if v, _ := h.e.View(ctx, testOrg, 101); !v.Queues[0].LoggedIn {
		t.Fatal("the withdrawn ring counted as a miss (auto-logout after 1)")
	}

	h.e.PhoneState(102, false) // 102 free: the first caller rings 102
	r3 := h.nextRing()
	if r3.caller != callers[0] || !slices.Equal(r3.r.Users, []int64{102}) {
		t.Fatalf("next ring: %s to %v", r3.caller.number, r3.r.Users)
	}
	hang()
	for _, tc := range []struct {
		name   string
		user   int64
		caller int64
		want   error
	}{
		{"ringing a colleague", 101, first, store.ErrConflict},
		{"gone", 101, third, store.ErrNotFound},
		{"not a member", 150, first, store.ErrNotFound},
	} {
		if err := h.e.Take(ctx, testOrg, 1, tc.user, tc.caller); !errorsIs(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := h.e.Take(ctx, testOrg+1, 1, 101, first); err == nil {
		t.Fatal("another organisation's queue was found")
	}
	r3.fail(mediaapp.ErrHangup)
	for _, c := range callers {
		c.hangup()
		c.wait(t)
	}
}
