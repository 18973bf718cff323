package selfcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var t0 = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

func paths(t *testing.T) (string, string) {
	dir := t.TempDir()
	return filepath.Join(dir, "https-cert.pem"), filepath.Join(dir, "https-key.pem")
}

func TestEnsureCreatesThenReuses(t *testing.T) {
	cert, key := paths(t)
	r, err := Ensure(cert, key, []string{"pbx.acme.example", "0.0.0.0", "192.0.2.10"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Created || r.Why != "none yet" {
		t.Fatalf("first start: created %v (%s)", r.Created, r.Why)
	}
	pub, ok := r.Leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key %T, want ECDSA P-256", r.Leaf.PublicKey)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "pbx.acme.example", "192.0.2.10"} {
		if err := r.Leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not name %s: %v", h, err)
		}
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v, want 0600", st.Mode().Perm(), err)
	}
	// A client that loads the file as its trust root verifies the server.
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(cert)
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("certificate file is not PEM")
	}
	if _, err := r.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1", CurrentTime: t0}); err != nil {
		t.Fatalf("verify against itself: %v", err)
	}

	again, err := Ensure(cert, key, []string{"pbx.acme.example"}, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || !again.Leaf.Equal(r.Leaf) {
		t.Fatalf("restart made a new certificate (%s)", again.Why)
	}
	after, _ := os.ReadFile(cert)
	if string(after) != string(pemBytes) {
		t.Fatal("the certificate file was rewritten on restart")
	}
}

func TestEnsureReplaces(t *testing.T) {
	cert, key := paths(t)
	first, err := Ensure(cert, key, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		hosts []string
		now   time.Time
		prep  func()
		why   string
	}{
		{"new host", []string{"pbx.acme.example"}, t0, nil, "hosts changed"},
		{"near its end", []string{"pbx.acme.example"}, t0.Add(Lifetime - 10*24*time.Hour), nil, "expires"},
		{"damaged", nil, t0, func() { os.WriteFile(key, []byte("garbage"), 0o600) }, "unreadable: "},
	}
	prev := first.Leaf
	for _, tc := range tests {
		if tc.prep != nil {
			tc.prep()
		}
		r, err := Ensure(cert, key, tc.hosts, tc.now)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !r.Created || len(r.Why) < len(tc.why) || r.Why[:len(tc.why)] != tc.why || r.Leaf.Equal(prev) {
			t.Errorf("%s: created %v why %q, want a new certificate because %q", tc.name, r.Created, r.Why, tc.why)
		}
		prev = r.Leaf
	}
}

func TestLoadConfigured(t *testing.T) {
	cert, key := paths(t)
	if _, err := Ensure(cert, key, nil, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(cert, key); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(cert+".missing", key); err == nil {
		t.Fatal("missing certificate loaded")
	}
}
