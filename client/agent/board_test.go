package agent

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/agent/agenttest"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
)

var b0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// scriptedRun is a morning in the operator queue: four callers, two answered after 10 s and
// 30 s, one hangs up, one still waits (for 45 s at the clock's time).
func scriptedRun(t *testing.T) (*agenttest.Server, *Board) {
	t.Helper()
	srv := agenttest.New(t, 1001)
	srv.Clock = func() time.Time { return b0.Add(2 * time.Minute) }
	srv.AddQueue(api.QueueStats{QueueID: 10, Name: "Vaihde", Overflowed: 1, Callbacks: 2, EstimateSec: 40,
		Agents: []api.AgentStats{{UserID: 1002, Name: "Bertta Berg", State: api.AgentAvailable},
			{UserID: 1003, Name: "Cecilia Lind", State: api.AgentLoggedOut}}})
	c1 := srv.Enter(10, b0)
	c2 := srv.Enter(10, b0.Add(10*time.Second))
	c3 := srv.Enter(10, b0.Add(20*time.Second))
	srv.Answer(c1, 1002, b0.Add(10*time.Second))
	srv.Abandon(c2)
	srv.SetAgentState(1002, api.AgentAvailable)
	srv.Answer(c3, 1002, b0.Add(50*time.Second))
	srv.Enter(10, b0.Add(75*time.Second))
	b := NewBoard(func() (string, string, bool) { return srv.URL, agenttest.Token, true }, Options{})
	b.Watch(10)
	return srv, b
}

func TestBoardStatsOfScriptedRun(t *testing.T) {
	_, b := scriptedRun(t)
	if err := b.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	s := b.Snapshot()
	if len(s.Queues) != 1 || s.Error != "" {
		t.Fatalf("snapshot %+v", s)
	}
	q := s.Queues[0]
	if q.Name != "Vaihde" || q.Waiting != 1 || q.LongestWaitSec != 45 || q.Answered != 2 || q.Abandoned != 1 ||
		q.AvgWaitSec != 20 || q.LastWaitSec != 30 || q.Overflowed != 1 || q.Callbacks != 2 || q.EstimateSec != 40 {
		t.Fatalf("stats %+v", q)
	}
	if q.Agents[0].Answered != 2 || q.Agents[0].State != api.AgentInCall || q.Agents[1].State != api.AgentLoggedOut {
		t.Fatalf("agents %+v", q.Agents)
	}
}

func TestBoardSetAgentAndEvents(t *testing.T) {
	srv, b := scriptedRun(t)
	var got []BoardSnapshot
	defer b.Subscribe(func(s BoardSnapshot) { got = append(got, s) })()
	if err := b.SetAgent(t.Context(), 10, 1003, true); err != nil {
		t.Fatal(err)
	}
	s := b.Snapshot()
	if s.Queues[0].Agents[1].State != api.AgentAvailable || s.Busy != "" {
		t.Fatalf("after login: %+v", s)
	}
	if len(got) < 3 || got[1].Busy != BusyKey(10, 1003) {
		t.Fatalf("the login under way was not published: %+v", got)
	}
	if err := b.SetAgent(t.Context(), 10, 9999, true); people.StatusOf(err) != http.StatusNotFound || b.Snapshot().Error == "" {
		t.Fatalf("unknown agent: %v, %q", err, b.Snapshot().Error)
	}
	// A "queue" event replaces the statistics at once, and adds a queue not watched yet.
	st, _ := srv.Stats(10)
	st.Waiting = 7
	b.HandleEvent(api.Event{Type: api.EventQueue, Queue: &st})
	b.HandleEvent(api.Event{Type: api.EventQueue, Queue: &api.QueueStats{QueueID: 12, Name: "Laskutus"}})
	b.HandleEvent(api.Event{Type: api.EventAgent})
	s = b.Snapshot()
	if len(s.Queues) != 2 || s.Queues[0].Waiting != 7 || s.Queues[1].Name != "Laskutus" {
		t.Fatalf("after events: %+v", s.Queues)
	}
}

func TestBoardWithoutSession(t *testing.T) {
	b := NewBoard(func() (string, string, bool) { return "", "", false }, Options{})
	if err := b.Refresh(t.Context()); !errors.Is(err, ErrNoSession) {
		t.Fatalf("refresh: %v", err)
	}
	if err := b.SetAgent(t.Context(), 1, 2, true); !errors.Is(err, ErrNoSession) {
		t.Fatalf("set agent: %v", err)
	}
}
