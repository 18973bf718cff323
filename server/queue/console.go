package queue

import (
	"context"

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
		w.Callers = append(w.Callers, shared.QueueCaller{Position: len(w.Callers) + 1, Caller: en.caller,
			Name: en.name, Entered: en.entered, WaitSec: now.Sub(en.entered).Seconds(),
			Callback: en.cb != nil, Ringing: len(en.offer) > 0})
	}
	return w, nil
}
