package queue

import (
	"container/heap"
	"time"
)

// The wait estimate (GRP-5). Asterisk announces a moving average of past waits, (3·old+new)/4,
// which knows nothing about who is working now; multiplying an average handling time by the
// position ignores how many agents share the work. This estimate replays the queue ahead of
// the caller: every agent who is logged in and not paused becomes free when their current work
// ends (the rest of a call by their own recent handling time, the rest of a wrap-up, or now),
// and each caller ahead takes the agent who frees first for that agent's own handling time.
// The caller's wait is when the slot for their position opens. Handling time is talk plus
// wrap-up, per agent and per queue, over the recent calls, pulled towards the queue's mean
// while an agent has few calls.

const (
	handleKeep   = 20              // recent calls kept per agent
	handleShrink = 2               // pseudo-calls of the queue mean in an agent's mean
	handlePrior  = 3 * time.Minute // before any call was handled
	// residualFloor: a call already longer than the agent's mean is expected to go on for at
	// least this fraction of the mean (calls vary; "any second now" is too optimistic).
	residualFloor = 0.3
)

// handling keeps a queue's recent handling times.
type handling struct {
	per map[int64][]time.Duration
	all []time.Duration
}

func (h *handling) add(agentID int64, d time.Duration) {
	if h.per == nil {
		h.per = map[int64][]time.Duration{}
	}
	s := append(h.per[agentID], d)
	if len(s) > handleKeep {
		s = s[len(s)-handleKeep:]
	}
	h.per[agentID] = s
	h.all = append(h.all, d)
	if len(h.all) > 5*handleKeep {
		h.all = h.all[len(h.all)-5*handleKeep:]
	}
}

func meanOf(s []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return sum / time.Duration(len(s))
}

// mean is the agent's expected handling time in this queue.
func (h *handling) mean(agentID int64) time.Duration {
	q := handlePrior
	if len(h.all) > 0 {
		q = meanOf(h.all)
	}
	s := h.per[agentID]
	if len(s) == 0 {
		return q
	}
	return (meanOf(s)*time.Duration(len(s)) + q*handleShrink) / time.Duration(len(s)+handleShrink)
}

// agentLoad is one working agent as the estimate sees them.
type agentLoad struct {
	handle time.Duration // expected handling time of the next call
	freeIn time.Duration // until the current work ends; 0 = free now
}

// residual is how much longer a call that has lasted elapsed is expected to go on.
func residual(handle, elapsed time.Duration) time.Duration {
	return max(handle-elapsed, time.Duration(float64(handle)*residualFloor))
}

// estimateWait is the expected wait of the caller at position pos (1 = next) given the
// working agents; ok is false when nobody works, so no estimate exists.
func estimateWait(pos int, agents []agentLoad) (time.Duration, bool) {
	if len(agents) == 0 || pos < 1 {
		return 0, false
	}
	h := make(slotHeap, 0, len(agents))
	for i, a := range agents {
		h = append(h, slot{at: a.freeIn, agent: i})
	}
	heap.Init(&h)
	for n := 1; ; n++ {
		s := h[0]
		if n == pos {
			return s.at, true
		}
		h[0].at += max(agents[s.agent].handle, time.Second)
		heap.Fix(&h, 0)
	}
}

type slot struct {
	at    time.Duration
	agent int
}

type slotHeap []slot

func (h slotHeap) Len() int { return len(h) }
func (h slotHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].agent < h[j].agent
}
func (h slotHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *slotHeap) Push(x any)   { *h = append(*h, x.(slot)) }
func (h *slotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// loads are q's working agents now. e.mu is held.
func (e *Engine) loads(q *queue, now time.Time) []agentLoad {
	var out []agentLoad
	for _, m := range q.members {
		a := m.a
		if !m.in || !a.licensed || a.paused || (q.cfg.RedStops && a.red) {
			continue
		}
		h := q.handle.mean(a.id)
		l := agentLoad{handle: h}
		switch {
		case a.talking != nil:
			l.freeIn = residual(h, now.Sub(a.talking.answered))
		case a.onCall:
			l.freeIn = h / 2
		}
		if w := a.wrapUntil.Sub(now); w > l.freeIn && a.talking == nil {
			l.freeIn = w
		}
		if r := a.retryUntil.Sub(now); r > l.freeIn {
			l.freeIn = r
		}
		out = append(out, l)
	}
	return out
}

// estimate is the expected wait of the caller at pos in q now; without working agents it is
// the queue's mean handling time per caller ahead (a guess, but never "zero").
func (e *Engine) estimate(q *queue, pos int, now time.Time) time.Duration {
	if d, ok := estimateWait(pos, e.loads(q, now)); ok {
		return d
	}
	return time.Duration(pos) * q.handle.mean(0)
}

// position is en's place in q, 1 = next. e.mu is held.
func (q *queue) position(en *entry) int {
	for i, x := range q.waiting {
		if x == en {
			return i + 1
		}
	}
	return len(q.waiting) + 1
}
