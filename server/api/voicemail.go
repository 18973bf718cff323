package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// eventVoicemail is the /api/events type carrying a user's new mailbox counts.
const eventVoicemail = "voicemail"

// countsTimeout bounds reading a mailbox's counts for an event.
const countsTimeout = 5 * time.Second

// needVoicemail answers 503 when the server runs without mailboxes.
func (s *Server) needVoicemail(w http.ResponseWriter) bool {
	if s.deps.Voicemail == nil {
		writeError(w, http.StatusServiceUnavailable, "voicemail is not available")
		return false
	}
	return true
}

func voicemailOut(v store.Voicemail) shared.Voicemail {
	kind := string(v.Kind)
	if kind == "" {
		kind = string(store.VoiceMessage)
	}
	return shared.Voicemail{ID: v.ID, Kind: kind, Caller: v.Caller, CallerName: v.CallerName,
		ReceivedAt: v.ReceivedAt, DurationMS: v.Duration.Milliseconds(), Heard: v.Heard, Urgent: v.Urgent}
}

func (s *Server) voicemailList(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needVoicemail(w) {
		return
	}
	ctx := r.Context()
	vs, err := s.deps.Voicemail.List(ctx, u.ID)
	if err != nil {
		s.internal(w, "voicemail list", err)
		return
	}
	n, o, err := s.deps.Voicemail.Counts(ctx, u.ID)
	if err != nil {
		s.internal(w, "voicemail counts", err)
		return
	}
	out := shared.VoicemailList{Messages: make([]shared.Voicemail, 0, len(vs)), Counts: shared.VoicemailCounts{New: n, Old: o}}
	for _, v := range vs {
		out.Messages = append(out.Messages, voicemailOut(v))
	}
	writeJSON(w, http.StatusOK, out)
}

// messageID reads {id}; on failure it has answered 400.
func messageID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "message id must be a positive number")
		return 0, false
	}
	return id, true
}

// voicemailFailed answers a mailbox error: 404 for another user's or a missing message.
func (s *Server) voicemailFailed(w http.ResponseWriter, op string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such message")
		return
	}
	if errors.Is(err, os.ErrNotExist) {
		// The record is there but its file is not: an admin's matter (Recover reports it).
		s.log.Warn(op+": file missing", "error", err)
		writeError(w, http.StatusNotFound, "message audio is missing")
		return
	}
	s.internal(w, op, err)
}

