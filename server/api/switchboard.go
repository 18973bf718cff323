package api

import (
	"errors"
	"net/http"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// Parked lists an organisation's parked calls (server/park through server/cmd/vaihde).
type Parked interface {
	Parked(orgID int64) []shared.ParkedCall
}

// switchboardParked answers GET /api/switchboard/parked: the caller's organisation's slots only.
func (s *Server) switchboardParked(w http.ResponseWriter, _ *http.Request, u store.User) {
	if s.deps.Parked == nil {
		writeError(w, http.StatusNotImplemented, "this server has no call park")
		return
	}
	calls := s.deps.Parked.Parked(u.OrgID)
	if calls == nil {
		calls = []shared.ParkedCall{}
	}
	writeJSON(w, http.StatusOK, shared.ParkedCalls{Parked: calls})
}

// switchboardForwarding answers GET /api/switchboard/forwarding/{ext}: a colleague's forwarding
// for the operator's transfer decision. Forwarding targets can be private numbers, so only
// operators and admins see them, and only within their organisation.
func (s *Server) switchboardForwarding(w http.ResponseWriter, r *http.Request, u store.User) {
	if !u.Operator && !u.Admin {
		writeError(w, http.StatusForbidden, "only operators and admins see colleagues' forwarding")
		return
	}
	ctx := r.Context()
	c, err := s.st.UserByExtension(ctx, u.OrgID, r.PathValue("ext"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such colleague")
		return
	} else if err != nil {
		s.internal(w, "switchboard forwarding", err)
		return
	}
	f, err := s.st.Forwarding(ctx, c.ID)
	if err != nil {
		s.internal(w, "switchboard forwarding", err)
		return
	}
	out := forwardingOut(f, nil)
	cf := shared.ColleagueForwarding{Extension: c.Extension, Immediate: out.Immediate, Busy: out.Busy,
		NoAnswer: out.NoAnswer, RingTimeSeconds: out.RingTimeSeconds}
	if s.deps.Presence != nil {
		if p, err := s.deps.Presence.Get(ctx, c.ID); err == nil {
			for _, a := range out.Activities {
				if a.Activity == p.Activity {
					cf.Activity = a.Target
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, cf)
}
