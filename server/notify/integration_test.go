package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/sms"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
	"github.com/vaihde/vaihde/server/voicemail"
)

// python is Debian's interpreter, which the package python3-aiosmtpd installs into (a python3
// earlier in PATH, e.g. pyenv's, would not have it).
const python = "/usr/bin/python3"

// smtpd is a real SMTP daemon (aiosmtpd from Debian) on 127.0.0.1 that stores every message
// it receives in a Maildir.
type smtpd struct {
	port    int
	maildir string
	out     *logBuffer
}

// startSMTPD starts aiosmtpd with extra options (TLS) and waits until it accepts connections.
// A missing daemon fails the test: CI installs it (packaging/install-deps.sh).
func startSMTPD(t *testing.T, extra ...string) *smtpd {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import aiosmtpd").CombinedOutput(); err != nil {
		t.Fatalf("the SMTP daemon is missing (%v: %s): install the Debian package python3-aiosmtpd (packaging/install-deps.sh)", err, out)
	}
	s := &smtpd{maildir: filepath.Join(t.TempDir(), "maildir"), out: &logBuffer{}}
	for try := 0; try < 3; try++ {
		s.port = freePort(t)
		args := append([]string{"-m", "aiosmtpd", "-n", "-l", fmt.Sprintf("127.0.0.1:%d", s.port)}, extra...)
		args = append(args, "-c", "aiosmtpd.handlers.Mailbox", s.maildir)
		cmd := exec.Command(python, args...)
		cmd.Stdout, cmd.Stderr = s.out, s.out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start aiosmtpd: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
		})
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-exited: // most likely the port was taken meanwhile: try another
			default:
				c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second)
				if err == nil {
					c.Close()
					return s
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
			break
		}
		cmd.Process.Kill()
		<-exited
	}
	t.Fatalf("aiosmtpd did not start:\n%s", s.out.String())
	return nil
}

// messages waits until the Maildir holds want messages and returns them; it then checks that
// no more arrive.
func (s *smtpd) messages(t *testing.T, want int) [][]byte {
	t.Helper()
	read := func() [][]byte {
		ents, _ := os.ReadDir(filepath.Join(s.maildir, "new"))
		var out [][]byte
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(s.maildir, "new", e.Name())); err == nil {
				out = append(out, b)
			}
		}
		return out
	}
	// Messages are checked after the notifier drained, and the daemon stores a message before
	// it answers 250: the wait is only a margin.
	deadline := time.Now().Add(10 * time.Second)
	for len(read()) < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	got := read()
	if len(got) != want {
		t.Fatalf("SMTP server holds %d messages, want %d; server output:\n%s", len(got), want, s.out.String())
	}
	return got
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

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files and returns a client
// TLS configuration that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, trust *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, &tls.Config{RootCAs: pool}
}

// world is a real store, mailbox, SMS outbox and notifier wired as the server wires them.
type world struct {
	st     *sqlite.Store
	mb     *voicemail.Mailbox
	n      *Notifier
	user   store.User
	outbox string
	logs   *logBuffer
	at     time.Time // the fixed clock and the messages' time
}

