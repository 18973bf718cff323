package link

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestSendWithoutInstance(t *testing.T) {
	if err := Send(context.Background(), t.TempDir(), "tel:1"); !errors.Is(err, ErrNoInstance) {
		t.Fatalf("Send with no file: %v, want ErrNoInstance", err)
	}
	// A stale file (the Softphone was killed): nothing listens at its address.
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data, _ := json.Marshal(instanceInfo{Addr: addr, Token: "x"})
	if err := os.WriteFile(filepath.Join(dir, InstanceFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Send(context.Background(), dir, "tel:1"); !errors.Is(err, ErrNoInstance) {
		t.Fatalf("Send with a stale file: %v, want ErrNoInstance", err)
	}
}

func TestClaimSendServe(t *testing.T) {
	dir := t.TempDir()
	l, err := Claim(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, InstanceFile))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", InstanceFile, fi.Mode().Perm())
	}
	got := make(chan string, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Serve(ctx, func(s string) { got <- s })
	}()
	for _, want := range []string{"tel:+358401234567", "sip:1002@demo.vaihde.local", ""} {
		if err := Send(context.Background(), dir, want); err != nil {
			t.Fatalf("Send(%q): %v", want, err)
		}
		select {
		case s := <-got:
			if s != want {
				t.Fatalf("received %q, want %q", s, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("link %q never arrived", want)
		}
	}

	// Another local user knows the port but not the token.
	c, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte(`{"token":"guess","link":"tel:112"}` + "\n"))
	buf := make([]byte, 16)
	n, _ := c.Read(buf)
	c.Close()
	if string(buf[:n]) != "denied\n" {
		t.Errorf("wrong token answered %q, want denied", buf[:n])
	}
	// A client that sends an endless line is cut off, and the listener goes on.
	c, err = net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		junk := make([]byte, 1024)
		for range 10 {
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
	}()
	if err := Send(context.Background(), dir, "tel:1002"); err != nil {
		t.Fatalf("Send after junk: %v", err)
	}
	c.Close()
	if s := <-got; s != "tel:1002" {
		t.Fatalf("after junk received %q", s)
	}
	select {
	case s := <-got:
		t.Fatalf("refused messages reached open: %q", s)
	default:
	}

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := os.Stat(filepath.Join(dir, InstanceFile)); !os.IsNotExist(err) {
		t.Errorf("%s left behind after Close: %v", InstanceFile, err)
	}
	if err := Send(context.Background(), dir, "tel:1"); !errors.Is(err, ErrNoInstance) {
		t.Fatalf("Send after Close: %v, want ErrNoInstance", err)
	}
}

// A second Claim (the first Softphone hung and the file was replaced) does not let the first
// remove the second one's file on exit.
func TestCloseKeepsOthersFile(t *testing.T) {
	dir := t.TempDir()
	a, err := Claim(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Claim(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.Close()
	data, err := os.ReadFile(filepath.Join(dir, InstanceFile))
	if err != nil {
		t.Fatalf("b's file removed by a: %v", err)
	}
	var info instanceInfo
	if err := json.Unmarshal(data, &info); err != nil || info.Addr != b.Addr() {
		t.Fatalf("file %s, want b's address %s", data, b.Addr())
	}
}
