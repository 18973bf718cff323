package api

// Customer-service agents and supervisors (routes and JSON in shared/api/agent.go) on the
// queue engine (Deps.Agents, the Agents interface in agents.go). Without an engine the routes
// answer 501. Supervisor routes are for the queue's supervisors and the organisation's
// administrators; another organisation's queue or user is 404 like a missing one. The engine's
// changes reach /api/events: "agent" to that agent's streams, "queue" to the queue's
// supervisors and the organisation's administrators, never to another organisation.

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// defaultStatsPeriod is the period of GET /api/queues/{id}/stats without since (GRP-9: "e.g.
// the last 4 hours").
const defaultStatsPeriod = 4 * time.Hour

// maxStatsPeriod bounds since: statistics further back than this are refused.
const maxStatsPeriod = 31 * 24 * time.Hour

// needAgents answers 501 when the server runs no queue engine.
func (s *Server) needAgents(w http.ResponseWriter) bool {
	if s.deps.Agents == nil {
		writeError(w, http.StatusNotImplemented, "customer-service queues are not available on this server")
		return false
	}
	return true
}

// agentError answers an error of the queue engine.
func (s *Server) agentError(w http.ResponseWriter, op string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such queue, or not a member of it")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.internal(w, op, err)
	}
}

func (s *Server) agentView(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needAgents(w) {
		return
	}
	v, err := s.deps.Agents.View(r.Context(), u.OrgID, u.ID)
	if err != nil {
		s.agentError(w, "agent: view", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// pathQueue parses the path's {id}; on false it has answered 404.
func pathQueue(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "no such queue")
		return 0, false
	}
	return id, true
}

func (s *Server) agentLogin(w http.ResponseWriter, r *http.Request, u store.User) {
	s.agentSetLogin(w, r, u, true)
}
func (s *Server) agentLogout(w http.ResponseWriter, r *http.Request, u store.User) {
	s.agentSetLogin(w, r, u, false)
}

func (s *Server) agentSetLogin(w http.ResponseWriter, r *http.Request, u store.User, in bool) {
	if !s.needAgents(w) {
		return
	}
	id, ok := pathQueue(w, r)
	if !ok {
		return
	}
	v, err := s.deps.Agents.Login(r.Context(), u.OrgID, u.ID, id, in)
	if err != nil {
		s.agentError(w, "agent: login", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) agentPause(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needAgents(w) {
		return
	}
	var req shared.AgentPause
	if !decodeBody(w, r, &req) {
		return
	}
	reason, err := line("reason", req.Reason, maxFieldRunes)
	if err != nil {
		s.refuse(w, "agent: pause", err)
		return
	}
	v, err := s.deps.Agents.Pause(r.Context(), u.OrgID, u.ID, reason)
	if err != nil {
		s.agentError(w, "agent: pause", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) agentResume(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needAgents(w) {
		return
	}
	v, err := s.deps.Agents.Resume(r.Context(), u.OrgID, u.ID)
	if err != nil {
		s.agentError(w, "agent: resume", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// pathOrgQueue loads the queue of the path's {id} in u's organisation; on false it has answered
// (404 for a missing one or another organisation's).
func (s *Server) pathOrgQueue(w http.ResponseWriter, r *http.Request, u store.User) (store.Queue, bool) {
	id, ok := pathQueue(w, r)
	if !ok {
		return store.Queue{}, false
	}
	q, err := s.st.Queue(r.Context(), u.OrgID, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such queue")
		return store.Queue{}, false
	}
	if err != nil {
		s.internal(w, "queue", err)
		return store.Queue{}, false
	}
	return q, true
}

// supervisedQueue returns the organisation's queue of the path's {id} if u supervises it or
// administers the organisation; on false it has answered (404 for another organisation's
// queue, 403 for a colleague who is neither).
func (s *Server) supervisedQueue(w http.ResponseWriter, r *http.Request, u store.User) (store.Queue, bool) {
	q, ok := s.pathOrgQueue(w, r, u)
	if !ok {
		return store.Queue{}, false
	}
	if !u.Admin && !slices.Contains(q.Supervisors, u.ID) {
		writeError(w, http.StatusForbidden, "only a supervisor of the queue or an administrator may do this")
		return store.Queue{}, false
	}
	return q, true
}

func (s *Server) queueStats(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needAgents(w) {
		return
	}
	q, ok := s.supervisedQueue(w, r, u)
	if !ok {
		return
	}
	now := s.now()
	since := now.Add(-defaultStatsPeriod)
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "since must be an RFC 3339 time such as 2026-12-07T08:00:00Z")
			return
		}
		if t.After(now) || now.Sub(t) > maxStatsPeriod {
			writeError(w, http.StatusBadRequest, "since must be in the past, at most 31 days ago")
			return
		}
		since = t
	}
	st, err := s.deps.Agents.Stats(r.Context(), u.OrgID, q.ID, since)
	if err != nil {
		s.agentError(w, "queue: stats", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) supervisorLogin(w http.ResponseWriter, r *http.Request, u store.User) {
	s.supervisorSetLogin(w, r, u, true)
}

func (s *Server) supervisorLogout(w http.ResponseWriter, r *http.Request, u store.User) {
	s.supervisorSetLogin(w, r, u, false)
}

// supervisorSetLogin logs a member of the queue in or out for a supervisor (GRP-3).
func (s *Server) supervisorSetLogin(w http.ResponseWriter, r *http.Request, u store.User, in bool) {
	if !s.needAgents(w) {
		return
	}
	q, ok := s.supervisedQueue(w, r, u)
	if !ok {
		return
	}
	agentID, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil || !slices.ContainsFunc(q.Members, func(m store.QueueMember) bool { return m.UserID == agentID }) {
		writeError(w, http.StatusNotFound, "no such member of the queue")
		return
	}
	v, err := s.deps.Agents.Login(r.Context(), u.OrgID, agentID, q.ID, in)
	if err != nil {
		s.agentError(w, "queue: agent login", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// watchAgents subscribes the event streams to the queue engine, once. CloseStreams cancels it.
func (s *Server) watchAgents() {
	if s.deps.Agents == nil {
		return
	}
	s.agentsOnce.Do(func() {
		cancel := s.deps.Agents.Subscribe(func(ev AgentEvent) {
			switch {
			case ev.Agent != nil && ev.UserID > 0:
				s.streams.publish(ev.OrgID, ev.UserID, shared.Event{Type: shared.EventAgent, Agent: ev.Agent})
			case ev.Queue != nil:
				s.streams.publishSupervisors(ev.OrgID, ev.Supervisors, shared.Event{Type: shared.EventQueue, Queue: ev.Queue})
			}
		})
		s.streams.mu.Lock()
		s.streams.cancelAgents = cancel
		s.streams.mu.Unlock()
	})
}
