package agenttest

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

// Supervisor statistics (GRP-9) computed from a scripted run of calls: a test adds queues
// with their agents (AddQueue), then callers enter (Enter), are answered (Answer) or hang up
// (Abandon); GET /api/queues/{id}/stats answers what that run adds up to at Clock's time, and
// every change is sent as a "queue" event.

type queueSim struct {
	base     api.QueueStats // name, flags and the agents
	answered []float64      // waits of answered calls, in order
	abandon  int
}

type queueCall struct {
	queue   int64
	entered time.Time
	done    bool
}

// AddQueue makes a queue the supervisor sees; st gives its name, agents (state and answered
// counts start from there) and the counters the run does not drive (overflowed, callbacks,
// estimate, night).
func (s *Server) AddQueue(st api.QueueStats) {
	s.mu.Lock()
	st.Agents = slices.Clone(st.Agents)
	s.queues[st.QueueID] = &queueSim{base: st}
	s.mu.Unlock()
	s.broadcastQueue(st.QueueID)
}

// Enter puts a caller in the queue at time at and returns the call's number.
func (s *Server) Enter(queueID int64, at time.Time) int {
	s.mu.Lock()
	id := len(s.calls) + 1
	s.calls[id] = queueCall{queue: queueID, entered: at}
	s.mu.Unlock()
	s.broadcastQueue(queueID)
	return id
}

// Answer has agent userID answer call at time at.
func (s *Server) Answer(call int, userID int64, at time.Time) {
	s.mu.Lock()
	c := s.calls[call]
	q := s.queues[c.queue]
	c.done = true
	s.calls[call] = c
	q.answered = append(q.answered, at.Sub(c.entered).Seconds())
	for i := range q.base.Agents {
		if q.base.Agents[i].UserID == userID {
			q.base.Agents[i].Answered++
			q.base.Agents[i].State = api.AgentInCall
		}
	}
	s.mu.Unlock()
	s.broadcastQueue(c.queue)
}

// Abandon has the caller of call hang up while waiting.
func (s *Server) Abandon(call int) {
	s.mu.Lock()
	c := s.calls[call]
	c.done = true
	s.calls[call] = c
	s.queues[c.queue].abandon++
	s.mu.Unlock()
	s.broadcastQueue(c.queue)
}

// SetAgentState sets an agent's state in every queue (e.g. back to available after a call).
func (s *Server) SetAgentState(userID int64, state string) {
	s.mu.Lock()
	var ids []int64
	for id, q := range s.queues {
		for i := range q.base.Agents {
			if q.base.Agents[i].UserID == userID {
				q.base.Agents[i].State = state
				ids = append(ids, id)
			}
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.broadcastQueue(id)
	}
}

// Stats is what GET /api/queues/{id}/stats answers now.
func (s *Server) Stats(queueID int64) (api.QueueStats, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statsLocked(queueID)
}

func (s *Server) statsLocked(queueID int64) (api.QueueStats, bool) {
	q, ok := s.queues[queueID]
	if !ok {
		return api.QueueStats{}, false
	}
	now := time.Now()
	if s.Clock != nil {
		now = s.Clock()
	}
	st := q.base
	st.Agents = slices.Clone(q.base.Agents)
	st.Answered, st.Abandoned, st.Waiting, st.LongestWaitSec = len(q.answered), q.abandon, 0, 0
	for _, c := range s.calls {
		if c.queue == queueID && !c.done {
			st.Waiting++
			st.LongestWaitSec = max(st.LongestWaitSec, now.Sub(c.entered).Seconds())
		}
	}
	if n := len(q.answered); n > 0 {
		sum := 0.0
		for _, w := range q.answered {
			sum += w
		}
		st.AvgWaitSec, st.LastWaitSec = sum/float64(n), q.answered[n-1]
	}
	return st, true
}

func (s *Server) broadcastQueue(queueID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.statsLocked(queueID)
	if !ok {
		return
	}
	for _, ch := range s.streams {
		select {
		case ch <- api.Event{Type: api.EventQueue, Queue: &st}:
		default:
		}
	}
}

func (s *Server) queueStats(r *http.Request) (any, int) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return api.Error{Error: "bad queue"}, 404
	}
	st, ok := s.Stats(id)
	if !ok {
		return api.Error{Error: "no such queue"}, 404
	}
	return st, 200
}

// agentLogin serves POST /api/queues/{id}/agents/{user}/login|logout: the agent becomes
// available (from logged out) or logged out.
func (s *Server) agentLogin(r *http.Request) (any, int) {
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	user, err2 := strconv.ParseInt(r.PathValue("user"), 10, 64)
	op := r.PathValue("op")
	if err1 != nil || err2 != nil || (op != "login" && op != "logout") {
		return api.Error{Error: "no such route"}, 404
	}
	s.mu.Lock()
	q, ok := s.queues[id]
	i := -1
	if ok {
		i = slices.IndexFunc(q.base.Agents, func(a api.AgentStats) bool { return a.UserID == user })
	}
	if i < 0 {
		s.mu.Unlock()
		return api.Error{Error: "no such agent in that queue"}, 404
	}
	a := &q.base.Agents[i]
	switch {
	case op == "logout":
		a.State = api.AgentLoggedOut
	case a.State == api.AgentLoggedOut:
		a.State = api.AgentAvailable
	}
	v := api.AgentView{UserID: user, State: a.State}
	s.mu.Unlock()
	s.broadcastQueue(id)
	return v, 200
}
