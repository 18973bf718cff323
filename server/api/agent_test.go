package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// fakeAgents is a queue engine that records what the API asks of it. Like the real one it
// checks that the queue belongs to orgID (in the real store), so a test can see which
// organisation the API passed.
type fakeAgents struct {
	st    store.Store
	mu    sync.Mutex
	calls []string
	subs  map[int]func(AgentEvent)
	next  int
}

func newFakeAgents(st store.Store) *fakeAgents {
	return &fakeAgents{st: st, subs: map[int]func(AgentEvent){}}
}

func (f *fakeAgents) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeAgents) took() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

func (f *fakeAgents) View(_ context.Context, orgID, userID int64) (shared.AgentView, error) {
	f.record("view %d %d", orgID, userID)
	return shared.AgentView{UserID: userID, State: shared.AgentLoggedOut, Queues: []shared.AgentQueue{}}, nil
}

func (f *fakeAgents) Login(ctx context.Context, orgID, userID, queueID int64, in bool) (shared.AgentView, error) {
	if _, err := f.st.Queue(ctx, orgID, queueID); err != nil {
		return shared.AgentView{}, err
	}
	f.record("login %d %d %d %t", orgID, userID, queueID, in)
	state := shared.AgentLoggedOut
	if in {
		state = shared.AgentAvailable
	}
	return shared.AgentView{UserID: userID, State: state}, nil
}

func (f *fakeAgents) Pause(_ context.Context, orgID, userID int64, reason string) (shared.AgentView, error) {
	f.record("pause %d %d %s", orgID, userID, reason)
	return shared.AgentView{UserID: userID, State: shared.AgentPaused, PauseReason: reason}, nil
}

func (f *fakeAgents) Resume(_ context.Context, orgID, userID int64) (shared.AgentView, error) {
	f.record("resume %d %d", orgID, userID)
	return shared.AgentView{UserID: userID, State: shared.AgentAvailable}, nil
}

func (f *fakeAgents) Stats(ctx context.Context, orgID, queueID int64, since time.Time) (shared.QueueStats, error) {
	q, err := f.st.Queue(ctx, orgID, queueID)
	if err != nil {
		return shared.QueueStats{}, err
	}
	f.record("stats %d %d %s", orgID, queueID, since.UTC().Format(time.RFC3339))
	return shared.QueueStats{QueueID: q.ID, Name: q.Name, Since: since, Waiting: 2}, nil
}

func (f *fakeAgents) Waiting(ctx context.Context, orgID, queueID int64) (shared.QueueWaiting, error) {
	q, err := f.st.Queue(ctx, orgID, queueID)
	if err != nil {
		return shared.QueueWaiting{}, err
	}
	f.record("waiting %d %d", orgID, queueID)
	return shared.QueueWaiting{QueueID: q.ID, Name: q.Name, Number: q.Number, NightManual: q.NightManual,
		Callers: []shared.QueueCaller{{Position: 1, Caller: "+358401234567", WaitSec: 12}}}, nil
}

func (f *fakeAgents) Take(ctx context.Context, orgID, queueID, userID, callerID int64) error {
	if _, err := f.st.Queue(ctx, orgID, queueID); err != nil {
		return err
	}
	f.record("take %d %d %d %d", orgID, queueID, userID, callerID)
	return nil
}

func (f *fakeAgents) Subscribe(fn func(AgentEvent)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := f.next
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

func (f *fakeAgents) emit(ev AgentEvent) {
	f.mu.Lock()
	fns := make([]func(AgentEvent), 0, len(f.subs))
	for _, fn := range f.subs {
		fns = append(fns, fn)
	}
	f.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}

func (f *fakeAgents) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func TestAgentRoutesWithoutEngine(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login(t, "1004")
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/agent"}, {"POST", "/api/agent/queues/1/login"}, {"POST", "/api/agent/queues/1/logout"},
		{"POST", "/api/agent/pause"}, {"POST", "/api/agent/resume"}, {"GET", "/api/queues/1/stats"},
		{"POST", "/api/queues/1/agents/1/login"}, {"POST", "/api/queues/1/agents/1/logout"},
		{"GET", "/api/queues/1/waiting"}, {"POST", "/api/queues/1/night"},
	} {
		code, body := e.do(t, r.method, r.path, tok, shared.AgentPause{Reason: "x"})
		wantError(t, r.method+" "+r.path, code, body, 501, "not available")
		code, body = e.do(t, r.method, r.path, "", nil)
		wantError(t, r.method+" "+r.path+" without token", code, body, 401, "token")
	}
}

