package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// Callbacks (GRP-6). A callback is an entry of the waiting list like a caller on the line,
// ordered by when the caller first entered the queue, so it is offered to an agent exactly
// when that caller would have been, never before callers who were waiting before it. It is
// durable: the store holds it from the moment the caller confirms, and Start puts it back in
// its place after a restart.

// callbackEnabled reports whether q offers callbacks at all: on, and every setting whose zero
// means "off" (ring time, attempts, validity) set, and a way to place the calls.
func (e *Engine) callbackEnabled(q *queue) bool {
	c := q.cfg
	return c.Callback && e.d.Originator != nil && c.CallbackRingTime > 0 && c.CallbackAttempts > 0 && c.CallbackValidity > 0
}

// mayOfferCallback reports whether en's caller is offered a callback now. The time window
// conditions must all hold (open for OfferAfterOpen, not within StopBeforeClose of closing);
// of the load conditions that are set (more than OfferQueuedOver queued, longest wait over
// OfferLongestOver, estimate over OfferEstimateOver) any one is enough; with none set the
// offer is always made. e.mu is held.
func (e *Engine) mayOfferCallback(q *queue, en *entry, now time.Time) bool {
	c := q.cfg
	if !e.callbackEnabled(q) || en.caller == "" || en.cb != nil || q.night(now) {
		return false
	}
	if q.openFor(now) < c.OfferAfterOpen {
		return false
	}
	if left, ok := q.closesIn(now); ok && c.StopBeforeClose > 0 && left <= c.StopBeforeClose {
		return false
	}
	set, hit := false, false
	if c.OfferQueuedOver > 0 {
		set, hit = true, hit || len(q.waiting) > c.OfferQueuedOver
	}
	if c.OfferLongestOver > 0 {
		longest := time.Duration(0)
		if len(q.waiting) > 0 {
			longest = now.Sub(q.waiting[0].entered)
		}
		set, hit = true, hit || longest > c.OfferLongestOver
	}
	if c.OfferEstimateOver > 0 {
		set, hit = true, hit || e.estimate(q, q.position(en), now) > c.OfferEstimateOver
	}
	return !set || hit
}

// toCallback turns en (a caller on the line who confirmed) into a durable callback at the same
// place. The flow hangs up after it.
func (e *Engine) toCallback(ctx context.Context, en *entry, number string) error {
	e.mu.Lock()
	now := e.clock.Now()
	q := en.q
	c := store.Callback{OrgID: q.org.id, QueueID: q.cfg.ID, Number: number, Name: en.name, Queued: en.entered,
		Expires: now.Add(q.cfg.CallbackValidity), State: store.CallbackWaiting, UpdatedAt: now}
	e.mu.Unlock()
	c, err := e.d.Groups.AddCallback(ctx, c)
	if err != nil {
		return fmt.Errorf("queue callback: %w", err)
	}
	var fx effects
	e.mu.Lock()
	e.release(en, &fx)
	stop(en.maxTimer, en.progTimer)
	en.cb, en.caller, en.wake, en.ringStop, en.progress, en.overflow = &c, number, nil, nil, false, nil
	if en.gone {
		en.gone = false
		q.insert(en)
	}
	e.armExpiry(en, now)
	e.updateRush(q, now)
	e.dispatch(q, &fx)
	fx.queue(e, q)
	for _, a := range fx.agentList(e) {
		e.agentChanged(a, &fx)
	}
	e.mu.Unlock()
	e.run(&fx)
	e.log.Info("queue: callback requested", "org", c.OrgID, "queue", c.QueueID, "callback", c.ID)
	return nil
}

// restoreCallback puts a stored callback back in its place (Start). e.mu is held.
func (e *Engine) restoreCallback(q *queue, c store.Callback, fx *effects) {
	now := e.clock.Now()
	if !now.Before(c.Expires) || c.Attempts >= q.cfg.CallbackAttempts && q.cfg.CallbackAttempts > 0 {
		c.State, c.UpdatedAt = store.CallbackExpired, now
		e.writeCallback(c, fx)
		return
	}
	if c.State == store.CallbackCalling {
		// The server stopped while placing it: the attempt never finished, try again.
		c.State, c.UpdatedAt = store.CallbackWaiting, now
		e.writeCallback(c, fx)
	}
	e.seq++
	en := &entry{seq: e.seq, q: q, caller: c.Number, name: c.Name, entered: c.Queued, cb: &c, tried: map[int64]bool{}}
	q.insert(en)
	e.armExpiry(en, now)
	e.dispatch(q, fx)
	fx.queue(e, q)
}

func (e *Engine) writeCallback(c store.Callback, fx *effects) {
	fx.write(func(ctx context.Context) error { return e.d.Groups.UpdateCallback(ctx, c) })
}

// armExpiry ends a waiting callback when its validity runs out. e.mu is held.
func (e *Engine) armExpiry(en *entry, now time.Time) {
	stop(en.cbTimer)
	en.cbTimer = e.clock.AfterFunc(en.cb.Expires.Sub(now), func() {
		var fx effects
		e.mu.Lock()
		if !en.gone && en.offer == nil {
			e.dropCallback(en, store.CallbackExpired, &fx)
		}
		e.mu.Unlock()
		e.run(&fx)
	})
}

