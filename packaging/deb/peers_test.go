package deb_test

// The test's processes and phones: a small copy of server/interop's baresip harness (test
// helpers cannot be imported across packages): baresip 1.0 driven over ctrl_tcp, playing a tone
// as its microphone (aufile) and writing what it decodes to WAV files (sndfile).

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/tone"
)

// logBuffer collects a process's output.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// proc is a child process in its own process group; stop (also at the test's end) ends the group.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  *logBuffer
	done chan struct{}
	err  error
}

func startProc(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: cmd, log: &logBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			out := p.log.String()
			if len(out) > 6000 {
				out = "…" + out[len(out)-6000:]
			}
			t.Logf("---- %s output (tail) ----\n%s", name, out)
		}
	})
	return p
}

// stop sends SIGTERM to the group, SIGKILL after 15 s (the server's shutdown takes up to 10 s).
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) waitLog(re *regexp.Regexp, timeout time.Duration) {
	p.t.Helper()
	if !pollUntil(timeout, func() bool { return re.MatchString(p.log.String()) || p.exited() }) || !re.MatchString(p.log.String()) {
		p.t.Fatalf("%s: no output matching %q within %v (exited: %v %v)", p.name, re, timeout, p.exited(), p.err)
	}
}

func pollUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------------------------
// baresip

type baresip struct {
	*proc
	user   string
	recDir string
	ctrl   *ctrlConn
}