// demoQueue returns the demo organisation's queue 8000 (Asiakaspalvelu: agents 1004–1006,
// supervisor 1005).
func demoQueue(t *testing.T, e *env) store.Queue {
	t.Helper()
	ctx := context.Background()
	_, id, err := e.st.GroupByNumber(ctx, e.accts["1001"].OrgID, "8000")
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.st.Queue(ctx, e.accts["1001"].OrgID, id)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestAgentAndSupervisorRoutes(t *testing.T) {
	a := newAdminEnv(t)
	fa := newFakeAgents(a.st)
	a.s.deps.Agents = fa
	q := demoQueue(t, a.env)
	org := a.demo.ID
	agent, sup, admin, plain := a.login(t, "1004"), a.login(t, "1005"), a.demoAdmin, a.demoUser
	id := func(ext string) int64 { return a.accts[ext].ID }
	qp := fmt.Sprintf("/api/agent/queues/%d", q.ID)

	var v shared.AgentView
	code, body := a.do(t, "GET", "/api/agent", agent, nil)
	if code != 200 || json.Unmarshal(body, &v) != nil || v.UserID != id("1004") {
		t.Fatalf("view: %d %s", code, body)
	}
	code, body = a.do(t, "POST", qp+"/login", agent, nil)
	if code != 200 || json.Unmarshal(body, &v) != nil || v.State != shared.AgentAvailable {
		t.Fatalf("login: %d %s", code, body)
	}
	a.do(t, "POST", qp+"/logout", agent, nil)
	code, body = a.do(t, "POST", "/api/agent/pause", agent, shared.AgentPause{Reason: " Lounas "})
	if code != 200 || json.Unmarshal(body, &v) != nil || v.PauseReason != "Lounas" {
		t.Fatalf("pause: %d %s", code, body)
	}
	code, body = a.do(t, "POST", "/api/agent/pause", agent, shared.AgentPause{Reason: "two\nlines"})
	wantError(t, "pause with a bad reason", code, body, 400, "reason")
	a.do(t, "POST", "/api/agent/resume", agent, nil)
	want := []string{
		fmt.Sprintf("view %d %d", org, id("1004")),
		fmt.Sprintf("login %d %d %d true", org, id("1004"), q.ID),
		fmt.Sprintf("login %d %d %d false", org, id("1004"), q.ID),
		fmt.Sprintf("pause %d %d Lounas", org, id("1004")),
		fmt.Sprintf("resume %d %d", org, id("1004")),
	}
	if got := fa.took(); !slices.Equal(got, want) {
		t.Fatalf("engine calls %q\nwant %q", got, want)
	}
	code, body = a.do(t, "POST", "/api/agent/queues/x/login", agent, nil)
	wantError(t, "bad queue id", code, body, 404, "no such queue")

	// Statistics: the supervisor and the administrator, not an agent or a colleague.
	sp := fmt.Sprintf("/api/queues/%d/stats", q.ID)
	for _, tok := range []string{sup, admin} {
		var st shared.QueueStats
		code, body = a.do(t, "GET", sp, tok, nil)
		if code != 200 || json.Unmarshal(body, &st) != nil || st.QueueID != q.ID || st.Waiting != 2 {
			t.Fatalf("stats: %d %s", code, body)
		}
	}
	since := adminClock.Add(-time.Hour).UTC().Format(time.RFC3339)
	code, body = a.do(t, "GET", sp+"?since="+url.QueryEscape(since), sup, nil)
	if code != 200 {
		t.Fatalf("stats since: %d %s", code, body)
	}
	defaultSince := adminClock.Add(-4 * time.Hour).UTC().Format(time.RFC3339)
	if got := fa.took(); len(got) != 3 || !strings.HasSuffix(got[0], defaultSince) || !strings.HasSuffix(got[2], since) {
		t.Fatalf("stats calls %q (default since %s)", got, defaultSince)
	}
	for _, tok := range []string{agent, plain} {
		code, body = a.do(t, "GET", sp, tok, nil)
		wantError(t, "stats by a non-supervisor", code, body, 403, "supervisor")
	}
	for _, bad := range []string{"yesterday", adminClock.Add(time.Hour).Format(time.RFC3339), adminClock.Add(-800 * time.Hour).Format(time.RFC3339)} {
		code, body = a.do(t, "GET", sp+"?since="+url.QueryEscape(bad), sup, nil)
		wantError(t, "stats since "+bad, code, body, 400, "since")
	}

	// A supervisor logs a member out and in; not a stranger to the queue, not as an agent.
	mp := fmt.Sprintf("/api/queues/%d/agents/%d", q.ID, id("1006"))
	code, body = a.do(t, "POST", mp+"/logout", sup, nil)
	if code != 200 || json.Unmarshal(body, &v) != nil || v.UserID != id("1006") || v.State != shared.AgentLoggedOut {
		t.Fatalf("supervisor logout: %d %s", code, body)
	}
	code, _ = a.do(t, "POST", mp+"/login", admin, nil)
	if got := fa.took(); code != 200 || !slices.Equal(got, []string{
		fmt.Sprintf("login %d %d %d false", org, id("1006"), q.ID), fmt.Sprintf("login %d %d %d true", org, id("1006"), q.ID)}) {
		t.Fatalf("supervisor login calls %q (%d)", got, code)
	}
	code, body = a.do(t, "POST", mp+"/login", agent, nil)
	wantError(t, "agent logs a colleague in", code, body, 403, "supervisor")
	code, body = a.do(t, "POST", fmt.Sprintf("/api/queues/%d/agents/%d/login", q.ID, id("1002")), sup, nil)
	wantError(t, "non-member", code, body, 404, "member")
	if got := fa.took(); len(got) != 0 {
		t.Fatalf("refused requests reached the engine: %q", got)
	}

	// Another organisation: demo's queue is not found, and the engine is asked about acme only.
	for _, r := range []struct{ method, path string }{
		{"POST", qp + "/login"}, {"GET", sp}, {"POST", mp + "/logout"},
	} {
		code, body = a.do(t, r.method, r.path, a.acmeAdmin, nil)
		wantError(t, "acme "+r.path, code, body, 404, "no such queue")
	}
	if got := fa.took(); len(got) != 0 {
		t.Fatalf("acme's requests reached the engine with demo's queue: %q", got)
	}
}

// TestAgentEventsReachOnlyTheirAudience: "agent" events go to that agent's streams only,
// "queue" events to the queue's supervisors and the organisation's administrators, never to
// another organisation.
func TestAgentEventsReachOnlyTheirAudience(t *testing.T) {
	a := newAdminEnv(t)
	fa := newFakeAgents(a.st)
	a.s.deps.Agents = fa
	q := demoQueue(t, a.env)
	org := a.demo.ID
	type viewer struct {
		name, token string
		userID      int64
		orgID       int64
		ch          <-chan sseEvent
	}
	viewers := []*viewer{
		{name: "agent 1004", token: a.login(t, "1004"), userID: a.accts["1004"].ID, orgID: org},
		{name: "supervisor 1005", token: a.login(t, "1005"), userID: a.accts["1005"].ID, orgID: org},
		{name: "admin 1001", token: a.demoAdmin, userID: a.accts["1001"].ID, orgID: org},
		{name: "colleague 1002", token: a.demoUser, userID: a.accts["1002"].ID, orgID: org},
		{name: "acme admin", token: a.acmeAdmin, userID: a.acmeUsers["2001"].ID, orgID: a.acme.ID},
	}
	for _, v := range viewers {
		ch, res := a.openStream(t, v.token)
		if res.StatusCode != 200 {
			t.Fatalf("%s stream: %d", v.name, res.StatusCode)
		}
		waitEvent(t, ch, 5*time.Second, "hello", func(e sseEvent, _ shared.Event) bool { return e.typ == "hello" })
		v.ch = ch
	}
	if n := fa.subscribers(); n != 1 {
		t.Fatalf("%d subscriptions to the engine, want 1", n)
	}
	agentID := a.accts["1004"].ID
	fa.emit(AgentEvent{OrgID: org, UserID: agentID, Agent: &shared.AgentView{UserID: agentID, State: shared.AgentRinging}})
	// The same user ID in another organisation's event reaches no one of demo.
	fa.emit(AgentEvent{OrgID: a.acme.ID, UserID: agentID, Agent: &shared.AgentView{UserID: agentID, State: shared.AgentWrapUp}})
	fa.emit(AgentEvent{OrgID: org, Queue: &shared.QueueStats{QueueID: q.ID, Name: q.Name, Waiting: 3}, Supervisors: q.Supervisors})
	// A marker for each viewer, last: everything before it was delivered already.
	for _, v := range viewers {
		fa.emit(AgentEvent{OrgID: v.orgID, UserID: v.userID, Agent: &shared.AgentView{UserID: v.userID, State: "marker"}})
	}
	wantGot := map[string][]string{
		"agent 1004":      {"agent ringing", "agent marker"},
		"supervisor 1005": {"queue 3", "agent marker"},
		"admin 1001":      {"queue 3", "agent marker"},
		"colleague 1002":  {"agent marker"},
		"acme admin":      {"agent marker"},
	}
	for _, v := range viewers {
		var got []string
		waitEvent(t, v.ch, 5*time.Second, v.name+" marker", func(e sseEvent, ev shared.Event) bool {
			switch e.typ {
			case shared.EventAgent:
				if ev.Agent.UserID != v.userID {
					t.Errorf("%s got agent event of user %d", v.name, ev.Agent.UserID)
				}
				got = append(got, "agent "+ev.Agent.State)
			case shared.EventQueue:
				got = append(got, fmt.Sprint("queue ", ev.Queue.Waiting))
			}
			return e.typ == shared.EventAgent && ev.Agent.State == "marker"
		})
		if !slices.Equal(got, wantGot[v.name]) {
			t.Errorf("%s got %q, want %q", v.name, got, wantGot[v.name])
		}
	}
	a.s.CloseStreams()
	if n := fa.subscribers(); n != 0 {
		t.Fatalf("%d subscriptions after CloseStreams", n)
	}
}