// dropCallback removes a callback from the queue for good. e.mu is held.
func (e *Engine) dropCallback(en *entry, state store.CallbackState, fx *effects) {
	now := e.clock.Now()
	q := en.q
	q.remove(en)
	en.gone = true
	stop(en.cbTimer)
	en.cb.State, en.cb.UpdatedAt = state, now
	e.writeCallback(*en.cb, fx)
	e.updateRush(q, now)
	fx.queue(e, q)
	if state == store.CallbackExpired {
		e.finish(q, store.QueueCall{OrgID: q.org.id, QueueID: q.cfg.ID, Caller: en.caller, Entered: en.entered, Ended: now, Outcome: "abandoned"}, fx)
	}
}

// CancelCallback cancels a waiting callback (a supervisor's or the caller's request).
func (e *Engine) CancelCallback(ctx context.Context, orgID, queueID, callbackID int64) error {
	q, err := e.queueOf(ctx, orgID, queueID)
	if err != nil {
		return err
	}
	var fx effects
	e.mu.Lock()
	found := false
	for _, en := range q.waiting {
		if en.cb != nil && en.cb.ID == callbackID && en.offer == nil {
			e.dropCallback(en, store.CallbackCanceled, &fx)
			found = true
			break
		}
	}
	e.mu.Unlock()
	e.run(&fx)
	if !found {
		return fmt.Errorf("queue callback %d: %w", callbackID, store.ErrNotFound)
	}
	return nil
}

// placeCallback rings agent a for en's callback, then the caller's number. e.mu is held.
func (e *Engine) placeCallback(en *entry, a *agent, fx *effects) {
	if e.ctx.Err() != nil {
		return
	}
	q := en.q
	now := e.clock.Now()
	en.cb.State, en.cb.UpdatedAt = store.CallbackCalling, now
	e.writeCallback(*en.cb, fx)
	gi := groupInfo(q, en.cb.Number)
	gi.Callback = q.cfg.CallbackText
	first := mediaapp.Ring{Users: []int64{a.id}, Devices: devices(q.cfg.Devices), Timeout: ringTime(q), Group: gi}
	// The caller's number is called on the authority of the agent who takes the callback.
	second := mediaapp.Ring{Number: en.cb.Number, By: a.id, Timeout: q.cfg.CallbackRingTime}
	key := q.cfg.CallbackAgentPrompt
	if key == "" {
		key = keyCallbackAgent
	}
	orgID, lang := q.org.id, langOr(a.lang)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		announce := e.clips(orgID, lang, key)
		ans, err := e.d.Originator.Originate(e.ctx, orgID, first, announce, second)
		e.callbackResult(en, a, ans, err)
	}()
}

// callbackResult takes the outcome of a callback attempt.
func (e *Engine) callbackResult(en *entry, a *agent, ans mediaapp.Answered, err error) {
	var fx effects
	e.mu.Lock()
	defer func() {
		e.mu.Unlock()
		e.run(&fx)
	}()
	if e.ctx.Err() != nil {
		return // closing: the stored state "calling" is retried after the restart
	}
	now := e.clock.Now()
	q := en.q
	e.release(en, &fx)
	cb := en.cb
	switch {
	case err == nil:
		cb.Attempts++
		q.remove(en)
		en.gone = true
		stop(en.cbTimer)
		cb.State, cb.UpdatedAt = store.CallbackDone, now
		e.writeCallback(*cb, &fx)
		at := ans.At
		if at.IsZero() {
			at = now
		}
		q.lastWait, q.hasLast = at.Sub(en.entered), true
		e.startTalk(q, a, &talk{q: q, caller: cb.Number, entered: en.entered, answered: at, callback: true}, ans.Done, &fx)
		e.log.Info("queue: callback connected", "org", cb.OrgID, "queue", cb.QueueID, "callback", cb.ID, "agent", a.id)
	case errors.Is(err, mediaapp.ErrFirstFailed):
		// The agent did not take it: the caller was not called, the place is kept.
		e.missedOffer(q, a, &fx)
		if errors.Is(err, mediaapp.ErrBusy) || errors.Is(err, mediaapp.ErrUnreachable) {
			a.retryUntil = now.Add(retryGap)
		}
		cb.State, cb.UpdatedAt = store.CallbackWaiting, now
		e.writeCallback(*cb, &fx)
	default:
		cb.Attempts++
		if cb.Attempts >= q.cfg.CallbackAttempts || !now.Before(cb.Expires) {
			e.dropCallback(en, store.CallbackExpired, &fx)
			e.log.Info("queue: callback expired", "org", cb.OrgID, "queue", cb.QueueID, "callback", cb.ID, "attempts", cb.Attempts, "error", err)
			break
		}
		cb.State, cb.UpdatedAt = store.CallbackWaiting, now
		e.writeCallback(*cb, &fx)
		en.notBefore = now.Add(callbackRetryGap)
		e.clock.AfterFunc(callbackRetryGap, func() {
			var fx effects
			e.mu.Lock()
			if !en.gone {
				e.dispatch(en.q, &fx)
			}
			e.mu.Unlock()
			e.run(&fx)
		})
	}
	e.updateRush(q, now)
	fx.queue(e, q)
	e.dispatch(q, &fx)
	e.agentChanged(a, &fx)
}

func stop(ts ...Timer) {
	for _, t := range ts {
		if t != nil {
			t.Stop()
		}
	}
}

// agentList returns the agents fx marked, so their freed capacity can be offered. e.mu is held.
func (fx *effects) agentList(e *Engine) []*agent {
	var out []*agent
	for id := range fx.agents {
		if a := e.agents[id]; a != nil {
			out = append(out, a)
		}
	}
	return out
}
