package queue

import (
	"context"
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
