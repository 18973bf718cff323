// Package api owns the server's HTTP JSON API for the Softphone (types in shared/api): login
// with an extension or phone number and password, the user's profile and call log, and a
// health check. Sessions are random bearer tokens kept in memory as hashes only.
//
// Voicemail and personal routing (routes and texts in shared/api/voicemail.go): the user's
// mailbox (list, audio, mark heard, delete; 404 for anyone else's message), voicemail settings
// and PIN, and forwarding. Forwarding targets are answered normalised — "voicemail" (stored as
// ""), "none", an extension of the organisation or an E.164 number — and the user's own
// extension or numbers are refused. VoicemailChanged sends a "voicemail" event with the new
// counts to that user's /api/events streams without ever blocking the mailbox.
package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// DefaultTokenLifetime is how long a login token stays valid.
const DefaultTokenLifetime = 12 * time.Hour

// maxSessions bounds memory used by tokens; the oldest sessions give way.
const maxSessions = 100_000

// Server serves the HTTP API. It is safe for concurrent use.
type Server struct {
	st      store.Store
	deps    Deps
	log     *slog.Logger
	limiter *auth.Limiter
	ttl     time.Duration
	now     func() time.Time
	// checkPassword is the bcrypt comparison of login (a test counts that it always runs).
	checkPassword func(hash, password string) bool
	smsLimit      *smsLimiter

	mu       sync.Mutex
	sessions map[[32]byte]session

	streams   streams
	pingEvery time.Duration
	// watchingMessages is set once MessageStored is wired: it publishes every stored message.
	watchingMessages atomic.Bool
	// vmPending coalesces VoicemailChanged calls for the event streams.
	vmPending vmPending
	// adminMu serialises admin writes (admin.go): their rules read the users before writing.
	adminMu sync.Mutex
	// agentsOnce subscribes the event streams to the queue engine (agent.go).
	agentsOnce sync.Once
}

type session struct {
	userID  int64
	expires time.Time
}

