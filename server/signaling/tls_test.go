package signaling

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
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/config"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns their paths.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "vaihde test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{testDomain},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	return certFile, keyFile
}

func TestIntegrationRegisterTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ts := startServerWith(t, seededDB(t), func(cfg *config.Config) {
		cfg.TLSAddr = "127.0.0.1:0"
		cfg.TLSCert, cfg.TLSKey = selfSigned(t)
	}, nil)
	if ts.Addr("tls") == "" {
		t.Fatal("no TLS listener")
	}

	ua, err := sipgo.NewUA(sipgo.WithUserAgenTLSConfig(&tls.Config{InsecureSkipVerify: true}),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(discard)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(discard)))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	c := &testClient{ua: ua, cli: cli}
	res := c.do(t, registerReq(ts.Addr("tls"), "TLS", "1006", 600, "<sip:1006@127.0.0.1:7300;transport=tls>"), "1006", "demo1006")
	if res.StatusCode != 200 {
		t.Fatalf("TLS register: %d %s", res.StatusCode, res.Reason)
	}
	u, _ := ts.st.UserByExtension(context.Background(), 1, "1006")
	tg, _ := ts.Targets(context.Background(), u.ID)
	if len(tg) != 1 || tg[0].Transport != "tls" {
		t.Fatalf("targets %+v", tg)
	}
	// A client that fails the handshake must not break the listener.
	raw, err := net.Dial("tcp", ts.Addr("tls"))
	if err != nil {
		t.Fatal(err)
	}
	raw.Write([]byte("OPTIONS sip:x SIP/2.0\r\n\r\n"))
	raw.Close()
	res = c.do(t, registerReq(ts.Addr("tls"), "TLS", "1006", -1), "1006", "demo1006")
	if res.StatusCode != 200 || len(contactsOf(res)) != 1 {
		t.Fatalf("after bad handshake: %d %q", res.StatusCode, contactsOf(res))
	}
}
