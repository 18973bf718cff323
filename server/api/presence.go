package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// maxQueryRunes bounds a directory search query.
const maxQueryRunes = 200

// defaultSearchLimit bounds a search's answer unless the client asks for more.
const defaultSearchLimit = 100

// viewer is what shapes presence for one requesting user: the language of activity names and
// whether colleagues' roles are visible.
type viewer struct {
	userID    int64
	lang      string
	showRoles bool
	acts      []sharedpresence.Activity
}

func (s *Server) viewerFor(ctx context.Context, u store.User) (viewer, error) {
	org, err := s.st.OrgByID(ctx, u.OrgID)
	if err != nil {
		return viewer{}, fmt.Errorf("load org %d: %w", u.OrgID, err)
	}
	acts, err := s.deps.Presence.Activities(ctx, u.OrgID)
	if err != nil {
		return viewer{}, fmt.Errorf("activities of org %d: %w", u.OrgID, err)
	}
	return viewer{userID: u.ID, lang: u.Language, showRoles: org.ShowRoles, acts: acts}, nil
}

// presence converts a hub state for the viewer: activity name in the viewer's language, the
// role only when the organisation shows roles or it is the viewer's own.
func (v viewer) presence(st presence.State) shared.Presence {
	p := shared.Presence{
		UserID: st.UserID, Extension: st.Extension, Activity: st.Activity, Green: st.Green,
		Note: st.Note, Online: st.Online, Idle: st.Idle, Phone: string(st.Phone), UpdatedAt: st.UpdatedAt,
	}
	if a, ok := sharedpresence.Find(v.acts, st.Activity); ok {
		p.ActivityName = a.Names.In(v.lang)
	} else {
		p.ActivityName = fmt.Sprintf("%d", st.Activity)
	}
	if v.showRoles || st.UserID == v.userID {
		p.Role = int(st.Role)
	}
	if !st.Until.IsZero() {
		t := st.Until
		p.Until = &t
	}
	if p.Phone == "" {
		p.Phone = string(sharedpresence.PhoneIdle)
	}
	return p
}

// needPresence answers 503 when the server runs without a presence hub.
func (s *Server) needPresence(w http.ResponseWriter) bool {
	if s.deps.Presence == nil {
		writeError(w, http.StatusServiceUnavailable, "presence is not available")
		return false
	}
	return true
}

func (s *Server) activities(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needPresence(w) {
		return
	}
	acts, err := s.deps.Presence.Activities(r.Context(), u.OrgID)
	if err != nil {
		s.internal(w, "activities", err)
		return
	}
	out := shared.ActivityList{Activities: make([]shared.Activity, 0, len(acts))}
	for _, a := range acts {
		out.Activities = append(out.Activities, shared.Activity{Number: a.Number, Name: a.Names.In(u.Language),
			NameFI: a.Names.FI, NameSV: a.Names.SV, NameEN: a.Names.EN, Green: a.Green})
	}
	writeJSON(w, http.StatusOK, out)
}

// putActivity adds or renames one of the organisation's activities (admins only, PRES-1).
func (s *Server) putActivity(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needPresence(w) {
		return
	}
	if !u.Admin {
		writeError(w, http.StatusForbidden, "only an administrator may change activities")
		return
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "activity number must be a number")
		return
	}
	var req shared.Activity
	if !decodeBody(w, r, &req) {
		return
	}
	a := sharedpresence.Activity{Number: n, Green: req.Green,
		Names: sharedpresence.Names{FI: req.NameFI, SV: req.NameSV, EN: req.NameEN}}
	var before []field // for the audit log; the activity may be new
	if acts, err := s.deps.Presence.Activities(r.Context(), u.OrgID); err == nil {
		for _, b := range acts {
			if b.Number == n {
				before = activityFields(b)
			}
		}
	}
	if err := s.deps.Presence.PutActivity(r.Context(), u.OrgID, a); err != nil {
		if errors.Is(err, presence.ErrBadActivity) {
			writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "presence: "))
			return
		}
		s.internal(w, "put activity", err)
		return
	}
	oldText, newText := diff(before, activityFields(a))
	s.audit(r.Context(), u.OrgID, u, "activity.put", "activity "+strconv.Itoa(n), oldText, newText)
	writeJSON(w, http.StatusOK, shared.Activity{Number: n, Name: a.Names.In(u.Language),
		NameFI: a.Names.FI, NameSV: a.Names.SV, NameEN: a.Names.EN, Green: a.Green})
}

