package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/tone"
)

// softphoneCert writes a self-signed certificate for 127.0.0.1 and its key into dir and returns
// their paths and a pool that trusts it.
func softphoneCert(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// Fixed validity far around any plausible test run: no dependence on today's date.
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "vaihde test"},
		NotBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "sip.crt"), filepath.Join(dir, "sip.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

// securePhone is a Softphone engine with a tone source and recording sinks, logged in over
// TLS to the server's TLS port.
type securePhone struct {
	e  *phone.Engine
	au *audiotest.Backend
}

func startSecurePhone(t *testing.T, srv *vaihde, tlsAddr string, roots *x509.CertPool, user, password string, srtp bool, freq float64) *securePhone {
	t.Helper()
	return startPhoneOver(t, srv, phone.TransportTLS, tlsAddr, roots, user, password, srtp, freq)
}

// startPhoneOver is startSecurePhone over any transport.
func startPhoneOver(t *testing.T, srv *vaihde, transport, addr string, roots *x509.CertPool, user, password string, srtp bool, freq float64) *securePhone {
	t.Helper()
	au := &audiotest.Backend{Freq: freq}
	e, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0", Audio: au,
		TLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatalf("start Softphone engine: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = e.Login(ctx, phone.Account{Server: addr, APIURL: "http://" + srv.httpAddr, User: user, Password: password,
		Transport: transport, SRTP: srtp})
	if err != nil {
		t.Fatalf("Softphone login as %s: %v", user, err)
	}
	var s phone.Snapshot
	if !pollUntil(30*time.Second, func() bool { s = e.Snapshot(); return s.Reg == phone.Registered }) {
		t.Fatalf("Softphone %s not registered over %s within 30s: state %v (%s)", user, transport, s.Reg, s.RegDetail)
	}
	return &securePhone{e: e, au: au}
}

// hears waits until the phone's latest speaker sink has played freq for the last second.
func (p *securePhone) hears(t *testing.T, what string, freq float64) {
	t.Helper()
	var share float64
	ok := pollUntil(20*time.Second, func() bool {
		sinks := p.au.Sinks("")
		if len(sinks) == 0 {
			return false
		}
		last := sinks[len(sinks)-1].Last(codec.SampleRate)
		if len(last) < codec.SampleRate || tone.RMS(last) < 0.05 {
			return false
		}
		share = tone.Share(last, freq, codec.SampleRate)
		return share > 0.8
	})
	if !ok {
		t.Fatalf("%s: no %v Hz tone (share %.2f)", what, freq, share)
	}
}

// startTLSServer starts the server with SIP TLS and the HTTPS API on a certificate for
// 127.0.0.1 and returns both addresses and roots that trust it.
func startTLSServer(t *testing.T) (srv *vaihde, tlsAddr, httpsAddr string, roots *x509.CertPool) {
	t.Helper()
	certFile, keyFile, roots := softphoneCert(t, t.TempDir())
	tlsAddr = "127.0.0.1:" + strconv.Itoa(freeTCPPort(t))
	httpsAddr = "127.0.0.1:" + strconv.Itoa(freeTCPPort(t))
	srv = startVaihde(t, "-tls-addr", tlsAddr, "-tls-cert", certFile, "-tls-key", keyFile, "-https-addr", httpsAddr)
	return srv, tlsAddr, httpsAddr, roots
}

