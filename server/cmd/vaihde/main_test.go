package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	shared "github.com/vaihde/vaihde/shared/api"
)

// syncBuffer is a goroutine-safe buffer for the server's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestIntegrationRunDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	httpAddr := freePort(t)
	sipAddr := freePort(t)
	env := map[string]string{"VAIHDE_DB_PATH": filepath.Join(t.TempDir(), "v.db")}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-http-addr", httpAddr, "-https-addr", freePort(t), "-sip-addr", sipAddr}, func(k string) string { return env[k] }, &out, &errOut)
	}()
	deadline := time.Now().Add(20 * time.Second)
	var lr shared.LoginResponse
	for {
		body, _ := json.Marshal(shared.LoginRequest{User: "1001", Password: "demo1001"})
		res, err := http.Post("http://"+httpAddr+"/api/login", "application/json", bytes.NewReader(body))
		if err == nil {
			json.NewDecoder(res.Body).Decode(&lr)
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not come up: %v\n%s", err, errOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if lr.Profile.Name != "Aino Virtanen" {
		t.Fatalf("profile %+v", lr.Profile)
	}
	for _, want := range []string{"1001", "demo1001", "Aino Virtanen", "1010", sipAddr} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("demo table lacks %q:\n%s", want, out.String())
		}
	}
	// SIP is up: an OPTIONS over UDP is answered.
	c, err := net.Dial("udp", sipAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "OPTIONS sip:demo.vaihde.local SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKmain\r\nFrom: <sip:t@x>;tag=1\r\nTo: <sip:demo.vaihde.local>\r\nCall-ID: main-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", c.LocalAddr())
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		t.Fatalf("OPTIONS: %q %v", buf[:n], err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown within 15 s")
	}
	if strings.Contains(errOut.String(), "demo1001") {
		t.Fatal("a password reached the log")
	}
}

func TestBadConfig(t *testing.T) {
	err := run(context.Background(), []string{"-rtp-port-min", "70000"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "rtp_port_min 70000 out of range") {
		t.Fatalf("err = %v", err)
	}
}
