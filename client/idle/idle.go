// Package idle tells whether the user is away from the computer, so the Softphone can mark
// its user idle (PRES-1: "online but not using the computer").
//
// What each platform does:
//
//   - Windows: GetLastInputInfo from user32.dll through the syscall package (no cgo): the
//     time since the last keyboard or mouse input anywhere in the session.
//   - macOS: runs `ioreg -c IOHIDSystem` and reads HIDIdleTime (nanoseconds since the last
//     input event of any HID device); no cgo.
//   - Linux: asks the session's D-Bus: org.freedesktop.ScreenSaver
//     GetSessionIdleTime (KDE, Xfce and others), then org.gnome.Mutter.IdleMonitor
//     GetIdletime (GNOME, X11 and Wayland). Without a session bus or either service there is
//     no system source.
//   - Other systems (the BSDs, …): no system source.
//   - Everywhere, and the only source where the system cannot tell: the Softphone's own input
//     events (keys and clicks in its window), reported with Monitor.Input.
//
// Monitor combines the two: the user is idle when both the system (if it can tell) and the
// Softphone's window have seen no input for the threshold (5 minutes in the Softphone).
package idle

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Source reports how long the computer has had no user input.
type Source interface {
	IdleTime(ctx context.Context) (time.Duration, error)
	// Name says where the time comes from, for logs.
	Name() string
}

// ErrUnsupported is returned by System when the platform offers no idle time.
var ErrUnsupported = errors.New("idle: the system's idle time is not available here")

// System returns the platform's idle-time source, checked to answer once; ErrUnsupported (or
// the probe's error) when there is none and only the application's own input can be used.
func System(ctx context.Context) (Source, error) {
	src := systemSource()
	if src == nil {
		return nil, ErrUnsupported
	}
	if _, err := src.IdleTime(ctx); err != nil {
		if c, ok := src.(interface{ Close() error }); ok {
			_ = c.Close()
		}
		return nil, err
	}
	return src, nil
}

// Options configure a Monitor.
type Options struct {
	Source    Source        // nil: only the application's input counts
	Threshold time.Duration // idle after this long without input; 0 means 5 minutes
	Poll      time.Duration // how often to check; 0 means 10 seconds
	// OnChange is called with the new state on every change (from Run's goroutine; it must
	// not block for long).
	OnChange func(idle bool)
	Now      func() time.Time // tests
	// OnError is told once when the system source fails (it is then ignored until it answers
	// again); nil ignores.
	OnError func(error)
}

// Monitor decides whether the user is idle.
type Monitor struct {
	o Options

	started time.Time

	mu        sync.Mutex
	lastInput time.Time // zero until the first Input
	idle      bool
	failed    bool
	wake      chan struct{}
}

// NewMonitor returns a monitor; call Run to start it.
func NewMonitor(o Options) *Monitor {
	if o.Threshold <= 0 {
		o.Threshold = 5 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Monitor{o: o, started: o.Now(), wake: make(chan struct{}, 1)}
}

// Input reports user input in the application (a key, a click); the user is active again at
// once. Safe from any goroutine; never blocks.
func (m *Monitor) Input() {
	m.mu.Lock()
	m.lastInput = m.o.Now()
	wasIdle := m.idle
	m.mu.Unlock()
	if wasIdle {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
}

// Idle reports the last decided state.
func (m *Monitor) Idle() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.idle
}

// Check decides once and reports a change through OnChange; Run calls it every Poll.
func (m *Monitor) Check(ctx context.Context) {
	now := m.o.Now()
	m.mu.Lock()
	last := m.lastInput
	m.mu.Unlock()
	// Without a system source the window's input is all there is, counted from the start.
	idleFor := now.Sub(last)
	if last.IsZero() {
		idleFor = now.Sub(m.started)
	}
	if m.o.Source != nil {
		sys, err := m.o.Source.IdleTime(ctx)
		switch {
		case err != nil:
			if !m.failed && m.o.OnError != nil {
				m.o.OnError(err)
			}
			m.failed = true
		default:
			m.failed = false
			// Input anywhere on the computer counts, and so does input in our window that
			// the system did not see (it always does, but a stale reading must not win).
			if last.IsZero() {
				idleFor = sys
			} else {
				idleFor = min(sys, now.Sub(last))
			}
		}
	}
	idle := idleFor >= m.o.Threshold
	m.mu.Lock()
	changed := idle != m.idle
	m.idle = idle
	m.mu.Unlock()
	if changed && m.o.OnChange != nil {
		m.o.OnChange(idle)
	}
}

// Run checks every Poll, and at once after input while idle, until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	t := time.NewTicker(m.o.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
		m.Check(ctx)
	}
}
