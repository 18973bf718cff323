package api

import (
	"context"
	"time"

	shared "github.com/vaihde/vaihde/shared/api"
)

// Agents is the queue engine as the API sees it (server/queue implements it): agent state,
// logins, pause and supervisor statistics (GRP-3, GRP-4, GRP-9). Every method checks that the
// user and queue belong to orgID (store.ErrNotFound otherwise).
type Agents interface {
	View(ctx context.Context, orgID, userID int64) (shared.AgentView, error)
	// Login logs userID in to (in true) or out of queueID.
	Login(ctx context.Context, orgID, userID, queueID int64, in bool) (shared.AgentView, error)
	Pause(ctx context.Context, orgID, userID int64, reason string) (shared.AgentView, error)
	Resume(ctx context.Context, orgID, userID int64) (shared.AgentView, error)
	// Stats are the queue's statistics, live and over the period since since.
	Stats(ctx context.Context, orgID, queueID int64, since time.Time) (shared.QueueStats, error)
	// Waiting is the queue's callers in their order, for the switchboard console.
	Waiting(ctx context.Context, orgID, queueID int64) (shared.QueueWaiting, error)
	// Take rings userID, a member of the queue, with waiting caller callerID out of turn.
	Take(ctx context.Context, orgID, queueID, userID, callerID int64) error
	// Subscribe calls fn (from the engine's goroutine; it must not block) for each change until
	// cancel is called.
	Subscribe(fn func(AgentEvent)) (cancel func())
}

// AgentEvent is one change: an agent's view (for that agent) or a queue's statistics (for its
// supervisors and the organisation's admins).
type AgentEvent struct {
	OrgID       int64
	UserID      int64 // the agent, for Agent
	Agent       *shared.AgentView
	Queue       *shared.QueueStats
	Supervisors []int64 // for Queue: who may see it (admins of OrgID also may)
}