// voicemailAudio streams the message's file (WAV, or the PDF of a fax). It marks nothing: the
// client says when the user has heard it.
func (s *Server) voicemailAudio(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needVoicemail(w) {
		return
	}
	id, ok := messageID(w, r)
	if !ok {
		return
	}
	f, v, err := s.deps.Voicemail.Open(r.Context(), u.ID, id)
	if err != nil {
		s.voicemailFailed(w, "voicemail audio", err)
		return
	}
	defer f.Close()
	ctype, ext := "audio/wav", "wav"
	if v.Kind == store.Fax {
		ctype, ext = "application/pdf", "pdf"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="voicemail-%d.%s"`, v.ID, ext))
	// ServeContent sets Content-Length and answers Range requests (seeking in a player).
	http.ServeContent(w, r, "", v.ReceivedAt, f)
}

func (s *Server) updateVoicemail(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needVoicemail(w) {
		return
	}
	id, ok := messageID(w, r)
	if !ok {
		return
	}
	var req shared.VoicemailUpdate
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	if err := s.deps.Voicemail.MarkHeard(ctx, u.ID, id, req.Heard); err != nil {
		s.voicemailFailed(w, "voicemail mark heard", err)
		return
	}
	v, err := s.st.Voicemail(ctx, u.ID, id)
	if err != nil {
		s.voicemailFailed(w, "voicemail mark heard", err)
		return
	}
	writeJSON(w, http.StatusOK, voicemailOut(v))
}

func (s *Server) deleteVoicemail(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needVoicemail(w) {
		return
	}
	id, ok := messageID(w, r)
	if !ok {
		return
	}
	if err := s.deps.Voicemail.Delete(r.Context(), u.ID, id); err != nil {
		s.voicemailFailed(w, "voicemail delete", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func settingsOut(vs store.VoicemailSettings, u store.User) shared.VoicemailSettings {
	notify := string(vs.Notify)
	if notify == "" {
		notify = shared.NotifySMS
	}
	return shared.VoicemailSettings{Enabled: vs.Enabled, Notify: notify, AnnounceActivity: vs.AnnounceActivity,
		CustomerService: vs.CustomerService, OfferBypass: vs.OfferBypass, HasGreeting: vs.GreetingPath != "",
		HasPIN: vs.PINHash != "", Email: u.Email}
}

func (s *Server) voicemailSettings(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needVoicemail(w) {
		return
	}
	vs, err := s.st.VoicemailSettings(r.Context(), u.ID)
	if err != nil {
		s.internal(w, "voicemail settings", err)
		return
	}
	writeJSON(w, http.StatusOK, settingsOut(vs, u))
}

// putVoicemailSettings replaces the user's options; the PIN and the greeting have their own
// ways (PUT /api/voicemail/pin, the access number) and are kept.
func (s *Server) putVoicemailSettings(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needVoicemail(w) {
		return
	}
	var req shared.VoicemailSettings
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	org, err := s.st.OrgByID(ctx, u.OrgID)
	if err != nil {
		s.internal(w, "voicemail settings: load org", err)
		return
	}
	notify := store.VoicemailNotify(strings.TrimSpace(req.Notify))
	switch notify {
	case "":
		notify = store.NotifySMS
	case store.NotifySMS, store.NotifyEmail, store.NotifyBoth:
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown notification %q", req.Notify))
		return
	}
	if notify != store.NotifySMS && strings.TrimSpace(u.Email) == "" {
		writeError(w, http.StatusBadRequest, "email notification needs an email address")
		return
	}
	cs, err := s.number(ctx, org, "customer service", req.CustomerService)
	var bad badRequest
	if errors.As(err, &bad) {
		writeError(w, http.StatusBadRequest, bad.msg)
		return
	}
	if err != nil {
		s.internal(w, "voicemail settings", err)
		return
	}
	vs, err := s.st.VoicemailSettings(ctx, u.ID)
	if err != nil {
		s.internal(w, "voicemail settings", err)
		return
	}
	vs.Enabled, vs.Notify, vs.AnnounceActivity, vs.CustomerService, vs.OfferBypass =
		req.Enabled, notify, req.AnnounceActivity, cs, req.OfferBypass
	vs.UpdatedAt = s.now()
	if err := s.st.PutVoicemailSettings(ctx, vs); err != nil {
		s.internal(w, "put voicemail settings", err)
		return
	}
	writeJSON(w, http.StatusOK, settingsOut(vs, u))
}

func (s *Server) putVoicemailPIN(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needVoicemail(w) {
		return
	}
	var req shared.VoicemailPIN
	if !decodeBody(w, r, &req) {
		return
	}
	if !shared.ValidPIN(req.PIN) {
		writeError(w, http.StatusBadRequest, "a PIN is 4 to 8 digits")
		return
	}
	if err := s.deps.Voicemail.SetPIN(r.Context(), u.ID, req.PIN); err != nil {
		s.internal(w, "set voicemail pin", err)
		return
	}
	s.log.Info("voicemail pin set", "user", u.ID) // never the PIN
	w.WriteHeader(http.StatusNoContent)
}

// vmPending are the users whose mailbox changed and whose streams have not yet been told. One
// drain goroutine at a time reads their counts, so VoicemailChanged never waits for the store
// and a burst of changes to one mailbox becomes one event with the latest counts.
type vmPending struct {
	mu       sync.Mutex
	users    map[int64]struct{}
	draining bool
}

// VoicemailChanged tells userID's open event streams the mailbox's new counts (an Event of
// type "voicemail"). Wire voicemail.Config.Changed to it. It never blocks: the counts are
// read by a goroutine of the server, changes that come in meanwhile are coalesced, and a
// stream too slow to take the event is closed (its client reconnects and reloads).
func (s *Server) VoicemailChanged(userID int64) {
	if userID <= 0 || !s.streams.has(userID) {
		return // nobody listening: the next GET /api/voicemail reads the counts anyway
	}
	p := &s.vmPending
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.users == nil {
		p.users = make(map[int64]struct{})
	}
	p.users[userID] = struct{}{}
	if !p.draining {
		p.draining = true
		go s.drainVoicemail()
	}
}

// drainVoicemail publishes the counts of pending users until none are left, then ends.
func (s *Server) drainVoicemail() {
	p := &s.vmPending
	for {
		p.mu.Lock()
		users := p.users
		p.users = nil
		if len(users) == 0 {
			p.draining = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		for id := range users {
			s.publishCounts(id)
		}
	}
}

func (s *Server) publishCounts(userID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), countsTimeout)
	defer cancel()
	var n, o int
	var err error
	if s.deps.Voicemail != nil {
		n, o, err = s.deps.Voicemail.Counts(ctx, userID)
	} else {
		n, o, err = s.st.VoicemailCounts(ctx, userID)
	}
	if err != nil {
		s.log.Warn("voicemail event: counts", "user", userID, "error", err)
		return
	}
	s.streams.publishUser(userID, shared.Event{Type: eventVoicemail, Voicemail: &shared.VoicemailCounts{New: n, Old: o}})
}
