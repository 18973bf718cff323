package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/selfcert"
)

// apiListeners are the HTTP API's sockets: plain HTTP on loopback, HTTPS anywhere.
type apiListeners struct {
	http, https net.Listener // nil when disabled
}

// Close closes the listeners that are open (before serving starts).
func (a apiListeners) Close() {
	for _, ln := range []net.Listener{a.http, a.https} {
		if ln != nil {
			ln.Close()
		}
	}
}

// listenAPI binds the API's listeners and, for HTTPS, loads the configured TLS certificate or
// makes (first start) or reuses the self-signed one beside the database. now is the clock the
// certificate's validity is judged by.
func listenAPI(cfg config.Config, srv *http.Server, logger *slog.Logger, now func() time.Time) (apiListeners, error) {
	var a apiListeners
	if cfg.HTTPSAddr != "" {
		certFile, keyFile, self := cfg.HTTPSCertFiles()
		var (
			r   selfcert.Result
			err error
		)
		if self {
			r, err = selfcert.Ensure(certFile, keyFile, certHosts(cfg), now())
			if err == nil && r.Created {
				logger.Info("https: new self-signed certificate", "cert", certFile, "reason", r.Why,
					"not_after", r.Leaf.NotAfter.Format(time.DateOnly))
			}
		} else {
			r, err = selfcert.Load(certFile, keyFile)
		}
		if err != nil {
			return a, fmt.Errorf("https certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{r.Cert}, MinVersion: tls.VersionTLS12}
		if a.https, err = net.Listen("tcp", cfg.HTTPSAddr); err != nil {
			return a, fmt.Errorf("listen https %s: %w", cfg.HTTPSAddr, err)
		}
	}
	if cfg.HTTPAddr != "" {
		var err error
		if a.http, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			a.Close()
			return apiListeners{}, fmt.Errorf("listen http %s: %w", cfg.HTTPAddr, err)
		}
	}
	return a, nil
}

// serve runs the server on the open listeners; each result (an error, always) goes to errs.
func (a apiListeners) serve(srv *http.Server, errs chan<- error) int {
	n := 0
	if a.http != nil {
		n++
		go func() { errs <- srv.Serve(a.http) }()
	}
	if a.https != nil {
		n++
		go func() { errs <- srv.ServeTLS(a.https, "", "") }()
	}
	return n
}

// addrs are the listening addresses for the log, "" for a disabled one.
func (a apiListeners) addrs() (httpAddr, httpsAddr string) {
	if a.http != nil {
		httpAddr = a.http.Addr().String()
	}
	if a.https != nil {
		httpsAddr = a.https.Addr().String()
	}
	return httpAddr, httpsAddr
}

// certHosts are the names a self-signed certificate is for besides loopback: the hosts the
// server is configured to be reached at.
func certHosts(cfg config.Config) []string {
	var hosts []string
	for _, hp := range []string{cfg.HTTPSAddr, cfg.SIPAddr} {
		if h, _, err := net.SplitHostPort(hp); err == nil {
			hosts = append(hosts, h)
		}
	}
	return append(hosts, cfg.MediaIP)
}

// warnPublicDemo says loudly that the demo accounts, whose passwords are published, can be
// reached from the network (-demo-public).
func warnPublicDemo(cfg config.Config, stderr io.Writer, logger *slog.Logger) {
	pub := cfg.PublicListeners()
	if !cfg.Demo || len(pub) == 0 {
		return
	}
	line := strings.Repeat("!", 78)
	fmt.Fprintf(stderr, "%s\nWARNING: the demo accounts (1001-1010, password demo<ext>) are reachable on\n  %s\nTheir passwords are public: anyone who can reach these addresses can log in and\nmake calls. Never do this on a network you do not control.\n%s\n",
		line, strings.Join(pub, ", "), line)
	logger.Warn("demo accounts with public passwords on non-loopback addresses", "listeners", strings.Join(pub, ", "))
}
