package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/selfcert"
	shared "github.com/vaihde/vaihde/shared/api"
)

// startRun runs the server with args on the database in dir until the returned stop is called.
func startRun(t *testing.T, dir string, args ...string) (stop func(), errOut *syncBuffer) {
	t.Helper()
	env := map[string]string{"VAIHDE_DB_PATH": filepath.Join(dir, "v.db")}
	ctx, cancel := context.WithCancel(context.Background())
	errOut = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, &syncBuffer{}, errOut) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("no graceful shutdown within 15 s")
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errOut.String(), "vaihde ready") {
		select {
		case err := <-done:
			t.Fatalf("run ended: %v\n%s", err, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up:\n%s", errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return stop, errOut
}

// pinnedClient trusts only the certificate in file.
func pinnedClient(t *testing.T, file string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the self-signed certificate is not beside the database: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s is not a PEM certificate", file)
	}
	return &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// TestIntegrationHTTPSSelfSigned: without a TLS certificate configured the API answers HTTPS
// with a self-signed certificate made on first start beside the database (key 0600), which a
// client that loads that file verifies; a restart reuses it.
func TestIntegrationHTTPSSelfSigned(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	dir := t.TempDir()
	httpsAddr := freePort(t)
	args := []string{"demo", "-http-addr", freePort(t), "-https-addr", httpsAddr, "-sip-addr", freePort(t)}
	stop, errOut := startRun(t, dir, args...)
	certFile, keyFile := filepath.Join(dir, "https-cert.pem"), filepath.Join(dir, "https-key.pem")
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", st, err)
	}
	client := pinnedClient(t, certFile)
	login := func() *x509.Certificate {
		t.Helper()
		body, _ := json.Marshal(shared.LoginRequest{User: "1001", Password: "demo1001"})
		res, err := client.Post("https://"+httpsAddr+"/api/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("HTTPS with the pinned certificate: %v", err)
		}
		defer res.Body.Close()
		var lr shared.LoginResponse
		if err := json.NewDecoder(res.Body).Decode(&lr); err != nil || res.StatusCode != 200 || lr.Token == "" {
			t.Fatalf("login over HTTPS: %d %v %+v", res.StatusCode, err, lr)
		}
		return res.TLS.PeerCertificates[0]
	}
	first := login()
	if !strings.Contains(errOut.String(), "new self-signed certificate") {
		t.Errorf("first start did not log the new certificate:\n%s", errOut.String())
	}
	// A client without the certificate refuses the server: it is not trusted by accident.
	if _, err := http.Get("https://" + httpsAddr + "/healthz"); err == nil {
		t.Fatal("a client with the system roots trusted the self-signed certificate")
	}
	before, _ := os.ReadFile(certFile)
	stop()

	_, errOut = startRun(t, dir, args...)
	if again := login(); !again.Equal(first) {
		t.Fatal("the restarted server presents another certificate")
	}
	if after, _ := os.ReadFile(certFile); !bytes.Equal(after, before) {
		t.Fatal("the certificate file was rewritten on restart")
	}
	if strings.Contains(errOut.String(), "new self-signed certificate") {
		t.Error("the restart made a new certificate")
	}
}

// TestIntegrationHTTPSConfiguredCert: with -tls-cert/-tls-key the HTTPS API uses that
// certificate (the SIP TLS one) and writes no self-signed pair.
func TestIntegrationHTTPSConfiguredCert(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	dir, certDir := t.TempDir(), t.TempDir()
	// A certificate made elsewhere stands for the operator's.
	certFile, keyFile := filepath.Join(certDir, "sip.pem"), filepath.Join(certDir, "sip.key")
	if _, err := selfcert.Ensure(certFile, keyFile, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	httpsAddr := freePort(t)
	startRun(t, dir, "-http-addr", freePort(t), "-https-addr", httpsAddr, "-sip-addr", freePort(t),
		"-tls-addr", freePort(t), "-tls-cert", certFile, "-tls-key", keyFile)
	res, err := pinnedClient(t, certFile).Get("https://" + httpsAddr + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS with the configured certificate: %v", err)
	}
	res.Body.Close()
	if _, err := os.Stat(filepath.Join(dir, "https-cert.pem")); err == nil {
		t.Fatal("a self-signed certificate was made although one is configured")
	}
}

// TestRunRefusesPublic: plain HTTP on a non-loopback address and the demo on one without
// -demo-public are refused before anything listens, with a clear error.
func TestRunRefusesPublic(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-http-addr", "0.0.0.0:8080", "-db", filepath.Join(t.TempDir(), "v.db")}, "plain HTTP is served on loopback only"},
		{[]string{"demo", "-sip-addr", "0.0.0.0:5060", "-media-ip", "192.0.2.10", "-db", filepath.Join(t.TempDir(), "v.db")}, "-demo-public"},
		{[]string{"-demo", "-https-addr", ":8443", "-db", filepath.Join(t.TempDir(), "v.db")}, "passwords are public"},
	} {
		err := run(context.Background(), tc.args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want containing %q", tc.args, err, tc.want)
		}
	}
}

// TestWarnPublicDemo: with -demo-public the demo on a public address gets a loud warning that
// names the addresses; on loopback none.
func TestWarnPublicDemo(t *testing.T) {
	cfg, err := config.Load([]string{"-demo", "-demo-public", "-sip-addr", "0.0.0.0:5060", "-media-ip", "192.0.2.10"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	warnPublicDemo(cfg, &out, slog.New(slog.NewTextHandler(&log, nil)))
	if !strings.Contains(out.String(), "WARNING") || !strings.Contains(out.String(), "passwords are public") ||
		!strings.Contains(out.String(), "sip_addr 0.0.0.0:5060") || !strings.Contains(log.String(), "level=WARN") {
		t.Fatalf("warning:\n%s\nlog:\n%s", out.String(), log.String())
	}
	cfg, _ = config.Load([]string{"-demo"}, func(string) string { return "" })
	out.Reset()
	warnPublicDemo(cfg, &out, slog.New(slog.DiscardHandler))
	if out.Len() != 0 {
		t.Fatalf("warning on loopback: %s", out.String())
	}
}
