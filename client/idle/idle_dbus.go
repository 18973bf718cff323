//go:build linux

package idle

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// dbusSource asks the session bus's screen saver or GNOME's idle monitor.
type dbusSource struct {
	mu     sync.Mutex
	conn   *dbus.Conn
	method string // the call that answered last, tried first
}

func systemSource() Source { return &dbusSource{} }

func (d *dbusSource) Name() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.method == "" {
		return "dbus"
	}
	return "dbus " + d.method
}

type dbusCall struct {
	dest, path, method string
	millis             func(dbus.Variant) (time.Duration, bool)
}

var dbusCalls = []dbusCall{
	{"org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver.GetSessionIdleTime", variantMillis},
	{"org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core", "org.gnome.Mutter.IdleMonitor.GetIdletime", variantMillis},
}

// variantMillis reads a millisecond count of any unsigned or signed integer type.
func variantMillis(v dbus.Variant) (time.Duration, bool) {
	switch n := v.Value().(type) {
	case uint32:
		return time.Duration(n) * time.Millisecond, true
	case uint64:
		return time.Duration(n) * time.Millisecond, true
	case int32:
		return time.Duration(n) * time.Millisecond, n >= 0
	case int64:
		return time.Duration(n) * time.Millisecond, n >= 0
	}
	return 0, false
}

func (d *dbusSource) IdleTime(ctx context.Context) (time.Duration, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		c, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
		if err != nil {
			return 0, fmt.Errorf("idle: connect session bus: %w", err)
		}
		d.conn = c
	}
	var lastErr error
	for _, c := range d.ordered() {
		var v dbus.Variant
		call := d.conn.Object(c.dest, dbus.ObjectPath(c.path)).CallWithContext(ctx, c.method, 0)
		if call.Err != nil {
			lastErr = fmt.Errorf("idle: %s: %w", c.method, call.Err)
			continue
		}
		if len(call.Body) != 1 {
			lastErr = fmt.Errorf("idle: %s: %d values in the answer", c.method, len(call.Body))
			continue
		}
		v = dbus.MakeVariant(call.Body[0])
		if t, ok := c.millis(v); ok {
			d.method = c.method
			return t, nil
		}
		lastErr = fmt.Errorf("idle: %s: unexpected answer %v", c.method, call.Body[0])
	}
	return 0, lastErr
}

// ordered puts the call that answered last first.
func (d *dbusSource) ordered() []dbusCall {
	out := make([]dbusCall, 0, len(dbusCalls))
	for _, c := range dbusCalls {
		if c.method == d.method {
			out = append([]dbusCall{c}, out...)
		} else {
			out = append(out, c)
		}
	}
	return out
}

// Close closes the bus connection.
func (d *dbusSource) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return nil
	}
	err := d.conn.Close()
	d.conn = nil
	return err
}
