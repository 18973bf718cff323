// Package presence owns every user's live presence on the server: the persisted activity,
// role, end time and note (PRES-1…3), the online and idle state, and the phone state derived
// from live calls. Changes are validated, stored, and fanned out to watchers (the HTTP event
// stream, SIP presence and dialog subscriptions) within a second. It also renders presence as
// PIDF/RPID (RFC 3863, RFC 4480) and dialog-info (RFC 4235) documents for SIP subscribers.
package presence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
)

// State is one user's whole presence at a moment.
type State struct {
	UserID    int64
	OrgID     int64
	Extension string
	Activity  int
	Green     bool
	Role      presence.Role
	Until     time.Time
	Note      string
	Online    bool // has at least one unexpired registration
	Idle      bool // the Softphone reported no input for a while
	Phone     presence.PhoneState
	// Calls are the user's live calls (for the dialog event package, RFC 4235).
	Calls     []CallInfo
	UpdatedAt time.Time
}

// CallInfo is one live call of a user.
type CallInfo struct {
	CallID    string // stable for the call's lifetime
	Direction string // "initiator" (the user called) or "recipient"
	State     presence.PhoneState
	Peer      string // the other party's number or extension
	Since     time.Time
}

// Change is a requested presence change; nil fields stay as they are.
type Change struct {
	Activity   *int
	Role       *presence.Role
	Until      *time.Time
	ClearUntil bool
	Note       *string
	Idle       *bool
}

// Limits that bound the hub's memory whatever the network does.
const (
	// maxCallsPerUser bounds the live calls kept per user; a call that never reports its end
	// is dropped (oldest first) rather than kept forever.
	maxCallsPerUser = 32
	// watchQueue is how many changes a watcher may fall behind before its queue is coalesced
	// to the latest state per user.
	watchQueue = 1024
	// loadTimeout bounds the store reads done on behalf of non-blocking callers.
	loadTimeout = 10 * time.Second
)

// Hub is the presence of every user. It is safe for concurrent use.
type Hub struct {
	st  store.Store
	log *slog.Logger
	now func() time.Time

	online Online
	ctx    context.Context // lifetime of the hub's goroutines
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	users    map[int64]*entry              // loaded users
	calls    map[int64]map[string]CallInfo // live calls by user, kept even before the user is loaded
	loading  map[int64]bool                // a background load or online check runs for the user
	recheck  map[int64]bool                // the running background job must run again
	watchers map[*watcher]struct{}
	setMu    map[int64]*sync.Mutex // serialises Set per user
}

// entry is a loaded user's state without the call-derived fields.
type entry struct {
	st State
}

// Online tells the hub whether a user has registered devices; the server wires it to the
// registrar's bindings (signaling.Server.Targets).
type Online func(ctx context.Context, userID int64) bool

