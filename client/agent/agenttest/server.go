// Package agenttest serves the agent routes of shared/api/agent.go and an /api/events stream
// from memory over a real HTTP listener on 127.0.0.1, with the queue engine's state rules as
// an agent sees them (logged in to no queue = logged out; a pause holds in every queue; wrap-up
// is never shown as available), for tests of client/agent, client/ui and the Softphone's
// screenshots without the real server.
package agenttest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

// Token is the bearer token the server accepts.
const Token = "agent-token"

// Server is one agent's queues and state. Change the view with Set (which also sends an
// "agent" event to every open stream); read it with View.
type Server struct {
	*httptest.Server
	// Mux serves the routes; tests may add their own (the screenshot test adds login).
	Mux *http.ServeMux

	mu       sync.Mutex
	view     api.AgentView
	streams  map[int]chan api.Event
	next     int
	requests []string // "METHOD /path" of every agent request, in order
	fail     map[string]int
	before   func(req string)
	queues   map[int64]*queueSim
	calls    map[int]queueCall
	// Clock is "now" for the supervisor statistics (waits of callers still waiting); set it
	// before the first request. Nil: time.Now.
	Clock func() time.Time
}

// BeforeAnswer makes the server call fn with "METHOD /path" after handling each agent request
// and before answering it (a test sends an event "meanwhile"); nil: none.
func (s *Server) BeforeAnswer(fn func(req string)) {
	s.mu.Lock()
	s.before = fn
	s.mu.Unlock()
}

// New starts a server for userID, a member of queues (all logged out); it closes when the
// test ends. tb may be nil for use outside tests; then call Close yourself.
func New(tb testing.TB, userID int64, queues ...api.AgentQueue) *Server {
	s := &Server{Mux: http.NewServeMux(), streams: map[int]chan api.Event{}, fail: map[string]int{},
		queues: map[int64]*queueSim{}, calls: map[int]queueCall{},
		view: api.AgentView{UserID: userID, State: api.AgentLoggedOut, Queues: slices.Clone(queues)}}
	s.Mux.HandleFunc("GET /api/agent", s.auth(func(r *http.Request) (any, int) { return s.View(), 200 }))
	s.Mux.HandleFunc("POST /api/agent/queues/{id}/{op}", s.auth(s.login))
	s.Mux.HandleFunc("POST /api/agent/pause", s.auth(s.pause))
	s.Mux.HandleFunc("POST /api/agent/resume", s.auth(s.resume))
	s.Mux.HandleFunc("GET /api/queues/{id}/stats", s.auth(s.queueStats))
	s.Mux.HandleFunc("POST /api/queues/{id}/agents/{user}/{op}", s.auth(s.agentLogin))
	s.Mux.HandleFunc("GET /api/events", s.events)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("agenttest: listen: %v", err))
	}
	s.Server = &httptest.Server{Listener: l, Config: &http.Server{Handler: s.Mux}}
	s.Server.Start()
	if tb != nil {
		tb.Cleanup(s.Close)
	}
	return s
}

// Close ends the open event streams and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	for id, ch := range s.streams {
		close(ch)
		delete(s.streams, id)
	}
	s.mu.Unlock()
	s.Server.CloseClientConnections()
	s.Server.Close()
}

// View is the agent's current view.
func (s *Server) View() api.AgentView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.view)
}

// Set replaces the view (e.g. the engine moved the agent to wrap-up) and sends it as an
// "agent" event.
func (s *Server) Set(v api.AgentView) {
	s.mu.Lock()
	s.view = clone(v)
	s.mu.Unlock()
	s.broadcast()
}

// Requests are the agent requests served so far ("POST /api/agent/pause").
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// FailNext makes the next request "METHOD /path" answer status with an api.Error.
func (s *Server) FailNext(req string, status int) {
	s.mu.Lock()
	s.fail[req] = status
	s.mu.Unlock()
}

// Streams is the number of open event streams.
func (s *Server) Streams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

