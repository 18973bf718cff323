// Package b2bua is Vaihde's call engine: a back-to-back user agent that answers every call
// itself and places a second call to the callee, anchoring the media of both legs in the RTP
// relay (CALL-4). It forks calls to all of a user's devices (CALL-2), relays hold and resume
// (CALL-5), performs blind and attended transfers (CALL-6), sends external numbers to the carrier
// trunk and routes inbound DIDs to users (CALL-3), and writes the call log (CALL-13). Service
// numbers (feature codes, voicemail, IVRs) it answers itself: Deps.Services returns the media
// application, which runs on a mediaapp.LegChannel over the caller's relay leg: the leg is the
// caller's one RTP endpoint from answer to hang-up, and handing the call to a person (Connect,
// RingOut) bridges that same leg to the person's, never re-INVITEing the caller.
//
// Every SIP dialog the engine takes part in is a leg; a call is two legs whose relay legs are
// bridged. The engine keeps its own dialog state (tags, CSeq, route set, remote target) instead
// of sipgo's dialog helpers, so re-INVITE, BYE and transfer requests are built exactly.
package b2bua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// Trunk configures the carrier trunk (CALL-3, ORG-5).
type Trunk struct {
	Host      string // IP or host name of the carrier's SIP server; empty disables the trunk
	Port      int    // default 5060
	Transport string // "udp" (default), "tcp" or "tls"
	Username  string // digest credentials for outbound calls; never logged
	Password  string
	Domain    string // domain used in From of outbound calls; default Host
	CallerID  string // E.164 shown outward when the caller has no number of its own
	// DIDs maps an inbound E.164 number to the extension it rings.
	DIDs map[string]string
	// OrgDomain names the organisation that owns the DIDs; empty means the demo organisation.
	// DIDs of the organisations' number pools (store.NumberPool) come first; these are the
	// fallback.
	OrgDomain string
	// EmergencyArea says how emergency calls carry the caller's emergency-centre area:
	// "header:<Header-Name>" or "prefix" (config.Trunk.EmergencyArea); empty means
	// config.DefaultEmergencyArea.
	EmergencyArea string
}

// Config of the engine.
type Config struct {
	// MediaIP is the address advertised in SDP for the relay; invalid means the relay's bind IP.
	MediaIP netip.Addr
	// ContactHost and ContactPort are the server's SIP address put in Contact headers (must be
	// reachable by phones and the trunk).
	ContactHost string
	ContactPort int
	// ContactTLSPort is the SIP TLS listener's port, for the Contact of dialogs over TLS; 0
	// means ContactPort.
	ContactTLSPort int
	// UDPLocal, when valid, is the UDP listener address outgoing UDP requests are sent from when
	// no connection to the peer exists yet (so the trunk sees the server's SIP port).
	UDPLocal netip.AddrPort
	Trunk    Trunk
	// RingTimeout ends an unanswered call with 480; default 60 s.
	RingTimeout time.Duration
	// RequestTimeout bounds in-dialog requests (BYE, re-INVITE, NOTIFY); default 10 s.
	RequestTimeout time.Duration
	// ServiceBindIP is no longer used: service calls run on relay legs (the relay's bind IP and
	// port range). Kept so that existing configurations build.
	ServiceBindIP netip.Addr
	// PickupCode is the call pickup feature code: alone it picks up a group colleague's ringing
	// call, followed by an extension that extension's (CALL-7); default DefaultPickupCode.
	PickupCode string
}

// Deps are the engine's collaborators.
type Deps struct {
	Store     store.Store
	Directory signaling.Directory
	Relay     *relay.Pool
	Client    *sipgo.Client
	UA        *sipgo.UserAgent
	Logger    *slog.Logger // used as given; main adds component=b2bua
	// Presence is told about every user's calls and chooses caller IDs by role; nil: no
	// presence (role Mobile's rules for everyone). server/presence.Hub implements it.
	Presence Presence
	// Services answers service numbers with media applications; nil: no service numbers.
	Services Services
	// Transfers answers numbers that a call can be transferred into (call park, CALL-7): a
	// blind transfer or DTMF transfer to such a number runs the flow on the transferee's own
	// relay leg; nil: transfers reach people and outside numbers only.
	Transfers Services
	// Personal applies users' forwarding, presence-based routing, voicemail and away notice;
	// nil: calls ring for RingTimeout and fail as the devices answer.
	Personal Personal
}

