package signaling

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// budgetHandler passes at most perSecond records a second to next and drops the rest, so
// that a flood of garbage packets (which sipgo logs one by one) cannot flood the log.
type budgetHandler struct {
	next  slog.Handler
	state *budgetState
}

type budgetState struct {
	mu        sync.Mutex
	perSecond int
	second    int64
	used      int
	dropped   int
}

func newBudgetHandler(next slog.Handler, perSecond int) *budgetHandler {
	return &budgetHandler{next: next, state: &budgetState{perSecond: perSecond}}
}

func (h *budgetHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *budgetHandler) Handle(ctx context.Context, r slog.Record) error {
	st := h.state
	st.mu.Lock()
	sec := time.Now().Unix()
	dropped := 0
	if sec != st.second {
		st.second, st.used, dropped, st.dropped = sec, 0, st.dropped, 0
	}
	if st.used >= st.perSecond {
		st.dropped++
		st.mu.Unlock()
		return nil
	}
	st.used++
	st.mu.Unlock()
	if dropped > 0 {
		r.AddAttrs(slog.Int("dropped_before", dropped))
	}
	// Packet contents are hostile and may carry credentials (Authorization): log their size
	// only, and shorten other long strings.
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "data" {
			a = slog.Int("data_len", len(a.Value.String()))
		} else if a.Value.Kind() == slog.KindString && len(a.Value.String()) > 200 {
			a = slog.String(a.Key, a.Value.String()[:200]+"…")
		}
		nr.AddAttrs(a)
		return true
	})
	return h.next.Handle(ctx, nr)
}

func (h *budgetHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &budgetHandler{next: h.next.WithAttrs(as), state: h.state}
}

func (h *budgetHandler) WithGroup(name string) slog.Handler {
	return &budgetHandler{next: h.next.WithGroup(name), state: h.state}
}
