package b2bua

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// errHandedOver: the service leg's media belongs to a person's call now.
var errHandedOver = errors.New("b2bua: service call handed over")

// service returns the leg's media application, nil for a leg of a call between people.
func (l *leg) service() *service {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.svc
}

// ringback is the tone a caller handed over from an application hears while the person's
// devices ring (425 Hz, 1 s on, 4 s off: the European ringing tone).
var ringback = func() mediaapp.Clip {
	on, off := mediaapp.Tone(425, time.Second), mediaapp.Silence(4*time.Second)
	return mediaapp.Clip{Name: "ringback", Samples: append(append([]int16{}, on.Samples...), off.Samples...)}
}()

// handOver connects the caller of service leg l to number (VM-3 press 1 / press 2, AWAY-1):
// the number rings while the caller hears ringback from the application; once answered the
// caller is re-INVITEd to a relay leg bridged with the new party and the application's media
// ends. On failure the caller stays in the application and an error says why. An outside
// number is called on the authority of user by (who set the number), or of the caller when by
// is 0 (allowOutside).
func (e *Engine) handOver(ctx context.Context, l *leg, svc *service, by int64, number string, bypass bool) error {
	org, caller := svc.org, svc.caller
	if by == 0 {
		by = caller.user.ID
	}
	target, err := routing.Route(ctx, e.deps.Store, org, number, routing.Caller{Internal: true, UserID: by})
	if err != nil {
		return fmt.Errorf("hand over to %s: %w", number, err)
	}
	if target.Kind != routing.User && target.Kind != routing.Trunk {
		return fmt.Errorf("hand over to %s: %s", number, target.Kind)
	}
	ringTime := time.Duration(0)
	if target.Kind == routing.User {
		// Press 2 rings the person whatever the rules; press 1 (another number) follows the
		// rules of whoever it reaches, but never into another application.
		shown := e.internalIdentity(caller, e.role(ctx, caller.user.ID), org).shown
		p := e.arrive(ctx, org, shown, caller, target, 0, bypass)
		if p.flow != nil {
			return fmt.Errorf("hand over to %s: diverted again", number)
		}
		target, ringTime = p.target, p.ring
	}
	r, err := e.reachFor(ctx, org, caller, target, number)
	if err != nil {
		return fmt.Errorf("hand over to %s: %w", number, err)
	}
	if len(r.dests) == 0 {
		if r.refused != 0 {
			return fmt.Errorf("hand over to %s: %s", number, r.reason)
		}
		return fmt.Errorf("hand over to %s: not reachable", number)
	}
	id, callee := r.id, r.callee
	mediaB, err := e.deps.Relay.NewLeg()
	if err != nil {
		r.drop()
		return fmt.Errorf("hand over: %w", err)
	}
	l.mu.Lock()
	prefer := l.codec
	l.mu.Unlock()

	// The caller hears ringback until the attempt ends; hanging up abandons it.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rctx, stopRing := context.WithCancel(dctx)
	e.goOwned(func() {
		select {
		case <-svc.ep.Done():
			cancel()
		case <-dctx.Done():
		}
	})
	e.goOwned(func() { _ = svc.ep.Loop(rctx, ringback) })
	calleePres := newPresParty(callee, "", true, id.shown)
	e.report(calleePres, presence.PhoneRinging)
	started := time.Now()
	spec := r.spec(mediaB, prefer)
	spec.timeout = ringTime
	b, code := e.dial(dctx, spec)
	stopRing()
	if b == nil {
		e.report(calleePres, presence.PhoneIdle)
		mediaB.Close()
		if target.Kind == routing.User {
			e.logOutcome(ctx, l.callID, party{}, id.shown, callee, store.Missed, started, true)
		}
		return fmt.Errorf("hand over to %s: %d %s", number, code, reasonFor(code))
	}
	// Move the caller's media from the application to a relay leg bridged with b.
	mediaA, err := e.deps.Relay.NewLeg()
	if err != nil {
		e.report(calleePres, presence.PhoneIdle)
		e.endLeg(b, true)
		return fmt.Errorf("hand over: %w", err)
	}
	l.mu.Lock()
	l.media = mediaA
	remote, codec := l.remoteMedia, l.codec
	l.mu.Unlock()
	if remote.Port != 0 && codec.Name != "" {
		_ = mediaA.SetRemote(remote, codec)
	}
	if err := e.reinvite(ctx, l, sdpmedia.SendRecv); err != nil {
		l.mu.Lock()
		l.media = nil
		l.mu.Unlock()
		mediaA.Close()
		e.report(calleePres, presence.PhoneIdle)
		e.endLeg(b, true)
		return fmt.Errorf("hand over: %w", err)
	}
	l.mu.Lock()
	gone := l.ended
	l.mu.Unlock()
	if gone { // the caller hung up while b answered
		e.report(calleePres, presence.PhoneIdle)
		e.endLeg(b, true)
		return fmt.Errorf("hand over to %s: %w", number, mediaapp.ErrHangup)
	}
	svc.mu.Lock()
	svc.handed = true
	svc.mu.Unlock()
	l.mu.Lock()
	l.svc = nil
	l.mu.Unlock()
	e.retireService(svc)
	b.pres = calleePres
	e.report(calleePres, presence.PhoneOnCall)
	c := &call{org: org, a: l, b: b}
	e.mu.Lock()
	l.call, b.call = c, c
	e.calls[c] = struct{}{}
	e.legs[b.key()] = b
	e.mu.Unlock()
	b.rec = e.newRecord(l.callID, callee, id.shown, store.Incoming, started, time.Now())
	e.repeer(l, callee)
	relay.Bridge(mediaA, mediaB)
	e.callConnected(c)
	e.log.Info("service call handed over", "call_id", l.callID, "from", caller.number, "to", callee.number)
	return nil
}