// Presence is what call handling tells and asks the presence hub.
type Presence interface {
	// Role is the user's current role (PRES-3); it chooses the caller ID.
	Role(ctx context.Context, userID int64) presence.Role
	// CallState reports a user's call callID: presence.PhoneRinging / PhoneDialing while it is
	// set up, PhoneOnCall once answered, PhoneIdle when it ended. incoming is the user's side.
	// It must not block.
	CallState(userID int64, callID string, incoming bool, state presence.PhoneState, peer string)
}

// Engine handles calls. Its methods are safe for concurrent use.
type Engine struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	trunkIPs map[netip.Addr]bool
	// emergencyHeader (or, when empty, emergencyPrefix) is how emergency calls carry the area.
	emergencyHeader string
	emergencyPrefix bool
	outside         *outsideCounts

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	wgMu    sync.Mutex
	closing bool // guarded by wgMu
	// stopping is closed when Close begins: ringing calls give up (CANCEL) while in-dialog
	// requests such as the final BYEs still run on ctx.
	stopping  chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	legs     map[string]*leg // by Call-ID + "|" + local tag
	calls    map[*call]struct{}
	setup    int // calls being set up (ringing)
	services int // service calls (media applications) running
	// ringing are the dial attempts ringing users, for pickup (pickup.go).
	ringing map[*ringingAttempt]struct{}
}

// New creates an engine; Attach it to a server to start handling calls.
func New(cfg Config, deps Deps) (*Engine, error) {
	if deps.Store == nil || deps.Directory == nil || deps.Relay == nil || deps.Client == nil {
		return nil, errors.New("b2bua: Store, Directory, Relay and Client are required")
	}
	if cfg.ContactHost == "" {
		return nil, errors.New("b2bua: ContactHost is required")
	}
	if cfg.ContactPort == 0 {
		cfg.ContactPort = 5060
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = 60 * time.Second
	}
	if cfg.PickupCode == "" {
		cfg.PickupCode = DefaultPickupCode
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.Trunk.Port == 0 {
		cfg.Trunk.Port = 5060
	}
	if cfg.Trunk.Transport == "" {
		cfg.Trunk.Transport = "udp"
	}
	if cfg.Trunk.Domain == "" {
		cfg.Trunk.Domain = cfg.Trunk.Host
	}
	if cfg.Trunk.EmergencyArea == "" {
		cfg.Trunk.EmergencyArea = config.DefaultEmergencyArea
	}
	emHeader, emPrefix, ok := config.EmergencyAreaHeader(cfg.Trunk.EmergencyArea)
	if !ok {
		return nil, fmt.Errorf("b2bua: trunk emergency area %q must be \"header:<Header-Name>\" or \"prefix\"", cfg.Trunk.EmergencyArea)
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	e := &Engine{
		cfg: cfg, deps: deps, log: log,
		trunkIPs:        map[netip.Addr]bool{},
		emergencyHeader: emHeader, emergencyPrefix: emPrefix,
		outside:  newOutsideCounts(),
		legs:     map[string]*leg{},
		calls:    map[*call]struct{}{},
		stopping: make(chan struct{}),
	}
	if h := cfg.Trunk.Host; h != "" {
		if ip, err := netip.ParseAddr(h); err == nil {
			e.trunkIPs[ip.Unmap()] = true
		} else {
			ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", h)
			if err != nil {
				return nil, fmt.Errorf("b2bua: resolve trunk host %q: %w", h, err)
			}
			for _, ip := range ips {
				e.trunkIPs[ip.Unmap()] = true
			}
		}
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	return e, nil
}

// Attach registers the engine's request handlers on srv.
func (e *Engine) Attach(srv *sipgo.Server) {
	srv.OnInvite(e.safe(e.onInvite))
	srv.OnAck(e.safe(e.onAck))
	srv.OnBye(e.safe(e.onBye))
	srv.OnCancel(e.safe(e.onCancel))
	srv.OnRefer(e.safe(e.onRefer))
	srv.OnInfo(e.safe(e.onInfo))
	srv.OnNotify(e.safe(e.onNotify))
	srv.OnUpdate(e.safe(e.onUpdate))
}

// ActiveCalls is the number of calls being set up or connected.
func (e *Engine) ActiveCalls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.calls) + e.setup + e.services
}

// Close ends every call (BYE to both parties, ringing calls cancelled and answered with 503,
// relay legs closed) and waits a few seconds at most for the engine's goroutines. Call it
// before closing the SIP stack so that the BYEs and CANCELs go out.
func (e *Engine) Close() error {
	first := false
	e.closeOnce.Do(func() { first = true; close(e.stopping) })
	if !first {
		return nil
	}
	e.mu.Lock()
	calls := make([]*call, 0, len(e.calls))
	for c := range e.calls {
		calls = append(calls, c)
	}
	e.mu.Unlock()
	for _, c := range calls {
		e.hangup(c, nil)
	}
	for _, l := range e.serviceLegs() {
		e.endLeg(l, true)
	}
	e.wgMu.Lock()
	e.closing = true
	e.wgMu.Unlock()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	e.cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		return errors.New("b2bua: close: goroutines still running")
	}
	return nil
}

