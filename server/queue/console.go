package queue

import (
	"context"
	"fmt"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// Waiting implements api.Agents: q's callers and callbacks in the order they will be served,
// with how long each has waited (OP-1: the switchboard sees every waiting call).
func (e *Engine) Waiting(ctx context.Context, orgID, queueID int64) (shared.QueueWaiting, error) {
	q, err := e.queueOf(ctx, orgID, queueID)
	if err != nil {
		return shared.QueueWaiting{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	w := shared.QueueWaiting{QueueID: q.cfg.ID, Name: q.cfg.Name, Number: q.cfg.Number,
		Night: q.night(now), NightManual: q.cfg.NightManual, Callers: []shared.QueueCaller{}}
	for _, en := range q.waiting {
		if en.gone {
			continue
		}
		w.Callers = append(w.Callers, shared.QueueCaller{ID: int64(en.seq), Position: len(w.Callers) + 1, Caller: en.caller,
			Name: en.name, Entered: en.entered, WaitSec: now.Sub(en.entered).Seconds(),
			Callback: en.cb != nil, Ringing: len(en.offer) > 0})
	}
	return w, nil
}

// Take implements api.Agents: userID, a member of the queue, answers the waiting caller
// callerID (QueueCaller.ID) out of turn (OP-1: answer any chosen call). The caller rings
// userID next; a queue call already ringing userID is withdrawn (not counted as missed) and
// waits on in its place. The operator must otherwise be free; a caller ringing someone else,
// a callback, or a caller that has gone is refused (store.ErrConflict, store.ErrNotFound).
func (e *Engine) Take(ctx context.Context, orgID, queueID, userID, callerID int64) error {
	q, err := e.queueOf(ctx, orgID, queueID)
	if err != nil {
		return err
	}
	var fx effects
	e.mu.Lock()
	defer func() {
		e.mu.Unlock()
		e.run(&fx)
	}()
	m := q.members[userID]
	if m == nil {
		return fmt.Errorf("queue take: user %d: %w", userID, store.ErrNotFound)
	}
	var en *entry
	for _, w := range q.waiting {
		if int64(w.seq) == callerID && !w.gone {
			en = w
		}
	}
	switch {
	case en == nil:
		return fmt.Errorf("queue take: caller %d has left the queue: %w", callerID, store.ErrNotFound)
	case en.cb != nil:
		return fmt.Errorf("queue take: a callback request cannot be answered: %w", store.ErrConflict)
	case en.overflow != nil:
		return fmt.Errorf("queue take: the caller is leaving the queue: %w", store.ErrConflict)
	case len(en.offer) > 0 && en.offer[0] == m.a && len(en.offer) == 1:
		return nil // already ringing this operator
	case len(en.offer) > 0:
		return fmt.Errorf("queue take: the caller is ringing a colleague: %w", store.ErrConflict)
	}
	a := m.a
	if other := a.ringing; other != nil {
		if other.cb != nil || other.ringStop == nil {
			return fmt.Errorf("queue take: a call is being placed to you: %w", store.ErrConflict)
		}
		// Withdraw the queue call ringing the operator; its ring result dispatches again, and
		// the taken caller comes first.
		other.yielded = true
		other.ringStop()
		en.takenBy = userID
		return nil
	}
	if !e.freeToTake(m, e.clock.Now()) { // a logged-out member may still answer a caller they choose
		return fmt.Errorf("queue take: finish your call first: %w", store.ErrConflict)
	}
	en.takenBy = userID
	e.dispatch(q, &fx)
	return nil
}
