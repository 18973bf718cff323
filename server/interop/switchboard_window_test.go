package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

// Issue 11, acceptance 2: the operator flow of TestIntegrationSwitchboardOperatorFlow through
// the real Softphone window (the softphone binary: Fyne on GLFW under Xvfb, PortAudio on a
// PulseAudio null sink) with X key presses only (xdotool over XTEST), no clicks. What happened
// is checked at the phones (baresip events and the tones they hear) and at the server; the
// Softphone's log says what each key did and what the operator saw (the target's phone state).

// xWindow is the Softphone's window on a private X display.
type xWindow struct {
	t       *testing.T
	display string
	id      string
}

// startXvfb starts Xvfb on a free display and points this process and its children at it.
func startXvfb(t *testing.T) string {
	t.Helper()
	for n := 90 + os.Getpid()%50; n < 400; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		d := ":" + strconv.Itoa(n)
		p := startProc(t, "xvfb", t.TempDir(), nil, "Xvfb", d, "-screen", "0", "1280x900x24", "-nolisten", "tcp")
		if pollUntil(20*time.Second, func() bool {
			_, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
			return err == nil || p.exited()
		}) && !p.exited() {
			t.Setenv("DISPLAY", d)
			return d
		}
	}
	t.Fatal("no free X display for Xvfb")
	return ""
}

