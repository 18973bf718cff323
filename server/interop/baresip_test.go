package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// baresipOpts describes one baresip user agent.
type baresipOpts struct {
	User       string  // extension, e.g. "1001"
	Password   string  // digest password; empty: no credentials configured
	Register   bool    // register with the server (regint); false: only make/receive direct calls
	AutoAnswer bool    // answermode=auto
	ToneHz     float64 // frequency of the tone baresip sends as its microphone
	Codecs     string  // audio_codecs account parameter, e.g. "PCMA"; empty: PCMU and PCMA
	Domain     string  // AOR domain; empty: the server's address (served as the demo org)
	// Pulse, if set, makes baresip play to its own PulseAudio null sink, recorded as speaker.
	Pulse *pulseBox
	// Contacts, if set, are SIP URIs written to baresip's contacts file; contact.so is loaded,
	// so that "message TEXT" sends an instant message to the current contact (the first one;
	// "contact_next" moves on). The cons.so UI is loaded too: received messages are printed
	// only to a UI, which the test reads over TCP (consolePort).
	Contacts []string
	// TLS, if set, makes the account use SIP over TLS to the server's TLS port (its certificate
	// trusted as CA), with media encryption MediaEnc ("srtp-mand", "srtp"; the srtp module).
	TLS *baresipTLS
}

// baresipTLS is the server's SIP TLS listener as a baresip account sees it.
type baresipTLS struct {
	Port     int    // the server's TLS port on 127.0.0.1
	CAFile   string // the server's certificate (PEM), trusted by baresip
	MediaEnc string // mediaenc account parameter; empty: none
}

// baresip is a running baresip 1.0 with its own config dir, driven through ctrl_tcp.
type baresip struct {
	*proc
	t       *testing.T
	opts    baresipOpts
	dir     string
	recDir  string
	sipPort int
	aor     string
	ctrl    *ctrlConn
	speaker *rawRec // what baresip played, when started with Pulse
	// consolePort is the TCP port of the cons.so UI (0: not loaded), console its output; see
	// baresipOpts.Contacts.
	consolePort int
	console     *logBuffer
}

