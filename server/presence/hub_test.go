package presence

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
)

func testUsers() []store.User {
	return []store.User{
		{ID: 1, OrgID: 1, Extension: "1001", Name: "A"},
		{ID: 2, OrgID: 1, Extension: "1002", Name: "B"},
		{ID: 3, OrgID: 2, Extension: "1001", Name: "Other org"},
	}
}

func newTestHub(t *testing.T, st store.Store, online Online) *Hub {
	t.Helper()
	h := New(st, online, nil)
	t.Cleanup(func() { h.Close() })
	return h
}

func ptr[T any](v T) *T { return &v }

func TestDefaults(t *testing.T) {
	h := newTestHub(t, newFakeStore(testUsers()...), nil)
	st, err := h.Get(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if st.Activity != presence.Available || !st.Green || st.Role != presence.RoleMobile || st.Phone != presence.PhoneIdle ||
		st.Online || st.Extension != "1002" || st.OrgID != 1 {
		t.Fatalf("defaults: %+v", st)
	}
	if _, err := h.Get(context.Background(), 99); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestSetValidation(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		c    Change
		want error
	}{
		"unknown activity 42":    {Change{Activity: ptr(42)}, presence.ErrUnknownActivity},
		"activity 0":             {Change{Activity: ptr(0)}, presence.ErrUnknownActivity},
		"note of 10000 chars":    {Change{Note: ptr(strings.Repeat("x", 10000))}, presence.ErrNoteTooLong},
		"note with control":      {Change{Note: ptr("a\x00b")}, presence.ErrNoteInvalid},
		"note invalid utf8":      {Change{Note: ptr("a\xffb")}, presence.ErrNoteInvalid},
		"until in the past":      {Change{Until: ptr(now.Add(-time.Hour))}, presence.ErrUntilPast},
		"until 3 years ahead":    {Change{Until: ptr(now.AddDate(3, 0, 0))}, presence.ErrUntilTooFar},
		"role 9":                 {Change{Role: ptr(presence.Role(9))}, presence.ErrUnknownRole},
		"role 0":                 {Change{Role: ptr(presence.Role(0))}, presence.ErrUnknownRole},
		"valid meeting":          {Change{Activity: ptr(presence.Meeting), Until: ptr(now.Add(2 * time.Hour)), Note: ptr("budget <review> & \"more\"")}, nil},
		"valid role":             {Change{Role: ptr(presence.RoleHidden)}, nil},
		"sick":                   {Change{Activity: ptr(presence.Sick)}, nil},
		"note of 500 chars":      {Change{Note: ptr(strings.Repeat("ä", 500))}, nil},
		"clear until":            {Change{ClearUntil: true}, nil},
		"idle only":              {Change{Idle: ptr(true)}, nil},
		"until a year ahead":     {Change{Until: ptr(now.AddDate(1, 0, 0))}, nil},
		"bad activity good rest": {Change{Activity: ptr(42), Note: ptr("ok")}, presence.ErrUnknownActivity},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fs := newFakeStore(testUsers()...)
			h := newTestHub(t, fs, nil)
			h.now = func() time.Time { return now }
			before, _ := h.Get(context.Background(), 1)
			st, err := h.Set(context.Background(), 1, tc.c)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				after, _ := h.Get(context.Background(), 1)
				if after.Activity != before.Activity || after.Note != before.Note || after.Role != before.Role || fs.puts != 0 {
					t.Fatalf("refused change was applied: %+v (puts %d)", after, fs.puts)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.c.Activity != nil && st.Activity != *tc.c.Activity {
				t.Fatalf("activity %d", st.Activity)
			}
			if tc.c.Note != nil && st.Note != *tc.c.Note {
				t.Fatalf("note %q", st.Note)
			}
			if tc.c.Idle != nil {
				if fs.puts != 0 || !st.Idle {
					t.Fatalf("idle must be live only: puts %d idle %v", fs.puts, st.Idle)
				}
			} else if fs.puts != 1 {
				t.Fatalf("puts = %d, want 1", fs.puts)
			}
		})
	}
}

