package api

import (
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