// startBaresip writes a config dir for o and starts baresip with it. Its microphone is an aufile
// source playing a tone; everything it decodes is written by the sndfile filter to recDir.
func startBaresip(t *testing.T, srv *vaihde, o baresipOpts) *baresip {
	t.Helper()
	dir := t.TempDir()
	recDir := filepath.Join(dir, "rec")
	if err := os.Mkdir(recDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tone := filepath.Join(dir, "tone.wav")
	if o.ToneHz == 0 {
		o.ToneHz = 440
	}
	writeToneWAV(t, tone, o.ToneHz, 120)
	sipPort := freeUDPTCPPort(t)
	ctrlPort := freeTCPPort(t)
	lo, hi := rtpRange(t)

	player, playerModule := "aubridge,play-"+o.User, "aubridge.so"
	if o.Pulse != nil {
		sink := "spk" + o.User
		o.Pulse.addSink(t, sink)
		player, playerModule = "pulse,"+sink, "pulse.so"
	}
	if _, err := os.Stat(filepath.Join("/usr/lib/baresip/modules", playerModule)); err != nil {
		// baresip's pulse module is in the Debian package baresip-x11 (make deps installs it).
		t.Fatalf("baresip module %s missing (%v): run `make deps`", playerModule, err)
	}
	config := strings.Join([]string{
		"poll_method epoll",
		"sip_listen 127.0.0.1:" + strconv.Itoa(sipPort),
		"net_interface 127.0.0.1", // otherwise baresip 1.0 puts the first non-loopback address in SDP
		"call_local_timeout 120",
		"call_max_calls 4",
		"audio_player " + player,
		"audio_alert " + player,
		"audio_source aufile," + tone,
		"audio_level no",
		"rtp_ports " + strconv.Itoa(lo) + "-" + strconv.Itoa(hi),
		"rtcp_mux no",
		"jitter_buffer_delay 1-10",
		"statmode_default off",
		"module_path /usr/lib/baresip/modules",
		"module g711.so",
		"module " + playerModule,
		"module aufile.so",
		"module sndfile.so",
		"module_tmp uuid.so",
		"module_tmp account.so",
		"module_app menu.so",
		"module_app ctrl_tcp.so",
		"ctrl_tcp_listen 127.0.0.1:" + strconv.Itoa(ctrlPort),
		"snd_path " + recDir,
		"",
	}, "\n")
	consolePort := 0
	if o.TLS != nil {
		if _, err := os.Stat("/usr/lib/baresip/modules/srtp.so"); err != nil {
			t.Fatalf("baresip module srtp.so missing (%v): run `make deps`", err)
		}
		config += "module srtp.so\nsip_cafile " + o.TLS.CAFile + "\n"
	}
	if len(o.Contacts) > 0 {
		consolePort = freeUDPTCPPort(t) // cons.so listens on both
		config += "module_app contact.so\nmodule cons.so\ncons_listen 127.0.0.1:" + strconv.Itoa(consolePort) + "\n"
	}
	writeFile(t, filepath.Join(dir, "config"), config)

	domain := o.Domain
	switch {
	case domain == "" && srv != nil:
		domain = srv.host()
	case domain == "":
		domain = "127.0.0.1:" + strconv.Itoa(sipPort) // no server: direct calls only
	}
	aor := "sip:" + o.User + "@" + domain
	if o.TLS != nil {
		aor = "sip:" + o.User + "@127.0.0.1:" + strconv.Itoa(o.TLS.Port) + ";transport=tls"
	}
	acct := "<" + aor + ">"
	if o.TLS != nil && o.TLS.MediaEnc != "" {
		acct += ";mediaenc=" + o.TLS.MediaEnc
	}
	if o.Domain != "" && srv != nil {
		acct += ";outbound=\"sip:" + srv.host() + ";lr\""
	}
	if o.Password != "" {
		acct += ";auth_user=" + o.User + ";auth_pass=" + o.Password
	}
	if o.Register {
		acct += ";regint=300"
	} else {
		acct += ";regint=0"
	}
	if o.AutoAnswer {
		acct += ";answermode=auto"
	}
	if o.Codecs != "" {
		acct += ";audio_codecs=" + o.Codecs
	}
	// The account is created over the control channel once it is connected (uanew), so that no
	// registration event happens before anyone listens.
	writeFile(t, filepath.Join(dir, "accounts"), "")
	var contacts strings.Builder
	for _, c := range o.Contacts {
		contacts.WriteString("<" + c + ">\n")
	}
	writeFile(t, filepath.Join(dir, "contacts"), contacts.String())

	p := startProc(t, "baresip-"+o.User, dir, nil, "baresip", "-f", dir)
	b := &baresip{proc: p, t: t, opts: o, dir: dir, recDir: recDir, sipPort: sipPort, aor: aor, consolePort: consolePort}
	ctrl, err := dialCtrl(p, "127.0.0.1:"+strconv.Itoa(ctrlPort), 20*time.Second)
	if err != nil {
		t.Fatalf("baresip %s: control channel: %v", o.User, err)
	}
	b.ctrl = ctrl
	t.Cleanup(ctrl.close)
	if o.Pulse != nil {
		b.speaker = o.Pulse.record(t, "spk"+o.User+".monitor")
	}
	if consolePort != 0 { // before the account exists, so that no message is printed unseen
		b.console = openConsole(t, b)
	}
	b.cmd("uanew", acct)
	return b
}

// openConsole connects to b's cons.so UI, where baresip 1.0 prints received messages as
// `<from URI>: "<text>"`, and collects its output.
func openConsole(t *testing.T, b *baresip) *logBuffer {
	t.Helper()
	var conn net.Conn
	var err error
	if !pollUntil(20*time.Second, func() bool {
		conn, err = net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(b.consolePort), time.Second)
		return err == nil
	}) {
		t.Fatalf("baresip %s console: %v", b.opts.User, err)
	}
	out := &logBuffer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(out, conn)
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
		if t.Failed() {
			t.Logf("---- baresip %s console ----\n%s", b.opts.User, out.tail(3000))
		}
	})
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// cmd runs a baresip command ("dial", "hangup", "hold", "sndcode", …) and fails the test if
// baresip reports an error.
func (b *baresip) cmd(command, params string) string {
	b.t.Helper()
	data, err := b.ctrl.command(command, params, 15*time.Second)
	if err != nil {
		b.t.Fatalf("baresip %s: /%s %s: %v", b.opts.User, command, params, err)
	}
	return data
}

// waitEvent waits for an event of the given type (and, if check is non-nil, satisfying it) among
// the events received since mark.
func (b *baresip) waitEvent(mark int, typ string, timeout time.Duration, check func(ctrlEvent) bool) ctrlEvent {
	b.t.Helper()
	ev, err := b.ctrl.wait(mark, timeout, func(e ctrlEvent) bool {
		return e.Type == typ && (check == nil || check(e))
	})
	if err != nil {
		b.t.Fatalf("baresip %s: waiting for %s: %v (events: %s)", b.opts.User, typ, err, b.ctrl.summary())
	}
	return ev
}

