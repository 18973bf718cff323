package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/api"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// ---- fake clock ----

type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	seq     int
	f       func()
	stopped bool
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, at: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock by d, running every timer due on the way, in order, on the calling
// goroutine.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	for {
		var next *fakeTimer
		for _, t := range c.timers {
			if t.stopped || t.at.After(target) {
				continue
			}
			if next == nil || t.at.Before(next.at) || t.at.Equal(next.at) && t.seq < next.seq {
				next = t
			}
		}
		if next == nil {
			break
		}
		next.stopped = true
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.f()
		c.mu.Lock()
	}
	c.now = target
	live := c.timers[:0]
	for _, t := range c.timers {
		if !t.stopped {
			live = append(live, t)
		}
	}
	c.timers = live
	c.mu.Unlock()
}

// ---- fake store and directory ----

type fakeStore struct {
	store.GroupStore // methods the engine does not use panic

	mu        sync.Mutex
	queues    map[int64]store.Queue
	logins    map[[2]int64]store.AgentLogin
	callbacks map[int64]store.Callback
	calls     []store.QueueCall
	nextID    int64
}

func newFakeStore() *fakeStore {
	return &fakeStore{queues: map[int64]store.Queue{}, logins: map[[2]int64]store.AgentLogin{}, callbacks: map[int64]store.Callback{}}
}

func (s *fakeStore) Queues(ctx context.Context, orgID int64) ([]store.Queue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Queue
	for _, q := range s.queues {
		if q.OrgID == orgID {
			out = append(out, q)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *fakeStore) PutAgentLogin(ctx context.Context, orgID int64, l store.AgentLogin) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins[[2]int64{l.QueueID, l.UserID}] = l
	return nil
}

func (s *fakeStore) AgentLogins(ctx context.Context, orgID int64) ([]store.AgentLogin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.AgentLogin
	for _, l := range s.logins {
		out = append(out, l)
	}
	return out, nil
}

func (s *fakeStore) login(queueID, userID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins[[2]int64{queueID, userID}].LoggedIn
}

func (s *fakeStore) AddCallback(ctx context.Context, c store.Callback) (store.Callback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	c.ID = s.nextID
	s.callbacks[c.ID] = c
	return c, nil
}

func (s *fakeStore) UpdateCallback(ctx context.Context, c store.Callback) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.callbacks[c.ID]; !ok {
		return store.ErrNotFound
	}
	s.callbacks[c.ID] = c
	return nil
}

