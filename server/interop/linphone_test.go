package interop

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// linphone is a running linphonec 5.1 registered to the server, driven through stdin. It uses
// WAV files instead of a sound card: tone.wav is its microphone, rec.wav what it hears.
type linphone struct {
	*proc
	t     *testing.T
	user  string
	dir   string
	stdin io.WriteCloser
	tone  string
}

// startLinphone writes a linphonerc for user (identity in the demo domain, the server as
// outbound proxy; a database path, without which linphonec opens no SIP port) and starts
// linphonec with line-buffered output. It waits for the registration to succeed.
func startLinphone(t *testing.T, srv *vaihde, user string, toneHz float64) *linphone {
	t.Helper()
	dir := t.TempDir()
	tone := filepath.Join(dir, "tone.wav")
	writeToneWAV(t, tone, toneHz, 120)
	sipPort := freeUDPPort(t)
	lo, hi := rtpRange(t)
	rc := strings.Join([]string{
		"[sip]",
		"sip_port=" + strconv.Itoa(sipPort),
		"sip_tcp_port=-1",
		"sip_tls_port=-1",
		"default_proxy=0",
		"register_only_when_network_is_up=0",
		"register_only_when_upnp_is_ok=0",
		"guess_hostname=1",
		"inc_timeout=60",
		"ping_with_options=0",
		"",
		"[rtp]",
		fmt.Sprintf("audio_rtp_port=%d-%d", lo, lo+49),
		fmt.Sprintf("video_rtp_port=%d-%d", lo+50, lo+69),
		fmt.Sprintf("text_rtp_port=%d-%d", lo+70, hi),
		"",
		"[net]",
		"firewall_policy=0",
		"",
		"[storage]",
		"uri=" + filepath.Join(dir, "linphone.db"),
		"",
		"[misc]",
		"history_db_path=" + filepath.Join(dir, "history.db"),
		"zrtp_secrets_file=" + filepath.Join(dir, "zrtp-secrets.db"),
		"file_transfer_server_url=",
		"",
		"[sound]",
		"echocancellation=0",
		"",
		"[video]",
		"capture=0",
		"display=0",
		"automatically_initiate=0",
		"automatically_accept=0",
		"",
		"[proxy_0]",
		"reg_proxy=<sip:" + srv.host() + ";transport=udp>",
		"reg_route=<sip:" + srv.host() + ";transport=udp;lr>",
		"reg_identity=<sip:" + user + "@" + demoDomain + ">",
		"reg_expires=600",
		"reg_sendregister=1",
		"publish=0",
		"dial_escape_plus=0",
		"quality_reporting_enabled=0",
		"",
		"[auth_info_0]",
		"username=" + user,
		"userid=" + user,
		"passwd=demo" + user,
		"domain=" + demoDomain,
		"",
	}, "\n")
	rcPath := filepath.Join(dir, "linphonerc")
	writeFile(t, rcPath, rc)

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "linphonec-"+user, dir, pr, "stdbuf", "-oL", "-eL", "linphonec", "-c", rcPath)
	pr.Close()
	l := &linphone{proc: p, t: t, user: user, dir: dir, stdin: pw, tone: tone}
	t.Cleanup(func() { pw.Close() })
	// linphonec prints nothing by itself when it registers: ask until it says so.
	registeredRe := regexp.MustCompile(`(?m)(^|> )registered, identity=`)
	if !pollUntil(30*time.Second, func() bool {
		if p.exited() {
			return true
		}
		l.send("status register")
		time.Sleep(500 * time.Millisecond)
		return registeredRe.MatchString(p.log.String())
	}) || p.exited() {
		t.Fatalf("linphonec %s did not register within 30s", user)
	}
	l.send("soundcard use files")
	p.waitLog(t, regexp.MustCompile(`Using wav files instead of soundcard`), 10*time.Second)
	return l
}

// send writes one command line to linphonec.
func (l *linphone) send(cmd string) {
	l.t.Helper()
	if _, err := io.WriteString(l.stdin, cmd+"\n"); err != nil {
		l.t.Fatalf("linphonec %s: send %q: %v", l.user, cmd, err)
	}
}