// goOwned runs f on a goroutine the engine waits for in Close. Once Close is waiting, f runs
// on the caller's goroutine instead (a WaitGroup must not grow from zero during Wait).
func (e *Engine) goOwned(f func()) {
	run := func() {
		defer func() {
			if r := recover(); r != nil {
				e.log.Error("call goroutine panicked", "panic", r)
			}
		}()
		f()
	}
	e.wgMu.Lock()
	if e.closing {
		e.wgMu.Unlock()
		run()
		return
	}
	e.wg.Add(1)
	e.wgMu.Unlock()
	go func() {
		defer e.wg.Done()
		run()
	}()
}

// isTrunk reports whether a request comes from the carrier: its source is the trunk's IP and
// SIP port (carriers send from their signalling port; matching the port too keeps phones that
// share the carrier's IP, as in tests on one host, from being taken for it).
func (e *Engine) isTrunk(req *sip.Request) bool {
	if len(e.trunkIPs) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return false
	}
	return e.trunkIPs[ap.Addr().Unmap()] && int(ap.Port()) == e.cfg.Trunk.Port
}

func (e *Engine) contact(transport string) *sip.ContactHeader {
	port := e.cfg.ContactPort
	if strings.EqualFold(transport, "tls") && e.cfg.ContactTLSPort != 0 {
		port = e.cfg.ContactTLSPort
	}
	return signaling.ServerContact(e.cfg.ContactHost, port, transport)
}

// inviteOffer reads an INVITE's SDP offer. hasOffer is false for an INVITE without one (we
// offer in the 200, the answer comes in the ACK); ok is false when it answered 488 (an offer
// we cannot use, or SRTP required where we refuse it).
func inviteOffer(tx sip.ServerTransaction, req *sip.Request) (offer sdpmedia.Media, cdc sdpmedia.Codec, hasOffer, ok bool) {
	if len(req.Body()) == 0 {
		return offer, cdc, false, true
	}
	offer, cdc, err := sdpmedia.ParseNegotiate(req.Body(), sdpmedia.Supported)
	if err != nil || srtpRefused(offer) {
		respond(tx, req, 488, "Not Acceptable Here")
		return offer, cdc, true, false
	}
	return offer, cdc, true, true
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

func dialogKey(callID, localTag string) string { return callID + "|" + localTag }

// lookup finds the leg an in-dialog request from a peer belongs to (our tag is in To).
func (e *Engine) lookup(req *sip.Request) *leg {
	cid, to := req.CallID(), req.To()
	if cid == nil || to == nil {
		return nil
	}
	tag, _ := to.Params.Get("tag")
	if tag == "" {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.legs[dialogKey(string(*cid), tag)]
}

// findDialog finds a leg by Call-ID and the two tags in either order (Replaces, RFC 3891).
func (e *Engine) findDialog(callID, tagA, tagB string) *leg {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l := e.legs[dialogKey(callID, tagA)]; l != nil && l.remoteTag == tagB {
		return l
	}
	if l := e.legs[dialogKey(callID, tagB)]; l != nil && l.remoteTag == tagA {
		return l
	}
	return nil
}
