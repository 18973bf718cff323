package b2bua

import (
	"context"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/relay"
)

// Transfers into applications and joining two applications' callers (call park, CALL-7). A
// user parks the other party by transferring it (REFER or the DTMF code) to a number of
// Deps.Transfers: the transferee's own relay leg gets a LegChannel and the flow runs on it (the
// same leg as before, no re-INVITE), exactly as if the transferee had dialled the number. A
// retrieving user's flow later joins the two callers (mediaapp.Joiner): the relay bridges their
// legs and both applications end.

// transferFlow asks Deps.Transfers whether dialled is a number other (the transferee) can be
// transferred into by l (the transferor) in call c.
func (e *Engine) transferFlow(ctx context.Context, l *leg, c *call, other *leg, dialled string) (mediaapp.Flow, bool) {
	if e.deps.Transfers == nil {
		return nil, false
	}
	sc := ServiceCall{Org: c.org, Caller: other.party.user, CallerNumber: other.party.number, Dialled: dialled,
		Internal: other.party.user.ID != 0 && other.party.user.OrgID == c.org.ID, TransferredBy: l.party.user}
	flow, ok := e.deps.Transfers.Service(ctx, sc)
	return flow, ok && flow != nil
}

// transferIntoService takes other (the transferee) out of call c and runs flow on its relay
// leg; l (the transferor) leaves the call, and the caller ends its leg. beforeBridge, when not
// nil, runs before the flow's channel takes the leg (the DTMF code's music stops). The flow
// always runs, also when the transferee hung up meanwhile (it then sees ErrHangup at once), so
// that whatever the service reserved for it is given back by the flow. It returns 200.
func (e *Engine) transferIntoService(l *leg, c *call, other *leg, dialled string, flow mediaapp.Flow, beforeBridge func()) int {
	e.mu.Lock()
	if _, ok := e.calls[c]; ok && c.other(l) == other {
		delete(e.calls, c)
		c.a, c.b = nil, nil
	}
	l.call, other.call = nil, nil
	e.services++
	e.mu.Unlock()
	c.finish()
	if beforeBridge != nil {
		beforeBridge()
	}
	media := other.mediaLeg()
	media.Unbridge()
	svc := &service{org: c.org, caller: other.party}
	svc.ch = mediaapp.NewLegChannel(media, mediaapp.LegOptions{Logger: e.log.With("call_id", other.callID, "service", dialled)})
	other.mu.Lock()
	gone := other.ended
	if !gone {
		other.svc = svc
	}
	other.mu.Unlock()
	if gone {
		e.retireService(svc)
	}
	e.repeer(other, party{number: dialled})
	fctx, cancel := context.WithCancel(e.ctx)
	svc.cancel = cancel
	e.log.Info("call transferred into service", "call_id", other.callID, "transferee", other.party.number,
		"transferor", l.party.number, "service", dialled)
	e.runService(fctx, cancel, other, svc, dialled, flow)
	return 200
}

// Join implements mediaapp.Joiner: this channel's caller and other's are bridged in a new call
// and both applications end.
func (c *serviceChannel) Join(_ context.Context, other mediaapp.Channel) (mediaapp.Answered, error) {
	o, ok := other.(*serviceChannel)
	if !ok || o.e != c.e || o.l == c.l {
		return mediaapp.Answered{}, fmt.Errorf("join: not a call of this engine: %w", mediaapp.ErrNotJoinable)
	}
	if c.svc.org.ID != o.svc.org.ID {
		c.e.log.Warn("join refused", "reason", "calls of different organisations", "a", c.l.callID, "b", o.l.callID)
		return mediaapp.Answered{}, fmt.Errorf("join: calls of different organisations: %w", mediaapp.ErrNotJoinable)
	}
	return c.e.joinServices(c.l, c.svc, o.l, o.svc)
}

// joinServices bridges service legs a and b in a new call and ends both applications. If
// either caller hung up (or left its application) nothing changes and an error is returned.
func (e *Engine) joinServices(a *leg, asvc *service, b *leg, bsvc *service) (mediaapp.Answered, error) {
	alive := func(l *leg, svc *service) bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return !l.ended && l.svc == svc && !svc.handedOver()
	}
	if !alive(a, asvc) {
		return mediaapp.Answered{}, fmt.Errorf("join: %w", mediaapp.ErrHangup)
	}
	if !alive(b, bsvc) {
		return mediaapp.Answered{}, fmt.Errorf("join: other party gone: %w", mediaapp.ErrNotJoinable)
	}
	e.releaseService(a, asvc)
	e.releaseService(b, bsvc)
	c := &call{org: asvc.org, a: a, b: b}
	e.mu.Lock()
	a.call, b.call = c, c
	e.calls[c] = struct{}{}
	e.mu.Unlock()
	a.mu.Lock()
	gone := a.ended
	a.mu.Unlock()
	b.mu.Lock()
	gone = gone || b.ended
	b.mu.Unlock()
	if gone { // a caller hung up while the call was published: end it as a whole
		e.hangup(c, nil)
		return mediaapp.Answered{}, fmt.Errorf("join: %w", mediaapp.ErrHangup)
	}
	e.repeer(a, b.party)
	e.repeer(b, a.party)
	relay.Bridge(a.mediaLeg(), b.mediaLeg())
	e.callConnected(c)
	e.resume(a)
	e.resume(b)
	e.log.Info("calls joined", "a", a.party.number, "b", b.party.number)
	return mediaapp.Answered{UserID: b.party.user.ID, At: time.Now(), Done: c.ended()}, nil
}

var _ mediaapp.Joiner = (*serviceChannel)(nil)