// expect waits for output matching pattern after the offset (so that earlier lines don't match).
func (l *linphone) expect(from int, pattern string, timeout time.Duration) []string {
	l.t.Helper()
	re := regexp.MustCompile(pattern)
	var m []string
	if !pollUntil(timeout, func() bool {
		s := l.log.String()
		if from > len(s) {
			from = len(s)
		}
		m = re.FindStringSubmatch(s[from:])
		return m != nil
	}) {
		l.t.Fatalf("linphonec %s: no output matching %q within %v\n%s", l.user, pattern, timeout, tailString(l.log.String(), 3000))
	}
	return m
}

// offset is the current length of the output, for expect.
func (l *linphone) offset() int { return len(l.log.String()) }

// TestIntegrationLinphoneRegisterAndCall: linphonec registers (demo domain, server as proxy) and
// calls baresip; then baresip calls linphonec (which must be reachable at the contact it
// registered, GRUU or not). Audio is checked at both ends each time.
func TestIntegrationLinphoneRegisterAndCall(t *testing.T) {
	integration(t, "linphonec", "baresip", "stdbuf")
	srv := startVaihde(t)
	l := startLinphone(t, srv, "1001", toneA)
	b := registered(t, srv, "1002", toneB, true, "")

	// A failed subtest must not leave a call up for the next one.
	cleanCalls := func() {
		_, _ = b.ctrl.command("hangup", "", 5*time.Second)
		_, _ = io.WriteString(l.stdin, "terminate\n")
		time.Sleep(time.Second)
	}
	t.Run("linphonec calls baresip", func(t *testing.T) {
		defer cleanCalls()
		rec := filepath.Join(l.dir, "rec1.wav")
		off := l.offset()
		mb := b.mark()
		// Relative paths (linphonec runs in l.dir): its line input mangles long lines.
		l.send("record rec1.wav")
		l.send("play tone.wav")
		l.send("call sip:1002@" + demoDomain)
		b.waitEvent(mb, "CALL_ESTABLISHED", 30*time.Second, nil)
		l.expect(off, `Call \d+ with \S+ connected`, 30*time.Second)
		b.waitRecorded(4, 30*time.Second)
		waitWAV(t, rec, 4, 30*time.Second)
		off = l.offset()
		l.send("terminate")
		l.expect(off, `Call \d+ with \S+ ended`, 20*time.Second)
		b.waitEvent(mb, "CALL_CLOSED", 20*time.Second, nil)
		checkTone(t, "baresip hears linphonec", b.lastRecording(), toneA, toneB, 3)
		checkTone(t, "linphonec hears baresip", mustReadWAV(t, rec), toneB, toneA, 3)
	})

	t.Run("baresip calls linphonec", func(t *testing.T) {
		defer cleanCalls()
		rec := filepath.Join(l.dir, "rec2.wav")
		off := l.offset()
		l.send("autoanswer enable")
		l.send("record rec2.wav")
		l.send("play tone.wav")
		mb := b.mark()
		b.cmd("dial", srv.uri("1001"))
		b.waitEvent(mb, "CALL_ESTABLISHED", 30*time.Second, nil)
		l.expect(off, `connected`, 30*time.Second)
		b.waitRecorded(4, 30*time.Second)
		waitWAV(t, rec, 4, 30*time.Second)
		hangup(t, b)
		checkTone(t, "baresip hears linphonec", b.lastRecording(), toneA, toneB, 3)
		checkTone(t, "linphonec hears baresip", mustReadWAV(t, rec), toneB, toneA, 3)
	})
}