// New returns a hub over st. online may be nil (nobody is online).
func New(st store.Store, online Online, logger *slog.Logger) *Hub {
	if logger == nil {
		logger = slog.Default()
	}
	if online == nil {
		online = func(context.Context, int64) bool { return false }
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{
		st: st, log: logger.With("component", "presence"), now: time.Now,
		online: online, ctx: ctx, cancel: cancel,
		users:    map[int64]*entry{},
		calls:    map[int64]map[string]CallInfo{},
		loading:  map[int64]bool{},
		recheck:  map[int64]bool{},
		watchers: map[*watcher]struct{}{},
		setMu:    map[int64]*sync.Mutex{},
	}
}

// Get returns the user's presence.
func (h *Hub) Get(ctx context.Context, userID int64) (State, error) {
	if err := h.ensure(ctx, userID); err != nil {
		return State{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.snapshot(userID), nil
}

// Org returns the presence of every user of the organisation (defaults for users who never
// set any), ordered by extension.
func (h *Hub) Org(ctx context.Context, orgID int64) ([]State, error) {
	users, err := h.st.ListUsers(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("presence: list users of org %d: %w", orgID, err)
	}
	h.mu.Lock()
	missing := 0
	for _, u := range users {
		if h.users[u.ID] == nil {
			missing++
		}
	}
	h.mu.Unlock()
	if missing > 0 {
		recs, err := h.st.OrgPresences(ctx, orgID)
		if err != nil {
			return nil, fmt.Errorf("presence: load org %d: %w", orgID, err)
		}
		acts, err := h.Activities(ctx, orgID)
		if err != nil {
			return nil, err
		}
		byUser := make(map[int64]store.Presence, len(recs))
		for _, r := range recs {
			byUser[r.UserID] = r
		}
		for _, u := range users {
			h.mu.Lock()
			loaded := h.users[u.ID] != nil
			h.mu.Unlock()
			if loaded {
				continue
			}
			rec, ok := byUser[u.ID]
			if !ok {
				rec = store.Presence{UserID: u.ID}
			}
			st := h.fromRecord(u, rec, acts)
			st.Online = h.online(ctx, u.ID)
			h.install(st)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]State, 0, len(users))
	for _, u := range users {
		if h.users[u.ID] != nil {
			out = append(out, h.snapshot(u.ID))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Extension < out[j].Extension })
	return out, nil
}

// Activities returns the organisation's activities.
func (h *Hub) Activities(ctx context.Context, orgID int64) ([]presence.Activity, error) {
	recs, err := h.st.Activities(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("presence: activities of org %d: %w", orgID, err)
	}
	if len(recs) == 0 {
		return presence.DefaultActivities(), nil
	}
	out := make([]presence.Activity, 0, len(recs))
	for _, r := range recs {
		out = append(out, presence.Activity{
			Number: r.Number,
			Names:  presence.Names{FI: r.NameFI, SV: r.NameSV, EN: r.NameEN},
			Green:  r.Green,
		})
	}
	return out, nil
}

// Set validates and applies a change to the user's presence, stores it, and notifies watchers.
// Validation errors wrap shared/presence's errors (ErrUnknownActivity, ErrNoteTooLong …).
func (h *Hub) Set(ctx context.Context, userID int64, c Change) (State, error) {
	if err := h.ensure(ctx, userID); err != nil {
		return State{}, err
	}
	// One Set per user at a time, so the stored record and the live state agree.
	h.mu.Lock()
	m := h.setMu[userID]
	if m == nil {
		m = &sync.Mutex{}
		h.setMu[userID] = m
	}
	h.mu.Unlock()
	m.Lock()
	defer m.Unlock()
	h.mu.Lock()
	cur := h.users[userID].st
	h.mu.Unlock()

	next := cur
	persist := false
	if c.Activity != nil {
		acts, err := h.Activities(ctx, cur.OrgID)
		if err != nil {
			return State{}, err
		}
		a, ok := presence.Find(acts, *c.Activity)
		if !ok {
			return State{}, fmt.Errorf("presence: set activity %d: %w", *c.Activity, presence.ErrUnknownActivity)
		}
		next.Activity, next.Green = a.Number, a.Green
		persist = true
	}
	if c.Role != nil {
		if !c.Role.Valid() {
			return State{}, fmt.Errorf("presence: set role %d: %w", int(*c.Role), presence.ErrUnknownRole)
		}
		next.Role = *c.Role
		persist = true
	}
	if c.Note != nil {
		if err := presence.ValidateNote(*c.Note); err != nil {
			return State{}, fmt.Errorf("presence: set note: %w", err)
		}
		next.Note = *c.Note
		persist = true
	}
	switch {
	case c.ClearUntil:
		next.Until = time.Time{}
		persist = true
	case c.Until != nil:
		if err := presence.ValidateUntil(*c.Until, h.now()); err != nil {
			return State{}, fmt.Errorf("presence: set end time %s: %w", c.Until.Format(time.RFC3339), err)
		}
		next.Until = c.Until.UTC()
		persist = true
	}
	if c.Idle != nil {
		next.Idle = *c.Idle
	}
	now := h.now().UTC()
	if persist {
		rec := store.Presence{UserID: userID, Activity: next.Activity, Role: int(next.Role), Until: next.Until, Note: next.Note, UpdatedAt: now}
		if err := h.st.PutPresence(ctx, rec); err != nil {
			return State{}, fmt.Errorf("presence: store presence of user %d: %w", userID, err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.users[userID]
	changed := e.st.Activity != next.Activity || e.st.Role != next.Role || !e.st.Until.Equal(next.Until) ||
		e.st.Note != next.Note || e.st.Idle != next.Idle
	e.st.Activity, e.st.Green, e.st.Role, e.st.Until, e.st.Note, e.st.Idle =
		next.Activity, next.Green, next.Role, next.Until, next.Note, next.Idle
	if changed {
		e.st.UpdatedAt = now
		h.notifyLocked(userID)
	}
	return h.snapshot(userID), nil
}

// RegistrationChanged re-evaluates the user's online state (wired to the registrar's
// OnBindingsChanged); it must not block.
func (h *Hub) RegistrationChanged(userID int64) {
	h.background(userID)
}

// Role implements b2bua.Presence.
func (h *Hub) Role(ctx context.Context, userID int64) presence.Role {
	st, err := h.Get(ctx, userID)
	if err != nil || !st.Role.Valid() {
		return presence.RoleMobile
	}
	return st.Role
}

// CallState implements b2bua.Presence.
func (h *Hub) CallState(userID int64, callID string, incoming bool, state presence.PhoneState, peer string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	calls := h.calls[userID]
	if state == presence.PhoneIdle || state == "" {
		if _, ok := calls[callID]; !ok {
			return
		}
		delete(calls, callID)
		if len(calls) == 0 {
			delete(h.calls, userID)
		}
	} else {
		if calls == nil {
			calls = map[string]CallInfo{}
			h.calls[userID] = calls
		}
		ci, ok := calls[callID]
		if !ok {
			if len(calls) >= maxCallsPerUser {
				dropOldest(calls)
			}
			ci = CallInfo{CallID: callID, Direction: "initiator", Since: h.now().UTC()}
			if incoming {
				ci.Direction = "recipient"
			}
		}
		if ci.State == state && ci.Peer == peer && ok {
			return
		}
		ci.State, ci.Peer = state, peer
		calls[callID] = ci
	}
	if e := h.users[userID]; e != nil {
		e.st.UpdatedAt = h.now().UTC()
		h.notifyLocked(userID)
		return
	}
	// Not loaded yet: load in the background, which notifies with the calls as they are then.
	h.backgroundLocked(userID)
}

// Close stops the hub's goroutines.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	ws := make([]*watcher, 0, len(h.watchers))
	for w := range h.watchers {
		ws = append(ws, w)
	}
	h.mu.Unlock()
	h.cancel()
	for _, w := range ws {
		w.stop()
	}
	h.wg.Wait()
	return nil
}

// ensure loads the user into the cache unless already there.
func (h *Hub) ensure(ctx context.Context, userID int64) error {
	h.mu.Lock()
	loaded := h.users[userID] != nil
	h.mu.Unlock()
	if loaded {
		return nil
	}
	u, err := h.st.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("presence: user %d: %w", userID, err)
	}
	rec, err := h.st.Presence(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		rec, err = store.Presence{UserID: userID}, nil
	}
	if err != nil {
		return fmt.Errorf("presence: load presence of user %d: %w", userID, err)
	}
	acts, err := h.Activities(ctx, u.OrgID)
	if err != nil {
		return err
	}
	st := h.fromRecord(u, rec, acts)
	st.Online = h.online(ctx, userID)
	h.install(st)
	return nil
}

// install caches st unless another goroutine loaded the user first (whose state is newer).
func (h *Hub) install(st State) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.users[st.UserID] == nil {
		h.users[st.UserID] = &entry{st: st}
	}
}

// fromRecord builds the persisted part of a state; unknown values fall back to the defaults
// (Available, Mobile) so that a removed activity never hides a user.
func (h *Hub) fromRecord(u store.User, rec store.Presence, acts []presence.Activity) State {
	st := State{
		UserID: u.ID, OrgID: u.OrgID, Extension: u.Extension,
		Activity: rec.Activity, Role: presence.Role(rec.Role),
		Until: rec.Until, Note: rec.Note, UpdatedAt: rec.UpdatedAt,
	}
	a, ok := presence.Find(acts, st.Activity)
	if !ok {
		a, ok = presence.Find(acts, presence.Available)
		if !ok {
			a = presence.Activity{Number: presence.Available, Green: true}
		}
	}
	st.Activity, st.Green = a.Number, a.Green
	if !st.Role.Valid() {
		st.Role = presence.RoleMobile
	}
	return st
}

// snapshot returns the user's full state with the call-derived fields; h.mu is held and the
// user is loaded.
func (h *Hub) snapshot(userID int64) State {
	st := h.users[userID].st
	calls := h.calls[userID]
	st.Calls = nil
	if len(calls) > 0 {
		st.Calls = make([]CallInfo, 0, len(calls))
		for _, c := range calls {
			st.Calls = append(st.Calls, c)
		}
		sort.Slice(st.Calls, func(i, j int) bool {
			if !st.Calls[i].Since.Equal(st.Calls[j].Since) {
				return st.Calls[i].Since.Before(st.Calls[j].Since)
			}
			return st.Calls[i].CallID < st.Calls[j].CallID
		})
	}
	st.Phone = PhoneOf(st.Calls)
	return st
}

// PhoneOf derives the phone state from live calls: on a call if any is answered, else ringing
// if any incoming call rings, else dialling if any outgoing call is being set up, else idle.
func PhoneOf(calls []CallInfo) presence.PhoneState {
	ringing, dialling := false, false
	for _, c := range calls {
		switch {
		case c.State == presence.PhoneOnCall:
			return presence.PhoneOnCall
		case c.State == presence.PhoneIdle || c.State == "":
		case c.Direction == "recipient":
			ringing = true
		default:
			dialling = true
		}
	}
	switch {
	case ringing:
		return presence.PhoneRinging
	case dialling:
		return presence.PhoneDialing
	}
	return presence.PhoneIdle
}

func dropOldest(calls map[string]CallInfo) {
	var oldest string
	var at time.Time
	for id, c := range calls {
		if oldest == "" || c.Since.Before(at) {
			oldest, at = id, c.Since
		}
	}
	delete(calls, oldest)
}

// background loads the user (if needed) and re-evaluates the online state on a goroutine
// owned by the hub. Requests for a user whose job is running make it run once more, so the
// last evaluation always reflects the latest registration change.
func (h *Hub) background(userID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.backgroundLocked(userID)
}

func (h *Hub) backgroundLocked(userID int64) {
	if h.closed {
		return
	}
	if h.loading[userID] {
		h.recheck[userID] = true
		return
	}
	h.loading[userID] = true
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			h.refresh(userID)
			h.mu.Lock()
			if !h.recheck[userID] || h.closed {
				delete(h.loading, userID)
				delete(h.recheck, userID)
				h.mu.Unlock()
				return
			}
			delete(h.recheck, userID)
			h.mu.Unlock()
		}
	}()
}

// refresh loads the user if needed, evaluates the online state and notifies when it changed
// or the user was just loaded (calls may have arrived before).
func (h *Hub) refresh(userID int64) {
	ctx, cancel := context.WithTimeout(h.ctx, loadTimeout)
	defer cancel()
	h.mu.Lock()
	wasLoaded := h.users[userID] != nil
	h.mu.Unlock()
	if err := h.ensure(ctx, userID); err != nil {
		if h.ctx.Err() == nil {
			h.log.Warn("load presence", "user", userID, "error", err)
		}
		return
	}
	online := h.online(ctx, userID)
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.users[userID]
	if e.st.Online != online || !wasLoaded {
		e.st.Online = online
		e.st.UpdatedAt = h.now().UTC()
		h.notifyLocked(userID)
	}
}

// Watch calls fn with every changed State of the organisation's users (orgID 0: all
// organisations), in order, from a goroutine of the hub; fn must not block for long. The
// returned function stops the watch.
func (h *Hub) Watch(orgID int64, fn func(State)) (cancel func()) {
	w := &watcher{orgID: orgID, fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return func() {}
	}
	h.watchers[w] = struct{}{}
	h.wg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		w.run()
	}()
	return func() {
		h.mu.Lock()
		delete(h.watchers, w)
		h.mu.Unlock()
		w.stop()
	}
}

