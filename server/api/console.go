package api

// The switchboard console's queue routes (shared/api/agent.go): the waiting callers of a queue
// and its manual night switch (OP-1, GRP-7). Operators are ordinary members of their queues.

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// consoleQueue returns the organisation's queue of the path's {id} if u may see its callers
// (a member, a supervisor of it, an admin) or, for toggle, switch its night mode (an operator
// who is a member, a supervisor, an admin). On false it has answered: 404 for another
// organisation's queue, 403 for a colleague who may not.
func (s *Server) consoleQueue(w http.ResponseWriter, r *http.Request, u store.User, toggle bool) (store.Queue, bool) {
	q, ok := s.pathOrgQueue(w, r, u)
	if !ok {
		return store.Queue{}, false
	}
	member := slices.ContainsFunc(q.Members, func(m store.QueueMember) bool { return m.UserID == u.ID })
	allowed := u.Admin || slices.Contains(q.Supervisors, u.ID)
	if toggle {
		allowed = allowed || member && u.Operator
	} else {
		allowed = allowed || member
	}
	if !allowed {
		msg := "only members and supervisors of the queue may see its callers"
		if toggle {
			msg = "only the queue's operators and supervisors may switch its night mode"
		}
		writeError(w, http.StatusForbidden, msg)
		return store.Queue{}, false
	}
	return q, true
}

func (s *Server) queueWaiting(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needAgents(w) {
		return
	}
	q, ok := s.consoleQueue(w, r, u, false)
	if !ok {
		return
	}
	s.writeWaiting(w, r, u, q.ID)
}

// queueNight switches the queue's manual night mode (GRP-7): callers then go to its night
// target. It is audited like an admin's change, since it changes where calls go.
func (s *Server) queueNight(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needAgents(w) {
		return
	}
	var req shared.QueueNight
	if !decodeBody(w, r, &req) {
		return
	}
	q, ok := s.consoleQueue(w, r, u, true)
	if !ok {
		return
	}
	if q.NightManual != req.Night {
		ctx := r.Context()
		before := strconv.FormatBool(q.NightManual)
		q.NightManual = req.Night
		if err := s.st.UpdateQueue(ctx, q); err != nil {
			s.refuseGroup(w, "queue: night", err)
			return
		}
		s.audit(ctx, u.OrgID, u, "queue.night", "queue "+q.Number, "night_manual="+before, "night_manual="+strconv.FormatBool(req.Night))
		s.changed(ctx, u.OrgID, 0)
	}
	s.writeWaiting(w, r, u, q.ID)
}

// queueTake answers POST /api/queues/{id}/waiting/{caller}/take: the member answers that waiting
// caller next, out of turn (OP-1). 409: they are on a call, or the caller rings a colleague.
func (s *Server) queueTake(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needAgents(w) {
		return
	}
	q, ok := s.consoleQueue(w, r, u, false)
	if !ok {
		return
	}
	if !slices.ContainsFunc(q.Members, func(m store.QueueMember) bool { return m.UserID == u.ID }) {
		writeError(w, http.StatusForbidden, "only members of the queue answer its callers")
		return
	}
	caller, err := strconv.ParseInt(r.PathValue("caller"), 10, 64)
	if err != nil || caller <= 0 {
		writeError(w, http.StatusBadRequest, "caller: not a waiting caller's id")
		return
	}
	if err := s.deps.Agents.Take(r.Context(), u.OrgID, q.ID, u.ID, caller); err != nil {
		s.agentError(w, "queue: take", err)
		return
	}
	s.writeWaiting(w, r, u, q.ID)
}

func (s *Server) writeWaiting(w http.ResponseWriter, r *http.Request, u store.User, queueID int64) {
	v, err := s.deps.Agents.Waiting(r.Context(), u.OrgID, queueID)
	if err != nil {
		s.agentError(w, "queue: waiting", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