func newWorld(t *testing.T, notify store.VoicemailNotify, c Config) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, err := st.CreateOrg(ctx, store.Org{Name: "Demo", Domain: "demo.test", CountryCode: "358", SMSSender: "Vaihde"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.User{OrgID: org.ID, Extension: "1001", Name: "Aino Ääpälä",
		MobileNumber: "+358401000001", Email: "aino.aapala@example.com", Language: "fi"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutVoicemailSettings(ctx, store.VoicemailSettings{UserID: u.ID, Enabled: true, Notify: notify}); err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, user: u, outbox: filepath.Join(dir, "sms-outbox"), logs: &logBuffer{},
		at: time.Date(2026, 11, 22, 9, 41, 0, 0, helsinki)}
	gw, err := sms.NewOutbox(w.outbox)
	if err != nil {
		t.Fatal(err)
	}
	var n *Notifier
	w.mb, err = voicemail.New(voicemail.Config{Root: filepath.Join(dir, "voicemail"), Store: st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Saved:  func(v store.Voicemail) { n.VoicemailSaved(v) }})
	if err != nil {
		t.Fatal(err)
	}
	c.Store, c.FilePath, c.SMS = st, w.mb.FilePath, sms.NewService(st, gw, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c.Location, c.Now, c.Logger = helsinki, func() time.Time { return w.at.Add(time.Minute) }, w.logs.logger()
	n, err = New(c)
	if err != nil {
		t.Fatal(err)
	}
	w.n = n
	t.Cleanup(func() { n.Close(context.Background()) })
	return w
}

// save leaves a message as the deposit flow does and returns it with its audio.
func (w *world) save(t *testing.T) (store.Voicemail, []byte) {
	t.Helper()
	audio := testWAV(2500 * time.Millisecond)
	v, err := w.mb.Save(context.Background(), voicemail.Message{OrgID: w.user.OrgID, UserID: w.user.ID,
		Caller: "+358501234567", CallerName: "Åke Mäkinen", ReceivedAt: w.at}, bytes.NewReader(audio))
	if err != nil {
		t.Fatal(err)
	}
	return v, audio
}

// close drains the notifier, as the server does at shutdown.
func (w *world) close(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := w.n.Close(ctx); err != nil {
		t.Fatalf("close notifier: %v\n%s", err, w.logs.String())
	}
}

const wantSMS = "Uusi ääniviesti: Åke Mäkinen (+358501234567), klo 09:41, kesto 0:03. Kuuntele soittamalla 9000."

// TestIntegrationEmailRealSMTPServer: a saved voicemail reaches a real SMTP daemon on
// loopback as an email with the mailbox file attached byte for byte, in each TLS mode the
// daemon can speak; with Notify=both the SMS lands in the outbox too.
func TestIntegrationEmailRealSMTPServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts an SMTP daemon")
	}
	cert, key, trust := selfSigned(t)
	tests := []struct {
		name   string
		server []string // aiosmtpd TLS options
		mode   string
	}{
		{"plain server, opportunistic starttls", nil, config.SMTPStartTLS},
		// aiosmtpd with --tlscert refuses MAIL before STARTTLS: delivery proves TLS was used.
		{"starttls required", []string{"--tlscert", cert, "--tlskey", key}, config.SMTPRequireTLS},
		{"implicit tls", []string{"--smtpscert", cert, "--smtpskey", key}, config.SMTPImplicitTLS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTPD(t, tc.server...)
			w := newWorld(t, store.NotifyBoth, Config{
				SMTP:      config.SMTP{Host: "127.0.0.1", Port: srv.port, TLS: tc.mode, TimeoutSeconds: 30},
				TLSConfig: trust, Attempts: 2, RetryDelay: 100 * time.Millisecond,
			})
			v, audio := w.save(t)
			w.close(t)

			raw := srv.messages(t, 1)[0]
			r := readEmail(t, raw)
			if r.subject != "Ääniviesti: Åke Mäkinen (+358501234567) (0:03)" {
				t.Fatalf("subject %q", r.subject)
			}
			if r.to.Address != w.user.Email || r.to.Name != w.user.Name || r.from.Address != "voicemail@demo.test" {
				t.Fatalf("To %v, From %v", r.to, r.from)
			}
			// aiosmtpd records the SMTP envelope in X-MailFrom and X-RcptTo.
			if got := r.msg.Header.Get("X-RcptTo"); got != w.user.Email {
				t.Fatalf("envelope recipient %q, want %q", got, w.user.Email)
			}
			if got := r.msg.Header.Get("X-MailFrom"); got != "voicemail@demo.test" {
				t.Fatalf("envelope sender %q", got)
			}
			if !strings.HasPrefix(r.text, wantSMS) {
				t.Fatalf("text part %q", r.text)
			}
			file, err := os.ReadFile(w.mb.FilePath(v))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.file, file) || !bytes.Equal(file, audio) {
				t.Fatalf("attachment (%d bytes) differs from the mailbox file (%d bytes)", len(r.file), len(file))
			}
			if r.fileType != "audio/wav" || r.fileName != "voicemail-2026-11-22-0941-+358501234567.wav" {
				t.Fatalf("attachment %q %q", r.fileType, r.fileName)
			}
			out, err := sms.ReadOutbox(w.outbox)
			if err != nil || len(out) != 1 || out[0].To != w.user.MobileNumber || out[0].Text != wantSMS {
				t.Fatalf("outbox %+v, %v", out, err)
			}
			if strings.Contains(w.logs.String(), "level=ERROR") || strings.Contains(w.logs.String(), "will retry") {
				t.Fatalf("logs:\n%s", w.logs.String())
			}
		})
	}
}

