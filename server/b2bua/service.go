package b2bua

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// Services answers service numbers (feature codes, voicemail access, the activity IVR) with
// server-side media applications.
type Services interface {
	// Service returns the flow that answers call, or ok false when the dialled number is not a
	// service number for this caller (the call is then routed as usual). It must not block long:
	// the INVITE waits for it.
	Service(ctx context.Context, call ServiceCall) (flow mediaapp.Flow, ok bool)
}

// ServiceCall describes a call that may be for a service number.
type ServiceCall struct {
	Org store.Org
	// Caller is the calling user; ID 0 for a caller from the trunk.
	Caller store.User
	// CallerNumber is the caller's extension, or the E.164 number of an external caller.
	CallerNumber string
	// Dialled is the number dialled (for a trunk call, the extension its DID maps to).
	Dialled string
	// Internal is true for a call from a registered user of the organisation.
	Internal bool
	// DID is the E.164 number of the organisation's pool a trunk call arrived on, when the pool
	// (or the trunk's DIDs map) sent it to Dialled; "" otherwise. A group on a test number
	// (8000–8099) answers outside callers only when they came in on such a DID.
	DID string
}

// service is the media side of a service call: the application's RTP endpoint and the flow's
// cancel. It hangs off the caller's leg (leg.svc), which carries the dialog.
type service struct {
	ep     *mediaapp.Endpoint
	cancel context.CancelFunc
	org    store.Org
	caller party // the caller as the service sees it (for handing the call over)

	mu       sync.Mutex
	released bool // the endpoint was closed (call ended or handed over)
	handed   bool // the caller was handed over to a person: the leg lives on
}

// release marks the service's endpoint as done; false if it already was.
func (s *service) release() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.released {
		return false
	}
	s.released = true
	return true
}

// handedOver reports whether the caller left the application for a person.
func (s *service) handedOver() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handed
}

// serviceBind allocates service endpoints' RTP ports from the relay's range when they bind on
// the relay's IP (nil: ephemeral ports on serviceBindIP).
func (e *Engine) serviceBind() func() (*net.UDPConn, *net.UDPConn, func(), error) {
	if e.serviceBindIP() != e.deps.Relay.BindIP() {
		return nil
	}
	return e.deps.Relay.BindPair
}

// serviceBindIP is the IP service endpoints bind RTP on.
func (e *Engine) serviceBindIP() netip.Addr {
	switch {
	case e.cfg.ServiceBindIP.IsValid():
		return e.cfg.ServiceBindIP
	case e.cfg.MediaIP.IsValid() && !e.cfg.MediaIP.IsUnspecified():
		return e.cfg.MediaIP
	}
	return netip.MustParseAddr("127.0.0.1")
}

