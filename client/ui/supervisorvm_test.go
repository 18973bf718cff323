package ui

import (
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/agent/agenttest"
	"github.com/vaihde/vaihde/shared/api"
)

// supRun is a scripted run in the operator queue against agenttest: four callers, answered
// after 12 s and 31 s, one hangs up, one still waits 45 s at the fake's clock.
func supRun(t *testing.T) (*agenttest.Server, *agent.Board) {
	t.Helper()
	srv := agenttest.New(t, 1001)
	srv.Clock = func() time.Time { return t0.Add(2 * time.Minute) }
	srv.AddQueue(api.QueueStats{QueueID: 10, Name: "Vaihde", Overflowed: 1, Callbacks: 2, EstimateSec: 40.4,
		Agents: []api.AgentStats{{UserID: 1002, Name: "Bertta Berg", State: api.AgentAvailable},
			{UserID: 1003, Name: "Cecilia Lind", State: api.AgentLoggedOut}}})
	c1 := srv.Enter(10, t0)
	c2 := srv.Enter(10, t0.Add(10*time.Second))
	c3 := srv.Enter(10, t0.Add(20*time.Second))
	srv.Answer(c1, 1002, t0.Add(12*time.Second))
	srv.Abandon(c2)
	srv.Answer(c3, 1002, t0.Add(51*time.Second))
	srv.Enter(10, t0.Add(75*time.Second))
	b := agent.NewBoard(func() (string, string, bool) { return srv.URL, agenttest.Token, true }, agent.Options{})
	b.Watch(10)
	return srv, b
}

func TestSupervisorStatsMatchScriptedRun(t *testing.T) {
	srv, b := supRun(t)
	vm := NewSupervisorVM(b, NewStrings("en"))
	if p := vm.Panel(api.Profile{Supervisor: true}); !p.Visible || p.Empty == "" || len(p.Queues) != 0 {
		t.Fatalf("before the first poll: %+v", p)
	}
	if err := vm.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	p := vm.Panel(api.Profile{Supervisor: true})
	if len(p.Queues) != 1 || p.Error != "" {
		t.Fatalf("panel %+v", p)
	}
	q := p.Queues[0]
	want := []SupStat{{"Waiting", "1"}, {"Longest wait", "0:45"}, {"Average wait", "0:22"}, {"Answered", "2"},
		{"Abandoned", "1"}, {"Overflowed", "1"}, {"Callbacks", "2"}, {"Estimated wait", "0:40"}}
	if q.Name != "Vaihde" || !slices.Equal(q.Stats, want) {
		t.Fatalf("queue %q stats %v, want %v", q.Name, q.Stats, want)
	}
	wantAgents := []SupAgentRow{
		{UserID: 1002, Name: "Bertta Berg", State: "In a call", Tone: ToneError, Answered: "2", LoggedIn: true, Button: "Log out"},
		{UserID: 1003, Name: "Cecilia Lind", State: "Logged out", Tone: ToneNeutral, Answered: "0", Button: "Log in"},
	}
	if !slices.Equal(q.Agents, wantAgents) {
		t.Fatalf("agents %+v, want %+v", q.Agents, wantAgents)
	}
	// Each figure is what the server reports.
	st, _ := srv.Stats(10)
	if st.Waiting != 1 || st.Answered != 2 || st.Abandoned != 1 || FormatWait(st.AvgWaitSec) != "0:22" {
		t.Fatalf("fake reports %+v", st)
	}

	// The supervisor logs Cecilia in and Bertta out.
	if err := vm.ToggleAgent(t.Context(), 10, 1003); err != nil {
		t.Fatal(err)
	}
	if err := vm.ToggleAgent(t.Context(), 10, 1002); err != nil {
		t.Fatal(err)
	}
	q = vm.Panel(api.Profile{Supervisor: true}).Queues[0]
	if q.Agents[0].State != "Logged out" || q.Agents[1].State != "Available" || q.Agents[1].Button != "Log out" {
		t.Fatalf("after logins: %+v", q.Agents)
	}
	if got := srv.Requests(); !slices.Contains(got, "POST /api/queues/10/agents/1003/login") ||
		!slices.Contains(got, "POST /api/queues/10/agents/1002/logout") {
		t.Fatalf("requests %v", got)
	}
	if err := vm.ToggleAgent(t.Context(), 10, 4242); err == nil {
		t.Fatal("toggled an agent not in the queue")
	}
	if p := vm.Panel(api.Profile{}); p.Visible {
		t.Fatal("shown to a user without the supervisor role")
	}
}

func TestSupervisorNightAndStates(t *testing.T) {
	s := agent.BoardSnapshot{Busy: agent.BusyKey(5, 7), Queues: []api.QueueStats{{QueueID: 5, Name: "Vaihde", Night: true,
		Agents: []api.AgentStats{{UserID: 7, State: api.AgentPaused}, {UserID: 8, State: api.AgentWrapUp}, {UserID: 9, State: "odd"}}}}}
	q := SupervisorPanelOf(s, api.Profile{Supervisor: true}, NewStrings("fi")).Queues[0]
	if q.Name != "Vaihde · yötila" || !q.Night || !q.Agents[0].Busy || q.Agents[1].Busy {
		t.Fatalf("queue %+v", q)
	}
	for i, want := range []string{"Tauolla", "Jälkikirjaus", "Tuntematon tila (odd)"} {
		if q.Agents[i].State != want {
			t.Errorf("agent %d state %q, want %q", i, q.Agents[i].State, want)
		}
	}
	for _, tc := range []struct {
		s    float64
		want string
	}{{0, "0:00"}, {59.6, "1:00"}, {125, "2:05"}, {-3, "0:00"}} {
		if got := FormatWait(tc.s); got != tc.want {
			t.Errorf("FormatWait(%v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
