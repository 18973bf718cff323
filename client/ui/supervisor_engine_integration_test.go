package ui

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/server/api"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/queue"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// Issue 11, acceptance 3: supervisor statistics match what happened in a scripted run of
// calls. The calls go through the real queue engine (server/queue) on a fake clock over a real
// SQLite store; the supervisor reads them the way the Softphone does: the real API handler over
// loopback HTTP, people.Client, agent.Board fed by GET /api/queues/{id}/stats and by the
// "queue" events of /api/events, and the SupervisorVM.

// seClock is a queue.Clock that moves only when told; due timers run on Advance's goroutine.
type seClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*seTimer
}

type seTimer struct {
	c       *seClock
	at      time.Time
	seq     int
	f       func()
	stopped bool
}

func (c *seClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *seClock) AfterFunc(d time.Duration, f func()) queue.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &seTimer{c: c, at: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *seTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock by d, running the timers due on the way in order.
func (c *seClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	for {
		var next *seTimer
		for _, t := range c.timers {
			if !t.stopped && !t.at.After(target) && (next == nil || t.at.Before(next.at) || t.at.Equal(next.at) && t.seq < next.seq) {
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
	c.mu.Unlock()
}

// seRing is one RingOut of a caller's flow, waiting for the test to answer it.
type seRing struct {
	from  string
	users []int64
	reply chan mediaapp.Answered
}

// seCaller is a caller on a queue: a mediaapp.Script that also loops music (until hung up)
// and rings agents through the test.
type seCaller struct {
	*mediaapp.Script
	number string
	rings  chan<- *seRing
	hang   chan struct{}
	music  chan struct{} // closed when the caller first hears the queue's music (is queued)
	once   sync.Once
	done   chan struct{} // closed when the caller's flow has returned
}

func (c *seCaller) Loop(ctx context.Context, _ mediaapp.Clip) error {
	c.once.Do(func() { close(c.music) })
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.hang:
		return mediaapp.ErrHangup
	}
}

func (c *seCaller) RingOut(ctx context.Context, r mediaapp.Ring) (mediaapp.Answered, error) {
	req := &seRing{from: c.number, users: r.Users, reply: make(chan mediaapp.Answered, 1)}
	select {
	case c.rings <- req:
	case <-ctx.Done():
		return mediaapp.Answered{}, ctx.Err()
	case <-c.hang:
		return mediaapp.Answered{}, mediaapp.ErrHangup
	}
	select {
	case a := <-req.reply:
		return a, nil
	case <-ctx.Done():
		return mediaapp.Answered{}, ctx.Err()
	case <-c.hang:
		return mediaapp.Answered{}, mediaapp.ErrHangup
	}
}

// seGuard bounds waits for the engine's goroutines and the event stream; nothing waits for
// it to pass.
const seGuard = 10 * time.Second

func seLogin(t *testing.T, base, user, password string) *people.Client {
	t.Helper()
	b, _ := json.Marshal(shared.LoginRequest{User: user, Password: password})
	res, err := http.Post(base+"/api/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var lr shared.LoginResponse
	if err := json.NewDecoder(res.Body).Decode(&lr); err != nil || lr.Token == "" {
		t.Fatalf("login %s: %d %v", user, res.StatusCode, err)
	}
	return &people.Client{BaseURL: base, Token: lr.Token, HTTP: &http.Client{}}
}

func TestIntegrationSupervisorStatsFromRealEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, org, user := demoStore(t)
	// X and Y answer, Z pauses, W is logged out by the supervisor (1005, also Z).
	x, y, z, w := user["1004"], user["1006"], user["1005"], user["1007"]
	w.Agent = true
	if err := st.UpdateUser(ctx, w); err != nil {
		t.Fatal(err)
	}
	q, err := st.CreateQueue(ctx, store.Queue{OrgID: org.ID, Name: "Tuki", Number: "8050", RingAtOnce: 1,
		RingTime: 20 * time.Second, WrapUp: time.Minute, Supervisors: []int64{z.ID},
		Members: []store.QueueMember{{UserID: x.ID, Skill: 1}, {UserID: y.ID, Skill: 2}, {UserID: z.ID, Skill: 3}, {UserID: w.ID, Skill: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC) // a Monday
	clock := &seClock{now: start}
	for _, m := range q.Members {
		if err := st.PutAgentLogin(ctx, org.ID, store.AgentLogin{QueueID: q.ID, UserID: m.UserID, LoggedIn: true, At: start}); err != nil {
			t.Fatal(err)
		}
	}
	eng := queue.New(queue.Deps{Groups: st, Directory: st, Clock: clock, Log: log})
	t.Cleanup(eng.Close)
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := eng.Load(ctx, org.ID); err != nil {
		t.Fatal(err)
	}
	hub := presence.New(st, nil, log)
	t.Cleanup(func() { hub.Close() })
	srv := api.New(api.Deps{Store: st, Logger: log, Presence: hub, Agents: eng, Now: clock.Now})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(srv.CloseStreams)

	sup := seLogin(t, hs.URL, "1005", "demo1005")
	// The supervisor's event stream feeds the board, as people.Book does in the Softphone.
	board := agent.NewBoard(func() (string, string, bool) { return sup.BaseURL, sup.Token, true }, agent.Options{Logger: log})
	board.Watch(q.ID)
	evCtx, stopEvents := context.WithCancel(ctx)
	body, err := sup.Events(evCtx)
	if err != nil {
		t.Fatal(err)
	}
	hello := make(chan struct{})
	evDone := make(chan struct{})
	go func() {
		defer close(evDone)
		defer body.Close()
		r := people.NewEventReader(body)
		for {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if ev.Type == shared.EventHello {
				close(hello)
			}
			board.HandleEvent(ev)
		}
	}()
	endEvents := func() {
		stopEvents()
		<-evDone
	}
	t.Cleanup(endEvents)
	select {
	case <-hello:
	case <-time.After(seGuard):
		t.Fatal("no hello on the event stream")
	}

	tr := NewStrings("en")
	vm := NewSupervisorVM(board, tr)
	prof := shared.Profile{Supervisor: true}
	if err := vm.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// The supervisor logs W out from the supervisor view; Z pauses from their own Softphone.
	if err := vm.ToggleAgent(ctx, q.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := seLogin(t, hs.URL, "1005", "demo1005").AgentPause(ctx, "Lounas"); err != nil {
		t.Fatal(err)
	}
	// X and Y are in other calls (the presence hub feeds the engine their phone state).
	eng.PhoneState(x.ID, true)
	eng.PhoneState(y.ID, true)

	rings := make(chan *seRing, 4)
	var callers []*seCaller
	enter := func(number string) *seCaller {
		t.Helper()
		c := &seCaller{Script: mediaapp.NewScript(), number: number, rings: rings, hang: make(chan struct{}),
			music: make(chan struct{}), done: make(chan struct{})}
		callers = append(callers, c)
		flow := eng.QueueFlow(org.ID, q.ID, queue.Caller{Number: number, Lang: "fi"})
		go func() {
			defer close(c.done)
			if err := flow(ctx, c); err != nil {
				t.Errorf("caller %s: flow: %v", number, err)
			}
		}()
		select {
		case <-c.music:
		case <-time.After(seGuard):
			t.Fatalf("caller %s was not queued", number)
		}
		return c
	}
	ended := func(c *seCaller) {
		t.Helper()
		select {
		case <-c.done:
		case <-time.After(seGuard):
			t.Fatalf("caller %s: flow did not end", c.number)
		}
	}
	t.Cleanup(func() {
		for _, c := range callers {
			select {
			case <-c.hang:
			default:
				close(c.hang)
			}
			<-c.done
		}
	})
	answer := func(c *seCaller, by store.User) chan struct{} {
		t.Helper()
		var r *seRing
		select {
		case r = <-rings:
		case <-time.After(seGuard):
			t.Fatalf("%s was not rung", by.Extension)
		}
		if r.from != c.number || !slices.Equal(r.users, []int64{by.ID}) {
			t.Fatalf("ring of %s to %v, want %s to %d", r.from, r.users, c.number, by.ID)
		}
		talk := make(chan struct{})
		r.reply <- mediaapp.Answered{UserID: by.ID, At: clock.Now(), Done: talk}
		ended(c) // the caller's flow ends with the answer
		return talk
	}
	state := func(u store.User) string {
		v, err := eng.View(ctx, org.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return v.State
	}
	waitState := func(u store.User, want string) {
		t.Helper()
		deadline := time.Now().Add(seGuard)
		for state(u) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s is %s, want %s", u.Extension, state(u), want)
			}
			time.Sleep(time.Millisecond)
		}
	}

	// The script. A waits 30 s for X; B 15 s for Y; C hangs up after 45 s; D waits from 1:30.
	a := enter("+358401000001")
	clock.Advance(15 * time.Second)
	b := enter("+358401000002")
	clock.Advance(15 * time.Second) // 0:30
	eng.PhoneState(x.ID, false)
	talkA := answer(a, x)
	eng.PhoneState(y.ID, false)
	answer(b, y)                    // Y is still talking at the end
	clock.Advance(10 * time.Second) // 0:40
	c := enter("+358401000003")
	clock.Advance(45 * time.Second) // 1:25
	close(c.hang)
	ended(c)
	clock.Advance(5 * time.Second) // 1:30
	enter("+358401000004")
	clock.Advance(10 * time.Second) // 1:40: X hangs up and starts a minute's wrap-up
	close(talkA)
	waitState(x, shared.AgentWrapUp)

	agentRows := func(wantAnswered map[int64]string) []SupAgentRow {
		states := map[int64]string{x.ID: tr.T(KAgentWrapUp), y.ID: tr.T(KAgentInCall), z.ID: tr.T(KAgentPaused), w.ID: tr.T(KSupLoggedOut)}
		tones := map[int64]Tone{x.ID: ToneWarn, y.ID: ToneError, z.ID: ToneError, w.ID: ToneNeutral}
		var out []SupAgentRow
		for _, u := range []store.User{x, y, z, w} {
			r := SupAgentRow{UserID: u.ID, Name: u.Name, State: states[u.ID], Tone: tones[u.ID], Answered: wantAnswered[u.ID],
				LoggedIn: u.ID != w.ID, Button: tr.T(KAgentLogOut)}
			if u.ID == w.ID {
				r.Button = tr.T(KAgentLogIn)
			}
			out = append(out, r)
		}
		slices.SortFunc(out, func(r1, r2 SupAgentRow) int { return cmp.Compare(r1.UserID, r2.UserID) })
		return out
	}
	answered := map[int64]string{x.ID: "1", y.ID: "1", z.ID: "0", w.ID: "0"}
	checkPanel := func(when, longest string) {
		t.Helper()
		p := vm.Panel(prof)
		// The board also shows Asiakaspalvelu, which 1005 supervises too (its events add it).
		i := slices.IndexFunc(p.Queues, func(r SupQueueRow) bool { return r.ID == q.ID })
		if i < 0 || p.Error != "" {
			t.Fatalf("%s: panel %+v", when, p)
		}
		got := p.Queues[i]
		want := []SupStat{{"Waiting", "1"}, {"Longest wait", longest}, {"Average wait", "0:23"}, {"Answered", "2"},
			{"Abandoned", "1"}, {"Overflowed", "0"}, {"Callbacks", "0"}}
		if got.Name != "Tuki" || len(got.Stats) != 8 || !slices.Equal(got.Stats[:7], want) {
			t.Errorf("%s: queue %q stats %v, want %v", when, got.Name, got.Stats, want)
		}
		if wa := agentRows(answered); !slices.Equal(got.Agents, wa) {
			t.Errorf("%s: agents\n%+v, want\n%+v", when, got.Agents, wa)
		}
	}

	// The live "queue" event of X's hang-up at 1:40 (D has waited 10 s then).
	deadline := time.Now().Add(seGuard)
	for {
		s := board.Snapshot()
		i := slices.IndexFunc(s.Queues, func(qs shared.QueueStats) bool { return qs.QueueID == q.ID })
		if i >= 0 && s.Queues[i].Answered == 2 && s.Queues[i].Abandoned == 1 &&
			slices.ContainsFunc(s.Queues[i].Agents, func(a shared.AgentStats) bool { return a.UserID == x.ID && a.State == shared.AgentWrapUp }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no queue event of the run's end; board %+v", s)
		}
		time.Sleep(time.Millisecond)
	}
	checkPanel("from the event", "0:10")
	endEvents() // so that no later event races the poll below

	// The supervisor view polls at 1:50: D has waited 20 s.
	clock.Advance(10 * time.Second)
	if err := vm.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	checkPanel("polled", "0:20")
	s, err := sup.QueueStats(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Waiting != 1 || s.LongestWaitSec != 20 || s.Answered != 2 || s.Abandoned != 1 || s.AvgWaitSec != 22.5 || s.LastWaitSec != 15 ||
		s.Overflowed != 0 || s.Callbacks != 0 || !s.Since.Equal(clock.Now().Add(-4*time.Hour)) {
		t.Errorf("GET /api/queues/%d/stats: %+v", q.ID, s)
	}
	// The store has what the script finished: X's call and C's; B's call is still on.
	calls, err := st.QueueCalls(ctx, org.ID, q.ID, start)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, call := range calls {
		outcomes = append(outcomes, call.Outcome)
	}
	slices.Sort(outcomes)
	if !slices.Equal(outcomes, []string{"abandoned", "answered"}) {
		t.Errorf("stored calls %v", outcomes)
	}
}
