package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// Limits of the event stream.
const (
	// maxStreamsPerUser bounds open streams per user (a Softphone keeps one; a few tabs fit).
	maxStreamsPerUser = 10
	// streamBuffer events may wait for a slow client; beyond that the stream ends and the
	// client reconnects and reloads, which is better than silently missing a change.
	streamBuffer = 256
	// defaultPingEvery keeps proxies and the client's liveness check happy.
	defaultPingEvery = 20 * time.Second
	// streamWriteWait bounds one event's write (the server's WriteTimeout would end streams).
	streamWriteWait = 15 * time.Second
)

// streams are the open event streams. The zero value is ready once done is made.
type streams struct {
	mu      sync.Mutex
	all     map[*stream]struct{}
	perUser map[int64]int
	closed  bool
	done    chan struct{} // closed by CloseStreams
	// cancelAgents ends the subscription to the queue engine (agent.go), if any.
	cancelAgents func()
}

// stream is one client's event stream.
type stream struct {
	orgID, userID int64
	admin         bool     // the user administers the organisation (sees every queue's statistics)
	operator      bool     // the user holds the operator role (sees every camp-on)
	token         [32]byte // hash of the session's token: logout ends the stream
	ch            chan streamItem
	overflow      chan struct{}
	once          sync.Once
	ended         chan struct{} // closed by endToken
	endOnce       sync.Once
}

// streamItem is a hub state (converted for the viewer by the stream's handler) or a ready event.
type streamItem struct {
	state *presence.State
	ev    *shared.Event
}

func (st *stream) offer(it streamItem) {
	select {
	case st.ch <- it:
	default:
		st.once.Do(func() { close(st.overflow) })
	}
}

var (
	errStreamsClosed  = errors.New("api: server is shutting down")
	errTooManyStreams = fmt.Errorf("api: more than %d event streams", maxStreamsPerUser)
)

func (ss *streams) add(u store.User, token [32]byte) (*stream, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return nil, errStreamsClosed
	}
	if ss.perUser[u.ID] >= maxStreamsPerUser {
		return nil, errTooManyStreams
	}
	st := &stream{orgID: u.OrgID, userID: u.ID, admin: u.Admin, operator: u.Operator, token: token, ch: make(chan streamItem, streamBuffer),
		overflow: make(chan struct{}), ended: make(chan struct{})}
	ss.all[st] = struct{}{}
	ss.perUser[u.ID]++
	return st, nil
}

func (ss *streams) remove(st *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if _, ok := ss.all[st]; !ok {
		return
	}
	delete(ss.all, st)
	if ss.perUser[st.userID]--; ss.perUser[st.userID] <= 0 {
		delete(ss.perUser, st.userID)
	}
}

// endToken ends the streams opened with the session whose token hashes to token (logout).
func (ss *streams) endToken(token [32]byte) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for st := range ss.all {
		if st.token == token {
			st.endOnce.Do(func() { close(st.ended) })
		}
	}
}

// publish offers ev to the organisation's streams, or only to userID's when userID > 0.
func (ss *streams) publish(orgID, userID int64, ev shared.Event) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for st := range ss.all {
		if st.orgID == orgID && (userID == 0 || st.userID == userID) {
			st.offer(streamItem{ev: &ev})
		}
	}
}

// publishSupervisors offers ev to the streams of the organisation's administrators and of
// the users in supervisors (a queue's statistics).
func (ss *streams) publishSupervisors(orgID int64, supervisors []int64, ev shared.Event) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for st := range ss.all {
		if st.orgID == orgID && (st.admin || slices.Contains(supervisors, st.userID)) {
			st.offer(streamItem{ev: &ev})
		}
	}
}

// publishUser offers ev to userID's streams only.
func (ss *streams) publishUser(userID int64, ev shared.Event) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for st := range ss.all {
		if st.userID == userID {
			st.offer(streamItem{ev: &ev})
		}
	}
}

// has reports whether userID has an open stream.
func (ss *streams) has(userID int64) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.perUser[userID] > 0
}

