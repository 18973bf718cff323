// Package presence owns every user's live presence on the server: the persisted activity,
// role, end time and note (PRES-1…3), the online and idle state, and the phone state derived
// from live calls. Changes are validated, stored, and fanned out to watchers (the HTTP event
// stream, SIP presence and dialog subscriptions) within a second.
package presence

import (
	"context"
	"log/slog"
	"time"

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

// Hub is the presence of every user. It is safe for concurrent use.
type Hub struct {
	st  store.Store
	log *slog.Logger
	now func() time.Time
	// implementation fields follow (owned by the presence implementer)
}

// Online tells the hub whether a user has registered devices; the server wires it to the
// registrar's bindings (signaling.Server.Targets).
type Online func(ctx context.Context, userID int64) bool

// New returns a hub over st. online may be nil (nobody is online).
func New(st store.Store, online Online, logger *slog.Logger) *Hub {
	if logger == nil {
		logger = slog.Default()
	}
	return &Hub{st: st, log: logger.With("component", "presence"), now: time.Now}
}

// Contract: the methods below are implemented by the presence implementer (stubs for now).

// Get returns the user's presence.
func (h *Hub) Get(ctx context.Context, userID int64) (State, error) { return State{}, store.ErrNotFound }

// Org returns the presence of every user of the organisation (defaults for users who never
// set any), ordered by extension.
func (h *Hub) Org(ctx context.Context, orgID int64) ([]State, error) { return nil, nil }

// Activities returns the organisation's activities.
func (h *Hub) Activities(ctx context.Context, orgID int64) ([]presence.Activity, error) {
	return presence.DefaultActivities(), nil
}

// Set validates and applies a change to the user's presence, stores it, and notifies watchers.
// Validation errors wrap shared/presence's errors (ErrUnknownActivity, ErrNoteTooLong …).
func (h *Hub) Set(ctx context.Context, userID int64, c Change) (State, error) {
	return State{}, store.ErrNotFound
}

// RegistrationChanged re-evaluates the user's online state (wired to the registrar's
// OnBindingsChanged); it must not block.
func (h *Hub) RegistrationChanged(userID int64) {}

// Role implements b2bua.Presence.
func (h *Hub) Role(ctx context.Context, userID int64) presence.Role { return presence.RoleMobile }

// CallState implements b2bua.Presence.
func (h *Hub) CallState(userID int64, callID string, incoming bool, state presence.PhoneState, peer string) {
}

// Watch calls fn with every changed State of the organisation's users (orgID 0: all
// organisations), in order, from a goroutine of the hub; fn must not block for long. The
// returned function stops the watch.
func (h *Hub) Watch(orgID int64, fn func(State)) (cancel func()) { return func() {} }

// Close stops the hub's goroutines.
func (h *Hub) Close() error { return nil }
