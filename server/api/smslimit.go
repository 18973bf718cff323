package api

import (
	"fmt"
	"sync"
	"time"
)

// SMSLimits bound the SMS sent through the API (NF-1: a stolen token or a runaway script
// must not send thousands of paid messages): at most PerUser messages by one user and
// PerOrg by one organisation within any Window. Zero fields take the defaults.
type SMSLimits struct {
	PerUser int
	PerOrg  int
	Window  time.Duration
}

// Defaults of SMSLimits.
const (
	DefaultSMSPerUser = 30
	DefaultSMSPerOrg  = 300
	DefaultSMSWindow  = time.Hour
)

// maxSMSKeys bounds the limiter's memory; the stalest keys are forgotten first.
const maxSMSKeys = 100_000

// smsLimiter is a sliding-window log per user and per organisation. Safe for concurrent use.
type smsLimiter struct {
	lim  SMSLimits
	mu   sync.Mutex
	sent map[string][]time.Time // key → send times within the window, oldest first
}

func newSMSLimiter(l SMSLimits) *smsLimiter {
	if l.PerUser <= 0 {
		l.PerUser = DefaultSMSPerUser
	}
	if l.PerOrg <= 0 {
		l.PerOrg = DefaultSMSPerOrg
	}
	if l.Window <= 0 {
		l.Window = DefaultSMSWindow
	}
	return &smsLimiter{lim: l, sent: make(map[string][]time.Time)}
}

// smsLimitError says which limit was reached and when a message may be sent again.
type smsLimitError struct {
	who        string // "you" or "your organisation"
	limit      int
	window     time.Duration
	retryAfter time.Duration
}

func (e *smsLimitError) Error() string {
	return fmt.Sprintf("SMS limit reached: %s may send at most %d messages per %s; try again in %s",
		e.who, e.limit, windowText(e.window), roundUp(e.retryAfter))
}

func windowText(d time.Duration) string {
	switch d {
	case time.Hour:
		return "hour"
	case time.Minute:
		return "minute"
	case 24 * time.Hour:
		return "day"
	}
	return d.String()
}

// roundUp shows a wait in whole seconds or minutes, never "0s".
func roundUp(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", max(1, int((d+time.Second-1)/time.Second)))
	}
	return fmt.Sprintf("%d min", int((d+time.Minute-1)/time.Minute))
}

// reserve takes one message from the user's and the organisation's allowance at now, or
// returns an *smsLimitError and takes nothing. release gives the message back (the send
// failed before reaching the gateway's bill).
func (l *smsLimiter) reserve(userID, orgID int64, now time.Time) (release func(), err error) {
	uk, ok := fmt.Sprintf("u%d", userID), fmt.Sprintf("o%d", orgID)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sent) >= maxSMSKeys {
		l.sweep(now)
	}
	for _, c := range []struct {
		key, who string
		limit    int
	}{{uk, "you", l.lim.PerUser}, {ok, "your organisation", l.lim.PerOrg}} {
		times := l.trim(c.key, now)
		if len(times) >= c.limit {
			return nil, &smsLimitError{who: c.who, limit: c.limit, window: l.lim.Window,
				retryAfter: times[len(times)-c.limit].Add(l.lim.Window).Sub(now)}
		}
	}
	l.sent[uk] = append(l.sent[uk], now)
	l.sent[ok] = append(l.sent[ok], now)
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.remove(uk, now)
			l.remove(ok, now)
		})
	}, nil
}

// trim drops send times older than the window and returns the rest; l.mu is held.
func (l *smsLimiter) trim(key string, now time.Time) []time.Time {
	times := l.sent[key]
	i := 0
	for i < len(times) && !times[i].Add(l.lim.Window).After(now) {
		i++
	}
	times = times[i:]
	if len(times) == 0 {
		delete(l.sent, key)
		return nil
	}
	l.sent[key] = times
	return times
}

// remove forgets one send at t; l.mu is held.
func (l *smsLimiter) remove(key string, t time.Time) {
	times := l.sent[key]
	for i := len(times) - 1; i >= 0; i-- {
		if times[i].Equal(t) {
			l.sent[key] = append(times[:i:i], times[i+1:]...)
			return
		}
	}
}

// sweep drops keys with nothing in the window; l.mu is held.
func (l *smsLimiter) sweep(now time.Time) {
	for k := range l.sent {
		l.trim(k, now)
	}
	for k := range l.sent { // still full: forget arbitrary keys rather than grow without bound
		if len(l.sent) < maxSMSKeys*9/10 {
			break
		}
		delete(l.sent, k)
	}
}
