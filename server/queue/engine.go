package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/api"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// Defaults of settings whose zero value is not "off".
const (
	DefaultRingTime = 20 * time.Second
	// retryGap keeps an agent whose phone refused an offer (busy, not reachable) out of
	// distribution for a moment, so one broken phone cannot make the engine spin.
	retryGap = 5 * time.Second
	// callbackRetryGap is the least time between two callback attempts to the same caller; the
	// callback keeps its place meanwhile but lets later callers be served.
	callbackRetryGap = time.Minute
	// statsEvery throttles queue statistics events: at most one per queue per interval.
	statsEvery = time.Second
	// statsWindow is the period of the statistics in queue events.
	statsWindow = 4 * time.Hour
)

// Errors of the engine.
var (
	ErrNotAgent    = errors.New("queue: user holds no agent role")
	ErrNotMember   = errors.New("queue: user is not a member of the queue")
	ErrNotAllowed  = errors.New("queue: not allowed")
	ErrClosed      = errors.New("queue: engine closed")
	ErrNoSuchQueue = fmt.Errorf("queue: no such queue: %w", store.ErrNotFound)
)

// Directory is what the engine reads of organisations and users.
type Directory interface {
	OrgByID(ctx context.Context, id int64) (store.Org, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
}

// Prompts loads prompt clips as an organisation hears them (prompt.Catalog implements it).
type Prompts interface {
	OrgClips(orgID int64, lang string, keys ...string) ([]mediaapp.Clip, error)
}

// Deps are the engine's collaborators. Groups and Directory are required.
type Deps struct {
	Groups    store.GroupStore
	Directory Directory
	// Originator places callbacks (GRP-6); nil: callbacks are never offered.
	Originator mediaapp.Originator
	// Prompts: nil plays short tones named by the prompt keys (tests, no catalog).
	Prompts Prompts
	Clock   Clock           // nil: SystemClock
	Rand    func(n int) int // random in [0, n) for equal-skill random distribution; nil: math/rand
	Log     *slog.Logger    // nil: slog.Default
}

// Engine is the customer-service queue engine (GRP-1…9): agents, waiting callers and
// callbacks of every organisation, in memory, indexed by agent so that a phone-state or
// presence change of one agent touches only that agent's memberships. It is safe for
// concurrent use; one mutex guards the state and no I/O happens under it.
type Engine struct {
	d     Deps
	clock Clock
	log   *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	wmu    sync.Mutex // orders store writes of state that changes fast (logins, callbacks); before mu
	mu     sync.Mutex
	orgs   map[int64]*org
	agents map[int64]*agent // every user the engine heard of, by user ID
	seq    uint64

	subMu   sync.Mutex
	subs    map[int]func(api.AgentEvent)
	nextSub int
}

var _ api.Agents = (*Engine)(nil)

type org struct {
	id       int64
	loc      *time.Location
	queues   map[int64]*queue
	byNumber map[string]*queue
}

type agent struct {
	id         int64
	orgID      int64
	name       string
	lang       string
	licensed   bool              // store.User.Agent, or Operator (switchboard queues, ORG-2)
	supervisor bool              // store.User.Supervisor
	mem        map[int64]*member // queue ID → membership (the per-agent index)

	paused     bool
	reason     string
	wrapUntil  time.Time
	retryUntil time.Time
	timer      Timer     // fires at the later of wrapUntil and retryUntil
	timerAt    time.Time // when timer fires
	onCall     bool      // phone state from the hub: in any call
	red        bool      // presence: a red activity
	ringing    *entry    // the queue call offered now
	talking    *talk     // the queue call connected now
	idleSince  time.Time // when the agent last became free of queue work (longest idle)
}

type member struct {
	q      *queue
	a      *agent
	order  int
	skill  int
	in     bool // logged in
	missed int  // unanswered offers in a row (auto-logout)
}

type talk struct {
	q        *queue
	caller   string
	entered  time.Time
	answered time.Time
	callback bool
}

type queue struct {
	cfg       store.Queue
	org       *org
	members   map[int64]*member
	waiting   []*entry // ordered by (entered, seq): the place of every caller and callback
	rush      bool
	openSince time.Time // no opening hours: when the queue was last seen opening
	lastWait  time.Duration
	hasLast   bool
	recent    []store.QueueCall // finished calls of the last statsWindow, oldest first
	// keptSince: recent holds every call of q entered since then that this engine finished.
	keptSince time.Time
	handle    handling

	statsAt    time.Time // last queue event
	statsTimer Timer
}

// entry is one place in a queue: a caller on the line (the flow's) or a callback.
type entry struct {
	seq     uint64
	q       *queue
	caller  string
	name    string
	lang    string
	entered time.Time
	cb      *store.Callback // a callback request holding the place
	// notBefore: a callback is not attempted again before this (callbackRetryGap).
	notBefore time.Time
	attempts  int                // unanswered offers to agents (no-answer overflow)
	tried     map[int64]bool     // agents already offered this caller in this round
	offer     []*agent           // agents reserved for this entry now
	overflow  *overflowOrder     // the flow must leave the queue to this target
	progress  bool               // a progress announcement is due
	gone      bool               // left the queue
	wake      context.CancelFunc // stops the flow's music: something happened
	// takenBy: an operator chose this caller from the console (Take); they are offered it
	// first, and nobody else is until that offer ends.
	takenBy int64
	// yielded: the ring was cut short because its agent took another caller (not a miss).
	yielded   bool
	ringStop  context.CancelFunc // cancels a ring in progress (max wait)
	maxTimer  Timer
	progTimer Timer
	cbTimer   Timer
}

type overflowOrder struct {
	target string
	reason string // "max-wait", "no-answer"
}

// New returns an engine. Call Start before taking calls, Close at the end.
func New(d Deps) *Engine {
	e := &Engine{d: d, clock: d.Clock, log: d.Log, orgs: map[int64]*org{}, agents: map[int64]*agent{},
		subs: map[int]func(api.AgentEvent){}}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.d.Rand == nil {
		e.d.Rand = rand.IntN
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	return e
}

// Start reloads the open callbacks of every organisation (they survive a restart) and loads
// their organisations. ctx bounds only the loading.
func (e *Engine) Start(ctx context.Context) error {
	cbs, err := e.d.Groups.OpenCallbacks(ctx)
	if err != nil {
		return fmt.Errorf("queue start: open callbacks: %w", err)
	}
	for _, c := range cbs {
		o, err := e.ensureOrg(ctx, c.OrgID)
		if err != nil {
			e.log.Warn("queue start: callback of an organisation that does not load", "org", c.OrgID, "callback", c.ID, "error", err)
			continue
		}
		var fx effects
		e.mu.Lock()
		if q := o.queues[c.QueueID]; q != nil {
			e.restoreCallback(q, c, &fx)
		}
		e.mu.Unlock()
		e.run(&fx)
	}
	return nil
}

// Close stops the engine's timers and goroutines (callback calls in progress are cancelled).
func (e *Engine) Close() {
	// Under the lock: goroutines are only added under it, after checking e.ctx.
	e.mu.Lock()
	e.cancel()
	e.mu.Unlock()
	e.wg.Wait()
}

// Load loads (or reloads after an administrator's change) an organisation's queues, members
// and agent logins, keeping everything in progress: waiting callers, calls, wrap-up, pauses.
func (e *Engine) Load(ctx context.Context, orgID int64) error {
	fresh, err := e.fetchOrg(ctx, orgID)
	if err != nil {
		return err
	}
	var fx effects
	e.mu.Lock()
	e.install(fresh, &fx)
	e.mu.Unlock()
	e.run(&fx)
	return nil
}

// loaded is an organisation as read from the store, before it is merged into the engine.
type loaded struct {
	org    store.Org
	queues []store.Queue
	logins []store.AgentLogin
	users  map[int64]store.User
}

func (e *Engine) fetchOrg(ctx context.Context, orgID int64) (loaded, error) {
	var l loaded
	var err error
	if l.org, err = e.d.Directory.OrgByID(ctx, orgID); err != nil {
		return l, fmt.Errorf("queue load org %d: %w", orgID, err)
	}
	if l.queues, err = e.d.Groups.Queues(ctx, orgID); err != nil {
		return l, fmt.Errorf("queue load org %d: queues: %w", orgID, err)
	}
	if l.logins, err = e.d.Groups.AgentLogins(ctx, orgID); err != nil {
		return l, fmt.Errorf("queue load org %d: agent logins: %w", orgID, err)
	}
	l.users = map[int64]store.User{}
	for _, q := range l.queues {
		for _, m := range q.Members {
			if _, ok := l.users[m.UserID]; ok {
				continue
			}
			u, err := e.d.Directory.UserByID(ctx, m.UserID)
			if err != nil {
				e.log.Warn("queue load: member not found", "org", orgID, "queue", q.ID, "user", m.UserID, "error", err)
				continue
			}
			l.users[u.ID] = u
		}
	}
	return l, nil
}

func (e *Engine) ensureOrg(ctx context.Context, orgID int64) (*org, error) {
	e.mu.Lock()
	o := e.orgs[orgID]
	e.mu.Unlock()
	if o != nil {
		return o, nil
	}
	if err := e.Load(ctx, orgID); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.orgs[orgID], nil
}

// install merges a freshly read organisation into the engine. e.mu is held.
func (e *Engine) install(l loaded, fx *effects) {
	now := e.clock.Now()
	o := e.orgs[l.org.ID]
	if o == nil {
		o = &org{id: l.org.ID, queues: map[int64]*queue{}}
		e.orgs[l.org.ID] = o
	}
	o.loc = l.org.Location()
	o.byNumber = map[string]*queue{}
	logins := map[[2]int64]bool{}
	for _, lg := range l.logins {
		logins[[2]int64{lg.QueueID, lg.UserID}] = lg.LoggedIn
	}
	seen := map[int64]bool{}
	for _, cfg := range l.queues {
		seen[cfg.ID] = true
		q := o.queues[cfg.ID]
		if q == nil {
			q = &queue{org: o, members: map[int64]*member{}, openSince: now, keptSince: now}
			o.queues[cfg.ID] = q
		} else if q.cfg.NightManual && !cfg.NightManual {
			q.openSince = now
		}
		q.cfg = cfg
		o.byNumber[cfg.Number] = q
		keep := map[int64]bool{}
		for _, qm := range cfg.Members {
			u, ok := l.users[qm.UserID]
			if !ok || u.OrgID != o.id {
				continue
			}
			keep[u.ID] = true
			a := e.agentFor(u.ID)
			a.orgID, a.name, a.lang, a.licensed, a.supervisor = u.OrgID, u.Name, u.Language, u.Agent || u.Operator, u.Supervisor
			m := q.members[u.ID]
			if m == nil {
				m = &member{q: q, a: a, in: logins[[2]int64{cfg.ID, u.ID}]}
				q.members[u.ID] = m
				a.mem[cfg.ID] = m
				if a.idleSince.IsZero() {
					a.idleSince = now
				}
			}
			m.order, m.skill = qm.Order, qm.Skill
			if m.skill <= 0 || m.skill > 3 {
				m.skill = 3
			}
		}
		for id, m := range q.members {
			if !keep[id] {
				delete(q.members, id)
				delete(m.a.mem, cfg.ID)
				fx.agent(e, m.a)
			}
		}
		e.dispatch(q, fx)
		fx.queue(e, q)
	}
	for id, q := range o.queues {
		if !seen[id] {
			for uid, m := range q.members {
				delete(m.a.mem, id)
				delete(q.members, uid)
				fx.agent(e, m.a)
			}
			delete(o.queues, id)
		}
	}
}

func (e *Engine) agentFor(id int64) *agent {
	a := e.agents[id]
	if a == nil {
		a = &agent{id: id, mem: map[int64]*member{}}
		e.agents[id] = a
	}
	return a
}

// effects are what a state change must do after the lock is released: store writes and
// events, in order.
type effects struct {
	writes []func(ctx context.Context) error
	events []api.AgentEvent
	agents map[int64]bool
	queues map[*queue]bool
}

func (fx *effects) write(f func(ctx context.Context) error) { fx.writes = append(fx.writes, f) }

// agent marks a's view as changed; the event is built when the lock is released.
func (fx *effects) agent(e *Engine, a *agent) {
	if fx.agents == nil {
		fx.agents = map[int64]bool{}
	}
	fx.agents[a.id] = true
}

// queue marks q's statistics as changed (the event is throttled).
func (fx *effects) queue(e *Engine, q *queue) {
	if fx.queues == nil {
		fx.queues = map[*queue]bool{}
	}
	fx.queues[q] = true
}

// run finishes fx: builds the events under the lock, then writes and publishes without it.
func (e *Engine) run(fx *effects) {
	if len(fx.agents) > 0 || len(fx.queues) > 0 {
		e.mu.Lock()
		ids := make([]int64, 0, len(fx.agents))
		for id := range fx.agents {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if a := e.agents[id]; a != nil && a.orgID != 0 {
				v := e.view(a)
				fx.events = append(fx.events, api.AgentEvent{OrgID: a.orgID, UserID: a.id, Agent: &v})
			}
		}
		for q := range fx.queues {
			if ev, ok := e.throttledStats(q); ok {
				fx.events = append(fx.events, ev)
			}
		}
		e.mu.Unlock()
	}
	for _, w := range fx.writes {
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		if err := w(ctx); err != nil {
			e.log.Error("queue: store write", "error", err)
		}
		cancel()
	}
	if len(fx.events) == 0 {
		return
	}
	e.subMu.Lock()
	defer e.subMu.Unlock()
	for _, ev := range fx.events {
		for _, f := range e.subs {
			f(ev)
		}
	}
}

// Subscribe implements api.Agents.
func (e *Engine) Subscribe(fn func(api.AgentEvent)) (cancel func()) {
	e.subMu.Lock()
	defer e.subMu.Unlock()
	id := e.nextSub
	e.nextSub++
	e.subs[id] = fn
	return func() {
		e.subMu.Lock()
		defer e.subMu.Unlock()
		delete(e.subs, id)
	}
}

// ---- agent state ----

// free reports whether m's agent may be offered a call of m's queue now.
func (e *Engine) free(m *member, now time.Time) bool {
	a := m.a
	return m.in && a.licensed && !a.paused && !a.onCall && a.ringing == nil && a.talking == nil &&
		!now.Before(a.wrapUntil) && !now.Before(a.retryUntil) && !(m.q.cfg.RedStops && a.red)
}

// freeToTake is free for a caller m's agent chose from the console: logged in or not.
func (e *Engine) freeToTake(m *member, now time.Time) bool {
	probe := *m
	probe.in = true
	return e.free(&probe, now)
}

func (e *Engine) stateOf(a *agent, now time.Time) string {
	in := false
	for _, m := range a.mem {
		in = in || m.in
	}
	switch {
	case !in:
		return shared.AgentLoggedOut
	case a.ringing != nil:
		return shared.AgentRinging
	case a.talking != nil || a.onCall:
		return shared.AgentInCall
	case a.paused:
		return shared.AgentPaused
	case now.Before(a.wrapUntil):
		return shared.AgentWrapUp
	}
	return shared.AgentAvailable
}

func (e *Engine) view(a *agent) shared.AgentView {
	now := e.clock.Now()
	v := shared.AgentView{UserID: a.id, State: e.stateOf(a, now), Queues: []shared.AgentQueue{}}
	if a.paused {
		v.PauseReason = a.reason
	}
	if now.Before(a.wrapUntil) {
		t := a.wrapUntil
		v.WrapUpUntil = &t
	}
	for _, m := range a.mem {
		v.Queues = append(v.Queues, shared.AgentQueue{ID: m.q.cfg.ID, Name: m.q.cfg.Name, Number: m.q.cfg.Number,
			LoggedIn: m.in, Skill: m.skill, Waiting: len(m.q.waiting)})
	}
	slices.SortFunc(v.Queues, func(x, y shared.AgentQueue) int { return cmp.Compare(x.ID, y.ID) })
	if en := a.ringing; en != nil {
		v.Offer = &shared.QueueOffer{QueueID: en.q.cfg.ID, Queue: en.q.cfg.Name, Caller: en.caller}
		if en.cb != nil {
			v.Offer.Callback = en.q.cfg.CallbackText
		}
	} else if t := a.talking; t != nil {
		v.Offer = &shared.QueueOffer{QueueID: t.q.cfg.ID, Queue: t.q.cfg.Name, Caller: t.caller}
		if t.callback {
			v.Offer.Callback = t.q.cfg.CallbackText
		}
	}
	return v
}

// PhoneState is fed by the presence hub: userID is (onCall true) or is no longer (false) in
// any call. A busy agent is never offered a queue call. Cost: that agent's queues only.
func (e *Engine) PhoneState(userID int64, onCall bool) {
	var fx effects
	e.mu.Lock()
	a := e.agentFor(userID)
	if a.onCall != onCall {
		a.onCall = onCall
		if !onCall && a.talking == nil {
			a.idleSince = e.clock.Now()
		}
		fx.agent(e, a)
		e.agentChanged(a, &fx)
	}
	e.mu.Unlock()
	e.run(&fx)
}

// Presence is fed by the presence hub: userID's activity is red (true) or not. In queues with
// RedStops a red agent is not offered calls. Cost: that agent's queues only.
func (e *Engine) Presence(userID int64, red bool) {
	var fx effects
	e.mu.Lock()
	a := e.agentFor(userID)
	if a.red != red {
		a.red = red
		e.agentChanged(a, &fx)
	}
	e.mu.Unlock()
	e.run(&fx)
}

// agentChanged offers waiting calls to a if it may take one now: its queues' heads in order of
// how long they have waited. e.mu is held.
func (e *Engine) agentChanged(a *agent, fx *effects) {
	now := e.clock.Now()
	type head struct {
		q *queue
		t time.Time
	}
	var heads []head
	for _, m := range a.mem {
		if !e.free(m, now) {
			continue
		}
		if en := m.q.head(now); en != nil {
			heads = append(heads, head{m.q, en.entered})
		}
	}
	slices.SortFunc(heads, func(x, y head) int { return x.t.Compare(y.t) })
	for _, h := range heads {
		e.dispatch(h.q, fx)
	}
	for _, m := range a.mem {
		fx.queue(e, m.q)
	}
	e.armAgentTimer(a, now)
}

// armAgentTimer makes sure a timer re-examines a when its wrap-up or retry gap ends.
func (e *Engine) armAgentTimer(a *agent, now time.Time) {
	at := a.wrapUntil
	if a.retryUntil.After(at) {
		at = a.retryUntil
	}
	if !at.After(now) || (a.timer != nil && a.timerAt.Equal(at)) {
		return
	}
	if a.timer != nil {
		a.timer.Stop()
	}
	a.timerAt = at
	a.timer = e.clock.AfterFunc(at.Sub(now), func() {
		var fx effects
		e.mu.Lock()
		if a.timerAt.Equal(at) {
			a.timer = nil
			if !a.wrapUntil.After(at) && a.talking == nil && !a.onCall {
				a.idleSince = at
			}
			fx.agent(e, a)
			e.agentChanged(a, &fx)
		}
		e.mu.Unlock()
		e.run(&fx)
	})
}

// Login implements api.Agents: userID logs in to (in) or out of queueID. Only holders of the
// agent role log in; logging out is always allowed.
func (e *Engine) Login(ctx context.Context, orgID, userID, queueID int64, in bool) (shared.AgentView, error) {
	q, err := e.queueOf(ctx, orgID, queueID)
	if err != nil {
		return shared.AgentView{}, err
	}
	var fx effects
	e.mu.Lock()
	m := q.members[userID]
	switch {
	case m == nil:
		e.mu.Unlock()
		return shared.AgentView{}, fmt.Errorf("queue login user %d queue %d: %w", userID, queueID, ErrNotMember)
	case in && !m.a.licensed:
		e.mu.Unlock()
		return shared.AgentView{}, fmt.Errorf("queue login user %d: %w", userID, ErrNotAgent)
	}
	e.setLogin(m, in, &fx)
	v := e.view(m.a)
	e.mu.Unlock()
	e.run(&fx)
	return v, nil
}

// setLogin logs m in or out, durably. e.mu is held.
func (e *Engine) setLogin(m *member, in bool, fx *effects) {
	if m.in == in {
		return
	}
	now := e.clock.Now()
	m.in, m.missed = in, 0
	if in && m.a.talking == nil && !m.a.onCall && !now.Before(m.a.wrapUntil) {
		m.a.idleSince = now
	}
	orgID := m.q.org.id
	// The write stores the login as it is when it runs (see writeCallback).
	fx.write(func(ctx context.Context) error {
		e.wmu.Lock()
		defer e.wmu.Unlock()
		e.mu.Lock()
		l := store.AgentLogin{QueueID: m.q.cfg.ID, UserID: m.a.id, LoggedIn: m.in, At: e.clock.Now()}
		e.mu.Unlock()
		return e.d.Groups.PutAgentLogin(ctx, orgID, l)
	})
	fx.agent(e, m.a)
	fx.queue(e, m.q)
	if in {
		e.agentChanged(m.a, fx)
		return
	}
	e.emptied(m.q)
}

// emptied sends q's callers on the line to NoAgentsTarget when its last agent has logged out
// (callbacks keep waiting for the next agent). e.mu is held.
func (e *Engine) emptied(q *queue) {
	for _, m := range q.members {
		if m.in && m.a.licensed {
			return
		}
	}
	for _, en := range q.waiting {
		if en.cb != nil || en.overflow != nil {
			continue
		}
		en.overflow = &overflowOrder{target: q.cfg.NoAgentsTarget, reason: "no-agents"}
		if en.ringStop != nil {
			en.ringStop()
		}
		if en.wake != nil {
			en.wake()
		}
	}
}

// LoginAll logs userID in to or out of every queue they are a member of (feature codes 985/986).
func (e *Engine) LoginAll(ctx context.Context, orgID, userID int64, in bool) (shared.AgentView, error) {
	if _, err := e.ensureOrg(ctx, orgID); err != nil {
		return shared.AgentView{}, err
	}
	var fx effects
	e.mu.Lock()
	a := e.agents[userID]
	if a == nil || a.orgID != orgID || len(a.mem) == 0 {
		e.mu.Unlock()
		return shared.AgentView{}, fmt.Errorf("queue login user %d: %w", userID, ErrNotMember)
	}
	if in && !a.licensed {
		e.mu.Unlock()
		return shared.AgentView{}, fmt.Errorf("queue login user %d: %w", userID, ErrNotAgent)
	}
	for _, m := range a.mem {
		e.setLogin(m, in, &fx)
	}
	v := e.view(a)
	e.mu.Unlock()
	e.run(&fx)
	return v, nil
}

// Pause implements api.Agents: the agent takes no calls of any queue until Resume; allowed
// during wrap-up, which keeps counting down.
func (e *Engine) Pause(ctx context.Context, orgID, userID int64, reason string) (shared.AgentView, error) {
	return e.pause(ctx, orgID, userID, true, reason)
}

// Resume implements api.Agents.
func (e *Engine) Resume(ctx context.Context, orgID, userID int64) (shared.AgentView, error) {
	return e.pause(ctx, orgID, userID, false, "")
}

func (e *Engine) pause(ctx context.Context, orgID, userID int64, on bool, reason string) (shared.AgentView, error) {
	a, err := e.agentOf(ctx, orgID, userID)
	if err != nil {
		return shared.AgentView{}, err
	}
	var fx effects
	e.mu.Lock()
	if a.paused != on || a.reason != reason {
		a.paused, a.reason = on, reason
		fx.agent(e, a)
		if !on {
			e.agentChanged(a, &fx)
		} else {
			for _, m := range a.mem {
				fx.queue(e, m.q)
			}
		}
	}
	v := e.view(a)
	e.mu.Unlock()
	e.run(&fx)
	return v, nil
}

// View implements api.Agents.
func (e *Engine) View(ctx context.Context, orgID, userID int64) (shared.AgentView, error) {
	a, err := e.agentOf(ctx, orgID, userID)
	if err != nil {
		return shared.AgentView{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.view(a), nil
}

// agentOf returns the user's agent record, checking the organisation. A user of the
// organisation who is in no queue gets an empty, logged-out view.
func (e *Engine) agentOf(ctx context.Context, orgID, userID int64) (*agent, error) {
	if _, err := e.ensureOrg(ctx, orgID); err != nil {
		return nil, err
	}
	e.mu.Lock()
	a := e.agents[userID]
	ok := a != nil && a.orgID == orgID
	e.mu.Unlock()
	if ok {
		return a, nil
	}
	u, err := e.d.Directory.UserByID(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("queue agent %d: %w", userID, err)
	}
	if u.OrgID != orgID {
		return nil, fmt.Errorf("queue agent %d: %w", userID, store.ErrNotFound)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a = e.agentFor(userID)
	a.orgID, a.name, a.lang, a.licensed, a.supervisor = u.OrgID, u.Name, u.Language, u.Agent || u.Operator, u.Supervisor
	return a, nil
}

func (e *Engine) queueOf(ctx context.Context, orgID, queueID int64) (*queue, error) {
	o, err := e.ensureOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	q := o.queues[queueID]
	if q == nil {
		return nil, fmt.Errorf("queue %d of org %d: %w", queueID, orgID, ErrNoSuchQueue)
	}
	return q, nil
}

// CanSupervise reports whether userID may log agents of queueID in and out and see its
// statistics: a supervisor named on the queue, or a holder of the supervisor role who is a
// member of it. (Organisation admins are the API's to allow.)
func (e *Engine) CanSupervise(ctx context.Context, orgID, userID, queueID int64) (bool, error) {
	q, err := e.queueOf(ctx, orgID, queueID)
	if err != nil {
		return false, err
	}
	a, err := e.agentOf(ctx, orgID, userID)
	if err != nil {
		return false, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if slices.Contains(q.cfg.Supervisors, userID) {
		return true, nil
	}
	return a.supervisor && q.members[userID] != nil, nil
}

// ---- waiting list and distribution ----

func entryCmp(x, y *entry) int {
	if c := x.entered.Compare(y.entered); c != 0 {
		return c
	}
	return cmp.Compare(x.seq, y.seq)
}

// insert puts en at its place: ordered by entry time, so a callback restored or converted
// keeps the place of the call it came from. e.mu is held.
func (q *queue) insert(en *entry) {
	i, _ := slices.BinarySearchFunc(q.waiting, en, entryCmp)
	q.waiting = slices.Insert(q.waiting, i, en)
}

func (q *queue) remove(en *entry) bool {
	i, ok := slices.BinarySearchFunc(q.waiting, en, entryCmp)
	if !ok {
		return false
	}
	q.waiting = slices.Delete(q.waiting, i, i+1)
	return true
}

// head is the first entry that could be offered to an agent now.
func (q *queue) head(now time.Time) *entry {
	for _, en := range q.waiting {
		if en.offer == nil && en.overflow == nil && !(en.cb != nil && now.Before(en.notBefore)) {
			return en
		}
	}
	return nil
}

// dispatch offers q's waiting entries, in order, to q's free agents; callers an operator took
// from the console go to that operator first. e.mu is held.
func (e *Engine) dispatch(q *queue, fx *effects) {
	now := e.clock.Now()
	for _, en := range q.waiting {
		if en.takenBy == 0 || en.offer != nil || en.overflow != nil || en.cb != nil {
			continue
		}
		if m := q.members[en.takenBy]; m != nil && e.freeToTake(m, now) {
			e.offer(q, en, []*agent{m.a}, fx)
		}
	}
	for _, en := range q.waiting {
		if en.offer != nil || en.overflow != nil || en.takenBy != 0 || (en.cb != nil && now.Before(en.notBefore)) {
			continue
		}
		if en.cb != nil && (e.d.Originator == nil || q.night(now)) {
			continue
		}
		n := max(q.cfg.RingAtOnce, 1)
		if en.cb != nil {
			n = 1 // a callback is placed on one agent's authority
		}
		cands := e.candidates(q, en, n, now)
		if len(cands) == 0 {
			return
		}
		e.offer(q, en, cands, fx)
	}
}

// offer reserves agents for en and wakes its flow to ring them. e.mu is held.
func (e *Engine) offer(q *queue, en *entry, agents []*agent, fx *effects) {
	en.offer = agents
	for _, a := range agents {
		a.ringing = en
		en.tried[a.id] = true
		fx.agent(e, a)
	}
	if en.cb != nil {
		e.placeCallback(en, agents[0], fx)
	} else if en.wake != nil {
		en.wake()
	}
	fx.queue(e, q)
}

// candidates picks up to n free agents for en by the distribution rules (GRP-3, GRP-4): skill
// 1 before 2 before 3; at equal skill ordered members by their order, unordered ones after
// them; then the longest idle first (LongestIdle) or at random. Agents already offered en in
// this round are skipped until every free agent has been tried (sequential hunting).
func (e *Engine) candidates(q *queue, en *entry, n int, now time.Time) []*agent {
	type cand struct {
		m   *member
		key int
	}
	var free, fresh []cand
	for _, m := range q.members {
		if e.free(m, now) {
			free = append(free, cand{m: m})
		}
	}
	if len(free) == 0 {
		return nil
	}
	// In user ID order before the random keys are drawn, so an injected Rand is reproducible.
	slices.SortFunc(free, func(x, y cand) int { return cmp.Compare(x.m.a.id, y.m.a.id) })
	for i := range free {
		if !q.cfg.LongestIdle {
			free[i].key = e.d.Rand(1 << 30)
		}
		if !en.tried[free[i].m.a.id] {
			fresh = append(fresh, free[i])
		}
	}
	if len(fresh) == 0 {
		clear(en.tried) // a new round
		fresh = free
	}
	slices.SortFunc(fresh, func(x, y cand) int {
		if c := cmp.Compare(x.m.skill, y.m.skill); c != 0 {
			return c
		}
		xo, yo := x.m.order, y.m.order
		if (xo > 0) != (yo > 0) {
			if xo > 0 {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(xo, yo); c != 0 {
			return c
		}
		if q.cfg.LongestIdle {
			if c := x.m.a.idleSince.Compare(y.m.a.idleSince); c != 0 {
				return c
			}
			return cmp.Compare(x.m.a.id, y.m.a.id)
		}
		return cmp.Compare(x.key, y.key)
	})
	out := make([]*agent, 0, n)
	for _, c := range fresh[:min(n, len(fresh))] {
		out = append(out, c.m.a)
	}
	return out
}

// release frees en's reserved agents. e.mu is held.
func (e *Engine) release(en *entry, fx *effects) []*agent {
	rung := en.offer
	en.offer = nil
	en.takenBy = 0 // a taken caller that was not answered goes back to the common order
	for _, a := range rung {
		if a.ringing == en {
			a.ringing = nil
		}
		fx.agent(e, a)
	}
	return rung
}

// missedOffer counts an unanswered offer against a; AutoLogoutAfter in a row logs a out of
// q. e.mu is held.
func (e *Engine) missedOffer(q *queue, a *agent, fx *effects) {
	m := q.members[a.id]
	if m == nil {
		return
	}
	m.missed++
	if q.cfg.AutoLogoutAfter > 0 && m.missed >= q.cfg.AutoLogoutAfter && m.in {
		e.log.Info("queue: agent logged out after unanswered calls", "org", q.org.id, "queue", q.cfg.ID, "user", a.id, "missed", m.missed)
		e.setLogin(m, false, fx)
	}
}

// startTalk puts a in a queue call; done closes when it ends (then wrap-up). e.mu is held.
func (e *Engine) startTalk(q *queue, a *agent, t *talk, done <-chan struct{}, fx *effects) {
	a.talking = t
	for _, m := range a.mem {
		if m.q == q {
			m.missed = 0
		}
	}
	fx.agent(e, a)
	if done == nil || e.ctx.Err() != nil {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		select {
		case <-done:
		case <-e.ctx.Done():
			return
		}
		e.endTalk(a, t)
	}()
}

// endTalk ends a's queue call: wrap-up starts (the longest remaining across queues wins), the
// call is written and its handling time feeds the estimate.
func (e *Engine) endTalk(a *agent, t *talk) {
	var fx effects
	e.mu.Lock()
	now := e.clock.Now()
	if a.talking == t {
		a.talking = nil
	}
	q := t.q
	if w := now.Add(q.cfg.WrapUp); w.After(a.wrapUntil) {
		a.wrapUntil = w
	}
	if !now.Before(a.wrapUntil) && !a.onCall {
		a.idleSince = now
	}
	q.handle.add(a.id, now.Sub(t.answered)+q.cfg.WrapUp)
	outcome := "answered"
	if t.callback {
		outcome = "callback"
	}
	e.finish(q, store.QueueCall{OrgID: q.org.id, QueueID: q.cfg.ID, Caller: t.caller, AgentID: a.id,
		Entered: t.entered, Answered: t.answered, Ended: now, Outcome: outcome}, &fx)
	fx.agent(e, a)
	e.agentChanged(a, &fx)
	e.mu.Unlock()
	e.run(&fx)
}

// finish records a finished queue call. e.mu is held.
func (e *Engine) finish(q *queue, c store.QueueCall, fx *effects) {
	now := e.clock.Now()
	q.recent = append(q.recent, c)
	cut := 0
	for cut < len(q.recent) && q.recent[cut].Entered.Before(now.Add(-statsWindow)) {
		cut++
	}
	q.recent = q.recent[cut:]
	fx.queue(e, q)
	fx.write(func(ctx context.Context) error {
		_, err := e.d.Groups.AddQueueCall(ctx, c)
		return err
	})
}

// updateRush opens or closes q to new calls (GRP-8 rush, with hysteresis): it closes while
// the length reaches MaxQueued or the longest wait exceeds RushMaxWait, and reopens only when
// the length has fallen to RushReopen (default MaxQueued-1) and the longest wait is within
// RushMaxWait. e.mu is held.
func (e *Engine) updateRush(q *queue, now time.Time) {
	n := len(q.waiting)
	longest := time.Duration(0)
	if n > 0 {
		longest = now.Sub(q.waiting[0].entered)
	}
	waitOver := q.cfg.RushMaxWait > 0 && longest > q.cfg.RushMaxWait
	if !q.rush {
		q.rush = (q.cfg.MaxQueued > 0 && n >= q.cfg.MaxQueued) || waitOver
		return
	}
	reopen := q.cfg.RushReopen
	if reopen <= 0 {
		reopen = q.cfg.MaxQueued - 1
	}
	lenOK := q.cfg.MaxQueued <= 0 || n <= reopen
	if lenOK && !waitOver {
		q.rush = false
	}
}

// night reports whether q is closed: the manual night switch, or outside its opening hours
// in the organisation's time zone (GRP-7).
func (q *queue) night(now time.Time) bool {
	if q.cfg.NightManual {
		return true
	}
	return q.cfg.Hours != nil && !q.cfg.Hours.In(now.In(q.org.loc))
}

// openFor is how long q has been open now; closesIn how long until it closes (ok false: it
// never closes by schedule).
func (q *queue) openFor(now time.Time) time.Duration {
	if h := q.cfg.Hours; h != nil {
		l := now.In(q.org.loc)
		start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, q.org.loc).Add(time.Duration(h.Start) * time.Minute)
		return l.Sub(start)
	}
	return now.Sub(q.openSince)
}

func (q *queue) closesIn(now time.Time) (time.Duration, bool) {
	h := q.cfg.Hours
	if h == nil {
		return 0, false
	}
	l := now.In(q.org.loc)
	end := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, q.org.loc).Add(time.Duration(h.End) * time.Minute)
	return end.Sub(l), true
}

func ringTime(q *queue) time.Duration {
	if q.cfg.RingTime > 0 {
		return q.cfg.RingTime
	}
	return DefaultRingTime
}

// devices turns the queue's device choice into mediaapp.Ring.Devices (nil = all).
func devices(d store.Devices) []string {
	if d.All() {
		return nil
	}
	var out []string
	if d.Softphone {
		out = append(out, "softphone")
	}
	if d.Desk {
		out = append(out, "desk")
	}
	if d.Mobile {
		out = append(out, "mobile")
	}
	return out
}

// shown is the caller as the rung agent sees it (GRP-1).
func shown(q *queue, caller string) string {
	switch q.cfg.Show {
	case store.ShowGroupNumber:
		return q.cfg.Number
	case store.ShowCallerAffix:
		if q.cfg.AffixSuffix {
			return caller + q.cfg.Affix
		}
		return q.cfg.Affix + caller
	}
	return caller
}

func groupInfo(q *queue, caller string) mediaapp.GroupInfo {
	return mediaapp.GroupInfo{Kind: string(store.KindQueue), ID: q.cfg.ID, Name: q.cfg.Name, Number: q.cfg.Number, Shown: shown(q, caller)}
}
