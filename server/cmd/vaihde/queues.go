package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/queue"
	"github.com/vaihde/vaihde/server/store"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// queues owns the customer-service queue engine and the presence feed into it. It is built
// before the call engine (the groups dispatcher runs its flows) and started after it (callbacks
// are placed through the call engine); Close stops the feed first, then the engine.
type queues struct {
	eng       *queue.Engine
	orig      *lateOriginator
	hub       *presence.Hub
	st        store.Store
	stopWatch func()
	// alsoPhone is told every user's phone state with the engine (camp-on); set before start.
	alsoPhone func(userID int64, onCall bool)
	log       *slog.Logger
	closeOnce sync.Once
}

// lateOriginator is the call engine as the queue engine's Originator, set once the call
// engine exists (before the SIP server serves); until then a callback fails as not reached.
type lateOriginator struct {
	o mediaapp.Originator
}

func (l *lateOriginator) Originate(ctx context.Context, orgID int64, first mediaapp.Ring, announce []mediaapp.Clip, second mediaapp.Ring) (mediaapp.Answered, error) {
	if l.o == nil {
		return mediaapp.Answered{}, fmt.Errorf("originate: no call engine: %w", mediaapp.ErrFirstFailed)
	}
	return l.o.Originate(ctx, orgID, first, announce, second)
}

// newQueues builds the queue engine on the store (groups, agent logins, callbacks, statistics).
func newQueues(st store.Store, hub *presence.Hub, cat *prompt.Catalog, logger *slog.Logger) *queues {
	log := logger.With("component", "queue")
	q := &queues{orig: &lateOriginator{}, hub: hub, st: st, log: log}
	d := queue.Deps{Groups: st, Directory: st, Originator: q.orig, Log: log}
	if cat != nil { // a typed nil must not reach the interface: the engine then plays tones
		d.Prompts = cat
	}
	q.eng = queue.New(d)
	return q
}

// setOriginator makes the call engine place the callbacks, when it can.
func (q *queues) setOriginator(b2b *b2bua.Engine) {
	if o, ok := any(b2b).(mediaapp.Originator); ok {
		q.orig.o = o
	} else {
		q.log.Warn("the call engine cannot place calls: queue callbacks are not placed")
	}
}

// start restores the open callbacks, loads every organisation's queues and feeds the engine
// every user's phone state and presence from the hub: a change touches only that agent.
func (q *queues) start(ctx context.Context) error {
	q.stopWatch = q.hub.Watch(0, q.feed)
	if err := q.eng.Start(ctx); err != nil {
		return fmt.Errorf("queues: %w", err)
	}
	orgs, err := q.st.ListOrgs(ctx)
	if err != nil {
		return fmt.Errorf("queues: list organisations: %w", err)
	}
	for _, o := range orgs {
		q.reload(ctx, o.ID)
		// The watch tells changes only: start from every user's state now.
		states, err := q.hub.Org(ctx, o.ID)
		if err != nil {
			q.log.Warn("queues: presence of an organisation", "org", o.ID, "error", err)
			continue
		}
		for _, s := range states {
			q.feed(s)
		}
	}
	return nil
}

// feed tells the engine one user's phone state (busy in any call: never offered a queue call)
// and whether their activity is red.
func (q *queues) feed(s presence.State) {
	busy := onCall(s)
	q.eng.PhoneState(s.UserID, busy)
	q.eng.Presence(s.UserID, !s.Green)
	if q.alsoPhone != nil {
		q.alsoPhone(s.UserID, busy)
	}
}

// onCall: the user is in a call or dialling one. Ringing alone is not busy: the queue's own
// offer rings the agent.
func onCall(s presence.State) bool {
	for _, c := range s.Calls {
		if c.State == sharedpresence.PhoneOnCall || c.State == sharedpresence.PhoneDialing {
			return true
		}
	}
	return s.Phone == sharedpresence.PhoneOnCall || s.Phone == sharedpresence.PhoneDialing
}

// reload loads an organisation's queues after a change (admin API, CLI), keeping the calls,
// wrap-ups and pauses in progress.
func (q *queues) reload(ctx context.Context, orgID int64) {
	if err := q.eng.Load(ctx, orgID); err != nil && ctx.Err() == nil {
		q.log.Warn("queues: load organisation", "org", orgID, "error", err)
	}
}

// Flow implements groups.QueueFlows: the caller enters queue qu. (The dispatcher gives the
// flow a channel whose Connector runs group numbers and "voicemail:<ext>" overflow targets.)
func (q *queues) Flow(org store.Org, qu store.Queue, c b2bua.ServiceCall) mediaapp.Flow {
	return q.eng.QueueFlow(org.ID, qu.ID, queue.Caller{Number: c.CallerNumber, Name: c.Caller.Name, Lang: c.Caller.Language})
}

// agentCodes answers the agent feature codes (985/986, see server/queue) of the organisation's
// own users.
func (q *queues) agentCodes(_ context.Context, c b2bua.ServiceCall) (mediaapp.Flow, bool) {
	if !c.Internal || c.Caller.ID == 0 {
		return nil, false
	}
	return q.eng.FeatureFlow(c.Org.ID, c.Caller.ID, c.Dialled)
}

// Close stops the presence feed, then the engine (callback calls in progress end).
// It may be called more than once.
func (q *queues) Close() {
	q.closeOnce.Do(func() {
		if q.stopWatch != nil {
			q.stopWatch()
		}
		q.eng.Close()
	})
}
