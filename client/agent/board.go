package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
)

// The supervisor's side (GRP-9): live statistics of the queues a supervisor watches, from
// the "queue" events of /api/events and from polling GET /api/queues/{id}/stats, and logging
// agents in and out of those queues.

// BoardSnapshot is what the supervisor view renders. Queues is in the order Watch gave (then
// queues first seen in events); never changed in place once handed out.
type BoardSnapshot struct {
	Queues []api.QueueStats
	Error  string // the last error in plain words; "" when fine
	// Busy is the "queue/user" whose login or logout is under way, "" none.
	Busy string
}

// Supervision is what the supervisor view calls; *Board implements it, tests may fake it.
type Supervision interface {
	Subscribe(fn func(BoardSnapshot)) (cancel func())
	Snapshot() BoardSnapshot
	// Watch adds queues to poll.
	Watch(ids ...int64)
	// Refresh polls the statistics of every watched queue.
	Refresh(ctx context.Context) error
	// SetAgent logs agent userID in to (in true) or out of queue queueID.
	SetAgent(ctx context.Context, queueID, userID int64, in bool) error
}

// BusyKey is BoardSnapshot.Busy for one agent of one queue.
func BusyKey(queueID, userID int64) string { return fmt.Sprintf("%d/%d", queueID, userID) }

// Board is the live model of watched queues. It has no goroutine of its own: events arrive
// through HandleEvent and the view polls with Refresh. Safe for concurrent use.
type Board struct {
	session Session
	log     *slog.Logger
	http    *http.Client

	mu      sync.Mutex
	watch   []int64
	stats   map[int64]api.QueueStats
	err     string
	busy    string
	subs    map[int]func(BoardSnapshot)
	nextSub int
	pubMu   sync.Mutex
}

var _ Supervision = (*Board)(nil)

// NewBoard returns a board that reaches the server through session.
func NewBoard(session Session, o Options) *Board {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	b := &Board{session: session, log: o.Logger.With("component", "supervisor"), http: o.HTTPClient,
		stats: map[int64]api.QueueStats{}, subs: map[int]func(BoardSnapshot){}}
	if b.http == nil {
		b.http = &http.Client{Timeout: 15 * time.Second}
	}
	return b
}

// Watch adds queues to poll (there is no list of the queues one supervises: the UI adds the
// user's own queues, and a "queue" event adds its queue).
func (b *Board) Watch(ids ...int64) {
	b.mu.Lock()
	for _, id := range ids {
		if !slices.Contains(b.watch, id) {
			b.watch = append(b.watch, id)
		}
	}
	b.mu.Unlock()
}

// HandleEvent takes one event of /api/events: "queue" replaces that queue's statistics.
func (b *Board) HandleEvent(ev api.Event) {
	if ev.Type != api.EventQueue || ev.Queue == nil {
		return
	}
	b.mu.Lock()
	b.setLocked(*ev.Queue)
	b.mu.Unlock()
	b.publish()
}

func (b *Board) setLocked(s api.QueueStats) {
	s.Agents = slices.Clone(s.Agents)
	b.stats[s.QueueID] = s
	if !slices.Contains(b.watch, s.QueueID) {
		b.watch = append(b.watch, s.QueueID)
	}
}

// Subscribe calls fn with the current snapshot and after every change; fn must not block.
func (b *Board) Subscribe(fn func(BoardSnapshot)) (cancel func()) {
	b.pubMu.Lock()
	defer b.pubMu.Unlock()
	b.mu.Lock()
	id := b.nextSub
	b.nextSub++
	b.subs[id] = fn
	s := b.snapLocked()
	b.mu.Unlock()
	fn(s)
	return func() {
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}
}

// Snapshot returns the current state.
func (b *Board) Snapshot() BoardSnapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.snapLocked()
}

func (b *Board) snapLocked() BoardSnapshot {
	s := BoardSnapshot{Error: b.err, Busy: b.busy}
	for _, id := range b.watch {
		if q, ok := b.stats[id]; ok {
			q.Agents = slices.Clone(q.Agents)
			s.Queues = append(s.Queues, q)
		}
	}
	return s
}