// startBaresip starts a phone for ext of the test organisation, registering through the
// server as its outbound proxy, sending a tone of hz; autoAnswer answers calls.
func startBaresip(t *testing.T, ports testPorts, ext string, hz float64, autoAnswer bool) *baresip {
	t.Helper()
	dir := t.TempDir()
	recDir := filepath.Join(dir, "rec")
	if err := os.Mkdir(recDir, 0o755); err != nil {
		t.Fatal(err)
	}
	toneFile := filepath.Join(dir, "tone.wav")
	writeToneWAV(t, toneFile, hz, 120)
	sipPort, ctrlPort := freeUDPTCPPort(t), freeTCPPort(t)
	lo, hi := rtpRange(t)
	config := strings.Join([]string{
		"poll_method epoll",
		"sip_listen 127.0.0.1:" + strconv.Itoa(sipPort),
		"net_interface 127.0.0.1",
		"call_local_timeout 120",
		"audio_player aubridge,play-" + ext,
		"audio_alert aubridge,play-" + ext,
		"audio_source aufile," + toneFile,
		"audio_level no",
		"rtp_ports " + strconv.Itoa(lo) + "-" + strconv.Itoa(hi),
		"rtcp_mux no",
		"jitter_buffer_delay 1-10",
		"statmode_default off",
		"module_path /usr/lib/baresip/modules",
		"module g711.so",
		"module aubridge.so",
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
	for name, content := range map[string]string{"config": config, "accounts": "", "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("baresip", "-f", dir)
	cmd.Dir = dir
	b := &baresip{proc: startProc(t, "baresip-"+ext, cmd), user: ext, recDir: recDir}
	ctrl, err := dialCtrl(b.proc, "127.0.0.1:"+strconv.Itoa(ctrlPort), 20*time.Second)
	if err != nil {
		t.Fatalf("baresip %s: control channel: %v", ext, err)
	}
	b.ctrl = ctrl
	t.Cleanup(ctrl.close)
	acct := "<sip:" + ext + "@" + domain + ">;outbound=\"sip:" + ports.sipAddr() + ";lr\"" +
		";auth_user=" + ext + ";auth_pass=pw-" + ext + "-secret;regint=300"
	if autoAnswer {
		acct += ";answermode=auto"
	}
	b.cmd("uanew", acct)
	return b
}

func (b *baresip) cmd(command, params string) string {
	b.t.Helper()
	data, err := b.ctrl.command(command, params, 15*time.Second)
	if err != nil {
		b.t.Fatalf("baresip %s: /%s %s: %v", b.user, command, params, err)
	}
	return data
}

func (b *baresip) mark() int { return b.ctrl.mark() }

func (b *baresip) waitEvent(mark int, typ string, timeout time.Duration) {
	b.t.Helper()
	if err := b.ctrl.wait(mark, typ, timeout); err != nil {
		b.t.Fatalf("baresip %s: waiting for %s: %v (events: %s)", b.user, typ, err, b.ctrl.summary())
	}
}

func (b *baresip) waitRegistered() {
	b.t.Helper()
	b.waitEvent(0, "REGISTER_OK", 30*time.Second)
}

// recordings are the decode-side WAVs, one per call, oldest first.
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

func (b *baresip) recordingCount() int { return len(b.recordings()) }

func (b *baresip) lastRecording(t *testing.T) pcm {
	t.Helper()
	recs := b.recordings()
	if len(recs) == 0 {
		t.Fatalf("baresip %s recorded nothing", b.user)
	}
	return readWAVFile(t, recs[len(recs)-1])
}

func (b *baresip) newestSeconds(after int) float64 {
	recs := b.recordings()
	if len(recs) <= after {
		return 0
	}
	p, err := readWAV(recs[len(recs)-1])
	if err != nil {
		return 0
	}
	return p.seconds()
}

// waitRecorded waits until the newest recording holds seconds of audio.
func (b *baresip) waitRecorded(seconds float64, timeout time.Duration) {
	b.t.Helper()
	b.waitNewRecording(0, seconds, timeout)
}

// waitNewRecording waits until a recording newer than the first after holds seconds of audio.
func (b *baresip) waitNewRecording(after int, seconds float64, timeout time.Duration) {
	b.t.Helper()
	if !pollUntil(timeout, func() bool { return b.newestSeconds(after) >= seconds }) {
		b.t.Fatalf("baresip %s: received %.1f s of audio, want ≥ %.1f s within %v", b.user, b.newestSeconds(after), seconds, timeout)
	}
}

// ctrlConn is baresip's ctrl_tcp: netstring-framed JSON commands, responses and events.
type ctrlConn struct {
	conn net.Conn

	mu      sync.Mutex
	changed chan struct{}
	events  []string // event types, in order
	resps   map[string]ctrlMsg
	readErr error
	seq     int
	done    chan struct{}
}

type ctrlMsg struct {
	Event    bool   `json:"event"`
	Response bool   `json:"response"`
	OK       bool   `json:"ok"`
	Data     string `json:"data"`
	Token    string `json:"token"`
	Type     string `json:"type"`
}

func dialCtrl(p *proc, addr string, timeout time.Duration) (*ctrlConn, error) {
	var conn net.Conn
	var err error
	pollUntil(timeout, func() bool {
		if p.exited() {
			return true
		}
		conn, err = net.DialTimeout("tcp", addr, time.Second)
		return err == nil
	})
	if p.exited() {
		return nil, fmt.Errorf("baresip exited: %v", p.err)
	}
	if conn == nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c := &ctrlConn{conn: conn, changed: make(chan struct{}), resps: map[string]ctrlMsg{}, done: make(chan struct{})}
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
		c.mu.Lock()
		if err != nil {
			c.readErr = err
		} else {
			var m ctrlMsg
			if json.Unmarshal(msg, &m) == nil {
				if m.Response {
					c.resps[m.Token] = m
				} else if m.Event {
					c.events = append(c.events, m.Type)
				}
			}
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func readNetstring(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(head, ":")))
	if err != nil || n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("bad netstring length %q", head)
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	if buf[n] != ',' {
		return nil, fmt.Errorf("netstring not terminated by ','")
	}
	return buf[:n], nil
}

// await blocks until ready (called with c.mu held) is true, the connection fails or timeout.
func (c *ctrlConn) await(timeout time.Duration, ready func() bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		c.mu.Lock()
		ok, rerr, ch := ready(), c.readErr, c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("control channel closed: %w", rerr)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("not within %v", timeout)
		}
	}
}

func (c *ctrlConn) command(command, params string, timeout time.Duration) (string, error) {
	c.mu.Lock()
	c.seq++
	token := "t" + strconv.Itoa(c.seq)
	c.mu.Unlock()
	msg, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": token})
	if _, err := c.conn.Write([]byte(strconv.Itoa(len(msg)) + ":" + string(msg) + ",")); err != nil {
		return "", fmt.Errorf("send command: %w", err)
	}
	var r ctrlMsg
	err := c.await(timeout, func() bool {
		var ok bool
		r, ok = c.resps[token]
		return ok
	})
	if err != nil {
		return "", err
	}
	if !r.OK {
		return r.Data, fmt.Errorf("baresip: %s", r.Data)
	}
	return r.Data, nil
}

func (c *ctrlConn) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

func (c *ctrlConn) wait(from int, typ string, timeout time.Duration) error {
	return c.await(timeout, func() bool {
		for _, e := range c.events[min(from, len(c.events)):] {
			if e == typ {
				return true
			}
		}
		return false
	})
}

func (c *ctrlConn) summary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s []string
	for _, e := range c.events {
		if e != "CALL_RTCP" {
			s = append(s, e)
		}
	}
	return strings.Join(s, " ")
}

