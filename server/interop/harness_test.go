package interop

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serverBinary is the vaihde binary built once by TestMain; buildErr says why it is missing.
var (
	serverBinary string
	buildErr     error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if !isShort() {
		dir, err := os.MkdirTemp("", "vaihde-interop-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "interop:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		serverBinary, buildErr = buildServer(dir)
	}
	return m.Run()
}

// isShort reads -test.short before testing.Short may be called (flags are parsed by m.Run).
func isShort() bool {
	for _, a := range os.Args[1:] {
		if a == "-test.short" || a == "-test.short=true" || a == "--test.short" {
			return true
		}
	}
	return false
}

// repoRoot finds the module root from this source file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func buildServer(dir string) (string, error) {
	out := filepath.Join(dir, "vaihde")
	cmd := exec.Command("go", "build", "-o", out, "./server/cmd/vaihde")
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./server/cmd/vaihde: %w\n%s", err, b)
	}
	return out, nil
}

// integration skips under -short and fails when a required third-party tool is missing: `make
// test` installs them, so a missing tool is a broken setup, not a reason to pass.
func integration(t *testing.T, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found in PATH (run packaging/install-deps.sh, or `make test`): %v", tool, err)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Processes

// logBuffer is an io.Writer shared by a process's stdout and stderr that tests can search.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
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

// tail returns the last n bytes of the log.
func (l *logBuffer) tail(n int) string {
	s := l.String()
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// proc is a child process in its own process group; stop kills the group.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *logBuffer
	done chan struct{}
	err  error // valid after done is closed
}

// startProc starts name with args in its own process group, logging to a buffer that is dumped
// into the test log when the test fails. The process group is killed when the test ends.
func startProc(t *testing.T, label string, dir string, stdin io.Reader, name string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	p := &proc{name: label, cmd: cmd, log: &logBuffer{}, done: make(chan struct{})}
	cmd.Stdout = p.log
	cmd.Stderr = p.log
	cmd.Stdin = stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s (%s): %v", label, name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("---- %s output (tail) ----\n%s", label, p.log.tail(6000))
		}
		// VAIHDE_INTEROP_LOGS=dir keeps every process's whole output, for debugging.
		if dir := os.Getenv("VAIHDE_INTEROP_LOGS"); dir != "" {
			name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name() + "-" + label + ".log")
			_ = os.WriteFile(filepath.Join(dir, name), []byte(p.log.String()), 0o644)
		}
	})
	return p
}

// stop terminates the process group: SIGTERM, then SIGKILL after a grace period.
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
	case <-time.After(4 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Anything left in the group (a grandchild that ignored SIGTERM) goes too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitLog polls the process output until re matches or the deadline passes.
func (p *proc) waitLog(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	var m []string
	ok := pollUntil(timeout, func() bool {
		m = re.FindStringSubmatch(p.log.String())
		return m != nil
	})
	if !ok {
		t.Fatalf("%s: no output matching %q within %v", p.name, re, timeout)
	}
	return m
}

// pollUntil calls cond every 100 ms until it returns true (true) or timeout passes (false).
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
// Ports

// freeUDPTCPPort returns a port free for both UDP and TCP on 127.0.0.1 (SIP listens on both),
// with the next port free too: baresip 1.0 also opens SIP over TLS on port+1.
func freeUDPTCPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen udp: %v", err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		ok := port < 65535 && portsFree(port, port+1) && claimPorts(port, port+1)
		u.Close()
		if ok {
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}

// portsFree reports whether TCP can listen on port and on next, and UDP on next (the caller
// holds port's UDP socket).
func portsFree(port, next int) bool {
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	for _, p := range []int{port, next} {
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		closers = append(closers, l)
	}
	u, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(next))
	if err != nil {
		return false
	}
	closers = append(closers, u)
	return true
}

// freeTCPPort returns a free TCP port on 127.0.0.1 that this test binary has not handed out.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	return freePortOf(t, func() (int, error) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	})
}

// freeUDPPort returns a free UDP port on 127.0.0.1 that this test binary has not handed out.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	return freePortOf(t, func() (int, error) {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	})
}