// TestIntegrationSoftphoneTLS registers two Softphone engines over SIP TLS with the real server
// and calls from one to the other; the tones cross both ways. An engine that does not trust the
// certificate is refused with words saying so.
func TestIntegrationSoftphoneTLS(t *testing.T) {
	integration(t)
	srv, tlsAddr, httpsAddr, roots := startTLSServer(t)
	a := startSecurePhone(t, srv, tlsAddr, roots, "1001@demo.vaihde.local", "demo1001", false, 1000)
	b := startSecurePhone(t, srv, tlsAddr, roots, "1002@demo.vaihde.local", "demo1002", false, 600)
	for _, ext := range []string{"1001", "1002"} {
		srv.waitLog(t, regexp.MustCompile(`registration changed.*ext=`+ext+` source=tls:`), 5*time.Second)
	}
	secureCall(t, a, b, "1002")

	// The API over HTTPS with the SIP certificate, trusted through the same roots.
	c, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0", TLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(context.Background(), phone.Account{Server: tlsAddr, APIURL: "https://" + httpsAddr,
		User: "1003@demo.vaihde.local", Password: "demo1003", Transport: phone.TransportTLS}); err != nil {
		t.Fatal(err)
	}
	var cs phone.Snapshot
	if !pollUntil(20*time.Second, func() bool { cs = c.Snapshot(); return cs.Reg == phone.Registered }) || cs.Profile.Extension != "1003" {
		t.Fatalf("TLS login with the HTTPS API: %v (%s), profile %+v", cs.Reg, cs.RegDetail, cs.Profile)
	}
	if api, _, ok := c.Session(); !ok || !strings.HasPrefix(api, "https://") {
		t.Fatalf("API session %q %v", api, ok)
	}

	// Without the certificate in its roots the engine must refuse the server.
	e, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Login(context.Background(), phone.Account{Server: tlsAddr, APIURL: "http://" + srv.httpAddr,
		User: "1003", Password: "demo1003", Transport: phone.TransportTLS}); err != nil {
		t.Fatal(err)
	}
	var s phone.Snapshot
	pollUntil(20*time.Second, func() bool { s = e.Snapshot(); return s.Reg != phone.Connecting })
	if s.Reg != phone.RegFailed || !strings.Contains(s.RegDetail, "certificate is not trusted") {
		t.Fatalf("untrusted certificate: %v (%s), want a failure that says so", s.Reg, s.RegDetail)
	}
	// TLS to the plain SIP port: said as such, not as a certificate problem.
	if err := e.Login(context.Background(), phone.Account{Server: srv.host(), APIURL: "http://" + srv.httpAddr,
		User: "1003", Password: "demo1003", Transport: phone.TransportTLS}); err != nil {
		t.Fatal(err)
	}
	pollUntil(20*time.Second, func() bool { s = e.Snapshot(); return s.Reg != phone.Connecting })
	if s.Reg != phone.Unreachable || !strings.Contains(s.RegDetail, "no TLS") {
		t.Fatalf("TLS to a plain port: %v (%s)", s.Reg, s.RegDetail)
	}
}

// TestIntegrationSoftphoneTCP: the same call with both engines registered over SIP TCP.
func TestIntegrationSoftphoneTCP(t *testing.T) {
	integration(t)
	srv := startVaihde(t)
	a := startPhoneOver(t, srv, phone.TransportTCP, srv.host(), nil, "1001", "demo1001", false, 1000)
	b := startPhoneOver(t, srv, phone.TransportTCP, srv.host(), nil, "1002", "demo1002", false, 600)
	for _, ext := range []string{"1001", "1002"} {
		srv.waitLog(t, regexp.MustCompile(`registration changed.*ext=`+ext+` source=tcp:`), 5*time.Second)
	}
	secureCall(t, a, b, "1002")
}