// xdo runs xdotool on the display.
func (w *xWindow) xdo(args ...string) string {
	w.t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+w.display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		w.t.Fatalf("xdotool %s: %v %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// findWindow waits for the Softphone's window and gives it the keyboard focus.
func findWindow(t *testing.T, display string) *xWindow {
	t.Helper()
	w := &xWindow{t: t, display: display}
	var id string
	if !pollUntil(30*time.Second, func() bool {
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Softphone")
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := cmd.Output()
		id = strings.TrimSpace(strings.Split(strings.TrimSpace(string(out)), "\n")[0])
		return id != ""
	}) {
		t.Fatal("the Softphone window did not appear")
	}
	w.id = id
	w.xdo("windowfocus", "--sync", id)
	return w
}

// key presses keys (xdotool names: F2, ctrl+k, Escape) one after the other.
func (w *xWindow) key(keys ...string) {
	w.t.Helper()
	for _, k := range keys {
		w.xdo("key", "--clearmodifiers", k)
		time.Sleep(150 * time.Millisecond) // one frame for Fyne to handle it
	}
}

// typeText types text letter by letter into the focused field.
func (w *xWindow) typeText(text string) {
	w.t.Helper()
	w.xdo("type", "--delay", "120", text)
	time.Sleep(300 * time.Millisecond)
}

// shot saves a screenshot of the window (for the test's record and for README).
func (w *xWindow) shot(path string) {
	w.t.Helper()
	cmd := exec.Command("import", "-window", w.id, path)
	cmd.Env = append(os.Environ(), "DISPLAY="+w.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Logf("screenshot %s: %v %s", path, err, out)
	}
}

// waitAction waits for the Softphone's log line of a switchboard key after from (a log
// length) and returns it.
func waitAction(t *testing.T, sp *proc, from int, key string) string {
	t.Helper()
	re := regexp.MustCompile(`msg="switchboard action(?: failed)?" key=` + regexp.QuoteMeta(key) + `\b[^\n]*`)
	var line string
	if !pollUntil(20*time.Second, func() bool {
		s := sp.log.String()
		if from > len(s) {
			from = 0
		}
		line = re.FindString(s[from:])
		return line != ""
	}) {
		t.Fatalf("the Softphone did not act on %s:\n%s", key, sp.log.tail(3000))
	}
	t.Logf("window key %s: %s", key, line)
	if strings.Contains(line, "action failed") {
		t.Fatalf("%s failed in the window: %s", key, line)
	}
	return line
}

// TestIntegrationSwitchboardWindowKeyboardOnly runs acceptance 1's flow through the real
// window with the keyboard only: F2 answers a caller from 8010, Ctrl+F and typing find Mikko,
// who is on a call, Ctrl+K camps the caller on him and they talk when he hangs up; Ctrl+P parks
// a caller whom 1001 retrieves; F7 to Erik, F9 back, F7 to Mikko and F8 is an announced
// transfer; Ctrl+G picks up a call ringing at Erik.
func TestIntegrationSwitchboardWindowKeyboardOnly(t *testing.T) {
	integration(t, "baresip", "pulseaudio", "pactl", "pacat", "Xvfb", "xdotool", "import")
	pb := startPulseBox(t)
	ps := softphoneSinks(t, pb)
	display := startXvfb(t)
	srv := startVaihde(t, "-prompts-dir", promptsDir(t))
	caller := startBaresip(t, srv, baresipOpts{User: "1003", Password: "demo1003", Register: true, ToneHz: toneCaller, Pulse: pb})
	mikko := startBaresip(t, srv, baresipOpts{User: "1002", Password: "demo1002", Register: true, ToneHz: tone1002, AutoAnswer: true, Pulse: pb})
	aino := registered(t, srv, "1001", tone1001, false, "")
	erik := registered(t, srv, "1006", tone1006, false, "")
	caller.waitRegistered()
	mikko.waitRegistered()
	opAPI := newAgentAPI(t, srv, "1009")
	ph := switchboardPhones{srv: srv, caller: caller, mikko: mikko, aino: aino, erik: erik}

	bin := filepath.Join(t.TempDir(), "softphone")
	build := exec.Command("go", "build", "-o", bin, "./client/cmd/softphone")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./client/cmd/softphone: %v\n%s", err, out)
	}
	ps.play(t, "mic", toneOperator) // the operator's voice into the Softphone's microphone
	cfgDir := t.TempDir()
	sp := startProc(t, "softphone", cfgDir, nil, bin, "-config-dir", cfgDir, "-no-keychain",
		"-server", srv.host(), "-api", "http://"+srv.httpAddr, "-user", "1009", "-password", "demo1009")
	if !pollUntil(40*time.Second, func() bool { return strings.Contains(sp.log.String(), "state=Registered") }) {
		t.Fatalf("the Softphone did not register:\n%s", sp.log.tail(3000))
	}
	w := findWindow(t, display)
	shots := os.Getenv("VAIHDE_SHOTS_DIR") // set: the real window's screenshots go there (README)
	shot := func(name string) {
		dir := shots
		if dir == "" {
			dir = t.TempDir()
		}
		w.shot(filepath.Join(dir, name))
	}
	ringShot := false
	answer := func() {
		t.Helper()
		opAPI.waitState(api.AgentAvailable, 20*time.Second)
		from := len(sp.log.String())
		queueCall(t, srv, caller, "8010")
		if !pollUntil(20*time.Second, func() bool { return strings.Contains(sp.log.String()[from:], "incoming call") }) {
			t.Fatalf("the queue call did not reach the Softphone:\n%s", sp.log.tail(3000))
		}
		time.Sleep(500 * time.Millisecond) // the ringing call is on screen
		if !ringShot {
			ringShot = true
			shot("switchboard-window-ringing.png")
		}
		from = len(sp.log.String())
		w.key("F2")
		waitAction(t, sp, from, "F2")
		heard(t, caller, "caller hears the operator (window)", toneOperator)
	}
	search := func(text string) {
		t.Helper()
		w.key("ctrl+f", "Escape")
		w.typeText(text)
		time.Sleep(time.Second) // presence is live: the lamp is up to date
	}
	press := func(key, logKey string) string {
		t.Helper()
		from := len(sp.log.String())
		w.key(key)
		return waitAction(t, sp, from, logKey)
	}

	t.Log("==== camp-on")
	dial(t, aino, mikko, srv.uri("1002"))
	answer()
	search("mikk")
	shot("switchboard-window.png")
	mm, cm := mikko.mark(), caller.mark()
	line := press("ctrl+k", "Ctrl+K")
	if !strings.Contains(line, "target=1002") || !strings.Contains(line, `target_phone="On a call"`) {
		t.Fatalf("camp-on was not on Mikko shown busy: %s", line)
	}
	ph.campedCallConnects(t, mm, cm)

	t.Log("==== park and retrieve")
	answer()
	press("ctrl+p", "Ctrl+P")
	ph.retrieveParked(t, opAPI.token)

	t.Log("==== announced transfer with a way back")
	answer()
	search("erik")
	me := erik.mark()
	if line := press("F7", "F7"); !strings.Contains(line, "target=1006") {
		t.Fatalf("F7 did not consult Erik: %s", line)
	}
	erik.waitEvent(me, "CALL_INCOMING", 20*time.Second, nil)
	press("F9", "F9")
	erik.waitEvent(me, "CALL_CLOSED", 20*time.Second, nil)
	heard(t, caller, "caller hears the operator again after F9 (window)", toneOperator)
	search("mikk")
	mm = mikko.mark()
	if line := press("F7", "F7"); !strings.Contains(line, "target=1002") {
		t.Fatalf("F7 did not consult Mikko: %s", line)
	}
	waitEstablished(t, mikko, mm, "the consultation call (window)")
	heard(t, mikko, "Mikko hears the operator announce (window)", toneOperator)
	press("F8", "F8")
	ph.talk(t, mikko, "announced transfer (window)")

	t.Log("==== directed pickup")
	me = erik.mark()
	caller.cmd("dial", srv.uri("1006"))
	erik.waitEvent(me, "CALL_INCOMING", 20*time.Second, nil)
	search("erik")
	if line := press("ctrl+g", "Ctrl+G"); !strings.Contains(line, "target=1006") || !strings.Contains(line, `target_phone=Ringing`) {
		t.Fatalf("pickup was not of Erik shown ringing: %s", line)
	}
	erik.waitEvent(me, "CALL_CLOSED", 20*time.Second, nil)
	heard(t, caller, "caller hears the operator who picked up (window)", toneOperator)
	hangup(t, caller)
}
