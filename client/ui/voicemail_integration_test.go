package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/client/voicemail"
	"github.com/vaihde/vaihde/client/voicemail/voicemailtest"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/tone"
)

// realServer is the vaihde binary running the demo organisation on 127.0.0.1.
type realServer struct {
	sipPort, httpPort int
	log               *syncBuf
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startRealServer(t *testing.T) *realServer {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "vaihde")
	build := exec.Command("go", "build", "-o", bin, "./server/cmd/vaihde")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build server: %v\n%s", err, out)
	}
	s := &realServer{sipPort: freePort(t), httpPort: freePort(t), log: &syncBuf{}}
	rtp := 30000 + (s.sipPort%1000)*10
	args := []string{"-demo", "-db", filepath.Join(t.TempDir(), "v.db"),
		"-sip-addr", "127.0.0.1:" + strconv.Itoa(s.sipPort), "-tls-addr", "127.0.0.1:" + strconv.Itoa(freePort(t)),
		"-http-addr", "127.0.0.1:" + strconv.Itoa(s.httpPort), "-https-addr", "",
		"-rtp-port-min", strconv.Itoa(rtp), "-rtp-port-max", strconv.Itoa(rtp + 9)}
	if st, err := os.Stat(filepath.Join(root, "assets", "prompts", "fi")); err == nil && st.IsDir() {
		args = append(args, "-prompts-dir", filepath.Join(root, "assets", "prompts"))
	}
	srv := exec.Command(bin, args...)
	srv.Env = append(os.Environ(), "VAIHDE_SMS_PROVIDER=outbox", "VAIHDE_SMS_OUTBOX="+t.TempDir())
	srv.Stdout, srv.Stderr = s.log, s.log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.log.String(), "vaihde ready") {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// leaveMessage has baresip (ext, registered) call callee, whose phone is not registered, so the
// call goes to voicemail; baresip plays a 440 Hz tone through the greeting and for some
// seconds of message, then hangs up. It returns false when baresip is not installed.
func leaveMessage(t *testing.T, s *realServer, ext, callee string) bool {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		return false
	}
	dir := t.TempDir()
	wav := voicemailtest.WAV(voicemailtest.Tone(440, 60, 8000), 8000)
	if err := os.WriteFile(filepath.Join(dir, "tone.wav"), wav, 0o644); err != nil {
		t.Fatal(err)
	}
	sipPort, ctrlPort := freePort(t), freePort(t)
	rtp := 31000 + (s.sipPort%1000)*20
	cfg := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
audio_player aufile,%s/heard.wav
audio_alert aufile,%s/alert.wav
audio_source aufile,%s/tone.wav
audio_level no
rtp_ports %d-%d
statmode_default off
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:%d
`, sipPort, dir, dir, dir, rtp, rtp+19, ctrlPort)
	acc := fmt.Sprintf("<sip:%s@demo.vaihde.local>;outbound=\"sip:127.0.0.1:%d;lr\";auth_user=%s;auth_pass=demo%s;regint=300\n",
		ext, s.sipPort, ext, ext)
	for name, text := range map[string]string{"config": cfg, "accounts": acc, "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out syncBuf
	b := exec.Command("baresip", "-f", dir)
	b.Stdout, b.Stderr = &out, &out
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Process.Kill(); _ = b.Wait() })
	waitLog := func(what string, timeout time.Duration, cond func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for !cond(strings.ToLower(out.String())) {
			if time.Now().After(deadline) {
				t.Fatalf("baresip: no %s:\n%s", what, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitLog("registration", 30*time.Second, func(s string) bool { return strings.Contains(s, "200 ok") })
	ctrl := func(cmd, params string) {
		t.Helper()
		msg, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": "t"})
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(ctrlPort), 5*time.Second)
		if err != nil {
			t.Fatalf("baresip control: %v", err)
		}
		defer c.Close()
		if _, err := fmt.Fprintf(c, "%d:%s,", len(msg), msg); err != nil {
			t.Fatalf("baresip control: %v", err)
		}
		time.Sleep(200 * time.Millisecond) // let baresip read it before the connection closes
	}
	ctrl("dial", "sip:"+callee+"@demo.vaihde.local")
	waitLog("established call", 30*time.Second, func(s string) bool { return strings.Contains(s, "established") })
	// The greeting (about 14 s in Finnish with the number read out), the beep, then about six
	// seconds of message; '#' ends it and the server says "message saved" and hangs up.
	time.Sleep(21 * time.Second)
	ctrl("sndcode", "#")
	waitLog("hang-up", 30*time.Second, func(s string) bool { return strings.Contains(s, "terminated") })
	return true
}

// TestIntegrationVoicemailTabAndForwardingRealServer runs the real server with the demo
// organisation. A baresip caller (1003) reaches 1004, who is not registered: the call goes to
// 1004's voicemail and leaves a message (440 Hz). Then 1004's Softphone (real engine, people
// book, mailbox) logs in: the Voicemail tab shows the message with the badge; Play sends the
// caller's tone to the chosen output device and the badge clears through the server's event;
// Delete removes it from the server. The forwarding and voicemail settings screen saves to
// the server, shows the server's refusal, and changes the PIN.
func TestIntegrationVoicemailTabAndForwardingRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := startRealServer(t)
	haveMessage := leaveMessage(t, srv, "1003", "1004")
	if !haveMessage {
		t.Log("baresip not installed: the message part is skipped")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := test.NewTempApp(t)
	loop := &mainLoop{q: make(chan func(), 4096)}
	eng, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	book := people.NewBook(eng, people.Options{})
	speakers := &audiotest.Backend{}
	mb := voicemail.NewMailbox(eng.Session, voicemail.Options{Player: voicemail.DevicePlayer{Backend: speakers,
		Device: func() string { return "Headset" }}})
	unsub := book.OnEvent(mb.HandleEvent)
	u := New(ctx, a, Options{
		Controller: eng, People: book, Voicemail: mb, Settings: settings.NewStore(t.TempDir()),
		Prefill: phone.Account{Server: "127.0.0.1:" + strconv.Itoa(srv.sipPort), APIURL: "http://127.0.0.1:" + strconv.Itoa(srv.httpPort),
			User: "1004", Password: "demo1004"},
	})
	u.do = loop.do
	u.blurAfter = 0
	u.Start()
	t.Cleanup(func() {
		u.Close()
		unsub()
		mb.Close()
		book.Close()
		lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Logout(lctx)
		eng.Close()
	})
	loop.until(t, 30*time.Second, "registration", func() bool { return eng.Snapshot().Reg == phone.Registered })
	book.Start(ctx) // what client/cmd/softphone does after each login
	loop.until(t, 30*time.Second, "the people book live", func() bool { return u.peopleSnap.Loaded && u.peopleSnap.Live })
	base, token, ok := eng.Session()
	if !ok {
		t.Fatal("no API session after login")
	}
	apiC := &people.Client{BaseURL: base, Token: token, HTTP: &http.Client{Timeout: 10 * time.Second}}

	if haveMessage {
		l, err := apiC.Voicemails(ctx)
		if len(l.Messages) == 0 {
			t.Logf("server log:\n%s", srv.log.String())
		}
		loop.until(t, 20*time.Second, "the message in the Voicemail tab", func() bool {
			return len(u.vm.rows) == 1 && u.vmTab.Text == "1"
		})
		row := u.vm.rows[0]
		if row.CallBack != "1003" || !row.New || row.Length == "0:00" {
			t.Fatalf("row %+v: want a new message from 1003", row.VoicemailRow)
		}
		u.SelectTab(TabVoicemail)
		test.Tap(row.play)
		loop.until(t, 20*time.Second, "playback to start and the badge to clear", func() bool {
			return len(u.vm.rows) == 1 && u.vm.rows[0].Playing && !u.vm.rows[0].New && u.vmTab.Text == ""
		})
		loop.until(t, 30*time.Second, "three seconds played", func() bool {
			sinks := speakers.Sinks("Headset")
			return len(sinks) == 1 && len(sinks[0].Samples()) >= 3*8000
		})
		played := speakers.Sinks("Headset")[0].Samples()
		secs := 0.0
		for off := 0; off+800 <= len(played); off += 800 {
			if f := played[off : off+800]; tone.RMS(f) > 0.02 && tone.Share(f, 440, 8000) > 0.8 {
				secs += 0.1
			}
		}
		t.Logf("played %.1f s, %.1f s of it the caller's 440 Hz", float64(len(played))/8000, secs)
		if secs < 1.5 {
			t.Fatalf("the output device did not get the caller's tone (%.1f s of 440 Hz)", secs)
		}
		l, err = apiC.Voicemails(ctx)
		if err != nil || len(l.Messages) != 1 || !l.Messages[0].Heard || l.Counts != (api.VoicemailCounts{Old: 1}) {
			t.Fatalf("server mailbox after play %+v, %v", l, err)
		}
		test.Tap(u.vm.rows[0].play) // stop
		test.Tap(u.vm.rows[0].del)
		test.Tap(u.vm.delConfirm)
		loop.until(t, 10*time.Second, "the row gone", func() bool { return len(u.vm.rows) == 0 && u.vm.empty.Visible() })
		if l, err := apiC.Voicemails(ctx); err != nil || len(l.Messages) != 0 {
			t.Fatalf("server mailbox after delete %+v, %v", l, err)
		}
	}

	// Forwarding and voicemail settings round trip.
	u.SelectTab(TabSettings)
	test.Tap(u.prefs.forwarding)
	loop.until(t, 10*time.Second, "the forwarding screen loaded", func() bool { return u.fwd != nil && u.fwd.loaded })
	v := u.fwd
	if len(v.actRoutes) == 0 {
		t.Fatal("no activity rows: the organisation's activities did not reach the screen")
	}
	v.immOn.SetChecked(true)
	v.immNum.SetText("1002")
	v.busy.sel.SetSelected("Number")
	v.busy.num.SetText("040 123 4567")
	v.noAns.sel.SetSelected("No forwarding")
	v.ring.SetSelected("30 s")
	v.actRoutes[4].sel.SetSelected("Voicemail")
	v.bypass.SetChecked(true)
	v.custService.SetText("1005")
	test.Tap(v.hoursOn) // Mon–Fri 08:00–16:00, voicemail outside
	v.end.SetSelected("16:30")
	test.Tap(v.save)
	loop.until(t, 10*time.Second, "saved", func() bool { return v.saved.Visible() || v.errText.Visible() })
	if v.errText.Visible() {
		t.Fatalf("save refused: %q", v.errText.Text)
	}
	f, err := apiC.Forwarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server forwarding %+v", f)
	if f.Immediate != "1002" || f.Busy != "+358401234567" || f.NoAnswer != api.ForwardNone || f.RingTimeSeconds != 30 ||
		len(f.Activities) != 1 || f.Activities[0].Activity != 4 || f.Activities[0].Target != api.ForwardVoicemail {
		t.Fatalf("server forwarding %+v", f)
	}
	if want := (&api.OfficeHours{Days: []int{1, 2, 3, 4, 5}, Start: "08:00", End: "16:30", Outside: api.ForwardVoicemail}); !reflect.DeepEqual(f.Hours, want) {
		t.Fatalf("server office hours %+v, want %+v", f.Hours, want)
	}
	vs, err := apiC.VoicemailSettings(ctx)
	if err != nil || !vs.OfferBypass || vs.CustomerService != "1005" {
		t.Fatalf("server voicemail settings %+v, %v", vs, err)
	}
	if v.busy.num.Text != "+358401234567" {
		t.Errorf("the form does not show the server's normalised number: %q", v.busy.num.Text)
	}

	// The server's refusal, in its words.
	v.busy.num.SetText("call me maybe")
	test.Tap(v.save)
	loop.until(t, 10*time.Second, "the refusal", func() bool { return v.errText.Visible() })
	if v.errText.Text != "busy: not a phone number" {
		t.Errorf("refusal shown as %q", v.errText.Text)
	}

	// PIN.
	v.pin.SetText("2468")
	test.Tap(v.pinBtn)
	loop.until(t, 10*time.Second, "the PIN result", func() bool { return v.pinMsg.Visible() })
	if v.pinMsg.Text != "PIN changed." {
		t.Fatalf("PIN: %q", v.pinMsg.Text)
	}
	if vs, err := apiC.VoicemailSettings(ctx); err != nil || !vs.HasPIN {
		t.Fatalf("server has no PIN: %+v, %v", vs, err)
	}
}