// CloseStreams ends every open event stream and refuses new ones. Wire it to
// http.Server.RegisterOnShutdown: Shutdown waits for handlers, and a stream never ends by itself.
func (s *Server) CloseStreams() {
	s.streams.mu.Lock()
	if !s.streams.closed {
		s.streams.closed = true
		close(s.streams.done)
	}
	cancel := s.streams.cancelAgents
	s.streams.cancelAgents = nil
	s.streams.mu.Unlock()
	// Outside the lock: the engine may be delivering an event, which takes it.
	if cancel != nil {
		cancel()
	}
}

// UserChanged tells the organisation's event streams that a user was added or changed (an
// admin tool or provisioning calls it after writing the store) and refreshes the directory.
func (s *Server) UserChanged(ctx context.Context, u store.User) {
	if s.deps.Directory != nil {
		s.deps.Directory.Invalidate(u.OrgID)
	}
	var p shared.Presence
	if s.deps.Presence != nil {
		if st, err := s.deps.Presence.Get(ctx, u.ID); err == nil {
			// Roles stay hidden here: the event goes to every colleague alike.
			v := viewer{userID: -1, lang: u.Language}
			if acts, err := s.deps.Presence.Activities(ctx, u.OrgID); err == nil {
				v.acts = acts
			}
			p = v.presence(st)
		}
	}
	e := directoryEntry(u, p)
	s.streams.publish(u.OrgID, 0, shared.Event{Type: shared.EventDirectory, Entry: &e})
}

// events serves GET /api/events: "hello", then presence changes of the user's organisation,
// directory, contact, message and voicemail events, agent and queue events (agent.go), and a ": ping" comment every pingEvery.
func (s *Server) events(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needPresence(w) {
		return
	}
	s.watchAgents()
	ctx := r.Context()
	v, err := s.viewerFor(ctx, u)
	if err != nil {
		s.internal(w, "events", err)
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	st, err := s.streams.add(u, tokenHash(strings.TrimSpace(token)))
	switch {
	case errors.Is(err, errStreamsClosed):
		writeError(w, http.StatusServiceUnavailable, "server is shutting down")
		return
	case errors.Is(err, errTooManyStreams):
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many event streams (at most %d)", maxStreamsPerUser))
		return
	}
	defer s.streams.remove(st)
	stop := s.deps.Presence.Watch(u.OrgID, func(ps presence.State) { st.offer(streamItem{state: &ps}) })
	defer stop()

	rc := http.NewResponseController(w)
	// The server's ReadTimeout would otherwise cancel the request's context mid-stream.
	if err := rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Debug("events: clear read deadline", "error", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	send := func(write func(io.Writer) error) error {
		if err := rc.SetWriteDeadline(time.Now().Add(streamWriteWait)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if err := write(w); err != nil {
			return err
		}
		return rc.Flush()
	}
	event := func(ev shared.Event) error {
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		return send(func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
			return err
		})
	}
	if err := event(shared.Event{Type: shared.EventHello}); err != nil {
		return
	}
	if ev, ok := s.campOnAtStart(u.ID); ok {
		if err := event(ev); err != nil {
			return
		}
	}
	ping := time.NewTicker(s.pingEvery)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-s.streams.done:
			return
		case <-st.ended:
			return // the session was logged out
		case <-st.overflow:
			s.log.Warn("event stream too slow, closing", "user", u.ID)
			return
		case <-ping.C:
			err = send(func(w io.Writer) error { _, err := io.WriteString(w, ": ping\n\n"); return err })
		case it := <-st.ch:
			if it.ev != nil {
				err = event(*it.ev)
				break
			}
			if _, ok := sharedpresence.Find(v.acts, it.state.Activity); !ok {
				// An admin may have added the activity since the stream began.
				if acts, aerr := s.deps.Presence.Activities(ctx, u.OrgID); aerr == nil {
					v.acts = acts
				}
			}
			p := v.presence(*it.state)
			err = event(shared.Event{Type: shared.EventPresence, Presence: &p})
		}
		if err != nil {
			s.log.Debug("event stream ended", "user", u.ID, "error", err)
			return
		}
	}
}
