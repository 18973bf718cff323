package idle

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeSource returns a settable idle time or error.
type fakeSource struct {
	mu   sync.Mutex
	idle time.Duration
	err  error
}

func (f *fakeSource) set(d time.Duration, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.idle, f.err = d, err
}

func (f *fakeSource) IdleTime(context.Context) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.idle, f.err
}

func (f *fakeSource) Name() string { return "fake" }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMonitor(t *testing.T) {
	type step struct {
		advance time.Duration
		sys     time.Duration
		sysErr  error
		input   bool
		want    bool
	}
	boom := errors.New("no bus")
	tests := []struct {
		name   string
		source bool
		steps  []step
		events string
	}{
		{"app input only", false, []step{
			{advance: 4 * time.Minute, want: false},
			{advance: time.Minute, want: true},
			{input: true, want: false},
			{advance: 5*time.Minute - time.Second, want: false},
		}, "TF"},
		{"system idle time decides", true, []step{
			{advance: 6 * time.Minute, sys: time.Minute, want: false}, // input elsewhere on the computer
			{sys: 5 * time.Minute, want: true},
			{sys: 2 * time.Second, want: false},
		}, "TF"},
		{"input in the window wins over a stale system reading", true, []step{
			{advance: 6 * time.Minute, sys: 6 * time.Minute, want: true},
			{input: true, sys: 6 * time.Minute, want: false},
		}, "TF"},
		{"a failing system source falls back to the window", true, []step{
			{advance: 2 * time.Minute, sysErr: boom, want: false},
			{advance: 3 * time.Minute, sysErr: boom, want: true},
		}, "T"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
			src := &fakeSource{}
			var events string
			var errs int
			o := Options{Threshold: 5 * time.Minute, Now: c.now, OnError: func(error) { errs++ },
				OnChange: func(idle bool) {
					if idle {
						events += "T"
					} else {
						events += "F"
					}
				}}
			if tc.source {
				o.Source = src
			}
			m := NewMonitor(o)
			for i, s := range tc.steps {
				c.add(s.advance)
				src.set(s.sys, s.sysErr)
				if s.input {
					m.Input()
				}
				m.Check(t.Context())
				if m.Idle() != s.want {
					t.Fatalf("step %d: idle=%v, want %v", i, m.Idle(), s.want)
				}
			}
			if events != tc.events {
				t.Fatalf("changes %q, want %q (only changes are reported)", events, tc.events)
			}
			if tc.name == "a failing system source falls back to the window" && errs != 1 {
				t.Fatalf("the failure is reported once, got %d", errs)
			}
		})
	}
}

// TestMonitorRunWakesOnInput: input while idle is reported at once, not at the next poll.
func TestMonitorRunWakesOnInput(t *testing.T) {
	c := &clock{t: time.Now()}
	changes := make(chan bool, 4)
	m := NewMonitor(Options{Threshold: time.Minute, Poll: time.Hour, Now: c.now, OnChange: func(b bool) { changes <- b }})
	c.add(2 * time.Minute)
	m.Check(t.Context())
	if !<-changes {
		t.Fatal("want idle")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	m.Input()
	select {
	case idle := <-changes:
		if idle {
			t.Fatal("want active after input")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("input while idle did not wake the monitor")
	}
	cancel()
	<-done
}

func TestParseHIDIdleTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{`    | |   "HIDIdleTime" = 1234567890` + "\n", 1234567890, true},
		{`"HIDIdleTime"=42`, 42, true},
		{`"Other" = 1` + "\n" + `  "HIDIdleTime" = 5000000000 ` + "\n" + `"HIDIdleTime" = 1`, 5 * time.Second, true},
		{`no key here`, 0, false},
		{`"HIDIdleTime" = abc`, 0, false},
		{`"HIDIdleTime" : 12`, 0, false},
		{`"HIDIdleTime" = 99999999999999999999999`, 0, false},
		{`"HIDIdleTime"`, 0, false},
	}
	for _, tc := range tests {
		got, err := parseHIDIdleTime([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parse(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
