// Package agent owns the Softphone's view of the user as a customer-service agent (GRP-3,
// GRP-4): which queues they are logged in to, their state across all of them (logged out,
// available, ringing, in call, wrap-up, paused, shared by every queue), the pause reason and
// when wrap-up ends, and the queue call offered now. It follows the "agent" events of the
// /api/events stream that client/people reads, so the state changes without polling, and
// logs in and out of queues, pauses and resumes through the HTTP API of shared/api/agent.go.
// It has no Fyne dependency: client/ui renders its snapshots (and counts wrap-up down with
// its own clock) and tests drive it against an HTTP server that speaks the contract.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
)

// Errors of the Desk's methods.
var (
	ErrNoSession = errors.New("agent: not connected to the server (log in first)")
	ErrNoReason  = errors.New("agent: a pause needs a reason")
	ErrNoQueue   = errors.New("agent: not a member of that queue")
)

// maxReason bounds a pause reason typed by the user: the server takes one line of at most
// 100 characters.
const maxReason = 100

// Snapshot is what the UI renders. View.Queues is never changed in place once handed out.
type Snapshot struct {
	Loaded bool
	// NotAgent: the server says the user is no agent, or runs no queues (403, 404 or 501 on
	// GET /api/agent).
	NotAgent bool
	Error    string // the last error in plain words; "" when fine
	View     api.AgentView
	// Busy is the queue whose login or logout is under way (0: none); -1 while a pause or
	// resume is, so the UI can disable the control the user just used.
	Busy int64
}

// Busy value of a pause or resume under way.
const BusyPause = -1

// Model is what the UI calls; *Desk implements it.
type Model interface {
	Subscribe(fn func(Snapshot)) (cancel func())
	Snapshot() Snapshot
	// Refresh reloads the agent view.
	Refresh(ctx context.Context) error
	// Login logs in to (in true) or out of one queue.
	Login(ctx context.Context, queueID int64, in bool) error
	// Pause pauses the user in every queue with a reason; Resume ends it.
	Pause(ctx context.Context, reason string) error
	Resume(ctx context.Context) error
	// Reset forgets everything (logout).
	Reset()
}

// Session returns the server API's base URL and the login's bearer token
// (phone.Controller.Session).
type Session func() (apiURL, token string, ok bool)

// Options configure a Desk.
type Options struct {
	HTTPClient *http.Client // nil: 15 s timeout
	Logger     *slog.Logger
}

// Desk is the live model of the user's agent state. Create it with NewDesk, feed it the event
// stream with HandleEvent (people.Book.OnEvent), and Close it when done. Safe for concurrent
// use.
type Desk struct {
	session Session
	log     *slog.Logger
	http    *http.Client

	mu      sync.Mutex
	snap    Snapshot
	gen     int // bumped by Reset: answers to older requests are dropped
	events  int // "agent" events applied so far
	subs    map[int]func(Snapshot)
	nextSub int
	pubMu   sync.Mutex // serialises subscriber calls

	kick chan struct{}
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

var _ Model = (*Desk)(nil)

// NewDesk returns a desk that reaches the server through session. Its refresher goroutine runs
// until Close.
func NewDesk(session Session, o Options) *Desk {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	d := &Desk{session: session, log: o.Logger.With("component", "agent"), http: o.HTTPClient,
		subs: map[int]func(Snapshot){}, kick: make(chan struct{}, 1)}
	if d.http == nil {
		d.http = &http.Client{Timeout: 15 * time.Second}
	}
	d.ctx, d.stop = context.WithCancel(context.Background())
	d.wg.Add(1)
	go d.refresher()
	return d
}

// Close stops the refresher and waits for it.
func (d *Desk) Close() {
	d.stop()
	d.wg.Wait()
}

// HandleEvent takes one event of /api/events: "agent" replaces the view at once; "hello" (a
// new or re-established stream, which may have missed changes) reloads it. It never blocks.
func (d *Desk) HandleEvent(ev api.Event) {
	switch ev.Type {
	case api.EventHello:
		select {
		case d.kick <- struct{}{}:
		default: // a reload is already due
		}
	case api.EventAgent:
		if ev.Agent == nil {
			return
		}
		d.mu.Lock()
		d.setLocked(*ev.Agent)
		d.events++
		d.mu.Unlock()
		d.publish()
	}
}

// refresher reloads the view whenever HandleEvent asks, one reload at a time.
func (d *Desk) refresher() {
	defer d.wg.Done()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-d.kick:
			if err := d.Refresh(d.ctx); err != nil && d.ctx.Err() == nil {
				d.log.Info("agent view not reloaded", "err", err)
			}
		}
	}
}

