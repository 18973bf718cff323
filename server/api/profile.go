package api

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// Limits of the directory fields a user edits.
const (
	maxFieldRunes    = 100
	maxKeywordsRunes = 300
)

// updateMe changes the user's own directory fields and tells colleagues (DIR-1: the directory
// is updated live when users change).
func (s *Server) updateMe(w http.ResponseWriter, r *http.Request, u store.User) {
	var req shared.ProfileUpdate
	if !decodeBody(w, r, &req) {
		return
	}
	fields := []struct {
		name  string
		in    *string
		out   *string
		limit int
	}{
		{"email", req.Email, &u.Email, maxFieldRunes},
		{"department", req.Department, &u.Department, maxFieldRunes},
		{"title", req.Title, &u.Title, maxFieldRunes},
		{"keywords", req.Keywords, &u.Keywords, maxKeywordsRunes},
	}
	for _, f := range fields {
		if f.in == nil {
			continue
		}
		v := strings.TrimSpace(*f.in)
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > f.limit || strings.ContainsAny(v, "\r\n\t") {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%s must be one line of at most %d characters", f.name, f.limit))
			return
		}
		*f.out = v
	}
	if req.Email != nil && u.Email != "" && (!strings.Contains(u.Email, "@") || strings.ContainsAny(u.Email, " <>\"")) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not an email address", u.Email))
		return
	}
	if req.Language != nil {
		switch *req.Language {
		case "fi", "sv", "en":
			u.Language = *req.Language
		default:
			writeError(w, http.StatusBadRequest, "language must be fi, sv or en")
			return
		}
	}
	ctx := r.Context()
	if err := s.st.UpdateUser(ctx, u); err != nil {
		s.internal(w, "update profile", err)
		return
	}
	org, err := s.st.OrgByID(ctx, u.OrgID)
	if err != nil {
		s.internal(w, "update profile: load org", err)
		return
	}
	s.UserChanged(ctx, u)
	writeJSON(w, http.StatusOK, profile(u, org))
}
