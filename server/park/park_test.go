package park

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// fakeCall is a call engine channel without a network: it loops music until the test hangs
// it up, joins another fakeCall, and rings out as the test decides.
type fakeCall struct {
	name   string
	gone   chan struct{} // the caller hung up
	rings  chan mediaapp.Ring
	answer chan error  // the outcome of the next RingOut
	loops  chan string // the clip of each Loop started

	mu      sync.Mutex
	hungUp  bool
	joined  *fakeCall
	left    bool // joined to someone: its application ended
	played  []string
	looping int
}

func newFakeCall(name string) *fakeCall {
	return &fakeCall{name: name, gone: make(chan struct{}), rings: make(chan mediaapp.Ring, 4), answer: make(chan error, 4), loops: make(chan string, 16)}
}

func (f *fakeCall) hangUp() { close(f.gone) }

func (f *fakeCall) isGone() bool {
	select {
	case <-f.gone:
		return true
	default:
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.hungUp || f.left
	}
}

func (f *fakeCall) Play(_ context.Context, clips ...mediaapp.Clip) error {
	if f.isGone() {
		return mediaapp.ErrHangup
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range clips {
		f.played = append(f.played, c.Name)
	}
	return nil
}

func (f *fakeCall) Collect(context.Context, mediaapp.CollectOptions) (string, error) {
	return "", mediaapp.ErrTimeout
}

func (f *fakeCall) Record(context.Context, io.Writer, mediaapp.RecordOptions) (mediaapp.Recording, error) {
	return mediaapp.Recording{}, mediaapp.ErrHangup
}

func (f *fakeCall) Hangup(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hungUp = true
	return nil
}

func (f *fakeCall) Loop(ctx context.Context, clip mediaapp.Clip) error {
	f.mu.Lock()
	f.looping++
	f.played = append(f.played, "loop "+clip.Name)
	f.mu.Unlock()
	f.loops <- clip.Name
	defer func() { f.mu.Lock(); f.looping--; f.mu.Unlock() }()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-f.gone:
		return mediaapp.ErrHangup
	}
}

func (f *fakeCall) Join(_ context.Context, other mediaapp.Channel) (mediaapp.Answered, error) {
	o := other.(*fakeCall)
	if f.isGone() {
		return mediaapp.Answered{}, mediaapp.ErrHangup
	}
	if o.isGone() {
		return mediaapp.Answered{}, mediaapp.ErrNotJoinable
	}
	f.mu.Lock()
	f.joined, f.left = o, true
	f.mu.Unlock()
	o.mu.Lock()
	o.joined, o.left = f, true
	o.mu.Unlock()
	return mediaapp.Answered{}, nil
}

func (f *fakeCall) RingOut(ctx context.Context, r mediaapp.Ring) (mediaapp.Answered, error) {
	f.rings <- r
	select {
	case err := <-f.answer:
		return mediaapp.Answered{}, err
	case <-ctx.Done():
		return mediaapp.Answered{}, ctx.Err()
	case <-f.gone:
		return mediaapp.Answered{}, mediaapp.ErrHangup
	}
}

func (f *fakeCall) joinedTo() *fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.joined
}

func (f *fakeCall) playedNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.played...)
}

// fakeClock hands out the ring-back timers for the test to fire.
type fakeClock struct {
	now    time.Time
	timers chan chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), timers: make(chan chan time.Time, 8)}
}

