package queue

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/api"
	"github.com/vaihde/vaihde/server/store"
)

// benchEngine is an engine with waiting callers in queue 1 and agents members of queue 1 and
// of one of nine other queues; every agent is on a call, so nothing is offered.
func benchEngine(b *testing.B, waiting, agents int) *Engine {
	b.Helper()
	st := newFakeStore()
	dir := &fakeDir{orgs: map[int64]store.Org{testOrg: {ID: testOrg}}, users: map[int64]store.User{}}
	qs := make([]store.Queue, 10)
	for i := range qs {
		qs[i] = store.Queue{ID: int64(i + 1), OrgID: testOrg, Name: fmt.Sprint("Q", i+1), Number: fmt.Sprint(8000 + i), RedStops: true}
	}
	for a := range agents {
		id := int64(1000 + a)
		dir.users[id] = store.User{ID: id, OrgID: testOrg, Agent: true}
		for _, qi := range []int{0, 1 + a%9} {
			qs[qi].Members = append(qs[qi].Members, store.QueueMember{UserID: id, Skill: 1 + a%3})
			st.logins[[2]int64{qs[qi].ID, id}] = store.AgentLogin{QueueID: qs[qi].ID, UserID: id, LoggedIn: true}
		}
	}
	for _, q := range qs {
		st.queues[q.ID] = q
	}
	clock := newFakeClock(t0)
	e := New(Deps{Groups: st, Directory: dir, Clock: clock, Log: slog.New(slog.DiscardHandler)})
	b.Cleanup(e.Close)
	e.Subscribe(func(api.AgentEvent) {})
	for a := range agents {
		e.PhoneState(int64(1000+a), true)
	}
	if err := e.Load(context.Background(), testOrg); err != nil {
		b.Fatal(err)
	}
	e.mu.Lock()
	q := e.orgs[testOrg].queues[1]
	for i := range waiting {
		e.seq++
		q.insert(&entry{seq: e.seq, q: q, caller: fmt.Sprint("+35840", i), entered: t0.Add(time.Duration(i) * time.Second), tried: map[int64]bool{}})
	}
	e.mu.Unlock()
	return e
}

// BenchmarkPresenceChange: a presence or phone-state change of one agent costs that agent's
// memberships, not the queue's length or the number of agents (GRP, issue 10: "indexed").
//
//	go test ./server/queue -run '^$' -bench PresenceChange -benchmem
func BenchmarkPresenceChange(b *testing.B) {
	for _, size := range []struct{ waiting, agents int }{{500, 50}, {5000, 50}, {500, 500}, {5000, 500}} {
		b.Run(fmt.Sprintf("waiting=%d/agents=%d/presence", size.waiting, size.agents), func(b *testing.B) {
			e := benchEngine(b, size.waiting, size.agents)
			b.ResetTimer()
			for i := range b.N {
				e.Presence(int64(1000+i%size.agents), (i/size.agents)%2 == 0) // every call a change
			}
		})
		b.Run(fmt.Sprintf("waiting=%d/agents=%d/phone", size.waiting, size.agents), func(b *testing.B) {
			e := benchEngine(b, size.waiting, size.agents)
			for a := range size.agents {
				e.Pause(context.Background(), testOrg, int64(1000+a), "bench")
			}
			b.ResetTimer()
			for i := range b.N {
				e.PhoneState(int64(1000+i%size.agents), (i/size.agents)%2 == 1)
			}
		})
	}
}

// The waiting list stays ordered by entry time whatever the order of inserts (callbacks put
// back at their callers' places) and removals, and head is the earliest offerable entry.
func FuzzWaitingOrder(f *testing.F) {
	f.Add(uint64(1), uint8(50))
	f.Add(uint64(2026), uint8(200))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8) {
		r := rand.New(rand.NewPCG(seed, 7))
		q := &queue{}
		var all []*entry
		for i := range int(n) {
			switch {
			case len(all) > 0 && r.IntN(4) == 0:
				k := r.IntN(len(all))
				if !q.remove(all[k]) {
					t.Fatalf("entry %d not found for removal", all[k].seq)
				}
				all = slices.Delete(all, k, k+1)
			default:
				en := &entry{seq: uint64(i), entered: t0.Add(time.Duration(r.IntN(20)) * time.Second)}
				if r.IntN(3) == 0 {
					en.cb = &store.Callback{}
					en.notBefore = t0.Add(time.Duration(r.IntN(20)) * time.Second)
				}
				if r.IntN(5) == 0 {
					en.offer = []*agent{{}}
				}
				q.insert(en)
				all = append(all, en)
			}
			if len(q.waiting) != len(all) {
				t.Fatalf("%d waiting, want %d", len(q.waiting), len(all))
			}
			if !slices.IsSortedFunc(q.waiting, entryCmp) {
				t.Fatal("waiting list out of order")
			}
			now := t0.Add(10 * time.Second)
			var want *entry
			for _, en := range q.waiting {
				if en.offer == nil && !(en.cb != nil && now.Before(en.notBefore)) {
					want = en
					break
				}
			}
			if got := q.head(now); got != want {
				t.Fatalf("head %v, want %v", got, want)
			}
		}
	})
}
