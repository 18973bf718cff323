//go:build linux

package idle

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// screenSaver is a fake org.freedesktop.ScreenSaver service on a private bus.
type screenSaver struct{ ms uint32 }

func (s screenSaver) GetSessionIdleTime() (uint32, *dbus.Error) { return s.ms, nil }

// privateBus starts a dbus-daemon of its own and points the session bus address at it.
func privateBus(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon not installed")
	}
	sock := filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address", "--address=unix:path="+sock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", a)
		return a
	case <-time.After(20 * time.Second):
		t.Fatal("dbus-daemon did not start")
	}
	return ""
}

// TestIntegrationDBusScreenSaver reads the idle time from a real D-Bus daemon with a
// ScreenSaver service on it, and reports no source when the service is missing.
func TestIntegrationDBusScreenSaver(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	addr := privateBus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if src, err := System(ctx); err == nil {
		t.Fatalf("no service on the bus yet, got source %s", src.Name())
	}

	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Export(screenSaver{ms: 421000}, "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.ScreenSaver", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", reply, err)
	}
	src, err := System(ctx)
	if err != nil {
		t.Fatalf("System: %v", err)
	}
	defer src.(*dbusSource).Close()
	got, err := src.IdleTime(ctx)
	if err != nil || got != 421*time.Second {
		t.Fatalf("idle time %v, %v; want 7m1s", got, err)
	}
	if !strings.Contains(src.Name(), "GetSessionIdleTime") {
		t.Fatalf("source name %q", src.Name())
	}
	m := NewMonitor(Options{Source: src, Threshold: 5 * time.Minute})
	m.Check(ctx)
	if !m.Idle() {
		t.Fatal("7 minutes without input is idle")
	}
}

// mutter is a fake org.gnome.Mutter.IdleMonitor.
type mutter struct{ ms uint64 }

func (m mutter) GetIdletime() (uint64, *dbus.Error) { return m.ms, nil }

// TestIntegrationDBusMutter reads the idle time from GNOME's idle monitor when no screen saver
// service answers.
func TestIntegrationDBusMutter(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	addr := privateBus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Export(mutter{ms: 1500}, "/org/gnome/Mutter/IdleMonitor/Core", "org.gnome.Mutter.IdleMonitor"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.gnome.Mutter.IdleMonitor", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", reply, err)
	}
	src, err := System(ctx)
	if err != nil {
		t.Fatalf("System: %v", err)
	}
	defer src.(*dbusSource).Close()
	got, err := src.IdleTime(ctx)
	if err != nil || got != 1500*time.Millisecond {
		t.Fatalf("idle time %v, %v; want 1.5s", got, err)
	}
	if !strings.Contains(src.Name(), "Mutter") {
		t.Fatalf("source name %q", src.Name())
	}
}