func (c *fakeClock) After(time.Duration) <-chan time.Time {
	t := make(chan time.Time, 1)
	c.timers <- t
	return t
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

var (
	orgA  = store.Org{ID: 1, Domain: "a.example"}
	orgB  = store.Org{ID: 2, Domain: "b.example"}
	alice = store.User{ID: 10, OrgID: 1, Extension: "1001", Name: "Alice"}
	bob   = store.User{ID: 11, OrgID: 1, Extension: "1002", Name: "Bob"}
	carol = store.User{ID: 12, OrgID: 1, Extension: "1003", Name: "Carol"}
	other = store.User{ID: 20, OrgID: 2, Extension: "1001", Name: "Other tenant"}
)

// parkCall is what the engine asks when user by transfers caller to dialled.
func parkCall(org store.Org, caller store.User, number string, by store.User, dialled string) Call {
	return Call{Org: org, Caller: caller, CallerNumber: number, Dialled: dialled,
		Internal: caller.ID != 0, TransferredBy: by}
}

// dialCall is what the engine asks when user u dials dialled.
func dialCall(org store.Org, u store.User, dialled string) Call {
	return Call{Org: org, Caller: u, CallerNumber: u.Extension, Dialled: dialled, Internal: true}
}

// run runs a flow on ch in the background; its error arrives on the channel.
func run(ctx context.Context, flow mediaapp.Flow, ch mediaapp.Channel) <-chan error {
	done := make(chan error, 1)
	go func() { done <- flow(ctx, ch) }()
	return done
}

func newTestService(clock *fakeClock) *Service {
	return New(Config{Slots: 3, RingTime: time.Second, Now: func() time.Time { return clock.now }, After: clock.After})
}

func TestParkAndRetrieveFromAnotherPhone(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	s := newTestService(clock)
	flow, ok := s.Serve(ctx, parkCall(orgA, store.User{}, "+358401112222", bob, "988"))
	if !ok {
		t.Fatal("988 as a transfer target is not a park")
	}
	parked := newFakeCall("outside caller")
	done := run(ctx, flow, parked)
	recv(t, clock.timers, "ring-back timer")
	got := s.Parked(orgA.ID)
	want := ParkedCall{OrgID: 1, Slot: 1, Number: "+358401112222", ParkedBy: bob.ID, ParkedByExt: "1002",
		ParkedByName: "Bob", Since: clock.now}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("Parked = %+v, want [%+v]", got, want)
	}
	if clip := recv(t, parked.loops, "music"); clip != "music/hold" {
		t.Fatalf("parked caller hears %q, want the hold music", clip)
	}
	if len(s.Parked(orgB.ID)) != 0 {
		t.Fatal("another organisation sees the parked call")
	}

	rflow, ok := s.Serve(ctx, dialCall(orgA, carol, "9891"))
	if !ok {
		t.Fatal("9891 is not a retrieve")
	}
	retriever := newFakeCall("carol")
	if err := recv(t, run(ctx, rflow, retriever), "retrieve flow"); err != nil {
		t.Fatalf("retrieve: %v", err)
	}
	if err := recv(t, done, "parked flow"); err != nil {
		t.Fatalf("parked flow: %v", err)
	}
	if parked.joinedTo() != retriever {
		t.Fatal("the parked caller was not joined with the retriever")
	}
	if n := len(s.Parked(orgA.ID)); n != 0 {
		t.Fatalf("%d calls still parked after the retrieve", n)
	}
}

func TestParkSlots(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newFakeClock()
	s := newTestService(clock)
	park := func(org store.Org, by store.User, dialled string) (*fakeCall, bool) {
		flow, ok := s.Serve(ctx, parkCall(org, alice, "1001", by, dialled))
		if !ok {
			return nil, false
		}
		c := newFakeCall(dialled)
		run(ctx, flow, c)
		recv(t, clock.timers, "ring-back timer of "+dialled)
		return c, true
	}
	if _, ok := park(orgA, bob, "9882"); !ok {
		t.Fatal("park in slot 2 refused")
	}
	if _, ok := park(orgA, carol, "9882"); ok {
		t.Fatal("slot 2 taken twice")
	}
	// Slot 2 of another organisation is its own.
	if _, ok := park(orgB, other, "9882"); !ok {
		t.Fatal("the other organisation cannot use its slot 2")
	}
	// 988 takes the first free slots: 1, then 3; then none is left.
	for _, want := range []int{1, 3} {
		if _, ok := park(orgA, bob, "988"); !ok {
			t.Fatalf("988 refused, want slot %d", want)
		}
	}
	if _, ok := park(orgA, bob, "988"); ok {
		t.Fatal("988 parked with every slot taken")
	}
	var slots []int
	for _, p := range s.Parked(orgA.ID) {
		slots = append(slots, p.Slot)
	}
	if len(slots) != 3 || slots[0] != 1 || slots[1] != 2 || slots[2] != 3 {
		t.Fatalf("org A slots %v, want [1 2 3]", slots)
	}
	if n := len(s.Parked(orgB.ID)); n != 1 {
		t.Fatalf("org B has %d parked calls, want 1", n)
	}
	for _, bad := range []string{"9880", "9884", "98801", "988x"} {
		if _, ok := s.Serve(ctx, parkCall(orgA, alice, "1001", bob, bad)); ok {
			t.Errorf("%s accepted as a park", bad)
		}
	}
}