// mark returns a position in the event history; waitEvent(mark, …) looks only at later events.
func (b *baresip) mark() int { return b.ctrl.mark() }

// hasEvent reports whether an event of type typ arrived since mark.
func (b *baresip) hasEvent(mark int, typ string) bool {
	_, ok := b.ctrl.find(mark, func(e ctrlEvent) bool { return e.Type == typ })
	return ok
}

// waitRegistered waits for REGISTER_OK.
func (b *baresip) waitRegistered() {
	b.t.Helper()
	b.waitEvent(0, "REGISTER_OK", 30*time.Second, nil)
}

// recordings returns the decode-side WAV files written so far, oldest first.
func (b *baresip) recordings() []string {
	m, _ := filepath.Glob(filepath.Join(b.recDir, "dump-*-dec.wav"))
	sort.Slice(m, func(i, j int) bool {
		si, _ := os.Stat(m[i])
		sj, _ := os.Stat(m[j])
		if si == nil || sj == nil {
			return m[i] < m[j]
		}
		return si.ModTime().Before(sj.ModTime())
	})
	return m
}

// lastRecording reads the newest decode-side recording.
func (b *baresip) lastRecording() pcm {
	b.t.Helper()
	recs := b.recordings()
	if len(recs) == 0 {
		b.t.Fatalf("baresip %s: no recording in %s", b.opts.User, b.recDir)
	}
	p, err := readWAV(recs[len(recs)-1])
	if err != nil {
		b.t.Fatalf("baresip %s: %v", b.opts.User, err)
	}
	return p
}

// recordedSeconds returns the length of the newest recording (0 if none).
func (b *baresip) recordedSeconds() float64 {
	recs := b.recordings()
	if len(recs) == 0 {
		return 0
	}
	p, err := readWAV(recs[len(recs)-1])
	if err != nil {
		return 0
	}
	return p.seconds()
}

// waitRecorded waits until the newest recording holds at least seconds of audio.
func (b *baresip) waitRecorded(seconds float64, timeout time.Duration) {
	b.t.Helper()
	if !pollUntil(timeout, func() bool { return b.recordedSeconds() >= seconds }) {
		b.t.Fatalf("baresip %s: received %.1fs of audio, want ≥ %.1fs within %v", b.opts.User, b.recordedSeconds(), seconds, timeout)
	}
}

// ---------------------------------------------------------------------------------------------
// ctrl_tcp: netstring-framed JSON. Commands {"command","params","token"} get a response
// {"response":true,"ok":…,"data":…,"token":…}; events {"event":true,"type":…} arrive unasked.

type ctrlEvent struct {
	Event      bool   `json:"event"`
	Response   bool   `json:"response"`
	OK         bool   `json:"ok"`
	Data       string `json:"data"`
	Token      string `json:"token"`
	Type       string `json:"type"`
	Class      string `json:"class"`
	AccountAOR string `json:"accountaor"`
	Direction  string `json:"direction"`
	PeerURI    string `json:"peeruri"`
	ID         string `json:"id"`
	Param      string `json:"param"`
	At         time.Time
}

type ctrlConn struct {
	conn net.Conn

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever events or responses arrive
	events  []ctrlEvent
	resps   map[string]ctrlEvent
	readErr error
	seq     int
	done    chan struct{}
}

