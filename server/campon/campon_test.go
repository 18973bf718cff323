package campon

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// fakeClock fires AfterFunc timers only when Advance passes them.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// ring is one RingOut of a flow, answered by the test.
type ring struct {
	r     mediaapp.Ring
	reply chan error
}

// testChan is a caller: music blocks until the flow stops it or the caller hangs up, and
// RingOut hands each ring to the test.
type testChan struct {
	*mediaapp.Script
	rings chan ring
	hang  chan struct{}
	mu    sync.Mutex
	music int // how many times music started
}

func newChan() *testChan {
	return &testChan{Script: mediaapp.NewScript(), rings: make(chan ring), hang: make(chan struct{})}
}

func (c *testChan) Loop(ctx context.Context, _ mediaapp.Clip) error {
	c.mu.Lock()
	c.music++
	c.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.hang:
		return mediaapp.ErrHangup
	}
}

func (c *testChan) RingOut(ctx context.Context, r mediaapp.Ring) (mediaapp.Answered, error) {
	rg := ring{r: r, reply: make(chan error, 1)}
	select {
	case c.rings <- rg:
	case <-ctx.Done():
		return mediaapp.Answered{}, ctx.Err()
	}
	select {
	case err := <-rg.reply:
		return mediaapp.Answered{}, err
	case <-c.hang:
		return mediaapp.Answered{}, mediaapp.ErrHangup
	}
}

func (c *testChan) nextRing(t *testing.T) ring {
	t.Helper()
	select {
	case r := <-c.rings:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no ring")
	}
	return ring{}
}

func (c *testChan) noRing(t *testing.T) {
	t.Helper()
	select {
	case r := <-c.rings:
		t.Fatalf("unexpected ring of %v", r.r.Users)
	case <-time.After(50 * time.Millisecond):
	}
}

type flowRun struct{ done chan error }

func start(s *Service, ch *testChan, c Call) flowRun {
	fr := flowRun{done: make(chan error, 1)}
	go func() { fr.done <- s.Flow(c)(context.Background(), ch) }()
	return fr
}

func (fr flowRun) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-fr.done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("flow did not end")
	}
	return nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

const (
	colleague = 1002
	operator  = 1009
)

// TestCampOnRingsWhenColleagueHangsUp: two callers camp on a busy colleague; nobody rings while
// the colleague talks; when they hang up the first caller rings them, and after that call the
// second; the colleague's count follows.
func TestCampOnRingsWhenColleagueHangsUp(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s := New(Config{Clock: clock, Limit: time.Minute})
	var mu sync.Mutex
	counts := []int{}
	s.OnChange(func(_, userID int64, n int) {
		mu.Lock()
		defer mu.Unlock()
		if userID == colleague {
			counts = append(counts, n)
		}
	})
	s.PhoneState(colleague, true)
	a, b := newChan(), newChan()
	ra := start(s, a, Call{OrgID: 1, Target: colleague, ReturnTo: operator, Caller: "+358401111111"})
	waitFor(t, "first waiting", func() bool { return len(s.Waiting(colleague)) == 1 })
	clock.Advance(5 * time.Second)
	rb := start(s, b, Call{OrgID: 1, Target: colleague, ReturnTo: operator, Caller: "+358402222222"})
	waitFor(t, "second waiting", func() bool { return len(s.Waiting(colleague)) == 2 })
	ws := s.Waiting(colleague)
	if ws[0].Caller != "+358401111111" || ws[1].Caller != "+358402222222" || !ws[1].Since.Equal(ws[0].Since.Add(5*time.Second)) || ws[0].Operator != operator {
		t.Fatalf("waiting %+v", ws)
	}
	a.noRing(t)
	b.noRing(t)

	s.PhoneState(colleague, false) // hangs up: the first caller rings them
	r := a.nextRing(t)
	if len(r.r.Users) != 1 || r.r.Users[0] != colleague || r.r.Group.Shown != "+358401111111" {
		t.Fatalf("ring %+v", r.r)
	}
	b.noRing(t)
	s.PhoneState(colleague, true) // answered: on the call
	r.reply <- nil
	if err := ra.wait(t); err != nil {
		t.Fatalf("first flow: %v", err)
	}
	b.noRing(t) // still on the call with the first
	s.PhoneState(colleague, false)
	r = b.nextRing(t)
	r.reply <- nil
	if err := rb.wait(t); err != nil {
		t.Fatalf("second flow: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []int{1, 2, 1, 0}; len(counts) != len(want) || counts[0] != 1 || counts[1] != 2 || counts[2] != 1 || counts[3] != 0 {
		t.Fatalf("counts %v, want %v", counts, want)
	}
}

// TestCampOnNoAnswerWaitsForNextHangUp: a colleague who does not answer is not rung again at
// once, but the next time they become free.
func TestCampOnNoAnswerWaitsForNextHangUp(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s := New(Config{Clock: clock, Limit: time.Minute})
	s.PhoneState(colleague, true)
	a := newChan()
	ra := start(s, a, Call{OrgID: 1, Target: colleague, ReturnTo: operator, Caller: "+358401111111"})
	waitFor(t, "waiting", func() bool { return len(s.Waiting(colleague)) == 1 })
	s.PhoneState(colleague, false)
	a.nextRing(t).reply <- mediaapp.ErrNoAnswer
	a.noRing(t)
	s.PhoneState(colleague, true)
	s.PhoneState(colleague, false)
	a.nextRing(t).reply <- nil
	if err := ra.wait(t); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Waiting(colleague)); n != 0 {
		t.Fatalf("%d still waiting", n)
	}
}

