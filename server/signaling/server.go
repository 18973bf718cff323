// Package signaling owns the SIP front end of the server: the sipgo user agent and its UDP, TCP
// and TLS listeners, the registrar (REGISTER with digest authentication, bindings persisted in
// the store), OPTIONS, and the Directory that call handling uses to find organisations,
// authenticate callers and reach registered devices. Call handlers (server/b2bua) register
// their methods on SIP() before Start.
package signaling

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/store"
)

// UserAgentName is sent in User-Agent and Server headers.
const UserAgentName = "Vaihde"

// Server is the SIP server. Create it with New, register extra handlers on SIP(), then Start.
// It is safe for concurrent use.
type Server struct {
	cfg config.Config
	st  store.Store
	log *slog.Logger

	ua  *sipgo.UserAgent
	srv *sipgo.Server
	cli *sipgo.Client

	digest  *auth.Digest
	limiter *auth.Limiter
	users   *userCache
	orgs    *orgCache
	reg     *registry

	// PurgeInterval is how often expired bindings are removed; set before Start.
	PurgeInterval time.Duration

	udp     net.PacketConn
	tcp     net.Listener
	tlsL    net.Listener
	started bool

	hookMu sync.RWMutex
	hooks  []func(userID int64)

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

var _ Directory = (*Server)(nil)

// New creates the SIP stack and binds its listeners (UDP and TCP on cfg.SIPAddr, TLS on
// cfg.TLSAddr when a certificate is configured) so that their addresses are known before Start.
// Port 0 picks a free port, the same one for UDP and TCP.
func New(cfg config.Config, st store.Store, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.Default()
	}
	sipLog := slog.New(newBudgetHandler(logger.Handler(), 20)).With("component", "sipgo")
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(UserAgentName),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(sipLog)),
	)
	if err != nil {
		return nil, fmt.Errorf("signaling: new user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("signaling: new sip server: %w", err)
	}
	host, _, _ := net.SplitHostPort(cfg.SIPAddr)
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog), sipgo.WithClientHostname(advertisedHost(host, cfg.MediaIP)))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("signaling: new sip client: %w", err)
	}
	s := &Server{
		cfg:           cfg,
		st:            st,
		log:           logger.With("component", "signaling"),
		ua:            ua,
		srv:           srv,
		cli:           cli,
		digest:        auth.NewDigest(auth.DefaultNonceLifetime, cfg.DigestAlgorithms...),
		limiter:       auth.DefaultLimiter(),
		users:         newUserCache(st, time.Minute),
		orgs:          newOrgCache(st, time.Minute),
		reg:           newRegistry(),
		PurgeInterval: 30 * time.Second,
	}
	if err := s.bind(); err != nil {
		ua.Close()
		return nil, err
	}
	srv.OnRegister(s.handleRegister)
	srv.OnOptions(s.handleOptions)
	return s, nil
}

// advertisedHost is the host put in Via of requests the server sends.
func advertisedHost(listenHost, mediaIP string) string {
	if ip := net.ParseIP(listenHost); ip != nil && !ip.IsUnspecified() {
		return listenHost
	}
	if mediaIP != "" {
		return mediaIP
	}
	return "127.0.0.1"
}

func (s *Server) bind() error {
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		s.udp, err = net.ListenPacket("udp", s.cfg.SIPAddr)
		if err != nil {
			return fmt.Errorf("signaling: listen udp %s: %w", s.cfg.SIPAddr, err)
		}
		tcpAddr := s.udp.LocalAddr().String()
		s.tcp, err = net.Listen("tcp", tcpAddr)
		if err == nil {
			break
		}
		s.udp.Close()
		_, port, _ := net.SplitHostPort(s.cfg.SIPAddr)
		if port != "0" { // a fixed port that is taken: report it; a random one: try another
			return fmt.Errorf("signaling: listen tcp %s: %w", tcpAddr, err)
		}
	}
	if err != nil {
		return fmt.Errorf("signaling: listen tcp %s: %w", s.cfg.SIPAddr, err)
	}
	if s.cfg.TLSEnabled() {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			s.udp.Close()
			s.tcp.Close()
			return fmt.Errorf("signaling: load tls certificate: %w", err)
		}
		s.tlsL, err = tls.Listen("tcp", s.cfg.TLSAddr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if err != nil {
			s.udp.Close()
			s.tcp.Close()
			return fmt.Errorf("signaling: listen tls %s: %w", s.cfg.TLSAddr, err)
		}
	}
	return nil
}

// UA returns the sipgo user agent shared by server and client.
func (s *Server) UA() *sipgo.UserAgent { return s.ua }

// SIP returns the sipgo server; register request handlers on it before Start.
func (s *Server) SIP() *sipgo.Server { return s.srv }

// Client returns the sipgo client for requests the server originates.
func (s *Server) Client() *sipgo.Client { return s.cli }

// Addr returns the bound listen address for transport "udp", "tcp" or "tls" ("" if none).
func (s *Server) Addr(transport string) string {
	switch transport {
	case "udp":
		return s.udp.LocalAddr().String()
	case "tcp":
		return s.tcp.Addr().String()
	case "tls":
		if s.tlsL != nil {
			return s.tlsL.Addr().String()
		}
	}
	return ""
}

