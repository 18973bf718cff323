package api

import "time"

// Customer-service agents and supervisors (GRP-3, GRP-4, GRP-9):
//
//	GET  /api/agent                       → AgentView (the caller's own agent state and queues)
//	POST /api/agent/queues/{id}/login     → AgentView (log in to one queue; several at once)
//	POST /api/agent/queues/{id}/logout    → AgentView
//	POST /api/agent/pause   AgentPause    → AgentView (pause in every queue, with a reason)
//	POST /api/agent/resume                → AgentView
//	GET  /api/queues/{id}/stats?since=RFC3339 → QueueStats (supervisors and admins of the queue)
//	POST /api/queues/{id}/agents/{user}/login|logout → AgentView of that agent (supervisors)
//	GET  /api/queues/{id}/waiting         → QueueWaiting (the switchboard console: members of the
//	                                        queue, its supervisors and the organisation's admins)
//	POST /api/queues/{id}/night QueueNight → QueueWaiting (manual night mode, GRP-7: operators who
//	                                        are members, supervisors and admins)
//	POST /api/queues/{id}/waiting/{caller}/take → QueueWaiting (a member answers the caller with
//	                                        QueueCaller.ID {caller} next, out of turn; 409 while on a
//	                                        call or when the caller rings a colleague, 404 gone)
//
// Changes arrive on /api/events: type "agent" carries the user's AgentView after any change of
// state (ringing, in call, wrap-up, paused, logged in or out, auto-logout); type "queue" carries
// QueueStats for supervisors of the queue, at most once a second per queue.
//
// Errors: 404 another organisation's queue (or user) like a missing one, or not a member;
// 403 stats and agent logins by one who neither supervises the queue nor administers the
// organisation; 400 a bad since (RFC 3339, in the past, at most 31 days back; default the last
// 4 hours) or pause reason (one line, at most 100 characters); 501 a server without queues.

// Agent states. An agent in wrap-up is never shown as available.
const (
	AgentLoggedOut = "logged-out" // in no queue
	AgentAvailable = "available"
	AgentRinging   = "ringing" // a queue call is offered
	AgentInCall    = "in-call" // any call, queue or not
	AgentWrapUp    = "wrap-up"
	AgentPaused    = "paused"
)

// Event types of /api/events for agents and supervisors.
const (
	EventAgent = "agent"
	EventQueue = "queue"
)

// AgentView is an agent's state across all their queues.
type AgentView struct {
	UserID      int64        `json:"user_id"`
	State       string       `json:"state"`
	PauseReason string       `json:"pause_reason,omitempty"`
	WrapUpUntil *time.Time   `json:"wrap_up_until,omitempty"` // state wrap-up: when it ends
	Queues      []AgentQueue `json:"queues"`                  // every queue the user is a member of
	// Offer is the queue call ringing or connected now, if any.
	Offer *QueueOffer `json:"offer,omitempty"`
}

// AgentQueue is one queue of an agent.
type AgentQueue struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Number   string `json:"number"`
	LoggedIn bool   `json:"logged_in"`
	Skill    int    `json:"skill"`
	Waiting  int    `json:"waiting"` // callers waiting now
}

// QueueOffer describes a queue call to the agent it rings (also sent on the INVITE as
// X-Vaihde-Queue / X-Vaihde-Queue-Number / X-Vaihde-Callback headers).
type QueueOffer struct {
	QueueID  int64  `json:"queue_id"`
	Queue    string `json:"queue"`
	Caller   string `json:"caller"`
	Callback string `json:"callback,omitempty"` // the callback text, for a callback
}

// AgentPause is the body of POST /api/agent/pause.
type AgentPause struct {
	Reason string `json:"reason"`
}

// QueueStats are a queue's supervisor statistics (GRP-9), live and over the period since Since.
type QueueStats struct {
	QueueID        int64        `json:"queue_id"`
	Name           string       `json:"name"`
	Since          time.Time    `json:"since"`
	Waiting        int          `json:"waiting"`
	LongestWaitSec float64      `json:"longest_wait_s"`
	LastWaitSec    float64      `json:"last_answered_wait_s"` // wait of the last answered call
	AvgWaitSec     float64      `json:"avg_wait_s"`           // of answered calls in the period
	Answered       int          `json:"answered"`
	Abandoned      int          `json:"abandoned"`
	Overflowed     int          `json:"overflowed"`
	Callbacks      int          `json:"callbacks_waiting"`
	EstimateSec    float64      `json:"estimated_wait_s"` // for a caller entering now
	Night          bool         `json:"night"`
	Agents         []AgentStats `json:"agents"`
}

// AgentStats is one agent's line in QueueStats.
type AgentStats struct {
	UserID   int64  `json:"user_id"`
	Name     string `json:"name"`
	State    string `json:"state"`
	Answered int    `json:"answered"`
}

// QueueWaiting is a queue's callers in their order, as a switchboard console shows them.
type QueueWaiting struct {
	QueueID     int64         `json:"queue_id"`
	Name        string        `json:"name"`
	Number      string        `json:"number"`
	Night       bool          `json:"night"`        // closed now: the manual switch or outside hours
	NightManual bool          `json:"night_manual"` // the manual switch (POST .../night)
	Callers     []QueueCaller `json:"callers"`
}

// QueueCaller is one place in a queue: a caller on the line or a callback request.
type QueueCaller struct {
	ID       int64     `json:"id"`       // for POST /api/queues/{id}/waiting/{caller}/take
	Position int       `json:"position"` // 1: served next
	Caller   string    `json:"caller"`   // the number as shown to agents
	Name     string    `json:"name,omitempty"`
	Entered  time.Time `json:"entered"`
	WaitSec  float64   `json:"wait_s"`
	Callback bool      `json:"callback,omitempty"` // a callback request holding the place
	Ringing  bool      `json:"ringing,omitempty"`  // being offered to an agent now
}

// QueueNight is the body of POST /api/queues/{id}/night.
type QueueNight struct {
	Night bool `json:"night"`
}
