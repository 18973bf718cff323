package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/settings"
)

func TestSecurityFlags(t *testing.T) {
	o, err := parseFlags([]string{"-transport", "TLS", "-srtp", "on", "-tls-ca", "/x/ca.pem", "-no-keychain"})
	if err != nil || o.transport != "tls" || o.srtp != "on" || o.tlsCA != "/x/ca.pem" || !o.noKeychain {
		t.Fatalf("parsed %+v %v", o, err)
	}
	for _, bad := range [][]string{{"-transport", "sctp"}, {"-srtp", "yes"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	st := settings.Settings{Transport: "tcp", SRTP: true, TLSCA: "/old.pem"}
	applySecurityFlags(&st, options{srtp: "off"})
	if st.Transport != "tcp" || st.SRTP || st.TLSCA != "/old.pem" {
		t.Fatalf("only -srtp given: %+v", st)
	}
	applySecurityFlags(&st, o)
	if st.Transport != "tls" || !st.SRTP || st.TLSCA != "/x/ca.pem" {
		t.Fatalf("all given: %+v", st)
	}
}

func TestTLSConfigTrustsTheGivenCA(t *testing.T) {
	c, err := tlsConfig("")
	if err != nil || c.RootCAs != nil {
		t.Fatalf("without a CA file: %+v %v (want the system roots)", c, err)
	}
	dir := t.TempDir()
	if _, err := tlsConfig(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("a missing CA file accepted")
	}
	junk := filepath.Join(dir, "junk.pem")
	_ = os.WriteFile(junk, []byte("not a certificate"), 0o600)
	if _, err := tlsConfig(junk); err == nil {
		t.Error("a file without certificates accepted")
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pbx.test"}, DNSNames: []string{"pbx.test"},
		NotBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	_ = os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	c, err = tlsConfig(ca)
	if err != nil || c.RootCAs == nil {
		t.Fatalf("with a CA: %v", err)
	}
	cert, _ := x509.ParseCertificate(der)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: c.RootCAs, DNSName: "pbx.test", CurrentTime: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatalf("the given CA is not trusted: %v", err)
	}
}