// serveService answers an INVITE for a service number with a media endpoint and runs flow on
// it until the flow returns (then BYE) or the caller hangs up (then the endpoint closes and the
// flow's channel returns ErrHangup). tag is our To tag ("" for a new one): a call that rang
// before voicemail answers keeps the tag of its provisional responses. The request has been
// answered when it returns.
func (e *Engine) serveService(req *sip.Request, tx sip.ServerTransaction, org store.Org, caller party, dialled string, flow mediaapp.Flow, tag string) {
	callID := string(*req.CallID())
	started := time.Now()
	var (
		offer sdpmedia.Media
		cdc   = sdpmedia.PCMU
		err   error
	)
	hasOffer := len(req.Body()) > 0
	if hasOffer {
		if offer, cdc, err = sdpmedia.ParseNegotiate(req.Body(), sdpmedia.Supported); err != nil || srtpRefused(offer) {
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
	}
	ep, err := mediaapp.NewEndpoint(mediaapp.Config{BindIP: e.serviceBindIP(), Bind: e.serviceBind(),
		Logger: e.log.With("call_id", callID, "service", dialled)})
	if err != nil {
		e.log.Warn("service endpoint", "call_id", callID, "error", err)
		respond(tx, req, 503, "Service Unavailable")
		return
	}
	l := uasLeg(req, nil, caller)
	if tag != "" {
		l.localTag = tag
	}
	svc := &service{ep: ep, org: org, caller: caller}
	l.svc = svc
	if hasOffer {
		l.remoteMedia, l.codec = offer, cdc
		// The keys first: not even the first packet may go out plain.
		if err := ep.SetCrypto(offer); err != nil {
			e.log.Warn("service srtp", "call_id", callID, "error", err)
		}
		if err := ep.SetRemote(offer.AddrPort(), cdc, offer.DTMFPT); err != nil {
			e.log.Warn("service set remote", "call_id", callID, "error", err)
		}
	}
	var body []byte
	if hasOffer {
		m := sdpmedia.Media{Codecs: []sdpmedia.Codec{cdc}, DTMFPT: offer.DTMFPT,
			Direction: offeredDirection(offer).Reverse(), Ptime: 20}
		if err = withCrypto(ep, &m, offer); err == nil {
			body, err = e.serviceSDP(l, m)
		}
	} else {
		// Delayed offer: ours goes in the 200, the answer comes in the ACK (SRTP over TLS).
		m := sdpmedia.Media{Codecs: offerCodecs(sdpmedia.Codec{}),
			DTMFPT: sdpmedia.DefaultDTMFPT, Direction: sdpmedia.SendRecv, Ptime: 20}
		if strings.EqualFold(l.transport, "tls") {
			err = offerCrypto(ep, &m)
		}
		if err == nil {
			body, err = e.serviceSDP(l, m)
		}
	}
	if err != nil {
		_ = ep.Close()
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	callee := party{number: dialled}
	now := time.Now()
	l.rec = e.newRecord(callID, caller, callee, store.Outgoing, started, now)
	l.pres = newPresParty(caller, callID, false, callee)
	e.report(l.pres, presence.PhoneOnCall) // the user is busy while in a service call

	fctx, cancel := context.WithCancel(e.ctx)
	svc.cancel = cancel
	e.mu.Lock()
	e.legs[l.key()] = l
	e.services++
	e.mu.Unlock()
	if err := e.respond2xx(tx, req, l, e.dialogResponse(req, l, 200, "OK", body)); err != nil {
		e.log.Debug("answer service call failed", "call_id", callID, "error", err)
		e.endLeg(l, false)
		cancel()
		return
	}
	e.log.Info("service call answered", "call_id", callID, "from", caller.number, "to", dialled)
	var byeOnce sync.Once
	e.goOwned(func() {
		defer cancel()
		ch := &serviceChannel{Endpoint: ep, e: e, l: l, svc: svc,
			hangup: func() { byeOnce.Do(func() { e.endLeg(l, true) }) }}
		if err := flow(fctx, ch); err != nil && err != mediaapp.ErrHangup && fctx.Err() == nil {
			e.log.Warn("service flow failed", "call_id", callID, "service", dialled, "error", err)
		}
		if !svc.handedOver() {
			byeOnce.Do(func() { e.endLeg(l, true) })
		}
	})
}

// serviceChannel is the flow's view of the endpoint: Hangup sends our BYE and ends the leg.
type serviceChannel struct {
	*mediaapp.Endpoint
	hangup func()
	e      *Engine
	l      *leg
	svc    *service
}

// Hangup implements mediaapp.Channel.
func (c *serviceChannel) Hangup(context.Context) error {
	if c.svc.handedOver() {
		return nil
	}
	c.hangup()
	return nil
}

// Connect implements mediaapp.Connector: the caller leaves the application for number.
func (c *serviceChannel) Connect(ctx context.Context, number string, bypass bool) error {
	return c.e.handOver(ctx, c.l, c.svc, 0, number, bypass)
}

// ConnectAs implements mediaapp.ConnectorAs: as Connect, an outside number called on the
// authority of user by (who set it).
func (c *serviceChannel) ConnectAs(ctx context.Context, by int64, number string, bypass bool) error {
	return c.e.handOver(ctx, c.l, c.svc, by, number, bypass)
}

// serviceSDP builds an SDP for the service endpoint of l.
func (e *Engine) serviceSDP(l *leg, m sdpmedia.Media) ([]byte, error) {
	svc := l.service()
	if svc == nil {
		return nil, errHandedOver
	}
	la := svc.ep.LocalAddr()
	m.Addr = e.cfg.MediaIP
	if !m.Addr.IsValid() || m.Addr.IsUnspecified() {
		m.Addr = la.Addr()
	}
	m.Port = int(la.Port())
	l.mu.Lock()
	if l.sdpID == 0 {
		l.sdpID = uint64(time.Now().UnixNano()&0x7fffffff) + 1
	}
	l.sdpVer++
	id, ver := l.sdpID, l.sdpVer
	l.mu.Unlock()
	return sdpmedia.Build(m, id, ver)
}

// endService closes the media of a service leg that ended; the flow's channel then returns
// ErrHangup. Called by endLeg.
func (e *Engine) endService(l *leg, svc *service) {
	if !e.retireService(svc) {
		return // handed over: the endpoint is closed already
	}
	st := svc.ep.Stats()
	e.log.Debug("service leg ended", "call_id", l.callID, "party", l.party.number,
		"rtp_in", st.PacketsIn, "rtp_out", st.PacketsOut, "digits", st.Digits)
	if svc.cancel != nil {
		svc.cancel()
	}
}

// retireService closes a service's media endpoint and stops counting it, once (the call ended
// or was handed over to a person); false if that already happened.
func (e *Engine) retireService(svc *service) bool {
	if !svc.release() {
		return false
	}
	e.mu.Lock()
	e.services--
	e.mu.Unlock()
	_ = svc.ep.Close()
	return true
}

// serviceRemote applies the caller's SDP (an answer in the ACK, or a re-INVITE's offer) to the
// endpoint and returns the codec chosen.
func (e *Engine) serviceRemote(l *leg, m sdpmedia.Media) (sdpmedia.Codec, error) {
	l.mu.Lock()
	current := l.codec
	l.mu.Unlock()
	c, err := pickCodec(m, current)
	if err != nil {
		return c, err
	}
	l.mu.Lock()
	l.remoteMedia, l.codec = m, c
	l.mu.Unlock()
	if svc := l.service(); svc == nil {
		return c, errHandedOver
	} else if err := svc.ep.SetCrypto(m); err != nil {
		e.log.Warn("service srtp", "call_id", l.callID, "error", err)
	} else if err := svc.ep.SetRemote(m.AddrPort(), c, m.DTMFPT); err != nil {
		e.log.Warn("service set remote", "call_id", l.callID, "error", err)
	}
	return c, nil
}

// serviceReInvite answers a re-INVITE or UPDATE of a service call (a hold is simply answered;
// the application goes on).
func (e *Engine) serviceReInvite(l *leg, req *sip.Request, tx sip.ServerTransaction) {
	if req.Method == sip.INVITE {
		l.setTarget(req.Contact())
	}
	l.mu.Lock()
	current := l.codec
	l.mu.Unlock()
	var body []byte
	var err error
	if len(req.Body()) == 0 {
		if req.Method != sip.INVITE {
			respond(tx, req, 200, "OK")
			return
		}
		m := sdpmedia.Media{Codecs: offerCodecs(current),
			DTMFPT: sdpmedia.DefaultDTMFPT, Direction: sdpmedia.SendRecv, Ptime: 20}
		l.mu.Lock()
		party := l.remoteMedia
		l.mu.Unlock()
		if svc := l.service(); svc != nil {
			err = withCrypto(svc.ep, &m, party)
		}
		if err == nil {
			body, err = e.serviceSDP(l, m)
		}
	} else {
		m, perr := sdpmedia.Parse(req.Body())
		if perr != nil || srtpRefused(m) {
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		c, nerr := e.serviceRemote(l, m)
		if nerr != nil {
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		a := sdpmedia.Media{Codecs: []sdpmedia.Codec{c}, DTMFPT: m.DTMFPT,
			Direction: offeredDirection(m).Reverse(), Ptime: 20}
		if svc := l.service(); svc != nil {
			err = withCrypto(svc.ep, &a, m)
		}
		if err == nil {
			body, err = e.serviceSDP(l, a)
		}
	}
	if err != nil {
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	res := e.inDialogResponse(req, l, body)
	if req.Method == sip.INVITE {
		_ = e.respond2xx(tx, req, l, res)
	} else {
		_ = tx.Respond(res)
	}
}

// serviceInfo feeds a SIP INFO DTMF key to the application.
func (e *Engine) serviceInfo(l *leg, req *sip.Request) {
	ct := req.ContentType()
	if ct == nil || len(req.Body()) == 0 {
		return
	}
	key, err := mediaapp.ParseDTMFInfo(ct.Value(), req.Body())
	if err != nil {
		e.log.Debug("service info not dtmf", "call_id", l.callID, "error", err)
		return
	}
	if svc := l.service(); svc == nil {
		return
	} else if err := svc.ep.InjectDigit(key); err != nil {
		e.log.Debug("service info digit", "call_id", l.callID, "error", err)
	}
}

// serviceLegs returns the legs of running service calls.
func (e *Engine) serviceLegs() []*leg {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*leg
	for _, l := range e.legs {
		if l.service() != nil {
			out = append(out, l)
		}
	}
	return out
}
