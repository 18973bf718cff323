//go:build linux

package mediakeys

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needTool skips without the tool unless VAIHDE_REQUIRE_PACKAGING=1 (CI), where it fails.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
			t.Fatalf("%s not installed (Debian package dbus)", name)
		}
		t.Skipf("%s not installed (Debian package dbus)", name)
	}
}

// privateBus starts a dbus-daemon of its own for the test and points the session bus address
// at it; the daemon is killed when the test ends.
func privateBus(t *testing.T) string {
	t.Helper()
	needTool(t, "dbus-daemon")
	needTool(t, "dbus-send")
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

// dbusSend runs dbus-send on the test's bus and returns its output.
func dbusSend(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("dbus-send", append([]string{"--session", "--print-reply"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("dbus-send %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestIntegrationMPRISKeysAnswerAndHangUp exports the MPRIS player on a real D-Bus daemon and
// presses the keys with dbus-send, as a desktop's media-key daemon does for a headset button:
// PlayPause answers the ringing call, PlayPause again hangs it up, Stop rejects.
func TestIntegrationMPRISKeysAnswerAndHangUp(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: starts dbus-daemon")
	}
	privateBus(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := &fakeCalls{ringing: true}
	done := make(chan error, 8)
	keys, err := Start(ctx, Options{OnAction: func(a Action) {
		err := Dispatch(a, calls)
		if a == PlayPause {
			calls.ringing = false // answered: the next PlayPause hangs up
		}
		done <- err
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()

	names := dbusSend(t, "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames")
	if !strings.Contains(names, `"`+BusName+`"`) {
		t.Fatalf("%s not on the bus:\n%s", BusName, names)
	}
	press := func(method string) {
		t.Helper()
		dbusSend(t, "--dest="+BusName, string(ObjectPath), playerIface+"."+method)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", method, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the key never arrived", method)
		}
	}
	press("PlayPause")
	press("PlayPause")
	calls.ringing = true
	press("Stop")
	if got := strings.Join(calls.did, ","); got != "answer,hangup,hangup" {
		t.Fatalf("the keys did %q, want answer,hangup,hangup", got)
	}

	// While a call lasts the player says it plays, so the desktop picks it for the keys.
	get := func() string {
		return dbusSend(t, "--dest="+BusName, string(ObjectPath), "org.freedesktop.DBus.Properties.Get",
			"string:"+playerIface, "string:PlaybackStatus")
	}
	if s := get(); !strings.Contains(s, `"Stopped"`) {
		t.Fatalf("idle status: %s", s)
	}
	keys.SetActive(true)
	if s := get(); !strings.Contains(s, `"Playing"`) {
		t.Fatalf("status during a call: %s", s)
	}
	if s := dbusSend(t, "--dest="+BusName, string(ObjectPath), "org.freedesktop.DBus.Properties.Get",
		"string:org.mpris.MediaPlayer2", "string:Identity"); !strings.Contains(s, "Vaihde") {
		t.Fatalf("identity: %s", s)
	}

	// A second Softphone takes an instance name instead of failing.
	k2, err := Start(ctx, Options{})
	if err != nil {
		t.Fatalf("second player: %v", err)
	}
	names = dbusSend(t, "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames")
	if !strings.Contains(names, BusName+".instance") {
		t.Fatalf("no instance name for the second player:\n%s", names)
	}
	_ = k2.Close()

	// Closing releases the name.
	_ = keys.Close()
	names = dbusSend(t, "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames")
	if strings.Contains(names, `"`+BusName+`"`) {
		t.Fatalf("%s still on the bus after Close", BusName)
	}
}