// notifyLocked queues the user's current state to every interested watcher; h.mu is held.
func (h *Hub) notifyLocked(userID int64) {
	if len(h.watchers) == 0 {
		return
	}
	st := h.snapshot(userID)
	for w := range h.watchers {
		if w.orgID == 0 || w.orgID == st.OrgID {
			w.push(st)
		}
	}
}

// watcher is one Watch: a queue drained by its own goroutine so a slow watcher never blocks
// the changer or other watchers.
type watcher struct {
	orgID int64
	fn    func(State)
	wake  chan struct{}
	done  chan struct{}
	once  sync.Once

	mu      sync.Mutex
	pending []State
	index   map[int64]int // user → position in pending, while coalescing
}

func (w *watcher) push(st State) {
	w.mu.Lock()
	if len(w.pending) >= watchQueue {
		// Far behind: keep only the latest state per user (bounded by the org's size).
		if w.index == nil {
			w.coalesceLocked()
		}
	}
	if w.index != nil {
		if i, ok := w.index[st.UserID]; ok {
			w.pending[i] = st
		} else {
			w.index[st.UserID] = len(w.pending)
			w.pending = append(w.pending, st)
		}
	} else {
		w.pending = append(w.pending, st)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// coalesceLocked rewrites pending to one (latest) state per user, keeping the order of each
// user's last change.
func (w *watcher) coalesceLocked() {
	last := map[int64]int{}
	for i, st := range w.pending {
		last[st.UserID] = i
	}
	out := make([]State, 0, len(last))
	w.index = make(map[int64]int, len(last))
	for i, st := range w.pending {
		if last[st.UserID] == i {
			w.index[st.UserID] = len(out)
			out = append(out, st)
		}
	}
	w.pending = out
}

func (w *watcher) run() {
	for {
		select {
		case <-w.done:
			return
		case <-w.wake:
		}
		for {
			w.mu.Lock()
			batch := w.pending
			w.pending, w.index = nil, nil
			w.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, st := range batch {
				select {
				case <-w.done:
					return
				default:
				}
				w.fn(st)
			}
		}
	}
}

func (w *watcher) stop() { w.once.Do(func() { close(w.done) }) }

// Limits of an activity an admin defines.
const (
	MaxActivityNumber    = 99 // feature code 983<n> takes one or two digits
	MaxActivityNameRunes = 40
)

// ErrBadActivity is returned for an activity definition that cannot be stored.
var ErrBadActivity = errors.New("presence: bad activity")

// PutActivity adds or renames one of the organisation's activities (PRES-1: admins may rename
// and add) and re-colours the users who have it, notifying watchers.
func (h *Hub) PutActivity(ctx context.Context, orgID int64, a presence.Activity) error {
	if a.Number < 1 || a.Number > MaxActivityNumber {
		return fmt.Errorf("%w: number must be 1–%d", ErrBadActivity, MaxActivityNumber)
	}
	for _, n := range []string{a.Names.FI, a.Names.SV, a.Names.EN} {
		if err := presence.ValidateNote(n); err != nil || utf8.RuneCountInString(n) > MaxActivityNameRunes || strings.ContainsAny(n, "\n\t") {
			return fmt.Errorf("%w: names must be one line of at most %d characters", ErrBadActivity, MaxActivityNameRunes)
		}
	}
	if strings.TrimSpace(a.Names.EN) == "" && strings.TrimSpace(a.Names.FI) == "" && strings.TrimSpace(a.Names.SV) == "" {
		return fmt.Errorf("%w: a name is required", ErrBadActivity)
	}
	rec := store.Activity{OrgID: orgID, Number: a.Number, NameFI: a.Names.FI, NameSV: a.Names.SV, NameEN: a.Names.EN, Green: a.Green}
	if err := h.st.PutActivity(ctx, rec); err != nil {
		return fmt.Errorf("presence: store activity %d of org %d: %w", a.Number, orgID, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, e := range h.users {
		if e.st.OrgID == orgID && e.st.Activity == a.Number && e.st.Green != a.Green {
			e.st.Green = a.Green
			h.notifyLocked(id)
		}
	}
	return nil
}
