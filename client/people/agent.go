package people

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vaihde/vaihde/shared/api"
)

// Customer-service agent routes of shared/api/agent.go. The model that uses them is
// client/agent.

// Agent returns the user's agent state and queues (GET /api/agent).
func (c *Client) Agent(ctx context.Context) (api.AgentView, error) {
	var out api.AgentView
	err := c.do(ctx, http.MethodGet, "/api/agent", nil, &out)
	return out, err
}

// AgentLogin logs the user in to (in true) or out of one queue
// (POST /api/agent/queues/{id}/login or …/logout).
func (c *Client) AgentLogin(ctx context.Context, queueID int64, in bool) (api.AgentView, error) {
	op := "/logout"
	if in {
		op = "/login"
	}
	var out api.AgentView
	err := c.do(ctx, http.MethodPost, "/api/agent/queues/"+strconv.FormatInt(queueID, 10)+op, nil, &out)
	return out, err
}

// AgentPause pauses the user in every queue with a reason (POST /api/agent/pause).
func (c *Client) AgentPause(ctx context.Context, reason string) (api.AgentView, error) {
	var out api.AgentView
	err := c.do(ctx, http.MethodPost, "/api/agent/pause", api.AgentPause{Reason: reason}, &out)
	return out, err
}

// AgentResume ends a pause (POST /api/agent/resume).
func (c *Client) AgentResume(ctx context.Context) (api.AgentView, error) {
	var out api.AgentView
	err := c.do(ctx, http.MethodPost, "/api/agent/resume", nil, &out)
	return out, err
}

// Supervisor routes (GRP-9).

// QueueStats returns a queue's supervisor statistics over the server's default period
// (GET /api/queues/{id}/stats).
func (c *Client) QueueStats(ctx context.Context, queueID int64) (api.QueueStats, error) {
	var out api.QueueStats
	err := c.do(ctx, http.MethodGet, "/api/queues/"+strconv.FormatInt(queueID, 10)+"/stats", nil, &out)
	return out, err
}

// SupervisorLogin logs agent userID in to (in true) or out of a queue
// (POST /api/queues/{id}/agents/{user}/login or …/logout).
func (c *Client) SupervisorLogin(ctx context.Context, queueID, userID int64, in bool) (api.AgentView, error) {
	op := "/logout"
	if in {
		op = "/login"
	}
	var out api.AgentView
	err := c.do(ctx, http.MethodPost, "/api/queues/"+strconv.FormatInt(queueID, 10)+"/agents/"+
		strconv.FormatInt(userID, 10)+op, nil, &out)
	return out, err
}

// Switchboard console routes (OP-1, GRP-7).

// QueueWaiting returns a queue's callers in serving order (GET /api/queues/{id}/waiting).
func (c *Client) QueueWaiting(ctx context.Context, queueID int64) (api.QueueWaiting, error) {
	var out api.QueueWaiting
	err := c.do(ctx, http.MethodGet, "/api/queues/"+strconv.FormatInt(queueID, 10)+"/waiting", nil, &out)
	return out, err
}

// SetQueueNight switches a queue's manual night mode (POST /api/queues/{id}/night).
func (c *Client) SetQueueNight(ctx context.Context, queueID int64, night bool) (api.QueueWaiting, error) {
	var out api.QueueWaiting
	err := c.do(ctx, http.MethodPost, "/api/queues/"+strconv.FormatInt(queueID, 10)+"/night", api.QueueNight{Night: night}, &out)
	return out, err
}

// TakeCaller rings the user with a waiting caller of the queue out of turn (POST
// /api/queues/{id}/waiting/{caller}/take) and returns the queue's callers after it.
func (c *Client) TakeCaller(ctx context.Context, queueID, callerID int64) (api.QueueWaiting, error) {
	var out api.QueueWaiting
	err := c.do(ctx, http.MethodPost, "/api/queues/"+strconv.FormatInt(queueID, 10)+"/waiting/"+
		strconv.FormatInt(callerID, 10)+"/take", nil, &out)
	return out, err
}

// ColleagueForwarding returns where a colleague's calls go (GET /api/switchboard/forwarding/{ext},
// operators and admins), for the switchboard before a transfer.
func (c *Client) ColleagueForwarding(ctx context.Context, ext string) (api.ColleagueForwarding, error) {
	var out api.ColleagueForwarding
	err := c.do(ctx, http.MethodGet, "/api/switchboard/forwarding/"+url.PathEscape(ext), nil, &out)
	return out, err
}

// Parked returns the organisation's parked calls (GET /api/switchboard/parked); the "parked"
// events of /api/events carry the same list after every change.
func (c *Client) Parked(ctx context.Context) ([]api.ParkedCall, error) {
	var out api.ParkedCalls
	err := c.do(ctx, http.MethodGet, "/api/switchboard/parked", nil, &out)
	return out.Parked, err
}
