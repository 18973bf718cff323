package queue

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vaihde/vaihde/server/api"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// Stats implements api.Agents: q's live state and its finished calls since since (GRP-9).
func (e *Engine) Stats(ctx context.Context, orgID, queueID int64, since time.Time) (shared.QueueStats, error) {
	q, err := e.queueOf(ctx, orgID, queueID)
	if err != nil {
		return shared.QueueStats{}, err
	}
	calls, err := e.d.Groups.QueueCalls(ctx, orgID, queueID, since)
	if err != nil {
		return shared.QueueStats{}, fmt.Errorf("queue stats %d: %w", queueID, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats(q, since, q.merged(calls, e.clock.Now())), nil
}

// merged are q's finished calls: from memory for the part of the period this engine saw
// itself, from the store before that. A call that ended just now is written to the store only
// after the lock is released; taking it from memory, under the same lock as the live state,
// means it is never missing (no longer talking, not yet stored) nor counted twice. e.mu is held.
func (q *queue) merged(stored []store.QueueCall, now time.Time) []store.QueueCall {
	cut := now.Add(-statsWindow)
	if q.keptSince.After(cut) {
		cut = q.keptSince
	}
	out := make([]store.QueueCall, 0, len(stored)+len(q.recent))
	for _, c := range stored {
		if c.Entered.Before(cut) {
			out = append(out, c)
		}
	}
	for _, c := range q.recent {
		if !c.Entered.Before(cut) {
			out = append(out, c)
		}
	}
	return out
}

// stats builds q's statistics from its live state and calls. e.mu is held.
func (e *Engine) stats(q *queue, since time.Time, calls []store.QueueCall) shared.QueueStats {
	now := e.clock.Now()
	s := shared.QueueStats{QueueID: q.cfg.ID, Name: q.cfg.Name, Since: since, Night: q.night(now), Agents: []shared.AgentStats{}}
	for _, en := range q.waiting {
		if en.cb != nil {
			s.Callbacks++
			continue
		}
		s.Waiting++
		if s.Waiting == 1 {
			s.LongestWaitSec = now.Sub(en.entered).Seconds()
		}
	}
	if q.hasLast {
		s.LastWaitSec = q.lastWait.Seconds()
	}
	answered := map[int64]int{}
	var waitSum time.Duration
	var last store.QueueCall
	for _, c := range calls {
		if c.Entered.Before(since) {
			continue
		}
		switch c.Outcome {
		case "answered", "callback":
			s.Answered++
			answered[c.AgentID]++
			waitSum += c.Answered.Sub(c.Entered)
			if c.Answered.After(last.Answered) {
				last = c
			}
		case "abandoned":
			s.Abandoned++
		case "overflow":
			s.Overflowed++
		}
	}
	// A call is answered when an agent answers it, not when it ends (its record is written
	// then): the supervisor sees the agent in the call with the call counted.
	for _, m := range q.members {
		t := m.a.talking
		if t == nil || t.q != q || t.entered.Before(since) {
			continue
		}
		s.Answered++
		answered[m.a.id]++
		waitSum += t.answered.Sub(t.entered)
		if t.answered.After(last.Answered) {
			last = store.QueueCall{Entered: t.entered, Answered: t.answered}
		}
	}
	if s.Answered > 0 {
		s.AvgWaitSec = (waitSum / time.Duration(s.Answered)).Seconds()
	}
	if !q.hasLast && !last.Answered.IsZero() {
		s.LastWaitSec = last.Answered.Sub(last.Entered).Seconds()
	}
	s.EstimateSec = e.estimate(q, len(q.waiting)+1, now).Seconds()
	for _, m := range q.members {
		st := e.stateOf(m.a, now)
		if !m.in {
			st = shared.AgentLoggedOut
		}
		s.Agents = append(s.Agents, shared.AgentStats{UserID: m.a.id, Name: m.a.name, State: st, Answered: answered[m.a.id]})
	}
	slices.SortFunc(s.Agents, func(x, y shared.AgentStats) int { return cmp.Compare(x.UserID, y.UserID) })
	return s
}

// supervisors are who may see q's statistics events (besides the organisation's admins).
func (q *queue) supervisors() []int64 {
	out := slices.Clone(q.cfg.Supervisors)
	for id, m := range q.members {
		if m.a.supervisor && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// throttledStats returns q's statistics event if one may be sent now; otherwise it makes sure
// one is sent when the throttle allows (at most one per statsEvery per queue). e.mu is held.
func (e *Engine) throttledStats(q *queue) (api.AgentEvent, bool) {
	now := e.clock.Now()
	if q.statsAt.IsZero() || now.Sub(q.statsAt) >= statsEvery {
		q.statsAt = now
		s := e.stats(q, now.Add(-statsWindow), q.recent)
		return api.AgentEvent{OrgID: q.org.id, Queue: &s, Supervisors: q.supervisors()}, true
	}
	if q.statsTimer == nil && e.ctx.Err() == nil {
		q.statsTimer = e.clock.AfterFunc(q.statsAt.Add(statsEvery).Sub(now), func() {
			var fx effects
			e.mu.Lock()
			q.statsTimer = nil
			e.mu.Unlock()
			fx.queue(e, q)
			e.run(&fx)
		})
	}
	return api.AgentEvent{}, false
}