// secureCall calls ext from a, b answers, both hear the other's tone, a hangs up.
// during, if set, runs while the call is up, with the caller's and the callee's call IDs.
func secureCall(t *testing.T, a, b *securePhone, ext string, during ...func(id, in string)) {
	t.Helper()
	id, err := a.e.Dial(context.Background(), ext)
	if err != nil {
		t.Fatal(err)
	}
	var in string
	if !pollUntil(15*time.Second, func() bool {
		for _, c := range b.e.Snapshot().Calls {
			if c.State == phone.Incoming {
				in = c.ID
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no incoming call at %s (caller: %+v)", ext, a.e.Snapshot().Calls)
	}
	if err := b.e.Answer(in); err != nil {
		t.Fatal(err)
	}
	b.hears(t, "callee hears the caller", 1000)
	a.hears(t, "caller hears the callee", 600)
	for _, f := range during {
		f(id, in)
	}
	if err := a.e.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if !pollUntil(10*time.Second, func() bool {
		for _, c := range b.e.Snapshot().Calls {
			if c.ID == in && c.State != phone.Ended {
				return false
			}
		}
		return true
	}) {
		t.Fatal("the callee's call did not end after the caller hung up")
	}
}

// TestIntegrationSoftphoneTLSSRTP: two Softphone engines that encrypt calls, over SIP TLS
// through the real server (which anchors the media, with an SRTP key per leg): the tones cross
// both ways, also after hold and resume, and both calls say Encrypted.
func TestIntegrationSoftphoneTLSSRTP(t *testing.T) {
	integration(t)
	srv, tlsAddr, _, roots := startTLSServer(t)
	a := startSecurePhone(t, srv, tlsAddr, roots, "1001@demo.vaihde.local", "demo1001", true, 1000)
	b := startSecurePhone(t, srv, tlsAddr, roots, "1002@demo.vaihde.local", "demo1002", true, 600)
	secureCall(t, a, b, "1002", func(id, in string) {
		ca, _ := findSoftphoneCall(a.e, id)
		cb, _ := findSoftphoneCall(b.e, in)
		if !ca.Encrypted || !cb.Encrypted {
			t.Errorf("encrypted: caller %v, callee %v", ca.Encrypted, cb.Encrypted)
		}
		// Hold and resume re-INVITE through the server; the keys hold, the audio comes back.
		if err := a.e.Hold(id, true); err != nil {
			t.Fatal(err)
		}
		if !pollUntil(10*time.Second, func() bool { c, _ := findSoftphoneCall(b.e, in); return c.RemoteHold }) {
			t.Fatal("the callee does not see the hold")
		}
		if err := a.e.Hold(id, false); err != nil {
			t.Fatal(err)
		}
		a.hears(t, "caller hears the callee after resume", 600)
		b.hears(t, "callee hears the caller after resume", 1000)
	})
}

// TestIntegrationSoftphoneBaresipSRTP: the Softphone engine (TLS, encrypted calls) calls a
// baresip phone that accepts SRTP only (srtp module, mediaenc srtp-mand) through the server;
// baresip answers, each hears the other's tone, and baresip reports SRTP on the call.
func TestIntegrationSoftphoneBaresipSRTP(t *testing.T) {
	integration(t, "baresip")
	srv, btls := tlsVaihde(t)
	pemData, err := os.ReadFile(btls.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemData) {
		t.Fatal("no certificate in the server's PEM")
	}
	bare := registeredTLS(t, srv, btls, "1002", toneA, true, "srtp-mand")
	sp := startSecurePhone(t, srv, "127.0.0.1:"+strconv.Itoa(btls.Port), roots, "1001@demo.vaihde.local", "demo1001", true, toneB)

	mb := bare.mark()
	id, err := sp.e.Dial(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	bare.waitEvent(mb, "CALL_ESTABLISHED", 30*time.Second, nil)
	sp.hears(t, "the Softphone hears baresip over SRTP", toneA)
	bare.waitRecorded(4, 30*time.Second)
	if c, ok := findSoftphoneCall(sp.e, id); !ok || !c.Encrypted || c.State != phone.Active {
		t.Fatalf("the Softphone's call: %+v (found %v)", c, ok)
	}
	mb = bare.mark()
	if err := sp.e.Hangup(id); err != nil {
		t.Fatal(err)
	}
	bare.waitEvent(mb, "CALL_CLOSED", 20*time.Second, nil)
	checkTone(t, "baresip hears the Softphone over SRTP", bare.lastRecording(), toneB, toneA, 3)
	checkSecure(t, bare, 1)
}

func findSoftphoneCall(e *phone.Engine, id string) (phone.Call, bool) {
	for _, c := range e.Snapshot().Calls {
		if c.ID == id {
			return c, true
		}
	}
	return phone.Call{}, false
}
