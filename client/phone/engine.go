package phone

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/shared/api"
)

// Errors returned by the Controller methods.
var (
	ErrNotLoggedIn = errors.New("phone: not logged in")
	ErrNoCall      = errors.New("phone: no such call")
	ErrCallState   = errors.New("phone: not possible in the call's state")
	ErrClosed      = errors.New("phone: engine closed")
)

// Config configures an Engine.
type Config struct {
	// Audio opens the microphone and speaker of calls; nil means calls carry no local audio.
	Audio audio.Backend
	// MicDevice and SpeakerDevice name the devices for talking ("" = system default);
	// SetDevices changes them later.
	MicDevice, SpeakerDevice string
	Logger                   *slog.Logger
	// ListenAddr is the local SIP (UDP) address; default 0.0.0.0:0.
	ListenAddr string
	// UserAgent is the product name sent in User-Agent; default "Vaihde Softphone".
	UserAgent string
	// RegisterExpiry is the registration lifetime asked for; default 300 s.
	RegisterExpiry time.Duration
	// RequestTimeout bounds one REGISTER (no answer means Unreachable); default 8 s.
	RequestTimeout time.Duration
	// EndedLinger is how long an ended call stays in snapshots; default 4 s.
	EndedLinger time.Duration
	// HTTPClient is used for the API; default a client with a 5 s timeout and TLS below.
	HTTPClient *http.Client
	// TLS verifies the server for SIP over TLS and an https API; nil means the system's
	// trusted roots. Tests and self-signed installations set RootCAs.
	TLS *tls.Config
}

// Engine is the Softphone's headless phone: it implements Controller. Create it with New and
// stop it with Close. Safe for concurrent use.
type Engine struct {
	cfg  Config
	log  *slog.Logger
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	conn   net.PacketConn
	laddr  netip.AddrPort // bound SIP address (may be unspecified IP)

	mu      sync.Mutex
	snap    Snapshot
	calls   map[string]*call // by SIP Call-ID
	order   []string         // call ids, oldest first
	acct    *account         // nil when logged out
	mic     string
	speaker string
	subs    map[int]func(Snapshot)
	nextSub int
	closed  bool
	kick    chan struct{}
	pubMu   sync.Mutex // serialises subscriber calls
	msgSubs map[int]func(InstantMessage)
	msgMu   sync.Mutex // serialises message subscriber calls
}

// account is the state of one login.
type account struct {
	Account
	profile  api.Profile
	token    string
	sipUser  string // extension (or typed user when the API is unreachable)
	domain   string
	server   string        // host:port of the SIP server
	tp       string        // SIP transport: "udp", "tcp" or "tls"
	client   *sipgo.Client // sends this account's requests: the UDP socket's, or one for TCP/TLS
	localIP  netip.Addr    // our address towards the server, for Contact and SDP
	contact  sip.ContactHeader
	dialogUA *sipgo.DialogUA
	cancel   context.CancelFunc
	done     chan struct{}
	callID   string // REGISTER Call-ID
	fromTag  string
	cseq     uint32
}

var _ Controller = (*Engine)(nil)

// New starts an engine: it binds the SIP socket and serves incoming requests until Close.
func New(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "0.0.0.0:0"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Vaihde Softphone"
	}
	if cfg.RegisterExpiry <= 0 {
		cfg.RegisterExpiry = 300 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 8 * time.Second
	}
	if cfg.EndedLinger <= 0 {
		cfg.EndedLinger = 4 * time.Second
	}
	if cfg.TLS == nil {
		cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second,
			Transport: &http.Transport{TLSClientConfig: cfg.TLS.Clone(), Proxy: http.ProxyFromEnvironment}}
	}
	e := &Engine{
		cfg: cfg, log: cfg.Logger, calls: map[string]*call{}, subs: map[int]func(Snapshot){},
		mic: cfg.MicDevice, speaker: cfg.SpeakerDevice, kick: make(chan struct{}, 1),
	}
	e.ctx, e.stop = context.WithCancel(context.Background())

	conn, err := net.ListenPacket("udp", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("listen sip on %s: %w", cfg.ListenAddr, err)
	}
	e.conn = conn
	e.laddr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	host := e.laddr.Addr().Unmap().String()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(cfg.UserAgent), sipgo.WithUserAgenTLSConfig(cfg.TLS.Clone()))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	e.ua = ua
	// Send every request from the listening socket so answers and in-dialog requests come back
	// to the port in our Contact (symmetric signalling through NAT).
	e.client, err = sipgo.NewClient(ua, sipgo.WithClientLogger(e.log),
		sipgo.WithClientConnectionAddr(net.JoinHostPort(host, strconv.Itoa(int(e.laddr.Port())))),
		sipgo.WithClientNAT())
	if err != nil {
		ua.Close()
		conn.Close()
		return nil, fmt.Errorf("sip client: %w", err)
	}
	e.server, err = sipgo.NewServer(ua, sipgo.WithServerLogger(e.log))
	if err != nil {
		ua.Close()
		conn.Close()
		return nil, fmt.Errorf("sip server: %w", err)
	}
	e.server.OnInvite(e.onInvite)
	e.server.OnAck(e.onAck)
	e.server.OnBye(e.onBye)
	e.server.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	})
	e.server.OnNotify(e.onNotify)
	e.server.OnRefer(func(req *sip.Request, tx sip.ServerTransaction) {
		// We transfer others; being transferred is the server's job (it anchors every call).
		_ = tx.Respond(sip.NewResponseFromRequest(req, 501, "Not Implemented", nil))
	})
	e.server.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Allow", allowed))
		_ = tx.Respond(res)
	})
	e.server.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	e.server.OnMessage(e.onMessage)

	e.wg.Add(2)
	go func() {
		defer e.wg.Done()
		if err := e.server.ServeUDP(conn); err != nil && e.ctx.Err() == nil {
			e.log.Error("sip server stopped", "err", err)
		}
	}()
	go e.notifier()
	return e, nil
}

