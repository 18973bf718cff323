//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// requireTools skips without the tools unless VAIHDE_REQUIRE_PACKAGING=1 (CI), where a missing
// tool fails the test.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
				t.Fatalf("%s not installed (packaging/install-deps.sh)", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
}

// sniWatcher is a minimal org.kde.StatusNotifierWatcher (what a desktop's tray runs): it
// records the items that register.
type sniWatcher struct {
	mu    sync.Mutex
	items []string
}

func (w *sniWatcher) RegisterStatusNotifierItem(sender dbus.Sender, item string) *dbus.Error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.items = append(w.items, string(sender)+item)
	return nil
}

func (w *sniWatcher) registered() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.items...)
}

// TestIntegrationTrayAndMediaKeys runs the real Softphone under Xvfb on a private D-Bus session
// bus with a StatusNotifierWatcher, logged in to the real server (demo mode), and reads its tray
// over D-Bus as a desktop would: the StatusNotifierItem is exported and registered, its ToolTip
// and its menu (com.canonical.dbusmenu GetLayout) say "Registered". baresip calls and gives up:
// the tray says "1 missed call". baresip calls again: the MPRIS PlayPause key (what a headset
// button sends) answers the real call, PlayPause again hangs it up. Quit in the tray menu ends
// the Softphone, which unregisters first.
func TestIntegrationTrayAndMediaKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	requireTools(t, "Xvfb", "baresip", "dbus-daemon", "dbus-send")
	root := moduleRoot(t)
	bin := t.TempDir()
	build(t, root, filepath.Join(bin, "vaihde"), "./server/cmd/vaihde")
	build(t, root, filepath.Join(bin, "softphone"), "./client/cmd/softphone")

	env := append(os.Environ(), "LANG=en_US.UTF-8")
	// A session bus of the test's own.
	sock := filepath.Join(t.TempDir(), "bus")
	bus := startProc(t, "dbus-daemon", env, "dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address",
		"--address=unix:path="+sock)
	waitFor(t, 20*time.Second, "dbus-daemon", func() bool { return strings.Contains(bus.output(), "unix:path=") })
	addr := strings.TrimSpace(strings.SplitN(bus.output(), "\n", 2)[0])
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+addr)

	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w := &sniWatcher{}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("watcher name: %v %v", r, err)
	}

	disp := freeDisplay(t)
	startProc(t, "xvfb", env, "Xvfb", ":"+disp, "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	waitFor(t, 20*time.Second, "Xvfb", func() bool { _, err := os.Stat("/tmp/.X11-unix/X" + disp); return err == nil })
	env = append(env, "DISPLAY=:"+disp)

	sipPort, httpPort, tlsPort := freePort(t), freePort(t), freePort(t)
	rtp := 30000 + (sipPort%1000)*20
	srv := startProc(t, "vaihde", env, filepath.Join(bin, "vaihde"), "-demo", "-db", filepath.Join(t.TempDir(), "v.db"),
		"-sip-addr", "127.0.0.1:"+strconv.Itoa(sipPort), "-tls-addr", "127.0.0.1:"+strconv.Itoa(tlsPort),
		"-http-addr", "127.0.0.1:"+strconv.Itoa(httpPort), "-https-addr", "",
		"-rtp-port-min", strconv.Itoa(rtp), "-rtp-port-max", strconv.Itoa(rtp+9))
	waitFor(t, 30*time.Second, "server ready", func() bool { return strings.Contains(srv.output(), "vaihde ready") })

	// baresip as 1002: it calls the Softphone.
	bdir := t.TempDir()
	ctrlPort := freePort(t)
	mustWrite(t, filepath.Join(bdir, "config"), strings.Join([]string{
		"poll_method epoll",
		"sip_listen 127.0.0.1:" + strconv.Itoa(freePort(t)),
		"net_interface 127.0.0.1",
		"audio_player aufile," + filepath.Join(bdir, "heard.wav"),
		"audio_alert aufile," + filepath.Join(bdir, "alert.wav"),
		"audio_source aufile," + filepath.Join(bdir, "tone.wav"),
		"audio_level no",
		"rtp_ports " + strconv.Itoa(rtp+10) + "-" + strconv.Itoa(rtp+19),
		"module_path /usr/lib/baresip/modules",
		"module g711.so", "module aufile.so",
		"module_tmp uuid.so", "module_tmp account.so",
		"module_app menu.so", "module_app ctrl_tcp.so",
		"ctrl_tcp_listen 127.0.0.1:" + strconv.Itoa(ctrlPort), "",
	}, "\n"))
	writeTone(t, filepath.Join(bdir, "tone.wav"), 1000, 30)
	mustWrite(t, filepath.Join(bdir, "accounts"), fmt.Sprintf(
		"<sip:1002@demo.vaihde.local>;outbound=\"sip:127.0.0.1:%d;lr\";auth_user=1002;auth_pass=demo1002;regint=300\n", sipPort))
	mustWrite(t, filepath.Join(bdir, "contacts"), "")
	bs := startProc(t, "baresip", env, "baresip", "-f", bdir)
	waitFor(t, 30*time.Second, "baresip registered", func() bool { return strings.Contains(bs.output(), "200 OK") })

	sp := startProc(t, "softphone", env, filepath.Join(bin, "softphone"), "-config-dir", t.TempDir(), "-no-keychain", "-no-audio",
		"-server", "127.0.0.1:"+strconv.Itoa(sipPort), "-api", "http://127.0.0.1:"+strconv.Itoa(httpPort),
		"-user", "1001", "-password", "demo1001")
	waitFor(t, 30*time.Second, "softphone registered", func() bool { return strings.Contains(sp.output(), "state=Registered") })

	send := func(args ...string) (string, error) {
		out, err := exec.Command("dbus-send", append([]string{"--bus=" + addr, "--print-reply"}, args...)...).CombinedOutput()
		return string(out), err
	}
	item := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", sp.cmd.Process.Pid)
	waitFor(t, 20*time.Second, item+" on the bus", func() bool {
		out, _ := send("--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames")
		return strings.Contains(out, `"`+item+`"`)
	})
	tooltip := func() string {
		out, _ := send("--dest="+item, "/StatusNotifierItem", "org.freedesktop.DBus.Properties.Get",
			"string:org.kde.StatusNotifierItem", "string:ToolTip")
		return out
	}
	icon := func() string {
		out, err := send("--dest="+item, "/StatusNotifierItem", "org.freedesktop.DBus.Properties.Get",
			"string:org.kde.StatusNotifierItem", "string:IconPixmap")
		if err != nil {
			return ""
		}
		return out[strings.Index(out, "\n")+1:] // without the header, which has a time and serials
	}
	labelRe := regexp.MustCompile(`string "label"\s+variant\s+string "([^"]*)"`)
	menu := func() []string {
		out, _ := send("--dest="+item, "/StatusNotifierMenu", "com.canonical.dbusmenu.GetLayout", "int32:0", "int32:-1", "array:string:")
		var labels []string
		for _, m := range labelRe.FindAllStringSubmatch(out, -1) {
			labels = append(labels, m[1])
		}
		return labels
	}
	menuHas := func(label string) bool {
		for _, l := range menu() {
			if l == label {
				return true
			}
		}
		return false
	}
	waitFor(t, 20*time.Second, "tooltip Registered", func() bool {
		return strings.Contains(tooltip(), `"Softphone: Registered"`)
	})
	waitFor(t, 10*time.Second, "menu with the status line", func() bool { return menuHas("Registered") && menuHas("Show Vaihde") })
	t.Logf("tray registered with the watcher: %v; menu %q", w.registered(), menu())
	if !anyHasSuffix(w.registered(), "/StatusNotifierItem") {
		t.Fatalf("the item did not register with the StatusNotifierWatcher: %v", w.registered())
	}

	// A missed call: baresip calls and gives up.
	iconBefore := icon()
	if !strings.Contains(iconBefore, "int32 64") {
		t.Fatalf("IconPixmap is no 64×64 picture:\n%.300s", iconBefore)
	}
	baresipCommand(t, ctrlPort, "dial", "sip:1001@demo.vaihde.local")
	waitFor(t, 20*time.Second, "incoming call", func() bool { return strings.Count(sp.output(), "incoming call") >= 1 })
	baresipCommand(t, ctrlPort, "hangup", "")
	waitFor(t, 20*time.Second, "tooltip with the missed call", func() bool { return strings.Contains(tooltip(), "1 missed call") })
	waitFor(t, 10*time.Second, "menu with the missed call", func() bool { return menuHas("1 missed call") })
	tipRe := regexp.MustCompile(`string "(Softphone: [^"]*)"`)
	tip := tipRe.FindStringSubmatch(tooltip())
	if tip == nil {
		t.Fatalf("no tooltip text in %s", tooltip())
	}
	t.Logf("after the missed call: tooltip %q; menu %q", tip[1], menu())
	// The icon changed too: the missed-calls badge (IconPixmap is what the desktop draws).
	waitFor(t, 10*time.Second, "icon with the badge", func() bool { return icon() != iconBefore && icon() != "" })

	// The headset button: PlayPause answers the ringing call, PlayPause again hangs it up.
	mpris := func(method string) {
		t.Helper()
		if out, err := send("--dest=org.mpris.MediaPlayer2.vaihde", "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.Player."+method); err != nil {
			t.Fatalf("MPRIS %s: %v %s", method, err, out)
		}
	}
	ended := strings.Count(sp.output(), "call ended")
	baresipCommand(t, ctrlPort, "dial", "sip:1001@demo.vaihde.local")
	waitFor(t, 20*time.Second, "second incoming call", func() bool { return strings.Count(sp.output(), "incoming call") >= 2 })
	mpris("PlayPause")
	waitFor(t, 20*time.Second, "baresip: call answered", func() bool {
		return strings.Contains(strings.ToLower(bs.output()), "call established")
	})
	mpris("PlayPause")
	waitFor(t, 20*time.Second, "call hung up by the key", func() bool { return strings.Count(sp.output(), "call ended") > ended })
	if n := strings.Count(sp.output(), `msg="media key" key=PlayPause`); n != 2 {
		t.Fatalf("%d PlayPause keys logged, want 2", n)
	}

	// Quit from the tray menu: find the item's id in the layout and click it.
	out, _ := send("--dest="+item, "/StatusNotifierMenu", "com.canonical.dbusmenu.GetLayout", "int32:0", "int32:-1", "array:string:")
	id := quitItemID(out)
	if id < 0 {
		t.Fatalf("no Quit in the tray menu:\n%s", out)
	}
	unregistered := regexp.MustCompile(`ext=1001 source=\S+ bindings=0`)
	if unregistered.MatchString(srv.output()) {
		t.Fatal("1001 unregistered before Quit")
	}
	if out, err := send("--dest="+item, "/StatusNotifierMenu", "com.canonical.dbusmenu.Event",
		"int32:"+strconv.Itoa(id), "string:clicked", "variant:int32:0", "uint32:0"); err != nil {
		t.Fatalf("click Quit: %v %s", err, out)
	}
	select {
	case <-sp.done:
	case <-time.After(20 * time.Second):
		t.Fatal("Quit in the tray menu did not end the Softphone")
	}
	if code := sp.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after Quit", code)
	}
	// The server saw the binding go (REGISTER with Expires 0) before the test stops it.
	waitFor(t, 10*time.Second, "the server: 1001 unregistered", func() bool { return unregistered.MatchString(srv.output()) })
}

// quitItemID finds the dbusmenu id of the "Quit" item in a GetLayout reply (-1 if none). Each
// item is "struct { int32 <id> array [ dict entry( string "label" variant string "Quit" ) …".
func quitItemID(layout string) int {
	id := -1
	sc := bufio.NewScanner(strings.NewReader(layout))
	last := -1
	idRe := regexp.MustCompile(`^\s*int32 (\d+)\s*$`)
	for sc.Scan() {
		line := sc.Text()
		if m := idRe.FindStringSubmatch(line); m != nil {
			last, _ = strconv.Atoi(m[1])
		}
		if strings.Contains(line, `string "Quit"`) {
			id = last
		}
	}
	return id
}

func anyHasSuffix(items []string, suffix string) bool {
	for _, it := range items {
		if strings.HasSuffix(it, suffix) {
			return true
		}
	}
	return false
}
