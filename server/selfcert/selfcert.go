// Package selfcert keeps the server's self-signed HTTPS certificate: made on first start (ECDSA
// P-256) when no certificate is configured, stored as two PEM files (the key 0600), and reused
// on later starts while it is valid and names every host wanted, so a client that pinned or
// trusted it once keeps trusting the server.
package selfcert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Lifetime is how long a generated certificate is valid.
const Lifetime = 5 * 365 * 24 * time.Hour

// renewBefore: a certificate this close to its end is replaced at start.
const renewBefore = 30 * 24 * time.Hour

// DefaultHosts are always in a generated certificate: the server is reachable on loopback.
var DefaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// Result tells what Ensure did.
type Result struct {
	Cert    tls.Certificate
	Leaf    *x509.Certificate
	Created bool   // a new certificate was written
	Why     string // why it was written: "none yet", "expires", "hosts changed", "unreadable: …"
}

// Ensure returns the certificate in certPath/keyPath, or makes one for hosts (names or IP
// addresses; DefaultHosts are added) when the files are missing, unreadable as a pair, expire
// within 30 days of now or lack one of the hosts. The key file is written with mode 0600, both
// files atomically (a crash leaves the old pair or none).
func Ensure(certPath, keyPath string, hosts []string, now time.Time) (Result, error) {
	want := normalise(append(slices.Clone(DefaultHosts), hosts...))
	var why string
	switch r, err := load(certPath, keyPath); {
	case errors.Is(err, fs.ErrNotExist):
		why = "none yet"
	case err != nil:
		// A damaged pair is replaced rather than blocking the start.
		why = "unreadable: " + err.Error()
	case !now.Add(renewBefore).Before(r.Leaf.NotAfter) || now.Before(r.Leaf.NotBefore):
		why = "expires"
	case !covers(r.Leaf, want):
		why = "hosts changed"
	default:
		return r, nil
	}
	certPEM, keyPEM, err := generate(want, now)
	if err != nil {
		return Result{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	if err := writeAtomic(keyPath, keyPEM, 0o600); err != nil {
		return Result{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	if err := writeAtomic(certPath, certPEM, 0o644); err != nil {
		return Result{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	r, err := load(certPath, keyPath)
	if err != nil {
		return Result{}, fmt.Errorf("self-signed certificate: read back: %w", err)
	}
	r.Created, r.Why = true, why
	return r, nil
}

// Load reads a PEM certificate and key pair (a configured certificate).
func Load(certPath, keyPath string) (Result, error) {
	r, err := load(certPath, keyPath)
	if err != nil {
		return Result{}, fmt.Errorf("load certificate %s: %w", certPath, err)
	}
	return r, nil
}

func load(certPath, keyPath string) (Result, error) {
	if _, err := os.Stat(certPath); err != nil {
		return Result{}, err
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return Result{}, err
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return Result{}, err
	}
	cert.Leaf = leaf
	return Result{Cert: cert, Leaf: leaf}, nil
}

// normalise drops empty and unspecified hosts and duplicates, lower-cases names.
func normalise(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		if h == "" {
			continue
		}
		if ip, err := netip.ParseAddr(h); err == nil {
			if ip.IsUnspecified() {
				continue
			}
			h = ip.Unmap().String()
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

func covers(leaf *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func generate(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Vaihde " + hosts[0], Organization: []string{"Vaihde (self-signed)"}},
		NotBefore:             now.Add(-time.Hour), // a client's clock a little behind still accepts it
		NotAfter:              now.Add(Lifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so that a client can add the file itself as its trust root
	}
	for _, h := range hosts {
		if ip, err := netip.ParseAddr(h); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// writeAtomic writes data to path through a temporary file in the same directory.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := bytes.NewReader(data).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
