package auth

import (
	"sync"
	"time"
)

// Limiter counts failed attempts per key (a source IP, a user) and blocks a key that reaches
// Max failures within Window for Block. Memory is bounded by MaxKeys: when full, expired
// entries are swept and, if still full, arbitrary entries are evicted. Safe for concurrent use.
//
// A blocked source IP is refused outright. A blocked user must not be locked out by whoever
// guesses its password elsewhere, so the limiter also remembers which sources proved
// themselves for a key (Succeed): callers let a proven source through a blocked user key
// (Proven) and block only the unproven ones.
type Limiter struct {
	max     int
	window  time.Duration
	block   time.Duration
	maxKeys int
	now     func() time.Time
	// provenFor is how long a successful authentication vouches for its source.
	provenFor time.Duration

	mu      sync.Mutex
	entries map[string]*limitEntry
	proven  map[provenKey]time.Time // when the source last succeeded
}

type provenKey struct{ key, source string }

// DefaultProvenFor is how long a source that authenticated successfully stays trusted for
// that user: a day, longer than any registration refresh interval.
const DefaultProvenFor = 24 * time.Hour

type limitEntry struct {
	start   time.Time // start of the current counting window
	fails   int
	blocked time.Time // blocked until
}

// NewLimiter returns a Limiter: max failures per window block a key for block; at most
// maxKeys keys are tracked.
func NewLimiter(max int, window, block time.Duration, maxKeys int) *Limiter {
	return &Limiter{max: max, window: window, block: block, maxKeys: maxKeys, now: time.Now, provenFor: DefaultProvenFor,
		entries: make(map[string]*limitEntry), proven: make(map[provenKey]time.Time)}
}

// DefaultLimiter blocks after 10 failures in a minute, for a minute, tracking up to 100,000 keys.
func DefaultLimiter() *Limiter { return NewLimiter(10, time.Minute, time.Minute, 100_000) }

// Blocked reports whether key is currently blocked.
func (l *Limiter) Blocked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	return e != nil && l.now().Before(e.blocked)
}

// Fail records a failed attempt for key and reports whether key is now blocked.
func (l *Limiter) Fail(key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	if e == nil {
		if len(l.entries) >= l.maxKeys {
			l.evict(now)
		}
		e = &limitEntry{start: now}
		l.entries[key] = e
	}
	if now.Sub(e.start) > l.window {
		e.start, e.fails = now, 0
	}
	e.fails++
	if e.fails >= l.max {
		e.blocked = now.Add(l.block)
		e.start, e.fails = now, 0
	}
	return now.Before(e.blocked)
}

// Len returns how many keys are tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// evict makes room; l.mu is held.
func (l *Limiter) evict(now time.Time) {
	for k, e := range l.entries {
		if now.Sub(e.start) > l.window && !now.Before(e.blocked) {
			delete(l.entries, k)
		}
	}
	// Still full of live entries (an attack from many sources): drop a tenth at once so that
	// the sweep is not repeated on every insert.
	for k := range l.entries {
		if len(l.entries) < l.maxKeys-l.maxKeys/10 {
			break
		}
		delete(l.entries, k)
	}
}

// Succeed records that source (an IP address) authenticated successfully for key (a user).
func (l *Limiter) Succeed(key, source string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := provenKey{key, source}
	if _, ok := l.proven[k]; !ok && len(l.proven) >= l.maxKeys {
		for pk, t := range l.proven {
			if now.Sub(t) > l.provenFor {
				delete(l.proven, pk)
			}
		}
		for pk := range l.proven { // still full: make room (an unlucky user is asked to prove again)
			if len(l.proven) < l.maxKeys-l.maxKeys/10 {
				break
			}
			delete(l.proven, pk)
		}
	}
	l.proven[k] = now
}

// Proven reports whether source authenticated successfully for key within the proven period.
func (l *Limiter) Proven(key, source string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.proven[provenKey{key, source}]
	return ok && l.now().Sub(t) <= l.provenFor
}