func clone(v api.AgentView) api.AgentView {
	v.Queues = slices.Clone(v.Queues)
	if v.Offer != nil {
		o := *v.Offer
		v.Offer = &o
	}
	if v.WrapUpUntil != nil {
		t := *v.WrapUpUntil
		v.WrapUpUntil = &t
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// auth checks the token, logs the request, applies FailNext and writes the handler's answer;
// a changed view is broadcast afterwards.
func (s *Server) auth(h func(r *http.Request) (any, int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+Token {
			writeJSON(w, http.StatusUnauthorized, api.Error{Error: "not logged in"})
			return
		}
		key := r.Method + " " + r.URL.Path
		s.mu.Lock()
		s.requests = append(s.requests, key)
		st, failing := s.fail[key]
		delete(s.fail, key)
		s.mu.Unlock()
		if failing {
			writeJSON(w, st, api.Error{Error: "agenttest: forced " + strconv.Itoa(st)})
			return
		}
		out, status := h(r)
		s.mu.Lock()
		before := s.before
		s.mu.Unlock()
		if before != nil {
			before(key)
		}
		writeJSON(w, status, out)
		if r.Method == http.MethodPost && status == 200 {
			s.broadcast()
		}
	}
}

// stateLocked derives the state after a login change or resume: the engine's rules as far
// as an agent sees them.
func (s *Server) stateLocked() {
	in := slices.ContainsFunc(s.view.Queues, func(q api.AgentQueue) bool { return q.LoggedIn })
	switch {
	case !in:
		s.view.State, s.view.PauseReason = api.AgentLoggedOut, ""
	case s.view.State == api.AgentLoggedOut:
		s.view.State = api.AgentAvailable
	}
}

func (s *Server) login(r *http.Request) (any, int) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	op := r.PathValue("op")
	if err != nil || (op != "login" && op != "logout") {
		return api.Error{Error: "no such route"}, 404
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.view.Queues, func(q api.AgentQueue) bool { return q.ID == id })
	if i < 0 {
		return api.Error{Error: "queue " + strconv.FormatInt(id, 10) + ": not a member"}, 404
	}
	s.view.Queues[i].LoggedIn = op == "login"
	s.stateLocked()
	return clone(s.view), 200
}

func (s *Server) pause(r *http.Request) (any, int) {
	var p api.AgentPause
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		return api.Error{Error: "bad json: " + err.Error()}, 400
	}
	if strings.TrimSpace(p.Reason) == "" {
		return api.Error{Error: "a pause needs a reason"}, 400
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.view.State == api.AgentLoggedOut {
		return api.Error{Error: "log in to a queue first"}, 409
	}
	s.view.State, s.view.PauseReason = api.AgentPaused, p.Reason
	return clone(s.view), 200
}

func (s *Server) resume(r *http.Request) (any, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.view.State == api.AgentPaused {
		s.view.State, s.view.PauseReason = api.AgentAvailable, ""
	}
	s.stateLocked()
	return clone(s.view), 200
}

func (s *Server) broadcast() {
	s.mu.Lock()
	v := clone(s.view)
	for _, ch := range s.streams {
		select {
		case ch <- api.Event{Type: api.EventAgent, Agent: &v}:
		default: // a slow test reader misses one; the next hello reloads
		}
	}
	s.mu.Unlock()
}

// events serves GET /api/events: "hello", then an "agent" event after every change.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+Token {
		writeJSON(w, http.StatusUnauthorized, api.Error{Error: "not logged in"})
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no streaming", 500)
		return
	}
	ch := make(chan api.Event, 16)
	s.mu.Lock()
	id := s.next
	s.next++
	s.streams[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if _, open := s.streams[id]; open {
			delete(s.streams, id)
		}
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	write := func(ev api.Event) bool {
		b, _ := json.Marshal(ev)
		_, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, b)
		fl.Flush()
		return err == nil
	}
	if !write(api.Event{Type: api.EventHello}) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, open := <-ch:
			if !open || !write(ev) {
				return
			}
		}
	}
}