func (b *Board) publish() {
	b.pubMu.Lock()
	defer b.pubMu.Unlock()
	b.mu.Lock()
	s := b.snapLocked()
	fns := make([]func(BoardSnapshot), 0, len(b.subs))
	for _, fn := range b.subs {
		fns = append(fns, fn)
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(s)
	}
}

func (b *Board) client() (*people.Client, error) {
	if b.session == nil {
		return nil, ErrNoSession
	}
	base, token, ok := b.session()
	if !ok {
		return nil, ErrNoSession
	}
	return &people.Client{BaseURL: base, Token: token, HTTP: b.http}, nil
}

// Refresh implements Supervision.
func (b *Board) Refresh(ctx context.Context) error {
	c, err := b.client()
	if err != nil {
		return err
	}
	b.mu.Lock()
	ids := slices.Clone(b.watch)
	b.mu.Unlock()
	var first error
	for _, id := range ids {
		s, err := c.QueueStats(ctx, id)
		b.mu.Lock()
		if err == nil {
			b.setLocked(s)
		} else if first == nil {
			first = fmt.Errorf("queue %d statistics: %w", id, err)
		}
		b.mu.Unlock()
	}
	b.mu.Lock()
	b.err = ""
	if first != nil {
		b.err = first.Error()
	}
	b.mu.Unlock()
	b.publish()
	return first
}

// SetAgent implements Supervision; the queue's statistics are reloaded afterwards so that the
// agent's new state shows even before the server's next "queue" event.
func (b *Board) SetAgent(ctx context.Context, queueID, userID int64, in bool) error {
	c, err := b.client()
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.busy = BusyKey(queueID, userID)
	b.mu.Unlock()
	b.publish()
	_, err = c.SupervisorLogin(ctx, queueID, userID, in)
	var s api.QueueStats
	if err == nil {
		s, err = c.QueueStats(ctx, queueID)
	}
	b.mu.Lock()
	b.busy, b.err = "", ""
	if err != nil {
		err = fmt.Errorf("agent %d in queue %d: %w", userID, queueID, err)
		b.err = err.Error()
	} else {
		b.setLocked(s)
	}
	b.mu.Unlock()
	b.publish()
	return err
}

// Waiting returns a queue's waiting callers for the switchboard console.
func (b *Board) Waiting(ctx context.Context, queueID int64) (api.QueueWaiting, error) {
	c, err := b.client()
	if err != nil {
		return api.QueueWaiting{}, err
	}
	return c.QueueWaiting(ctx, queueID)
}

// SetNight switches a queue's manual night mode (operators of the queue, supervisors).
func (b *Board) SetNight(ctx context.Context, queueID int64, night bool) (api.QueueWaiting, error) {
	c, err := b.client()
	if err != nil {
		return api.QueueWaiting{}, err
	}
	return c.SetQueueNight(ctx, queueID, night)
}

// Take rings the operator with a chosen waiting caller of the queue, out of turn.
func (b *Board) Take(ctx context.Context, queueID, callerID int64) (api.QueueWaiting, error) {
	c, err := b.client()
	if err != nil {
		return api.QueueWaiting{}, err
	}
	return c.TakeCaller(ctx, queueID, callerID)
}

// Forwarding returns a colleague's forwarding for the switchboard console.
func (b *Board) Forwarding(ctx context.Context, ext string) (api.ColleagueForwarding, error) {
	c, err := b.client()
	if err != nil {
		return api.ColleagueForwarding{}, err
	}
	return c.ColleagueForwarding(ctx, ext)
}

// Parked returns the organisation's parked calls for the switchboard console.
func (b *Board) Parked(ctx context.Context) ([]api.ParkedCall, error) {
	c, err := b.client()
	if err != nil {
		return nil, err
	}
	return c.Parked(ctx)
}