// OnBindingsChanged registers f to be called with the user's ID after any of the user's
// bindings is added, refreshed with a new contact set, removed or expired. f runs on the
// goroutine that made the change and must not block.
func (s *Server) OnBindingsChanged(f func(userID int64)) {
	s.hookMu.Lock()
	s.hooks = append(s.hooks, f)
	s.hookMu.Unlock()
}

func (s *Server) bindingsChanged(userID int64) {
	s.hookMu.RLock()
	hooks := s.hooks
	s.hookMu.RUnlock()
	for _, f := range hooks {
		f(userID)
	}
}

// InvalidateUsers drops cached users and organisations, e.g. after a password change, so the
// next request reads them from the store. (Entries also expire by themselves after a minute.)
func (s *Server) InvalidateUsers() {
	s.users.clear()
	s.orgs.clear()
}

// Start loads persisted bindings and starts serving on the bound listeners and the purge
// loop. It returns once serving has begun; ctx cancellation or Close stops everything.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.started {
		return errors.New("signaling: start: server already started or closed")
	}
	bs, err := s.st.AllBindings(ctx, time.Now())
	if err != nil {
		return fmt.Errorf("signaling: start: load bindings: %w", err)
	}
	s.reg.load(bs)
	s.log.Info("loaded registrations", "bindings", len(bs))
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	serve := func(name string, f func() error) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := f(); err != nil && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				s.log.Error("sip listener stopped", "transport", name, "error", err)
			}
		}()
	}
	serve("udp", func() error { return s.srv.ServeUDP(s.udp) })
	serve("tcp", func() error { return s.srv.ServeTCP(s.tcp) })
	if s.tlsL != nil {
		serve("tls", func() error { return s.srv.ServeTLS(s.tlsL) })
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		s.closeListeners()
	}()
	go func() {
		defer s.wg.Done()
		s.purgeLoop(ctx)
	}()
	s.log.Info("sip listening", "udp", s.Addr("udp"), "tcp", s.Addr("tcp"), "tls", s.Addr("tls"))
	return nil
}

func (s *Server) closeListeners() {
	s.udp.Close()
	s.tcp.Close()
	if s.tlsL != nil {
		s.tlsL.Close()
	}
}

// Close stops the listeners, the purge loop and the SIP stack, and waits for them. It does not
// close the store.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
	s.closeListeners()
	err := s.ua.Close()
	s.wg.Wait()
	return err
}

func (s *Server) purgeLoop(ctx context.Context) {
	t := time.NewTicker(s.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.purge(ctx, now)
		}
	}
}

// purge drops bindings expired at now from memory and the store.
func (s *Server) purge(ctx context.Context, now time.Time) {
	users := s.reg.purge(now)
	if _, err := s.st.PurgeExpired(ctx, now); err != nil && ctx.Err() == nil {
		s.log.Error("purge expired bindings", "error", err)
	}
	for _, id := range users {
		s.bindingsChanged(id)
	}
	if len(users) > 0 {
		s.log.Debug("purged expired bindings", "users", len(users))
	}
}

// handleOptions answers OPTIONS with our capabilities (RFC 3261 section 11).
func (s *Server) handleOptions(req *sip.Request, tx sip.ServerTransaction) {
	defer tx.Terminate() // stateless answer: see handleRegister
	if !wellFormed(req) {
		respond(tx, req, 400, "Bad Request")
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", allowHeader(s.srv)))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	res.AppendHeader(sip.NewHeader("Supported", "replaces, path"))
	res.AppendHeader(sip.NewHeader("Server", UserAgentName))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("respond options", "error", err)
	}
}

func allowHeader(srv *sipgo.Server) string {
	order := []string{"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "REGISTER", "REFER", "NOTIFY", "SUBSCRIBE", "INFO", "UPDATE", "MESSAGE", "PRACK", "PUBLISH"}
	have := map[string]bool{}
	for _, m := range srv.RegisteredMethods() {
		have[m] = true
	}
	out := ""
	for _, m := range order {
		if have[m] {
			if out != "" {
				out += ", "
			}
			out += m
		}
	}
	return out
}

// wellFormed reports whether req has the headers every handler relies on.
func wellFormed(req *sip.Request) bool {
	return req.From() != nil && req.To() != nil && req.CallID() != nil && req.CSeq() != nil && req.Via() != nil
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res) // the peer retransmits or gives up; nothing else to do
}

// sourceKey is "transport:ip:port" of where a request came from, as stored in Binding.Source.
func sourceOf(req *sip.Request) (transport, hostport string) {
	tp := req.Transport()
	switch tp {
	case "UDP", "udp":
		transport = "udp"
	case "TCP", "tcp":
		transport = "tcp"
	case "TLS", "tls":
		transport = "tls"
	case "WS", "ws":
		transport = "ws"
	case "WSS", "wss":
		transport = "wss"
	default:
		transport = "udp"
	}
	return transport, req.Source()
}

func sourceIP(req *sip.Request) string {
	host, _, err := net.SplitHostPort(req.Source())
	if err != nil {
		return req.Source()
	}
	return host
}

func itoa(n int) string { return strconv.Itoa(n) }