// TestCampOnLimitReturnsToOperator: after the limit the caller rings the operator who camped
// them, and leaves the colleague's list; a caller who hangs up leaves it too.
func TestCampOnLimitReturnsToOperator(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s := New(Config{Clock: clock, Limit: time.Minute})
	s.PhoneState(colleague, true)
	a, b := newChan(), newChan()
	ra := start(s, a, Call{OrgID: 1, Target: colleague, ReturnTo: operator, Caller: "+358401111111"})
	waitFor(t, "waiting", func() bool { return len(s.Waiting(colleague)) == 1 })
	clock.Advance(59 * time.Second)
	a.noRing(t)
	clock.Advance(time.Second)
	r := a.nextRing(t)
	if len(r.r.Users) != 1 || r.r.Users[0] != operator {
		t.Fatalf("limit rang %v, want the operator", r.r.Users)
	}
	waitFor(t, "left", func() bool { return len(s.Waiting(colleague)) == 0 }) // not rung for the colleague now
	r.reply <- nil
	if err := ra.wait(t); err != nil {
		t.Fatal(err)
	}

	rb := start(s, b, Call{OrgID: 1, Target: colleague, Caller: "+358402222222"})
	waitFor(t, "waiting", func() bool { return len(s.Waiting(colleague)) == 1 })
	close(b.hang)
	if err := rb.wait(t); !errors.Is(err, mediaapp.ErrHangup) {
		t.Fatalf("hung-up caller's flow: %v", err)
	}
	if n := len(s.Waiting(colleague)); n != 0 {
		t.Fatalf("%d waiting after the caller hung up", n)
	}
}

// TestCampOnFreeColleagueRingsAtOnce: camping on a colleague who is free rings them at once.
func TestCampOnFreeColleagueRingsAtOnce(t *testing.T) {
	s := New(Config{Clock: &fakeClock{}})
	a := newChan()
	ra := start(s, a, Call{OrgID: 1, Target: colleague, Caller: "+358401111111"})
	a.nextRing(t).reply <- nil
	if err := ra.wait(t); err != nil {
		t.Fatal(err)
	}
}

type fakeUsers map[string]store.User // "orgID/ext"

func (f fakeUsers) UserByExtension(_ context.Context, orgID int64, ext string) (store.User, error) {
	u, ok := f[strconv.FormatInt(orgID, 10)+"/"+ext]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

// TestServeOnlyForTransfersByUsers: 982<ext> camps a caller only when a user of the same
// organisation transferred it there, on a colleague of that organisation.
func TestServeOnlyForTransfersByUsers(t *testing.T) {
	s := New(Config{Clock: &fakeClock{}})
	demo, acme := store.Org{ID: 1}, store.Org{ID: 2}
	users := fakeUsers{"1/1002": {ID: colleague, OrgID: 1, Extension: "1002"}, "2/2001": {ID: 2001, OrgID: 2, Extension: "2001"}}
	op := store.User{ID: operator, OrgID: 1, Extension: "1009"}
	for _, tt := range []struct {
		name string
		t    Transfer
		want bool
	}{
		{"operator camps on a colleague", Transfer{Org: demo, Dialled: "9821002", TransferredBy: op}, true},
		{"dialled, not transferred", Transfer{Org: demo, Dialled: "9821002"}, false},
		{"no such colleague", Transfer{Org: demo, Dialled: "9821099", TransferredBy: op}, false},
		{"another organisation's colleague", Transfer{Org: demo, Dialled: "9822001", TransferredBy: op}, false},
		{"transferor of another organisation", Transfer{Org: acme, Dialled: "9822001", TransferredBy: op}, false},
		{"not the code", Transfer{Org: demo, Dialled: "1002", TransferredBy: op}, false},
		{"code alone", Transfer{Org: demo, Dialled: "982", TransferredBy: op}, false},
	} {
		if _, ok := s.Serve(context.Background(), users, tt.t); ok != tt.want {
			t.Errorf("%s: served %t, want %t", tt.name, ok, tt.want)
		}
	}
}