// New returns an API server over deps; Store is required, the other services may be nil
// (their routes then answer 503).
func New(deps Deps) *Server {
	logger := deps.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	return &Server{
		st:       deps.Store,
		deps:     deps,
		log:      logger.With("component", "api"),
		limiter:  auth.DefaultLimiter(),
		ttl:      DefaultTokenLifetime,
		now:      now,
		sessions: make(map[[32]byte]session),
		// Login compares against this hash when the user is unknown (login.go).
		checkPassword: auth.CheckPassword,
		smsLimit:      newSMSLimiter(deps.SMSLimits),
		streams:       streams{all: make(map[*stream]struct{}), perUser: make(map[int64]int), done: make(chan struct{})},
		pingEvery:     defaultPingEvery,
	}
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("POST /api/login", s.login)
	mux.HandleFunc("POST /api/logout", s.logout)
	mux.HandleFunc("GET /api/me", s.authed(s.me))
	mux.HandleFunc("PUT /api/me", s.authed(s.updateMe))
	mux.HandleFunc("GET /api/calls", s.authed(s.calls))
	mux.HandleFunc("GET /api/activities", s.authed(s.activities))
	mux.HandleFunc("PUT /api/activities/{number}", s.authed(s.putActivity))
	mux.HandleFunc("GET /api/presence", s.authed(s.presenceList))
	mux.HandleFunc("PUT /api/presence", s.authed(s.setPresence))
	mux.HandleFunc("GET /api/directory", s.authed(s.directory))
	mux.HandleFunc("GET /api/events", s.authed(s.events))
	mux.HandleFunc("GET /api/contacts", s.authed(s.contacts))
	mux.HandleFunc("POST /api/contacts", s.authed(s.createContact))
	mux.HandleFunc("PUT /api/contacts/{id}", s.authed(s.updateContact))
	mux.HandleFunc("DELETE /api/contacts/{id}", s.authed(s.deleteContact))
	mux.HandleFunc("GET /api/conversations", s.authed(s.conversations))
	mux.HandleFunc("GET /api/messages", s.authed(s.messages))
	mux.HandleFunc("POST /api/messages", s.authed(s.sendMessage))
	mux.HandleFunc("POST /api/messages/read", s.authed(s.markRead))
	mux.HandleFunc("POST /api/sms", s.authed(s.sendSMS))
	mux.HandleFunc("GET /api/sms/usage", s.authed(s.smsUsage))
	mux.HandleFunc("GET /api/voicemail", s.authed(s.voicemailList))
	mux.HandleFunc("GET /api/voicemail/{id}/audio", s.authed(s.voicemailAudio))
	mux.HandleFunc("PUT /api/voicemail/{id}", s.authed(s.updateVoicemail))
	mux.HandleFunc("DELETE /api/voicemail/{id}", s.authed(s.deleteVoicemail))
	mux.HandleFunc("GET /api/voicemail/settings", s.authed(s.voicemailSettings))
	mux.HandleFunc("PUT /api/voicemail/settings", s.authed(s.putVoicemailSettings))
	mux.HandleFunc("PUT /api/voicemail/pin", s.authed(s.putVoicemailPIN))
	mux.HandleFunc("GET /api/forwarding", s.authed(s.forwarding))
	mux.HandleFunc("PUT /api/forwarding", s.authed(s.putForwarding))
	mux.HandleFunc("GET /api/prompts/{lang}/{key...}", s.authed(s.prompt))
	mux.HandleFunc("PUT /api/prompts/{lang}/{key...}", s.authed(s.putPrompt))
	mux.HandleFunc("DELETE /api/prompts/{lang}/{key...}", s.authed(s.deletePrompt))
	mux.HandleFunc("GET /api/agent", s.authed(s.agentView))
	mux.HandleFunc("GET /api/switchboard/parked", s.authed(s.switchboardParked))
	mux.HandleFunc("GET /api/switchboard/forwarding/{ext}", s.authed(s.switchboardForwarding))
	mux.HandleFunc("POST /api/agent/queues/{id}/login", s.authed(s.agentLogin))
	mux.HandleFunc("POST /api/agent/queues/{id}/logout", s.authed(s.agentLogout))
	mux.HandleFunc("POST /api/agent/pause", s.authed(s.agentPause))
	mux.HandleFunc("POST /api/agent/resume", s.authed(s.agentResume))
	mux.HandleFunc("GET /api/queues/{id}/stats", s.authed(s.queueStats))
	mux.HandleFunc("GET /api/queues/{id}/waiting", s.authed(s.queueWaiting))
	mux.HandleFunc("POST /api/queues/{id}/night", s.authed(s.queueNight))
	mux.HandleFunc("POST /api/queues/{id}/waiting/{caller}/take", s.authed(s.queueTake))
	mux.HandleFunc("POST /api/queues/{id}/agents/{user}/login", s.authed(s.supervisorLogin))
	mux.HandleFunc("POST /api/queues/{id}/agents/{user}/logout", s.authed(s.supervisorLogout))
	s.registerAdmin(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, shared.Error{Error: msg})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.st.OrgByID(ctx, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusServiceUnavailable, "database unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func tokenHash(token string) [32]byte { return sha256.Sum256([]byte(token)) }

func (s *Server) newSession(userID int64) (string, time.Time, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	expires := now.Add(s.ttl).UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) >= maxSessions {
		s.sweepLocked(now)
		for k := range s.sessions { // still full: drop arbitrary sessions
			if len(s.sessions) < maxSessions*9/10 {
				break
			}
			delete(s.sessions, k)
		}
	}
	s.sessions[tokenHash(token)] = session{userID: userID, expires: expires}
	return token, expires, nil
}

func (s *Server) sweepLocked(now time.Time) {
	for k, v := range s.sessions {
		if !now.Before(v.expires) {
			delete(s.sessions, k)
		}
	}
}

// authed wraps h so that it runs only with a valid bearer token, passing the session's user.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, store.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vaihde"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token")
			return
		}
		k := tokenHash(strings.TrimSpace(token))
		s.mu.Lock()
		sess, ok := s.sessions[k]
		if ok && !s.now().Before(sess.expires) {
			delete(s.sessions, k)
			ok = false
		}
		s.mu.Unlock()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vaihde", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid or expired token")
			return
		}
		u, err := s.st.UserByID(r.Context(), sess.userID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				writeError(w, http.StatusUnauthorized, "user no longer exists")
				return
			}
			s.log.Error("load session user", "error", err)
			writeError(w, http.StatusInternalServerError, "internal error")
			return
		}
		h(w, r, u)
	}
}

func profile(u store.User, org store.Org) shared.Profile {
	return shared.Profile{
		ID: u.ID, Name: u.Name, Extension: u.Extension, CompanyNumber: u.CompanyNumber, MobileNumber: u.MobileNumber,
		Email: u.Email, Language: u.Language, Domain: org.Domain, Org: org.Name, Department: u.Department,
		Title: u.Title, Admin: u.Admin, EmergencyNumbers: strings.Fields(org.EmergencyNumbers),
		Agent: u.Agent, Supervisor: u.Supervisor, Operator: u.Operator,
	}
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, u store.User) {
	org, err := s.st.OrgByID(r.Context(), u.OrgID)
	if err != nil {
		s.log.Error("me: load org", "error", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeJSON(w, http.StatusOK, profile(u, org))
}

func (s *Server) calls(w http.ResponseWriter, r *http.Request, u store.User) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = min(n, 500)
	}
	recs, err := s.st.Calls(r.Context(), u.ID, limit)
	if err != nil {
		s.log.Error("calls", "error", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	out := shared.CallList{Calls: make([]shared.CallEntry, 0, len(recs))}
	for _, c := range recs {
		e := shared.CallEntry{ID: c.ID, Direction: string(c.Direction), Peer: c.Peer, PeerName: c.PeerName,
			Outcome: string(c.Outcome), StartedAt: c.StartedAt, EndedAt: c.EndedAt}
		if !c.AnsweredAt.IsZero() {
			a := c.AnsweredAt
			e.AnsweredAt = &a
			if c.EndedAt.After(a) {
				e.Seconds = int(c.EndedAt.Sub(a).Round(time.Second) / time.Second)
			}
		}
		out.Calls = append(out.Calls, e)
	}
	writeJSON(w, http.StatusOK, out)
}