func (s *fakeStore) OpenCallbacks(ctx context.Context) ([]store.Callback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Callback
	for _, c := range s.callbacks {
		if c.State == store.CallbackWaiting || c.State == store.CallbackCalling {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *fakeStore) callbackList() []store.Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Callback
	for _, c := range s.callbacks {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *fakeStore) AddQueueCall(ctx context.Context, c store.QueueCall) (store.QueueCall, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	c.ID = s.nextID
	s.calls = append(s.calls, c)
	return c, nil
}

func (s *fakeStore) QueueCalls(ctx context.Context, orgID, queueID int64, since time.Time) ([]store.QueueCall, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.QueueCall
	for _, c := range s.calls {
		if c.OrgID == orgID && c.QueueID == queueID && !c.Entered.Before(since) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *fakeStore) outcomes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.calls {
		out = append(out, c.Outcome)
	}
	return out
}

type fakeDir struct {
	orgs  map[int64]store.Org
	users map[int64]store.User
}

func (d *fakeDir) OrgByID(ctx context.Context, id int64) (store.Org, error) {
	o, ok := d.orgs[id]
	if !ok {
		return o, store.ErrNotFound
	}
	return o, nil
}

func (d *fakeDir) UserByID(ctx context.Context, id int64) (store.User, error) {
	u, ok := d.users[id]
	if !ok {
		return u, store.ErrNotFound
	}
	return u, nil
}

// ---- fake channel: a Script that also rings, connects and loops music ----

type ringReq struct {
	caller *caller
	r      mediaapp.Ring
	reply  chan ringReply
}

type ringReply struct {
	ans mediaapp.Answered
	err error
}

type connectReq struct {
	caller *caller
	target string
}

type testChan struct {
	*mediaapp.Script
	c *caller
}

func (tc *testChan) Loop(ctx context.Context, clip mediaapp.Clip) error {
	tc.c.note("music " + clip.Name)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tc.c.hang:
		return mediaapp.ErrHangup
	}
}

func (tc *testChan) RingOut(ctx context.Context, r mediaapp.Ring) (mediaapp.Answered, error) {
	req := &ringReq{caller: tc.c, r: r, reply: make(chan ringReply, 1)}
	tc.c.h.rings <- req
	select {
	case rep := <-req.reply:
		return rep.ans, rep.err
	case <-ctx.Done():
		return mediaapp.Answered{}, ctx.Err()
	case <-tc.c.hang:
		return mediaapp.Answered{}, mediaapp.ErrHangup
	}
}

func (tc *testChan) Connect(ctx context.Context, number string, bypass bool) error {
	tc.c.h.connects <- connectReq{caller: tc.c, target: number}
	return nil
}

// ---- fake originator ----

type origReq struct {
	first, second mediaapp.Ring
	announce      []mediaapp.Clip
	reply         chan ringReply
}

type fakeOrig struct{ reqs chan *origReq }

func (o *fakeOrig) Originate(ctx context.Context, orgID int64, first mediaapp.Ring, announce []mediaapp.Clip, second mediaapp.Ring) (mediaapp.Answered, error) {
	req := &origReq{first: first, second: second, announce: announce, reply: make(chan ringReply, 1)}
	select {
	case o.reqs <- req:
	case <-ctx.Done():
		return mediaapp.Answered{}, ctx.Err()
	}
	select {
	case rep := <-req.reply:
		return rep.ans, rep.err
	case <-ctx.Done():
		return mediaapp.Answered{}, ctx.Err()
	}
}

// ---- harness ----

const testOrg = 1

// t0 is Monday 7 December 2026 10:00 in Helsinki.
var t0 = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

type harness struct {
	t        *testing.T
	clock    *fakeClock
	st       *fakeStore
	dir      *fakeDir
	orig     *fakeOrig
	e        *Engine
	rings    chan *ringReq
	connects chan connectReq
	randSeq  []int
	// beforeStart runs on each new engine before Start (e.g. phone states the hub reports).
	beforeStart func(e *Engine)
	randMu      sync.Mutex
	events      []api.AgentEvent
	evMu        sync.Mutex
}

type opt func(h *harness)

// withRand makes the engine's random numbers come from seq (then zeros).
func withRand(seq ...int) opt { return func(h *harness) { h.randSeq = seq } }

func withoutOriginator() opt { return func(h *harness) { h.orig = nil } }

// newHarness builds an engine over queues; users 101…199 of the members exist and hold the
// agent role, and every member starts logged in.
func newHarness(t *testing.T, queues []store.Queue, opts ...opt) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(t0), st: newFakeStore(),
		dir:   &fakeDir{orgs: map[int64]store.Org{testOrg: {ID: testOrg, Name: "Testi Oy", TimeZone: "Europe/Helsinki"}}, users: map[int64]store.User{}},
		orig:  &fakeOrig{reqs: make(chan *origReq, 16)},
		rings: make(chan *ringReq, 16), connects: make(chan connectReq, 16)}
	for _, o := range opts {
		o(h)
	}
	for _, q := range queues {
		if q.OrgID == 0 {
			q.OrgID = testOrg
		}
		h.st.queues[q.ID] = q
		for _, m := range q.Members {
			if _, ok := h.dir.users[m.UserID]; !ok {
				h.dir.users[m.UserID] = store.User{ID: m.UserID, OrgID: testOrg, Name: fmt.Sprintf("Agent %d", m.UserID), Extension: fmt.Sprint(m.UserID), Agent: true, Language: "fi"}
			}
			h.st.logins[[2]int64{q.ID, m.UserID}] = store.AgentLogin{QueueID: q.ID, UserID: m.UserID, LoggedIn: true, At: t0}
		}
	}
	h.start()
	return h
}

func (h *harness) start() {
	d := Deps{Groups: h.st, Directory: h.dir, Clock: h.clock, Rand: func(n int) int {
		h.randMu.Lock()
		defer h.randMu.Unlock()
		if len(h.randSeq) == 0 {
			return 0
		}
		v := h.randSeq[0]
		h.randSeq = h.randSeq[1:]
		return v % n
	}}
	if h.orig != nil {
		d.Originator = h.orig
	}
	h.e = New(d)
	if h.beforeStart != nil {
		h.beforeStart(h.e)
	}
	h.e.Subscribe(func(ev api.AgentEvent) {
		h.evMu.Lock()
		defer h.evMu.Unlock()
		h.events = append(h.events, ev)
	})
	if err := h.e.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	if err := h.e.Load(context.Background(), testOrg); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(h.e.Close)
}