func TestSetCustomActivity(t *testing.T) {
	fs := newFakeStore(testUsers()...)
	fs.acts[1] = []store.Activity{{OrgID: 1, Number: 1, NameEN: "Available", Green: true}, {OrgID: 1, Number: 42, NameEN: "Training", Green: false}}
	h := newTestHub(t, fs, nil)
	st, err := h.Set(context.Background(), 1, Change{Activity: ptr(42)})
	if err != nil || st.Activity != 42 || st.Green {
		t.Fatalf("custom activity: %+v %v", st, err)
	}
	// Org 2 keeps the defaults: 42 is unknown there, Busy known.
	if _, err := h.Set(context.Background(), 3, Change{Activity: ptr(42)}); !errors.Is(err, presence.ErrUnknownActivity) {
		t.Fatalf("other org: %v", err)
	}
	// Org 1 has no Busy.
	if _, err := h.Set(context.Background(), 1, Change{Activity: ptr(presence.Busy)}); !errors.Is(err, presence.ErrUnknownActivity) {
		t.Fatalf("busy in org 1: %v", err)
	}
}

// collector records what a watcher receives.
type collector struct {
	mu  sync.Mutex
	got []State
	at  []time.Time
}

func (c *collector) fn(st State) {
	c.mu.Lock()
	c.got = append(c.got, st)
	c.at = append(c.at, time.Now())
	c.mu.Unlock()
}

func (c *collector) waitN(t *testing.T, n int) []State {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		if len(c.got) >= n {
			out := append([]State(nil), c.got...)
			c.mu.Unlock()
			return out
		}
		c.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Fatalf("got %d states, want %d", len(c.got), n)
	return nil
}

func TestWatchOrderAndLatency(t *testing.T) {
	h := newTestHub(t, newFakeStore(testUsers()...), nil)
	ctx := context.Background()
	var org1, all, org2 collector
	h.Watch(1, org1.fn)
	h.Watch(0, all.fn)
	cancel2 := h.Watch(2, org2.fn)
	defer cancel2()
	notes := []string{"one", "two", "three", "four", "five"}
	start := time.Now()
	for _, n := range notes {
		if _, err := h.Set(ctx, 1, Change{Note: ptr(n)}); err != nil {
			t.Fatal(err)
		}
	}
	got := org1.waitN(t, len(notes))
	for i, n := range notes {
		if got[i].Note != n || got[i].UserID != 1 {
			t.Fatalf("state %d: %+v, want note %q", i, got[i], n)
		}
	}
	if lat := org1.at[len(notes)-1].Sub(start); lat > time.Second {
		t.Fatalf("latency %v", lat)
	}
	all.waitN(t, len(notes))
	if _, err := h.Set(ctx, 3, Change{Activity: ptr(presence.Busy)}); err != nil {
		t.Fatal(err)
	}
	if g := org2.waitN(t, 1); g[0].UserID != 3 || g[0].Activity != presence.Busy {
		t.Fatalf("org 2 watcher got %+v", g[0])
	}
	all.waitN(t, len(notes)+1)
	org1.mu.Lock()
	n := len(org1.got)
	org1.mu.Unlock()
	if n != len(notes) {
		t.Fatalf("org 1 watcher saw another org's change: %d states", n)
	}
}