const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, INFO, MESSAGE"

// LocalAddr is the bound SIP address.
func (e *Engine) LocalAddr() netip.AddrPort { return e.laddr }

// SetDevices chooses the microphone and speaker for calls answered or resumed from now on
// ("" = system default).
func (e *Engine) SetDevices(mic, speaker string) {
	e.mu.Lock()
	changed := e.mic != mic || e.speaker != speaker
	e.mic, e.speaker = mic, speaker
	var talking []*call
	for _, id := range e.order {
		if c := e.calls[id]; changed && !c.ended && c.src != nil {
			talking = append(talking, c)
		}
	}
	e.mu.Unlock()
	// Move the talking call to the new devices at once.
	for _, c := range talking {
		e.detachAudio(c)
		e.attachAudio(c)
	}
}

// Close logs out (best effort, bounded), ends all calls and stops every goroutine.
func (e *Engine) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = e.Logout(ctx)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.stop()
	e.conn.Close()
	e.ua.Close()
	e.wg.Wait()
	return nil
}

// Subscribe implements Controller.
func (e *Engine) Subscribe(fn func(Snapshot)) func() {
	e.mu.Lock()
	id := e.nextSub
	e.nextSub++
	e.subs[id] = fn
	s := e.snapshotLocked()
	e.mu.Unlock()
	e.pubMu.Lock()
	fn(s)
	e.pubMu.Unlock()
	return func() {
		e.mu.Lock()
		delete(e.subs, id)
		e.mu.Unlock()
	}
}

// Snapshot implements Controller.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.snapshotLocked()
}

func (e *Engine) snapshotLocked() Snapshot {
	s := e.snap
	s.Calls = make([]Call, 0, len(e.order))
	for _, id := range e.order {
		if c, ok := e.calls[id]; ok {
			s.Calls = append(s.Calls, c.view)
		}
	}
	return s
}

// changed schedules a snapshot for the subscribers. Call with or without e.mu held.
func (e *Engine) changed() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// notifier delivers snapshots to subscribers from one goroutine, never under e.mu.
func (e *Engine) notifier() {
	defer e.wg.Done()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.kick:
		}
		e.mu.Lock()
		s := e.snapshotLocked()
		subs := make([]func(Snapshot), 0, len(e.subs))
		for _, id := range slices.Sorted(maps.Keys(e.subs)) {
			subs = append(subs, e.subs[id])
		}
		e.mu.Unlock()
		e.pubMu.Lock()
		for _, fn := range subs {
			fn(s)
		}
		e.pubMu.Unlock()
	}
}

// goOwned runs f as a goroutine owned by the engine; Close waits for it.
func (e *Engine) goOwned(f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// transportOf returns the account's SIP transport in lower case, "udp" when unset.
func transportOf(a Account) (string, error) {
	switch tp := strings.ToLower(strings.TrimSpace(a.Transport)); tp {
	case "", TransportUDP:
		return TransportUDP, nil
	case TransportTCP, TransportTLS:
		return tp, nil
	default:
		return "", fmt.Errorf("phone: unknown transport %q (udp, tcp or tls)", a.Transport)
	}
}

// splitServer returns host and host:port of the SIP server and the API base URL.
func splitServer(a Account) (host, hostport, apiURL string, err error) {
	tp, err := transportOf(a)
	if err != nil {
		return "", "", "", err
	}
	s := strings.TrimSpace(a.Server)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "sip:"), "sips:")
	if s == "" {
		return "", "", "", errors.New("phone: no server given")
	}
	sipPort, api := "5060", "http://%s:8080"
	if tp == TransportTLS {
		// An encrypted signalling path deserves an encrypted API (the server's HTTPS port).
		sipPort, api = "5061", "https://%s:8443"
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.Trim(s, "[]"), sipPort
	}
	hostport = net.JoinHostPort(host, port)
	apiURL = strings.TrimRight(a.APIURL, "/")
	if apiURL == "" {
		apiURL = strings.Replace(api, "%s", bracketed(host), 1)
	}
	return host, hostport, apiURL, nil
}

// bracketed puts an IPv6 address in brackets for a URL.
func bracketed(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}