func (d *Desk) client() (*people.Client, error) {
	if d.session == nil {
		return nil, ErrNoSession
	}
	base, token, ok := d.session()
	if !ok {
		return nil, ErrNoSession
	}
	return &people.Client{BaseURL: strings.TrimRight(base, "/"), Token: token, HTTP: d.http}, nil
}

// Subscribe calls fn with the current snapshot and after every change, from the goroutine
// that made the change; fn must not block.
func (d *Desk) Subscribe(fn func(Snapshot)) (cancel func()) {
	d.pubMu.Lock()
	defer d.pubMu.Unlock()
	d.mu.Lock()
	id := d.nextSub
	d.nextSub++
	d.subs[id] = fn
	s := d.snap
	d.mu.Unlock()
	fn(s)
	return func() {
		d.mu.Lock()
		delete(d.subs, id)
		d.mu.Unlock()
	}
}

// Snapshot returns the current state.
func (d *Desk) Snapshot() Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.snap
}

func (d *Desk) publish() {
	d.pubMu.Lock()
	defer d.pubMu.Unlock()
	d.mu.Lock()
	s := d.snap
	fns := make([]func(Snapshot), 0, len(d.subs))
	for _, fn := range d.subs {
		fns = append(fns, fn)
	}
	d.mu.Unlock()
	for _, fn := range fns {
		fn(s)
	}
}

// setLocked stores a view from the server. Called with d.mu held.
func (d *Desk) setLocked(v api.AgentView) {
	v.Queues = slices.Clone(v.Queues)
	if v.State == "" {
		v.State = api.AgentLoggedOut
	}
	d.snap.View, d.snap.Loaded, d.snap.NotAgent, d.snap.Error = v, true, false, ""
}

// Reset implements Model.
func (d *Desk) Reset() {
	d.mu.Lock()
	d.gen++
	d.snap = Snapshot{}
	d.mu.Unlock()
	d.publish()
}

// Refresh implements Model.
func (d *Desk) Refresh(ctx context.Context) error {
	return d.call(ctx, 0, func(c *people.Client) (api.AgentView, error) { return c.Agent(ctx) })
}

// Login implements Model.
func (d *Desk) Login(ctx context.Context, queueID int64, in bool) error {
	d.mu.Lock()
	member := slices.ContainsFunc(d.snap.View.Queues, func(q api.AgentQueue) bool { return q.ID == queueID })
	d.mu.Unlock()
	if !member {
		return fmt.Errorf("queue %d: %w", queueID, ErrNoQueue)
	}
	return d.call(ctx, queueID, func(c *people.Client) (api.AgentView, error) { return c.AgentLogin(ctx, queueID, in) })
}

// Pause implements Model.
func (d *Desk) Pause(ctx context.Context, reason string) error {
	reason = strings.Join(strings.Fields(reason), " ") // one line
	if reason == "" {
		return ErrNoReason
	}
	if r := []rune(reason); len(r) > maxReason {
		reason = string(r[:maxReason])
	}
	return d.call(ctx, BusyPause, func(c *people.Client) (api.AgentView, error) { return c.AgentPause(ctx, reason) })
}

// Resume implements Model.
func (d *Desk) Resume(ctx context.Context) error {
	return d.call(ctx, BusyPause, func(c *people.Client) (api.AgentView, error) { return c.AgentResume(ctx) })
}

// call runs one request that answers with the agent view and stores the answer; busy marks
// the control in use meanwhile (0: none).
func (d *Desk) call(ctx context.Context, busy int64, req func(*people.Client) (api.AgentView, error)) error {
	c, err := d.client()
	if err != nil {
		return err
	}
	d.mu.Lock()
	gen, events := d.gen, d.events
	if busy != 0 {
		d.snap.Busy = busy
	}
	d.mu.Unlock()
	if busy != 0 {
		d.publish()
	}
	v, err := req(c)
	d.mu.Lock()
	if gen != d.gen {
		d.mu.Unlock()
		return nil // logged out meanwhile
	}
	if busy != 0 && d.snap.Busy == busy {
		d.snap.Busy = 0
	}
	switch st := people.StatusOf(err); {
	case err == nil && d.events != events:
		// An event came while the request was under way: it is at least as new as this
		// answer, or an event for this change follows (the server sends one after every
		// change), so the answer could only take the view back in time.
		d.snap.Loaded, d.snap.Error = true, ""
	case err == nil:
		d.setLocked(v)
	case busy == 0 && (st == http.StatusForbidden || st == http.StatusNotFound || st == http.StatusNotImplemented):
		// Not an agent, or a server without queues (501): nothing to show, no error either.
		d.snap = Snapshot{Loaded: true, NotAgent: true}
		err = nil
	default:
		d.snap.Error = err.Error()
	}
	d.mu.Unlock()
	d.publish()
	return err
}
