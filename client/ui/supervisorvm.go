package ui

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/shared/api"
)

// This file is the view-model of the supervisor view (GRP-9): live statistics per queue and
// per agent, and logging agents in and out. No Fyne dependency.

// SupStat is one figure of a queue: its label and value as shown.
type SupStat struct{ Label, Value string }

// SupAgentRow is one agent of a queue.
type SupAgentRow struct {
	UserID   int64
	Name     string
	State    string
	Tone     Tone
	Answered string
	LoggedIn bool
	Button   string // Log in / Log out
	Busy     bool   // its login or logout is under way
}

// SupQueueRow is one queue with its figures and agents.
type SupQueueRow struct {
	ID     int64
	Name   string
	Night  bool
	Stats  []SupStat // waiting, longest, average, answered, abandoned, overflowed, callbacks, estimate
	Agents []SupAgentRow
}

// SupervisorPanel is what the supervisor view shows.
type SupervisorPanel struct {
	Visible bool // the user has the supervisor role
	Queues  []SupQueueRow
	Empty   string
	Error   string
}

// FormatWait shows a wait in seconds as "m:ss", rounded to whole seconds.
func FormatWait(sec float64) string {
	if sec < 0 || math.IsNaN(sec) {
		sec = 0
	}
	s := int(math.Round(sec))
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// agentStateText is an agent's state in words with its lamp colour.
func agentStateText(state string, tr Strings) (string, Tone) {
	switch state {
	case api.AgentLoggedOut, "":
		return tr.T(KSupLoggedOut), ToneNeutral
	case api.AgentAvailable:
		return tr.T(KAgentAvailable), ToneOK
	case api.AgentRinging:
		return tr.T(KAgentRinging), ToneWarn
	case api.AgentInCall:
		return tr.T(KAgentInCall), ToneError
	case api.AgentWrapUp:
		return tr.T(KAgentWrapUp), ToneWarn
	case api.AgentPaused:
		return tr.T(KAgentPaused), ToneError
	}
	return tr.F(KAgentUnknownState, state), ToneNeutral
}

// SupervisorPanelOf renders a board snapshot for profile p.
func SupervisorPanelOf(s agent.BoardSnapshot, p api.Profile, tr Strings) SupervisorPanel {
	out := SupervisorPanel{Visible: p.Supervisor, Error: s.Error}
	if len(s.Queues) == 0 {
		out.Empty = tr.T(KSupNoQueues)
	}
	for _, q := range s.Queues {
		r := SupQueueRow{ID: q.QueueID, Name: q.Name, Night: q.Night, Stats: []SupStat{
			{tr.T(KSupWaiting), strconv.Itoa(q.Waiting)},
			{tr.T(KSupLongest), FormatWait(q.LongestWaitSec)},
			{tr.T(KSupAverage), FormatWait(q.AvgWaitSec)},
			{tr.T(KSupAnswered), strconv.Itoa(q.Answered)},
			{tr.T(KSupAbandoned), strconv.Itoa(q.Abandoned)},
			{tr.T(KSupOverflowed), strconv.Itoa(q.Overflowed)},
			{tr.T(KSupCallbacks), strconv.Itoa(q.Callbacks)},
			{tr.T(KSupEstimate), FormatWait(q.EstimateSec)},
		}}
		if q.Night {
			r.Name += " · " + tr.T(KSupNight)
		}
		for _, a := range q.Agents {
			st, tone := agentStateText(a.State, tr)
			in := a.State != api.AgentLoggedOut && a.State != ""
			row := SupAgentRow{UserID: a.UserID, Name: a.Name, State: st, Tone: tone, LoggedIn: in,
				Answered: strconv.Itoa(a.Answered), Button: tr.T(KAgentLogIn),
				Busy: s.Busy == agent.BusyKey(q.QueueID, a.UserID)}
			if in {
				row.Button = tr.T(KAgentLogOut)
			}
			r.Agents = append(r.Agents, row)
		}
		out.Queues = append(out.Queues, r)
	}
	return out
}

// SupervisorVM is the supervisor view's model over a Supervision (client/agent.Board).
type SupervisorVM struct {
	board agent.Supervision
	tr    Strings
}

// NewSupervisorVM returns the model over board.
func NewSupervisorVM(board agent.Supervision, tr Strings) *SupervisorVM {
	return &SupervisorVM{board: board, tr: tr}
}

// Panel renders the board's latest snapshot for profile p.
func (v *SupervisorVM) Panel(p api.Profile) SupervisorPanel {
	return SupervisorPanelOf(v.board.Snapshot(), p, v.tr)
}

// Refresh polls the statistics.
func (v *SupervisorVM) Refresh(ctx context.Context) error { return v.board.Refresh(ctx) }

// ToggleAgent logs agent userID out of queueID when logged in, else in.
func (v *SupervisorVM) ToggleAgent(ctx context.Context, queueID, userID int64) error {
	for _, q := range v.board.Snapshot().Queues {
		if q.QueueID != queueID {
			continue
		}
		for _, a := range q.Agents {
			if a.UserID == userID {
				return v.board.SetAgent(ctx, queueID, userID, a.State == api.AgentLoggedOut || a.State == "")
			}
		}
	}
	return fmt.Errorf("agent %d in queue %d: %w", userID, queueID, agent.ErrNoQueue)
}