func TestWatchSlowWatcherDoesNotBlock(t *testing.T) {
	h := newTestHub(t, newFakeStore(testUsers()...), nil)
	ctx := context.Background()
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock) // runs before the hub's Close, even when the test fails early
	var slowGot []State
	var mu sync.Mutex
	h.Watch(1, func(st State) {
		<-release
		mu.Lock()
		slowGot = append(slowGot, st)
		mu.Unlock()
	})
	var fast collector
	h.Watch(1, fast.fn)
	const n = 3 * watchQueue
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := h.Set(ctx, 1+int64(i%2), Change{Note: ptr(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("changes took %v with a stuck watcher", d)
	}
	// The other watcher is not held up: it gets every change, or (when the loaded machine
	// let it fall behind) at least each user's latest, in order.
	waitLast := func(c *collector) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			c.mu.Lock()
			last := map[int64]int{}
			ordered := true
			for _, st := range c.got {
				v, _ := strconv.Atoi(st.Note)
				if prev, ok := last[st.UserID]; ok && v <= prev {
					ordered = false
				}
				last[st.UserID] = v
			}
			c.mu.Unlock()
			if !ordered {
				t.Fatal("fast watcher got changes out of order")
			}
			if last[1] == n-2 && last[2] == n-1 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("fast watcher's latest: %v", last)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitLast(&fast)
	unblock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		k := len(slowGot)
		var last1, last2 string
		for _, st := range slowGot {
			if st.UserID == 1 {
				last1 = st.Note
			} else {
				last2 = st.Note
			}
		}
		mu.Unlock()
		if last1 == fmt.Sprint(n-2) && last2 == fmt.Sprint(n-1) {
			if k > watchQueue+2 {
				t.Fatalf("slow watcher got %d states: queue not coalesced", k)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("slow watcher ended with %d states, last %q %q", k, last1, last2)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatchCancel(t *testing.T) {
	h := newTestHub(t, newFakeStore(testUsers()...), nil)
	var c collector
	cancel := h.Watch(1, c.fn)
	if _, err := h.Set(context.Background(), 1, Change{Note: ptr("a")}); err != nil {
		t.Fatal(err)
	}
	c.waitN(t, 1)
	cancel()
	cancel() // twice is harmless
	if _, err := h.Set(context.Background(), 1, Change{Note: ptr("b")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.got) != 1 {
		t.Fatalf("cancelled watcher got %d", len(c.got))
	}
}

func TestPhoneOf(t *testing.T) {
	in := func(s presence.PhoneState) CallInfo { return CallInfo{Direction: "recipient", State: s} }
	out := func(s presence.PhoneState) CallInfo { return CallInfo{Direction: "initiator", State: s} }
	cases := map[string]struct {
		calls []CallInfo
		want  presence.PhoneState
	}{
		"none":                   {nil, presence.PhoneIdle},
		"incoming ringing":       {[]CallInfo{in(presence.PhoneRinging)}, presence.PhoneRinging},
		"outgoing dialling":      {[]CallInfo{out(presence.PhoneDialing)}, presence.PhoneDialing},
		"outgoing ringing":       {[]CallInfo{out(presence.PhoneRinging)}, presence.PhoneDialing},
		"answered":               {[]CallInfo{in(presence.PhoneOnCall)}, presence.PhoneOnCall},
		"answered beats ringing": {[]CallInfo{in(presence.PhoneRinging), out(presence.PhoneOnCall)}, presence.PhoneOnCall},
		"ringing beats dialling": {[]CallInfo{out(presence.PhoneDialing), in(presence.PhoneRinging)}, presence.PhoneRinging},
		"ended call ignored":     {[]CallInfo{in(presence.PhoneIdle)}, presence.PhoneIdle},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := PhoneOf(tc.calls); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCallStateNotifies(t *testing.T) {
	h := newTestHub(t, newFakeStore(testUsers()...), nil)
	var c collector
	h.Watch(1, c.fn)
	// User 2 is not loaded yet: the first report loads it in the background.
	h.CallState(2, "call-1", true, presence.PhoneRinging, "1001")
	got := c.waitN(t, 1)
	if got[0].Phone != presence.PhoneRinging || len(got[0].Calls) != 1 || got[0].Calls[0].Direction != "recipient" || got[0].Calls[0].Peer != "1001" {
		t.Fatalf("ringing: %+v", got[0])
	}
	h.CallState(2, "call-1", true, presence.PhoneRinging, "1001") // repeated: no change
	h.CallState(2, "call-1", true, presence.PhoneOnCall, "1001")
	got = c.waitN(t, 2)
	if got[1].Phone != presence.PhoneOnCall {
		t.Fatalf("answered: %+v", got[1])
	}
	h.CallState(2, "call-1", true, presence.PhoneIdle, "1001")
	got = c.waitN(t, 3)
	if got[2].Phone != presence.PhoneIdle || len(got[2].Calls) != 0 {
		t.Fatalf("ended: %+v", got[2])
	}
	h.CallState(2, "never-seen", false, presence.PhoneIdle, "") // ending an unknown call: nothing
	time.Sleep(30 * time.Millisecond)
	c.mu.Lock()
	n := len(c.got)
	c.mu.Unlock()
	if n != 3 {
		t.Fatalf("%d notifications, want 3", n)
	}
	// Role reads the state.
	if _, err := h.Set(context.Background(), 2, Change{Role: ptr(presence.RoleHidden)}); err != nil {
		t.Fatal(err)
	}
	if r := h.Role(context.Background(), 2); r != presence.RoleHidden {
		t.Fatalf("role %v", r)
	}
	if r := h.Role(context.Background(), 404); r != presence.RoleMobile {
		t.Fatalf("unknown user's role %v", r)
	}
}

func TestCallsBounded(t *testing.T) {
	h := newTestHub(t, newFakeStore(testUsers()...), nil)
	for i := 0; i < 3*maxCallsPerUser; i++ {
		h.CallState(1, fmt.Sprint("c", i), false, presence.PhoneDialing, "1002")
	}
	st, err := h.Get(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Calls) != maxCallsPerUser {
		t.Fatalf("%d calls kept", len(st.Calls))
	}
}

func TestRegistrationChanged(t *testing.T) {
	var online atomic.Bool
	h := newTestHub(t, newFakeStore(testUsers()...), func(context.Context, int64) bool { return online.Load() })
	if _, err := h.Get(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	var c collector
	h.Watch(1, c.fn)
	online.Store(true)
	h.RegistrationChanged(1)
	if got := c.waitN(t, 1); !got[0].Online {
		t.Fatalf("online: %+v", got[0])
	}
	online.Store(false)
	h.RegistrationChanged(1)
	if got := c.waitN(t, 2); got[1].Online {
		t.Fatalf("offline: %+v", got[1])
	}
}

func TestOrg(t *testing.T) {
	fs := newFakeStore(testUsers()...)
	fs.users[4] = store.User{ID: 4, OrgID: 1, Extension: "1000"}
	fs.pres[2] = store.Presence{UserID: 2, Activity: presence.Lunch, Role: int(presence.RoleLandline), Note: "back soon"}
	h := newTestHub(t, fs, nil)
	if _, err := h.Set(context.Background(), 1, Change{Activity: ptr(presence.Away)}); err != nil {
		t.Fatal(err)
	}
	states, err := h.Org(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var exts []string
	for _, s := range states {
		exts = append(exts, s.Extension)
	}
	if strings.Join(exts, ",") != "1000,1001,1002" {
		t.Fatalf("order %v", exts)
	}
	if states[1].Activity != presence.Away || states[2].Activity != presence.Lunch || states[2].Green ||
		states[2].Note != "back soon" || states[2].Role != presence.RoleLandline || states[0].Activity != presence.Available {
		t.Fatalf("states %+v", states)
	}
}

// TestConcurrent exercises every entry point at once (run with -race).
func TestConcurrent(t *testing.T) {
	h := newTestHub(t, newFakeStore(testUsers()...), func(context.Context, int64) bool { return true })
	var c collector
	h.Watch(0, c.fn)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			ctx := context.Background()
			for i := 0; i < 50; i++ {
				u := int64(1 + (i+g)%3)
				h.Set(ctx, u, Change{Note: ptr(fmt.Sprint(g, i)), Idle: ptr(i%2 == 0)})
				h.CallState(u, fmt.Sprint("c", g), g%2 == 0, presence.PhoneOnCall, "x")
				h.RegistrationChanged(u)
				h.Org(ctx, 1)
				h.Role(ctx, u)
				h.CallState(u, fmt.Sprint("c", g), g%2 == 0, presence.PhoneIdle, "x")
			}
		}(g)
	}
	wg.Wait()
	c.waitN(t, 100)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	// After Close nothing blocks or panics.
	h.CallState(1, "late", true, presence.PhoneRinging, "")
	h.RegistrationChanged(1)
	h.Watch(1, c.fn)()
}
