package b2bua

import (
	"context"
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
	// TransferredBy is the user who transferred the call to Dialled (blind transfer or the DTMF
	// transfer code); Caller is then the transferee (ID 0 for an outside party). ID 0 for a call
	// dialled directly. Only Deps.Transfers is asked about transferred calls.
	TransferredBy store.User
}

// service is a media application running on a call's leg: the flow's channel over the leg's
// relay leg (the caller's one RTP endpoint) and the flow's cancel. It hangs off the caller's
// leg (leg.svc), which carries the dialog and the relay leg.
type service struct {
	ch     *mediaapp.LegChannel
	cancel context.CancelFunc
	org    store.Org
	caller party // the caller as the service sees it (for handing the call over)

	mu       sync.Mutex
	released bool // the channel was closed (call ended or handed over)
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

// serveService answers an INVITE for a service number on a relay leg and runs flow on it until
// the flow returns (then BYE) or the caller hangs up (then the flow's channel returns
// ErrHangup). The relay leg is the caller's media from answer to hang-up: when the flow hands
// the call to a person the same leg is bridged to theirs. tag is our To tag ("" for a new
// one): a call that rang before voicemail answers keeps the tag of its provisional responses.
// The request has been answered when it returns.
func (e *Engine) serveService(req *sip.Request, tx sip.ServerTransaction, org store.Org, caller party, dialled string, flow mediaapp.Flow, tag string) {
	callID := string(*req.CallID())
	started := time.Now()
	offer, cdc, hasOffer, ok := inviteOffer(tx, req)
	if !ok {
		return
	}
	media, err := e.deps.Relay.NewLeg()
	if err != nil {
		e.log.Warn("service media", "call_id", callID, "error", err)
		respond(tx, req, 503, "Service Unavailable")
		return
	}
	l := uasLeg(req, media, caller)
	if tag != "" {
		l.localTag = tag
	}
	var body []byte
	if hasOffer {
		l.remoteMedia, l.codec = offer, cdc
		// The keys come with the SDP: not even the first packet goes out plain.
		if err := media.SetRemote(offer, cdc); err != nil {
			e.log.Warn("service set remote", "call_id", callID, "error", err)
		}
		body, err = e.answer(l, offer, cdc)
	} else {
		// Delayed offer: ours goes in the 200, the answer comes in the ACK (SRTP over TLS).
		body, err = e.offer(l, sdpmedia.SendRecv, sdpmedia.Codec{})
	}
	if err != nil {
		_ = media.Close()
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	svc := &service{org: org, caller: caller}
	svc.ch = mediaapp.NewLegChannel(media, mediaapp.LegOptions{Logger: e.log.With("call_id", callID, "service", dialled)})
	l.svc = svc
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
	e.runService(fctx, cancel, l, svc, dialled, flow)
}

// runService runs flow on service leg l's channel on a goroutine the engine owns: when the flow
// returns the leg ends with our BYE, unless the caller was handed over to a person meanwhile.
func (e *Engine) runService(fctx context.Context, cancel context.CancelFunc, l *leg, svc *service, dialled string, flow mediaapp.Flow) {
	callID := l.callID
	var byeOnce sync.Once
	e.goOwned(func() {
		defer cancel()
		ch := &serviceChannel{LegChannel: svc.ch, e: e, l: l, svc: svc,
			hangup: func() { byeOnce.Do(func() { e.endLeg(l, true) }) }}
		if err := flow(fctx, ch); err != nil && err != mediaapp.ErrHangup && fctx.Err() == nil {
			e.log.Warn("service flow failed", "call_id", callID, "service", dialled, "error", err)
		}
		if svc.handedOver() {
			return
		}
		// A flow that let the caller talk to a person (Ring.Resume) and returned meanwhile
		// leaves the caller with them.
		e.mu.Lock()
		c := l.call
		if c != nil {
			c.back = nil
		}
		e.mu.Unlock()
		if c != nil {
			e.releaseService(l, svc)
			return
		}
		byeOnce.Do(func() { e.endLeg(l, true) })
	})
}

// serviceChannel is the flow's view of the endpoint: Hangup sends our BYE and ends the leg.
type serviceChannel struct {
	*mediaapp.LegChannel
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

// endService stops the application of a service leg that ended; the flow's channel then
// returns ErrHangup. Called by endLeg (which closes the relay leg).
func (e *Engine) endService(l *leg, svc *service) {
	if !e.retireService(svc) {
		return // handed over: the channel is closed already
	}
	st := svc.ch.Stats()
	e.log.Debug("service leg ended", "call_id", l.callID, "party", l.party.number,
		"rtp_in", st.PacketsIn, "rtp_out", st.PacketsOut, "digits", st.Digits)
	if svc.cancel != nil {
		svc.cancel()
	}
}

// retireService closes a service's channel (not the relay leg, which is the call's) and stops
// counting it, once (the call ended or was handed over to a person); false if that already
// happened.
func (e *Engine) retireService(svc *service) bool {
	if !svc.release() {
		return false
	}
	e.mu.Lock()
	e.services--
	e.mu.Unlock()
	_ = svc.ch.Close()
	return true
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