// TestIntegrationLinphoneAttendedTransfer: linphonec 1001 calls baresip 1002, holds that call,
// calls baresip 1003, and transfers the first call to the second (REFER with Replaces).
// linphonec's calls end; 1002 and 1003 then talk to each other, audio checked both ways (through
// PulseAudio: 1002 was held, and baresip's own recorder stops after a hold).
func TestIntegrationLinphoneAttendedTransfer(t *testing.T) {
	integration(t, "linphonec", "baresip", "stdbuf", "pulseaudio", "pactl", "pacat")
	pb := startPulseBox(t)
	srv := startVaihde(t)
	l := startLinphone(t, srv, "1001", toneA)
	b := startBaresip(t, srv, baresipOpts{User: "1002", Password: "demo1002", Register: true, ToneHz: toneB, AutoAnswer: true, Pulse: pb})
	c := startBaresip(t, srv, baresipOpts{User: "1003", Password: "demo1003", Register: true, ToneHz: toneC, AutoAnswer: true, Pulse: pb})
	b.waitRegistered()
	c.waitRegistered()
	hears := func(x *baresip, from int, freq float64, n int, timeout time.Duration) bool {
		return pollUntil(timeout, func() bool { return hasWindow(toneFrames(x.speaker.since(t, from), freq), n) })
	}

	l.send("play tone.wav")
	off := l.offset()
	mb, mc := b.mark(), c.mark()
	startB := b.speaker.samples()
	l.send("call sip:1002@" + demoDomain)
	b.waitEvent(mb, "CALL_ESTABLISHED", 30*time.Second, nil)
	first := l.expect(off, `Call (\d+) with \S+ connected`, 30*time.Second)[1]
	if !hears(b, startB, toneA, 10, 20*time.Second) {
		t.Fatalf("1002 does not hear linphonec")
	}

	off = l.offset()
	l.send("pause " + first) // linphonec refuses a second call while one is active
	l.expect(off, `(?i)paused`, 15*time.Second)
	off = l.offset()
	startC := c.speaker.samples()
	l.send("call sip:1003@" + demoDomain)
	c.waitEvent(mc, "CALL_ESTABLISHED", 30*time.Second, nil)
	second := l.expect(off, `Call (\d+) with \S+ connected`, 30*time.Second)[1]
	if first == second {
		t.Fatalf("both calls have id %s", first)
	}
	if !hears(c, startC, toneA, 10, 20*time.Second) {
		t.Fatalf("1003 does not hear linphonec")
	}

	off = l.offset()
	mb, mc = b.mark(), c.mark()
	l.send("transfer " + first + " --to-call " + second)
	// linphonec's own calls end once the transfer is done.
	l.expect(off, `Call `+first+` with \S+ ended`, 30*time.Second)
	l.expect(off, `Call `+second+` with \S+ ended`, 30*time.Second)
	afterB, afterC := b.speaker.samples(), c.speaker.samples()
	okB := hears(b, afterB, toneC, 15, 30*time.Second)
	okC := hears(c, afterC, toneB, 15, 15*time.Second)
	t.Logf("1002 hearing 1003 (700 Hz) after transfer: %s", frameString(toneFrames(b.speaker.since(t, afterB), toneC)))
	t.Logf("1003 hearing 1002 (1000 Hz) after transfer: %s", frameString(toneFrames(c.speaker.since(t, afterC), toneB)))
	if !okB || !okC {
		t.Fatalf("after the attended transfer 1002 and 1003 do not hear each other (1002: %s; 1003: %s)", b.ctrl.summary(), c.ctrl.summary())
	}
	// Whichever of them hangs up, the other's call ends too.
	if ev, ok := b.ctrl.find(mb, func(e ctrlEvent) bool { return e.Type == "CALL_CLOSED" }); ok {
		t.Logf("1002's call was replaced (%s)", ev.Param)
	}
	hangup(t, b, c)
}

// waitWAV waits until the WAV that linphonec is recording at path holds at least seconds of
// audio. linphonec writes the RIFF header only when the recording is closed, so the size counts
// (as 8 kHz 16-bit mono, what it records for G.711).
func waitWAV(t *testing.T, path string, seconds float64, timeout time.Duration) {
	t.Helper()
	var got float64
	if !pollUntil(timeout, func() bool {
		st, err := os.Stat(path)
		if err != nil {
			return false
		}
		got = float64(st.Size()-44) / 16000
		return got >= seconds
	}) {
		entries, _ := os.ReadDir(filepath.Dir(path))
		var names []string
		for _, e := range entries {
			if fi, err := e.Info(); err == nil {
				names = append(names, fmt.Sprintf("%s (%d bytes)", e.Name(), fi.Size()))
			}
		}
		t.Fatalf("%s holds %.1fs of audio, want ≥ %.1fs within %v; directory: %s", path, got, seconds, timeout, strings.Join(names, ", "))
	}
}

// mustReadWAV reads a WAV that linphonec has finished (its header is written on close).
func mustReadWAV(t *testing.T, path string) pcm {
	t.Helper()
	var p pcm
	var err error
	if !pollUntil(10*time.Second, func() bool {
		p, err = readWAV(path)
		return err == nil
	}) {
		t.Fatalf("linphonec's recording: %v", err)
	}
	return p
}
