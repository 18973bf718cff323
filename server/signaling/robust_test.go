package signaling

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// optionsMsg is a valid OPTIONS request as a peer on laddr would send it over transport.
func optionsMsg(transport, laddr, callID string) string {
	return fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/%s %s;branch=z9hG4bK%s;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:probe@%s>;tag=p1\r\n"+
		"To: <sip:%s>\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: 1 OPTIONS\r\n"+
		"Content-Length: 0\r\n\r\n", testDomain, transport, laddr, callID, testDomain, testDomain, callID)
}

// garbage is malformed input a hostile or broken peer may send.
func garbage() map[string][]byte {
	junk := make([]byte, 1200)
	rand.New(rand.NewSource(1)).Read(junk)
	huge := bytes.Repeat([]byte("A"), 60000)
	return map[string][]byte{
		"binary junk":             junk,
		"nul bytes":               make([]byte, 64),
		"request line only":       []byte("INVITE sip:1002@demo.vaihde.local SIP/2.0\r\n\r\n"),
		"missing call-id":         []byte("OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKa\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"),
		"register no to":          []byte("REGISTER sip:demo.vaihde.local SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKb\r\nFrom: <sip:a@b>;tag=1\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@1.2.3.4>\r\nContent-Length: 0\r\n\r\n"),
		"register bad contact":    []byte("REGISTER sip:demo.vaihde.local SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKc\r\nFrom: <sip:1001@demo.vaihde.local>;tag=1\r\nTo: <sip:1001@demo.vaihde.local>\r\nCall-ID: y\r\nCSeq: 1 REGISTER\r\nContact: <<<>>>;;;===\r\nExpires: -5\r\nAuthorization: Digest username=\"1001\", realm=\"demo.vaihde.local\r\nContent-Length: 0\r\n\r\n"),
		"broken headers":          []byte("OPTIONS sip:x SIP/2.0\r\nVia: \r\nFrom: <<<\r\nTo\r\n: :\r\nCSeq: x y z\r\n\r\n"),
		"huge content-length":     []byte("OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKd\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: z\r\nCSeq: 1 OPTIONS\r\nContent-Length: 999999999\r\n\r\nabc"),
		"negative content-length": []byte("OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKe\r\nCall-ID: z\r\nCSeq: 1 OPTIONS\r\nContent-Length: -1\r\n\r\n"),
		"long header line":        append([]byte("OPTIONS sip:x SIP/2.0\r\nX-Long: "), append(huge, "\r\n\r\n"...)...),
		"bare response":           []byte("SIP/2.0 200 OK\r\n\r\n"),
		"stray response":          []byte("SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKf\r\nCall-ID: q\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"),
		"crlf keepalive":          []byte("\r\n\r\n"),
		"unknown method":          []byte("FOO sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKg\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: w\r\nCSeq: 1 FOO\r\nContent-Length: 0\r\n\r\n"),
	}
}

// probeUDP sends a valid OPTIONS from conn and waits up to 1 s for its 200, retransmitting
// after 500 ms (T1) as any SIP client over UDP does, since a flood may overflow socket buffers.
func probeUDP(t *testing.T, conn *net.UDPConn, callID string) {
	t.Helper()
	msg := []byte(optionsMsg("UDP", conn.LocalAddr().String(), callID))
	start := time.Now()
	deadline := start.Add(time.Second)
	retransmit := start.Add(500 * time.Millisecond)
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	for {
		wait := deadline
		if !retransmit.IsZero() {
			wait = retransmit
		}
		conn.SetReadDeadline(wait)
		n, err := conn.Read(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() && !retransmit.IsZero() {
				retransmit = time.Time{}
				conn.Write(msg)
				continue
			}
			t.Fatalf("no answer to OPTIONS %s within 1 s: %v", callID, err)
		}
		res := string(buf[:n])
		if strings.Contains(res, "Call-ID: "+callID) {
			if !strings.HasPrefix(res, "SIP/2.0 200") {
				t.Fatalf("OPTIONS answered %q", strings.SplitN(res, "\r\n", 2)[0])
			}
			if d := time.Since(start); d > 300*time.Millisecond {
				t.Logf("OPTIONS %s answered after %v", callID, d)
			}
			return
		}
	}
}