func freePortOf(t *testing.T, probe func() (int, error)) int {
	t.Helper()
	for range 50 {
		port, err := probe()
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		if claimPorts(port) {
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// handedOut holds every port given to a process of this test binary: the kernel may offer a
// closed probe's port again, and two processes told the same port (a control socket on another
// baresip's TLS port) talk to the wrong peer.
var (
	handedOutMu sync.Mutex
	handedOut   = map[int]bool{}
)

// claimPorts records ports as handed out, or reports false if any of them already was.
func claimPorts(ports ...int) bool {
	handedOutMu.Lock()
	defer handedOutMu.Unlock()
	for _, p := range ports {
		if handedOut[p] {
			return false
		}
	}
	for _, p := range ports {
		handedOut[p] = true
	}
	return true
}

// RTP port blocks come from 20000–29999, below Linux's ephemeral range (so 127.0.0.1:0 listeners
// of concurrently running tests do not take them), starting at a point derived from the PID so that
// two test binaries rarely pick the same block; each block is checked to be free before use.
const (
	rtpBlockBase  = 20000
	rtpBlockSize  = 100
	rtpBlockCount = 100
)

var (
	rtpMu   sync.Mutex
	rtpNext = os.Getpid() % rtpBlockCount
)

// rtpRange returns a block of rtpBlockSize UDP ports, all free right now: [lo, hi].
func rtpRange(t *testing.T) (lo, hi int) {
	t.Helper()
	rtpMu.Lock()
	defer rtpMu.Unlock()
	for range rtpBlockCount {
		lo = rtpBlockBase + rtpNext*rtpBlockSize
		rtpNext = (rtpNext + 1) % rtpBlockCount
		if udpBlockFree(lo, rtpBlockSize) {
			return lo, lo + rtpBlockSize - 1
		}
	}
	t.Fatal("no free RTP port block in 20000-29999")
	return 0, 0
}

func udpBlockFree(lo, n int) bool {
	var conns []net.PacketConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for p := lo; p < lo+n; p++ {
		c, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		conns = append(conns, c)
	}
	return true
}

// ---------------------------------------------------------------------------------------------
// The Vaihde server

// vaihde is a running server with the demo organisation (users 1001–1010, password demo<ext>).
type vaihde struct {
	*proc
	sipPort  int
	httpAddr string
	dir      string
}

// host is the server's SIP address "127.0.0.1:port"; requests to the server's IP are served as
// the demo organisation.
func (v *vaihde) host() string { return "127.0.0.1:" + strconv.Itoa(v.sipPort) }

// uri returns a SIP URI for user at the server.
func (v *vaihde) uri(user string) string { return "sip:" + user + "@" + v.host() }

// uriOf returns the SIP URI that reaches b's user through the server.
func (v *vaihde) uriOf(b *baresip) string { return v.uri(b.opts.User) }

const demoDomain = "demo.vaihde.local"

// startVaihde starts the server built by TestMain on free ports with a fresh database and waits
// until it answers OPTIONS. extra flags are appended to the command line.
func startVaihde(t *testing.T, extra ...string) *vaihde {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("server binary not built: %v", buildErr)
	}
	if serverBinary == "" {
		t.Fatal("server binary not built (TestMain did not run the build)")
	}
	dir := t.TempDir()
	sipPort := freeUDPTCPPort(t)
	httpAddr := "127.0.0.1:" + strconv.Itoa(freeTCPPort(t))
	lo, hi := rtpRange(t)
	args := []string{
		"-demo",
		"-sip-addr", "127.0.0.1:" + strconv.Itoa(sipPort),
		"-tls-addr", "127.0.0.1:" + strconv.Itoa(freeTCPPort(t)),
		"-http-addr", httpAddr,
		"-https-addr", "127.0.0.1:" + strconv.Itoa(freeTCPPort(t)),
		"-db", filepath.Join(dir, "vaihde.db"),
		"-rtp-port-min", strconv.Itoa(lo),
		"-rtp-port-max", strconv.Itoa(hi),
		"-log-level", "debug",
	}
	args = append(args, extra...)
	p := startProc(t, "vaihde", dir, nil, serverBinary, args...)
	v := &vaihde{proc: p, sipPort: sipPort, httpAddr: httpAddr, dir: dir}
	if err := waitOptions(v.host(), 30*time.Second, p); err != nil {
		t.Fatalf("vaihde did not answer OPTIONS on %s: %v", v.host(), err)
	}
	return v
}

// waitOptions sends OPTIONS over UDP until any SIP response arrives.
func waitOptions(hostport string, timeout time.Duration, p *proc) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for n := 1; time.Now().Before(deadline); n++ {
		if p != nil && p.exited() {
			return fmt.Errorf("process exited: %v", p.err)
		}
		code, err := sendOptions(hostport, n)
		if err == nil && code > 0 {
			return nil
		}
		lastErr = err
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("timeout after %v: %w", timeout, lastErr)
}

// sendOptions sends one OPTIONS request and returns the status code of the first response.
func sendOptions(hostport string, seq int) (int, error) {
	c, err := net.Dial("udp4", hostport)
	if err != nil {
		return 0, fmt.Errorf("dial %s: %w", hostport, err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	branch := fmt.Sprintf("z9hG4bK-interop-%d-%d", os.Getpid(), time.Now().UnixNano())
	msg := strings.Join([]string{
		"OPTIONS sip:" + hostport + " SIP/2.0",
		"Via: SIP/2.0/UDP " + local + ";rport;branch=" + branch,
		"Max-Forwards: 70",
		"From: <sip:probe@" + local + ">;tag=probe" + strconv.Itoa(seq),
		"To: <sip:" + hostport + ">",
		"Call-ID: probe-" + branch,
		"CSeq: " + strconv.Itoa(seq) + " OPTIONS",
		"Contact: <sip:probe@" + local + ">",
		"Accept: application/sdp",
		"Content-Length: 0",
		"", "",
	}, "\r\n")
	if _, err := c.Write([]byte(msg)); err != nil {
		return 0, fmt.Errorf("send OPTIONS: %w", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return 0, fmt.Errorf("read OPTIONS response: %w", err)
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "SIP/2.0" {
		return 0, fmt.Errorf("not a SIP response: %q", line)
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, fmt.Errorf("bad status line %q: %w", line, err)
	}
	return code, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
