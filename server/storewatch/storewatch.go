// Package storewatch notices changes that another process (the `vaihde org|user|restore`
// commands) commits to the server's database, by polling a version number that SQLite changes
// on every foreign commit, and tells the server so that it drops its caches and reconciles what
// it keeps in memory (registrations of users that no longer exist).
package storewatch

import (
	"context"
	"log/slog"
	"time"
)

// Interval is how often the server polls: a CLI change is seen within it (the issue asks for 2 s).
const Interval = 500 * time.Millisecond

// Watcher calls OnChange after the version moved. It is used by one goroutine.
type Watcher struct {
	version  func(context.Context) (int64, error)
	onChange func(context.Context)
	log      *slog.Logger

	last   int64
	primed bool
	failed bool // the last poll failed: logged once until it works again
}

// New returns a watcher of version (e.g. (*sqlite.Store).DataVersion) that calls onChange.
// The first Poll only records the version.
func New(version func(context.Context) (int64, error), onChange func(context.Context), log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{version: version, onChange: onChange, log: log}
}

// Poll reads the version once and calls OnChange (before returning) when it differs from the
// previous poll's; it reports whether it did.
func (w *Watcher) Poll(ctx context.Context) bool {
	v, err := w.version(ctx)
	if err != nil {
		if !w.failed && ctx.Err() == nil {
			w.log.Warn("store watch: read data version", "error", err)
		}
		w.failed = true
		return false
	}
	w.failed = false
	if !w.primed {
		w.last, w.primed = v, true
		return false
	}
	if v == w.last {
		return false
	}
	w.last = v
	w.log.Debug("store changed by another process: reloading")
	w.onChange(ctx)
	return true
}

// Run polls at every tick until ctx ends. A nil tick polls every Interval.
func (w *Watcher) Run(ctx context.Context, tick <-chan time.Time) {
	if tick == nil {
		t := time.NewTicker(Interval)
		defer t.Stop()
		tick = t.C
	}
	w.Poll(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			w.Poll(ctx)
		}
	}
}