func dialCtrl(p *proc, addr string, timeout time.Duration) (*ctrlConn, error) {
	var conn net.Conn
	var err error
	ok := pollUntil(timeout, func() bool {
		if p.exited() {
			return true
		}
		conn, err = net.DialTimeout("tcp", addr, time.Second)
		return err == nil
	})
	if p.exited() {
		return nil, fmt.Errorf("baresip exited: %v", p.err)
	}
	if !ok {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c := &ctrlConn{conn: conn, changed: make(chan struct{}), resps: map[string]ctrlEvent{}, done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

func (c *ctrlConn) close() {
	c.conn.Close()
	<-c.done
}

func (c *ctrlConn) readLoop() {
	defer close(c.done)
	r := bufio.NewReader(c.conn)
	for {
		msg, err := readNetstring(r)
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			c.notifyLocked()
			c.mu.Unlock()
			return
		}
		var e ctrlEvent
		if err := json.Unmarshal(msg, &e); err != nil {
			continue // not ours to judge; keep reading
		}
		e.At = time.Now()
		c.mu.Lock()
		if e.Response {
			c.resps[e.Token] = e
		} else if e.Event {
			c.events = append(c.events, e)
		}
		c.notifyLocked()
		c.mu.Unlock()
	}
}

func (c *ctrlConn) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func readNetstring(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadString(':')
	if err != nil {
		return nil, fmt.Errorf("read netstring length: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(head, ":")))
	if err != nil || n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("bad netstring length %q", head)
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("read netstring body: %w", err)
	}
	if buf[n] != ',' {
		return nil, fmt.Errorf("netstring not terminated by ','")
	}
	return buf[:n], nil
}

func (c *ctrlConn) command(command, params string, timeout time.Duration) (string, error) {
	c.mu.Lock()
	c.seq++
	token := "t" + strconv.Itoa(c.seq)
	c.mu.Unlock()
	msg, err := json.Marshal(map[string]string{"command": command, "params": params, "token": token})
	if err != nil {
		return "", fmt.Errorf("encode command: %w", err)
	}
	frame := strconv.Itoa(len(msg)) + ":" + string(msg) + ","
	if _, err := c.conn.Write([]byte(frame)); err != nil {
		return "", fmt.Errorf("send command: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		c.mu.Lock()
		r, ok := c.resps[token]
		rerr := c.readErr
		ch := c.changed
		c.mu.Unlock()
		if ok {
			if !r.OK {
				return r.Data, fmt.Errorf("baresip: %s", r.Data)
			}
			return r.Data, nil
		}
		if rerr != nil {
			return "", fmt.Errorf("control channel closed: %w", rerr)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", fmt.Errorf("no response within %v", timeout)
		}
	}
}

func (c *ctrlConn) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

func (c *ctrlConn) find(from int, match func(ctrlEvent) bool) (ctrlEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := from; i < len(c.events); i++ {
		if match(c.events[i]) {
			return c.events[i], true
		}
	}
	return ctrlEvent{}, false
}

func (c *ctrlConn) wait(from int, timeout time.Duration, match func(ctrlEvent) bool) (ctrlEvent, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		c.mu.Lock()
		for i := from; i < len(c.events); i++ {
			if match(c.events[i]) {
				e := c.events[i]
				c.mu.Unlock()
				return e, nil
			}
		}
		from = len(c.events)
		rerr := c.readErr
		ch := c.changed
		c.mu.Unlock()
		if rerr != nil {
			return ctrlEvent{}, fmt.Errorf("control channel closed: %w", rerr)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctrlEvent{}, fmt.Errorf("not within %v", timeout)
		}
	}
}

// summary lists the event types seen, for failure messages.
func (c *ctrlConn) summary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s []string
	for _, e := range c.events {
		if e.Type == "CALL_RTCP" {
			continue
		}
		s = append(s, e.Type+"("+e.Param+")")
	}
	return strings.Join(s, " ")
}

// recMark is a position in baresip's newest recording.
type recMark struct {
	file    string
	samples int
}

// recordMark notes the newest recording and its current length.
func (b *baresip) recordMark() recMark {
	recs := b.recordings()
	if len(recs) == 0 {
		return recMark{}
	}
	f := recs[len(recs)-1]
	p, err := readWAV(f)
	if err != nil {
		return recMark{file: f}
	}
	return recMark{file: f, samples: len(p.samples)}
}

// audioSince returns what b received after m: the rest of m's file, or, if a newer call started a
// new recording, that whole recording.
func (b *baresip) audioSince(m recMark) pcm {
	b.t.Helper()
	p := b.lastRecording()
	recs := b.recordings()
	if m.file != "" && recs[len(recs)-1] == m.file {
		return p.slice(m.samples, len(p.samples))
	}
	return p
}

// waitAudioSince waits until b has received at least seconds of audio after m.
func (b *baresip) waitAudioSince(m recMark, seconds float64, timeout time.Duration) {
	b.t.Helper()
	ok := pollUntil(timeout, func() bool {
		recs := b.recordings()
		if len(recs) == 0 {
			return false
		}
		p, err := readWAV(recs[len(recs)-1])
		if err != nil {
			return false
		}
		if recs[len(recs)-1] == m.file {
			p = p.slice(m.samples, len(p.samples))
		}
		return p.seconds() >= seconds
	})
	if !ok {
		b.t.Fatalf("baresip %s: received less than %.1fs of audio within %v", b.opts.User, seconds, timeout)
	}
}

// logContains reports whether baresip has printed s.
func (b *baresip) logContains(s string) bool { return strings.Contains(b.log.String(), s) }

// waitLogContains waits until baresip has printed s.
func (b *baresip) waitLogContains(t *testing.T, s string) {
	t.Helper()
	if !pollUntil(10*time.Second, func() bool { return b.logContains(s) }) {
		t.Fatalf("baresip %s never printed %q", b.opts.User, s)
	}
}