func (s *Server) presenceList(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needPresence(w) {
		return
	}
	v, err := s.viewerFor(r.Context(), u)
	if err != nil {
		s.internal(w, "presence", err)
		return
	}
	states, err := s.deps.Presence.Org(r.Context(), u.OrgID)
	if err != nil {
		s.internal(w, "presence", err)
		return
	}
	out := shared.PresenceList{Presence: make([]shared.Presence, 0, len(states))}
	for _, st := range states {
		out.Presence = append(out.Presence, v.presence(st))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) setPresence(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needPresence(w) {
		return
	}
	var req shared.PresenceUpdate
	if !decodeBody(w, r, &req) {
		return
	}
	c := presence.Change{Activity: req.Activity, Until: req.Until, ClearUntil: req.ClearUntil, Note: req.Note, Idle: req.Idle}
	if req.Role != nil {
		role := sharedpresence.Role(*req.Role)
		c.Role = &role
	}
	// Checked here too so the answer names the bad value whatever the hub's wording.
	if req.Note != nil {
		if err := sharedpresence.ValidateNote(*req.Note); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if req.Role != nil && !c.Role.Valid() {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%v %d", sharedpresence.ErrUnknownRole, *req.Role))
		return
	}
	if req.Until != nil && !req.ClearUntil {
		if err := sharedpresence.ValidateUntil(*req.Until, s.now()); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	st, err := s.deps.Presence.Set(r.Context(), u.ID, c)
	if err != nil {
		if msg, ok := presenceError(err, req); ok {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
		s.internal(w, "set presence", err)
		return
	}
	v, err := s.viewerFor(r.Context(), u)
	if err != nil {
		s.internal(w, "set presence", err)
		return
	}
	writeJSON(w, http.StatusOK, v.presence(st))
}

// presenceError turns a validation error of the hub into the text a user reads.
func presenceError(err error, req shared.PresenceUpdate) (string, bool) {
	switch {
	case errors.Is(err, sharedpresence.ErrUnknownActivity) && req.Activity != nil:
		return fmt.Sprintf("%v %d", sharedpresence.ErrUnknownActivity, *req.Activity), true
	case errors.Is(err, sharedpresence.ErrUnknownRole) && req.Role != nil:
		return fmt.Sprintf("%v %d", sharedpresence.ErrUnknownRole, *req.Role), true
	}
	for _, e := range []error{sharedpresence.ErrUnknownActivity, sharedpresence.ErrUnknownRole,
		sharedpresence.ErrNoteTooLong, sharedpresence.ErrNoteInvalid, sharedpresence.ErrUntilPast,
		sharedpresence.ErrUntilTooFar} {
		if errors.Is(err, e) {
			return e.Error(), true
		}
	}
	return "", false
}

func (s *Server) directory(w http.ResponseWriter, r *http.Request, u store.User) {
	if s.deps.Directory == nil {
		writeError(w, http.StatusServiceUnavailable, "directory is not available")
		return
	}
	if !s.needPresence(w) {
		return
	}
	q := r.URL.Query().Get("q")
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxQueryRunes {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("search text longer than %d characters", maxQueryRunes))
		return
	}
	// Search as you type shows a screenful; the whole directory (no q) loads in one go.
	limit := 0
	if strings.TrimSpace(q) != "" {
		limit = defaultSearchLimit
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = n
	}
	ctx := r.Context()
	users, err := s.deps.Directory.Search(ctx, u.OrgID, q, limit)
	if err != nil {
		s.internal(w, "directory search", err)
		return
	}
	v, err := s.viewerFor(ctx, u)
	if err != nil {
		s.internal(w, "directory", err)
		return
	}
	byUser, err := s.presenceOf(ctx, u.OrgID, users)
	if err != nil {
		s.internal(w, "directory presence", err)
		return
	}
	out := shared.Directory{Entries: make([]shared.DirectoryEntry, 0, len(users))}
	for _, du := range users {
		st, ok := byUser[du.ID]
		if !ok { // no state yet: the default of a user who never set any
			st = presence.State{UserID: du.ID, OrgID: du.OrgID, Extension: du.Extension,
				Activity: sharedpresence.Available, Green: true, Role: sharedpresence.RoleMobile,
				Phone: sharedpresence.PhoneIdle}
		}
		out.Entries = append(out.Entries, directoryEntry(du, v.presence(st)))
	}
	writeJSON(w, http.StatusOK, out)
}

// presenceOf returns the presence of users: one by one for a search's few hits, in one go for
// a whole large directory.
func (s *Server) presenceOf(ctx context.Context, orgID int64, users []store.User) (map[int64]presence.State, error) {
	byUser := make(map[int64]presence.State, len(users))
	if len(users) > defaultSearchLimit {
		states, err := s.deps.Presence.Org(ctx, orgID)
		if err != nil {
			return nil, err
		}
		for _, st := range states {
			byUser[st.UserID] = st
		}
		return byUser, nil
	}
	for _, du := range users {
		st, err := s.deps.Presence.Get(ctx, du.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue // the default below
		}
		if err != nil {
			return nil, err
		}
		byUser[du.ID] = st
	}
	return byUser, nil
}

func directoryEntry(u store.User, p shared.Presence) shared.DirectoryEntry {
	return shared.DirectoryEntry{UserID: u.ID, Name: u.Name, Extension: u.Extension, CompanyNumber: u.CompanyNumber,
		MobileNumber: u.MobileNumber, Email: u.Email, Department: u.Department, Title: u.Title,
		Keywords: u.Keywords, Presence: p}
}

// internal logs err and answers 500 without details.
func (s *Server) internal(w http.ResponseWriter, op string, err error) {
	s.log.Error(op, "error", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

// maxBody bounds every request body.
const maxBody = 64 << 10

// decodeBody reads r's JSON body into v; on failure it has answered 400 (413 when too large).
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var te *time.ParseError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", maxBody))
		case errors.As(err, &te):
			writeError(w, http.StatusBadRequest, "invalid time: use RFC 3339, e.g. 2026-05-04T17:00:00+03:00")
		default:
			writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		}
		return false
	}
	return true
}