func probeTCP(t *testing.T, addr, callID string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte(optionsMsg("TCP", conn.LocalAddr().String(), callID))); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Fatalf("TCP OPTIONS %s: %q %v", callID, line, err)
	}
}

func TestIntegrationOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	conn := dialUDP(t, ts.Addr("udp"))
	conn.Write([]byte(optionsMsg("UDP", conn.LocalAddr().String(), "opt-1")))
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg := string(buf[:n])
	for _, want := range []string{"SIP/2.0 200", "Allow: ", "REGISTER", "OPTIONS", "Accept: application/sdp", "Supported: "} {
		if !strings.Contains(msg, want) {
			t.Fatalf("OPTIONS answer lacks %q:\n%s", want, msg)
		}
	}
	probeTCP(t, ts.Addr("tcp"), "opt-2")
}

// dialUDP connects a UDP socket to addr for the rest of the test.
func dialUDP(t testing.TB, addr string) *net.UDPConn {
	t.Helper()
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp", nil, a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestIntegrationMalformedUDP(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	conn := dialUDP(t, ts.Addr("udp"))
	for name, data := range garbage() {
		if _, err := conn.Write(data); err != nil {
			t.Fatalf("%s: write: %v", name, err)
		}
		probeUDP(t, conn, "udp-"+strings.ReplaceAll(name, " ", "-"))
	}
}

func TestIntegrationMalformedTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	for name, data := range garbage() {
		conn, err := net.DialTimeout("tcp", ts.Addr("tcp"), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		conn.Write(data) // the server may close on us: that is fine
		probeTCP(t, ts.Addr("tcp"), "tcp-"+strings.ReplaceAll(name, " ", "-"))
		conn.Close()
	}
	// And on one connection: garbage without a body claim, then a valid request.
	conn, err := net.DialTimeout("tcp", ts.Addr("tcp"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("\r\n\r\nFOO\r\n\r\n"))
	probeTCP(t, ts.Addr("tcp"), "tcp-after")
}

func TestIntegrationGarbageFloodNoLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServer(t, seededDB(t))
	conn := dialUDP(t, ts.Addr("udp"))
	probeUDP(t, conn, "warm-up")

	var cases [][]byte
	for name, d := range garbage() {
		if name != "long header line" { // 60 KB datagrams would only test the kernel's buffers
			cases = append(cases, d)
		}
	}
	measure := func() (int, uint64) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return runtime.NumGoroutine(), m.HeapAlloc
	}
	g0, h0 := measure()
	for i := 0; i < 10_000; i++ {
		conn.Write(cases[i%len(cases)])
		if i%200 == 0 {
			time.Sleep(2 * time.Millisecond) // let the server drain its socket buffer
		}
	}
	// TCP: many short connections that send garbage and hang up.
	for i := 0; i < 300; i++ {
		c, err := net.DialTimeout("tcp", ts.Addr("tcp"), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(cases[i%len(cases)])
		c.Close()
	}
	probeUDP(t, conn, "after-flood")
	probeTCP(t, ts.Addr("tcp"), "after-flood-tcp")
	var g1 int
	var h1 uint64
	deadline := time.Now().Add(20 * time.Second)
	for {
		g1, h1 = measure()
		if g1 <= g0+5 && h1 < h0+16<<20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("goroutines %d → %d, heap %d KB → %d KB", g0, g1, h0>>10, h1>>10)
	if g1 > g0+5 {
		t.Fatalf("goroutines grew from %d to %d", g0, g1)
	}
	if h1 > h0+16<<20 {
		t.Fatalf("heap grew from %d KB to %d KB", h0>>10, h1>>10)
	}
}