func TestWhoMayParkAndRetrieve(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newFakeClock()
	s := newTestService(clock)
	flow, _ := s.Serve(ctx, parkCall(orgA, store.User{}, "+358401112222", bob, "9881"))
	parked := newFakeCall("parked")
	done := run(ctx, flow, parked)
	recv(t, clock.timers, "ring-back timer")

	outside := Call{Org: orgA, CallerNumber: "+358409999999", Dialled: "9891"}
	for _, tc := range []struct {
		name string
		c    Call
	}{
		{"outside caller retrieving", outside},
		{"outside caller parking by dialling", Call{Org: orgA, CallerNumber: "+358409999999", Dialled: "988"}},
		{"user of another organisation retrieving", Call{Org: orgA, Caller: other, CallerNumber: "1001", Dialled: "9891", Internal: true}},
		{"transferring someone into the retrieve code", parkCall(orgA, store.User{}, "+358409999999", carol, "9891")},
		{"transfer by a user of another organisation", parkCall(orgA, store.User{}, "+358409999999", other, "988")},
	} {
		if _, ok := s.Serve(ctx, tc.c); ok {
			t.Errorf("%s: answered as a park service", tc.name)
		}
	}
	// The other tenant's own slot 1 is empty: its user hears the error tone, nothing joins.
	rflow, ok := s.Serve(ctx, dialCall(orgB, other, "9891"))
	if !ok {
		t.Fatal("9891 of org B not answered")
	}
	x := newFakeCall("other tenant")
	if err := recv(t, run(ctx, rflow, x), "retrieve in org B"); err != nil {
		t.Fatal(err)
	}
	if p := x.playedNames(); len(p) != 1 || p[0] != "tone/error" || !x.hungUp {
		t.Fatalf("other tenant's retrieve: played %v, hung up %v; want the error tone and hang-up", p, x.hungUp)
	}
	if parked.joinedTo() != nil {
		t.Fatal("the parked call was joined across organisations")
	}
	// Dialling 988 directly parks nothing: error tone.
	dflow, ok := s.Serve(ctx, dialCall(orgA, carol, "988"))
	if !ok {
		t.Fatal("988 dialled by a user not answered")
	}
	y := newFakeCall("carol")
	_ = recv(t, run(ctx, dflow, y), "988 dialled")
	if p := y.playedNames(); len(p) != 1 || p[0] != "tone/error" {
		t.Fatalf("988 dialled: played %v", p)
	}
	// The parked caller hangs up: the slot is free again.
	parked.hangUp()
	if err := recv(t, done, "parked flow"); !errors.Is(err, mediaapp.ErrHangup) {
		t.Fatalf("parked flow ended with %v, want ErrHangup", err)
	}
	if n := len(s.Parked(orgA.ID)); n != 0 {
		t.Fatalf("%d parked after the hang-up", n)
	}
}

func TestRingBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		// outcomes of the ring-backs in turn; the last one is answered or retrieved
		misses   int
		retrieve bool // a colleague retrieves during the last ring-back instead
	}{
		{"answered at once", 0, false},
		{"answered the second time", 1, false},
		{"retrieved while ringing back", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clock := newFakeClock()
			s := newTestService(clock)
			flow, _ := s.Serve(ctx, parkCall(orgA, store.User{}, "+358401112222", bob, "988"))
			parked := newFakeCall("parked")
			done := run(ctx, flow, parked)
			for i := 0; ; i++ {
				recv(t, clock.timers, "ring-back timer") <- clock.now
				r := recv(t, parked.rings, "ring-back")
				if len(r.Users) != 1 || r.Users[0] != bob.ID || r.Group.Shown != "+358401112222" || r.Hear == nil {
					t.Fatalf("ring-back %+v, want Bob's phones showing the parked caller, music for the caller", r)
				}
				if p := s.Parked(orgA.ID); len(p) != 1 || !p[0].RingingBack {
					t.Fatalf("Parked during ring-back = %+v", p)
				}
				if i < tc.misses {
					parked.answer <- mediaapp.ErrNoAnswer
					continue
				}
				break
			}
			if tc.retrieve {
				rflow, _ := s.Serve(ctx, dialCall(orgA, carol, "989"))
				retriever := newFakeCall("carol")
				if err := recv(t, run(ctx, rflow, retriever), "retrieve"); err != nil {
					t.Fatal(err)
				}
				if parked.joinedTo() != retriever {
					t.Fatal("not joined with the retriever")
				}
			} else {
				parked.answer <- nil
			}
			if err := recv(t, done, "parked flow"); err != nil {
				t.Fatalf("parked flow: %v", err)
			}
			if n := len(s.Parked(orgA.ID)); n != 0 {
				t.Fatalf("%d still parked", n)
			}
		})
	}
}

// OnChange tells of every change of an organisation's parked calls: parked, ringing back,
// no longer ringing back, gone; the list read in the notification is already the new one.
func TestOnChangeFollowsParkedCalls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newFakeClock()
	s := newTestService(clock)
	type change struct {
		org     int64
		n       int
		ringing bool
	}
	changes := make(chan change, 16)
	s.OnChange(func(orgID int64) {
		p := s.Parked(orgID)
		changes <- change{org: orgID, n: len(p), ringing: len(p) == 1 && p[0].RingingBack}
	})
	flow, _ := s.Serve(ctx, parkCall(orgA, store.User{}, "+358401112222", bob, "988"))
	parked := newFakeCall("parked")
	done := run(ctx, flow, parked)
	if c := recv(t, changes, "parked"); c != (change{org: orgA.ID, n: 1}) {
		t.Fatalf("after parking: %+v", c)
	}
	recv(t, clock.timers, "ring-back timer") <- clock.now
	recv(t, parked.rings, "ring-back")
	if c := recv(t, changes, "ringing back"); c != (change{org: orgA.ID, n: 1, ringing: true}) {
		t.Fatalf("ringing back: %+v", c)
	}
	parked.answer <- nil
	if err := recv(t, done, "parked flow"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []change{{org: orgA.ID, n: 1}, {org: orgA.ID, n: 0}} {
		if c := recv(t, changes, "after the answer"); c != want {
			t.Fatalf("after the ring-back was answered: %+v, want %+v", c, want)
		}
	}
}