// ---------------------------------------------------------------------------------------------
// Audio

// writeToneWAV writes a mono 16-bit 8 kHz sine (half of full scale) for baresip's aufile.
func writeToneWAV(t *testing.T, path string, freq float64, seconds int) {
	t.Helper()
	const rate = 8000
	n := rate * seconds
	data := make([]byte, 44+2*n)
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1)
	binary.LittleEndian.PutUint16(data[22:], 1)
	binary.LittleEndian.PutUint32(data[24:], rate)
	binary.LittleEndian.PutUint32(data[28:], rate*2)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*n))
	for i := range n {
		s := 0.5 * math.Sin(2*math.Pi*freq*float64(i)/rate)
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(int16(s*32767)))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type pcm struct {
	rate    int
	samples []float64
}

func (p pcm) seconds() float64 {
	if p.rate == 0 {
		return 0
	}
	return float64(len(p.samples)) / float64(p.rate)
}

func readWAVFile(t *testing.T, path string) pcm {
	t.Helper()
	p, err := readWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// readWAV reads a 16-bit PCM WAV (the first channel); a data chunk whose size was never fixed
// up (a writer still open) is read to the end of the file.
func readWAV(path string) (pcm, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return pcm{}, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return pcm{}, fmt.Errorf("%s: not a RIFF/WAVE file", path)
	}
	var rate, channels, bits int
	for off := 12; off+8 <= len(b); {
		id, size, body := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:])), off+8
		switch id {
		case "fmt ":
			if body+16 > len(b) {
				return pcm{}, fmt.Errorf("%s: short fmt chunk", path)
			}
			channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits = int(binary.LittleEndian.Uint16(b[body+14:]))
		case "data":
			if bits != 16 || channels < 1 || rate <= 0 {
				return pcm{}, fmt.Errorf("%s: want 16-bit PCM, got %d bits, %d channels", path, bits, channels)
			}
			end := body + size
			if size == 0 || size == 0xffffffff || end > len(b) {
				end = len(b)
			}
			frame := 2 * channels
			out := pcm{rate: rate, samples: make([]float64, (end-body)/frame)}
			for i := range out.samples {
				out.samples[i] = float64(int16(binary.LittleEndian.Uint16(b[body+i*frame:]))) / 32768
			}
			return out, nil
		}
		off = body + size + size%2
	}
	return pcm{}, fmt.Errorf("%s: no data chunk", path)
}

// checkTone fails the test unless p has at least 2 s of 100 ms frames loud enough, in which
// want carries most of the energy and other (the far end's own tone) next to none.
func checkTone(t *testing.T, what string, p pcm, want, other float64) {
	t.Helper()
	frame := p.rate / 10
	var shares, others []float64
	for off := 0; frame > 0 && off+frame <= len(p.samples); off += frame {
		f := p.samples[off : off+frame]
		var sq float64
		for _, v := range f {
			sq += v * v
		}
		if math.Sqrt(sq/float64(len(f))) < 0.02 {
			continue
		}
		shares = append(shares, tone.WindowedShare(f, want, p.rate))
		others = append(others, tone.WindowedShare(f, other, p.rate))
	}
	voiced := float64(len(shares)) / 10
	share, otherShare := median(shares), median(others)
	t.Logf("%s: %.1f s, %.1f s voiced, %.0f Hz share %.2f, %.0f Hz share %.2f", what, p.seconds(), voiced, want, share, other, otherShare)
	if voiced < 2 || share < 0.6 || otherShare > 0.1 {
		t.Errorf("%s: want ≥ 2 s voiced with %.0f Hz ≥ 0.6 and %.0f Hz ≤ 0.1", what, want, other)
	}
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[len(s)/2]
}
