package queue

import "time"

// Clock is the engine's time source. Every wait of the engine (ring time, wrap-up, maximum
// wait, progress announcements, callback validity, event throttling) is a timer of its Clock,
// so tests drive the engine with a fake clock and never sleep.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f on its own goroutine after d, unless the Timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call; false means it already ran or was stopped.
	Stop() bool
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc implements Clock.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