// restart is a new engine on the same store (a server restart).
func (h *harness) restart() {
	h.e.Close()
	h.start()
}

type caller struct {
	h      *harness
	number string
	ch     *testChan
	hang   chan struct{}
	done   chan error
	mu     sync.Mutex
	notes  []string
	hungUp sync.Once
}

func (c *caller) note(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notes = append(c.notes, s)
}

// call starts a caller of queueID; inputs are what they type (mediaapp.Script).
func (h *harness) call(queueID int64, number string, inputs ...string) *caller {
	c := &caller{h: h, number: number, hang: make(chan struct{}), done: make(chan error, 1)}
	c.ch = &testChan{Script: mediaapp.NewScript(inputs...), c: c}
	flow := h.e.QueueFlow(testOrg, queueID, Caller{Number: number, Lang: "fi"})
	go func() { c.done <- flow(context.Background(), c.ch) }()
	return c
}

// hangup: the caller hangs up.
func (c *caller) hangup() { c.hungUp.Do(func() { close(c.hang) }) }

// wait waits for the caller's flow to end.
func (c *caller) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-c.done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("caller %s: flow did not end", c.number)
		return nil
	}
}

const guard = 5 * time.Second // a deadlock guard only: no test waits for it to pass

func (h *harness) nextRing() *ringReq {
	h.t.Helper()
	select {
	case r := <-h.rings:
		return r
	case <-time.After(guard):
		h.t.Fatal("no agent was rung")
		return nil
	}
}

func (h *harness) nextConnect() connectReq {
	h.t.Helper()
	select {
	case c := <-h.connects:
		return c
	case <-time.After(guard):
		h.t.Fatal("no overflow connect")
		return connectReq{}
	}
}

func (h *harness) nextOriginate() *origReq {
	h.t.Helper()
	select {
	case r := <-h.orig.reqs:
		return r
	case <-time.After(guard):
		h.t.Fatal("no callback was placed")
		return nil
	}
}

// eventually polls cond (state the engine's goroutines reach without the clock moving).
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// parked waits until n callers of queueID are waiting with their flows in the music.
func (h *harness) parked(queueID int64, n int) {
	h.t.Helper()
	h.eventually(fmt.Sprintf("%d callers parked in queue %d", n, queueID), func() bool {
		h.e.mu.Lock()
		defer h.e.mu.Unlock()
		q := h.e.orgs[testOrg].queues[queueID]
		live := 0
		for _, en := range q.waiting {
			if en.cb == nil {
				if en.wake == nil {
					return false
				}
				live++
			}
		}
		return live == n
	})
}

func (h *harness) state(userID int64) string {
	v, err := h.e.View(context.Background(), testOrg, userID)
	if err != nil {
		h.t.Fatal(err)
	}
	return v.State
}

func (h *harness) waitState(userID int64, want string) {
	h.t.Helper()
	h.eventually(fmt.Sprintf("agent %d %s", userID, want), func() bool { return h.state(userID) == want })
}

// answer answers the ring as userID; the returned func ends the conversation.
func (r *ringReq) answer(h *harness, userID int64) func() {
	done := make(chan struct{})
	r.reply <- ringReply{ans: mediaapp.Answered{UserID: userID, At: h.clock.Now(), Done: done}}
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}

func (r *ringReq) fail(err error) { r.reply <- ringReply{err: err} }

func (o *origReq) answer(h *harness, userID int64) func() {
	done := make(chan struct{})
	o.reply <- ringReply{ans: mediaapp.Answered{UserID: userID, At: h.clock.Now(), Done: done}}
	return func() { close(done) }
}

func (o *origReq) fail(err error) { o.reply <- ringReply{err: err} }

var errAgentNoAnswer = fmt.Errorf("%w: %w", mediaapp.ErrFirstFailed, mediaapp.ErrNoAnswer)
var errCallerNoAnswer = fmt.Errorf("%w: %w", mediaapp.ErrSecondFailed, mediaapp.ErrNoAnswer)

func members(ms ...store.QueueMember) []store.QueueMember { return ms }

func skill(id int64, s int) store.QueueMember { return store.QueueMember{UserID: id, Skill: s} }

func ordered(id int64, o int) store.QueueMember { return store.QueueMember{UserID: id, Order: o} }

func playedKey(played []string, key string) bool { return slices.Contains(played, key) }

var errorsIs = errors.Is