// TestIntegrationEmailTLSRefused: "require" never sends to a server without STARTTLS, a
// certificate that does not verify gets no message either, and neither is retried (another
// attempt cannot change them).
func TestIntegrationEmailTLSRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts an SMTP daemon")
	}
	cert, key, _ := selfSigned(t)
	tests := []struct {
		name    string
		server  []string
		mode    string
		wantLog string
	}{
		{"no STARTTLS offered", nil, config.SMTPRequireTLS, "does not offer STARTTLS"},
		{"untrusted certificate", []string{"--tlscert", cert, "--tlskey", key}, config.SMTPStartTLS, "certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTPD(t, tc.server...)
			w := newWorld(t, store.NotifyEmail, Config{ // TLSConfig nil: the system roots
				SMTP:     config.SMTP{Host: "127.0.0.1", Port: srv.port, TLS: tc.mode, TimeoutSeconds: 30},
				Attempts: 3, RetryDelay: 50 * time.Millisecond,
			})
			w.save(t)
			w.close(t)
			srv.messages(t, 0)
			logs := w.logs.String()
			if !strings.Contains(logs, tc.wantLog) || strings.Count(logs, "voicemail notification failed") != 1 {
				t.Fatalf("want one permanent failure mentioning %q:\n%s", tc.wantLog, logs)
			}
		})
	}
}

// TestIntegrationEmailClosedPortRetried: with the SMTP port closed, the email is tried
// Attempts times with backoff and the failure logged at Error; the SMS still goes.
func TestIntegrationEmailClosedPortRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: real sockets")
	}
	w := newWorld(t, store.NotifyBoth, Config{
		SMTP:     config.SMTP{Host: "127.0.0.1", Port: freePort(t), TLS: config.SMTPStartTLS, TimeoutSeconds: 5},
		Attempts: 3, RetryDelay: 50 * time.Millisecond,
	})
	w.save(t)
	w.close(t)
	logs := w.logs.String()
	if got := strings.Count(logs, "channel=email attempts="); got != 3 {
		t.Fatalf("%d email attempts logged, want 3:\n%s", got, logs)
	}
	if strings.Count(logs, "will retry") != 2 || !strings.Contains(logs, "level=ERROR msg=\"voicemail notification failed\"") ||
		!strings.Contains(logs, "connection refused") {
		t.Fatalf("want two retries then an Error:\n%s", logs)
	}
	if out, err := sms.ReadOutbox(w.outbox); err != nil || len(out) != 1 {
		t.Fatalf("outbox %+v, %v", out, err)
	}
}

// TestIntegrationSMSOutbox: through sms.Service and the development outbox gateway, the SMS
// goes to the owner's mobile number from the organisation's sender, in the owner's language,
// and is recorded in the SMS log.
func TestIntegrationSMSOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: real store and outbox")
	}
	w := newWorld(t, store.NotifySMS, Config{AccessNumber: "9999", AccessNumbers: map[int64]string{1: "9000"}})
	if w.user.OrgID != 1 {
		t.Fatalf("organisation ID %d: the per-organisation access number above assumes 1", w.user.OrgID)
	}
	w.save(t)
	w.close(t)
	out, err := sms.ReadOutbox(w.outbox)
	if err != nil || len(out) != 1 {
		t.Fatalf("outbox %+v, %v", out, err)
	}
	e := out[0]
	if e.To != "+358401000001" || e.From != "Vaihde" || e.Text != wantSMS || e.Org != w.user.OrgID {
		t.Fatalf("outbox entry %+v, want to %s from Vaihde: %q", e, w.user.MobileNumber, wantSMS)
	}
	n, err := w.st.SMSCount(context.Background(), w.user.OrgID, time.Time{})
	if err != nil || n != 1 {
		t.Fatalf("SMS log counts %d, %v", n, err)
	}
	if !strings.Contains(w.logs.String(), "voicemail notification sent") || strings.Contains(w.logs.String(), "Kuuntele") {
		t.Fatalf("logs must say sent and never carry the text:\n%s", w.logs.String())
	}
}
