package b2bua

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// Call pickup (CALL-7): a user of the organisation answers a colleague's ringing call from their
// own phone. Dialling PickupCode+<ext> picks up the call ringing at <ext> (directed pickup);
// PickupCode alone picks up the longest-ringing call of a colleague who shares a hunt group or
// queue with the picker, or of anyone in the organisation when the picker is in no group.
//
// Every dial attempt that rings users registers itself while it rings. A pickup answers the
// picker's INVITE with SDP of the attempt's own relay leg (the one its forks share) and hands
// the picker's leg to the attempt as its answered fork: the forks are CANCELled as when a
// device answers, and the caller's side goes on exactly as after any answer (one media path,
// no re-INVITE of the caller).
//
// Busy-lamp keys pick up by dialling PickupCode+<ext>. An INVITE with Replaces naming the early
// dialog to the rung phone would be allowed (RFC 3891 section 3: the server is that dialog's
// UAC), but the dialog-info the server sends (presence.DialogInfo) names calls by a presence key
// and carries no call-id, local-tag or remote-tag, so a phone cannot build such a Replaces.

// DefaultPickupCode is the pickup feature code (Config.PickupCode).
const DefaultPickupCode = "990"

// pickable describes whom a dial attempt rings, for pickup.
type pickable struct {
	orgID  int64
	caller int64         // the caller's user ID (0: an outside caller)
	users  map[int64]int // rung user ID → index of their target in the attempt (-1: a plain call)
}

// ringingAttempt is a dial attempt that rings users, while it rings.
type ringingAttempt struct {
	p       *pickable
	started time.Time
	d       *dialing
	media   *relay.Leg
	prefer  sdpmedia.Codec
	results chan<- forkResult
}

// addRinging registers an attempt; the returned func removes it.
func (e *Engine) addRinging(a *ringingAttempt) func() {
	e.mu.Lock()
	if e.ringing == nil {
		e.ringing = map[*ringingAttempt]struct{}{}
	}
	e.ringing[a] = struct{}{}
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		delete(e.ringing, a)
		e.mu.Unlock()
	}
}

// isPickup reports whether dialled is the pickup code, alone or followed by an extension.
func (e *Engine) isPickup(dialled string) bool {
	rest, ok := strings.CutPrefix(dialled, e.cfg.PickupCode)
	return ok && e.cfg.PickupCode != "" && number.AllDigits(rest)
}

// pickupColleagues returns the users who share a hunt group or queue with picker; nil when the
// picker is in no group (then anyone of the organisation counts).
func (e *Engine) pickupColleagues(ctx context.Context, orgID, picker int64) map[int64]bool {
	var groups [][]int64
	if hs, err := e.deps.Store.HuntGroups(ctx, orgID); err == nil {
		for _, h := range hs {
			groups = append(groups, h.Members)
		}
	} else {
		e.log.Warn("pickup: hunt groups", "org_id", orgID, "error", err)
	}
	if qs, err := e.deps.Store.Queues(ctx, orgID); err == nil {
		for _, q := range qs {
			ids := make([]int64, 0, len(q.Members))
			for _, m := range q.Members {
				ids = append(ids, m.UserID)
			}
			groups = append(groups, ids)
		}
	} else {
		e.log.Warn("pickup: queues", "org_id", orgID, "error", err)
	}
	var out map[int64]bool
	for _, members := range groups {
		if !slices.Contains(members, picker) {
			continue
		}
		if out == nil {
			out = map[int64]bool{}
		}
		for _, id := range members {
			if id != picker {
				out[id] = true
			}
		}
	}
	return out
}

// findRinging returns the longest-ringing attempt of the organisation that rings a user for
// whom want is true, never one the picker places or that rings the picker too, with the
// index of the picked user's target.
func (e *Engine) findRinging(orgID, picker int64, want func(int64) bool) (*ringingAttempt, int, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var (
		best   *ringingAttempt
		target int
	)
	for a := range e.ringing {
		if a.p.orgID != orgID || a.p.caller == picker {
			continue
		}
		if _, self := a.p.users[picker]; self {
			continue
		}
		for u, i := range a.p.users {
			if want(u) && (best == nil || a.started.Before(best.started)) {
				best, target = a, i
			}
		}
	}
	return best, target, best != nil
}

// pickup answers the INVITE of picker (an authenticated user of org) to the pickup code.
func (e *Engine) pickup(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, org store.Org, picker party, dialled string) {
	ext := strings.TrimPrefix(dialled, e.cfg.PickupCode)
	var want func(int64) bool
	if ext != "" {
		u, err := e.deps.Store.UserByExtension(ctx, org.ID, ext)
		if err != nil || u.OrgID != org.ID || u.ID == picker.user.ID {
			respond(tx, req, 404, "Not Found")
			return
		}
		want = func(id int64) bool { return id == u.ID }
	} else {
		colleagues := e.pickupColleagues(ctx, org.ID, picker.user.ID)
		want = func(id int64) bool { return id != picker.user.ID && (colleagues == nil || colleagues[id]) }
	}
	a, target, ok := e.findRinging(org.ID, picker.user.ID, want)
	if !ok {
		e.log.Info("pickup: nothing ringing", "org", org.Domain, "picker", picker.number, "dialled", dialled)
		respond(tx, req, 480, "Nothing To Pick Up")
		return
	}
	offer, cdc, hasOffer, ok := inviteOffer(tx, req)
	if !ok {
		return
	}
	l := uasLeg(req, a.media, picker)
	l.ringTarget = target
	var (
		body []byte
		err  error
	)
	if hasOffer {
		if c, perr := pickCodec(offer, a.prefer); perr == nil {
			cdc = c
		}
		l.remoteMedia, l.codec = offer, cdc
		body, err = e.answer(l, offer, cdc)
	} else {
		body, err = e.offer(l, sdpmedia.SendRecv, a.prefer)
	}
	if err != nil {
		e.log.Error("pickup: sdp", "call_id", l.callID, "error", err)
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	// The picker is answered while the attempt is claimed, so that the attempt never ends (nor
	// hangs up) a leg whose 200 is not out yet; only the claimed leg may steer the shared relay
	// leg.
	claimed := a.d.claimThen(l, func() {
		if hasOffer {
			if err := a.media.SetRemote(offer, cdc); err != nil {
				e.log.Warn("pickup: relay set remote", "call_id", l.callID, "error", err)
			}
		}
		e.mu.Lock()
		e.legs[l.key()] = l
		e.mu.Unlock()
		if err := e.respond2xx(tx, req, l, e.dialogResponse(req, l, 200, "OK", body)); err != nil {
			e.log.Debug("pickup: answer picker failed", "call_id", l.callID, "error", err)
		}
	})
	if !claimed {
		respond(tx, req, 480, "Nothing To Pick Up") // answered or given up meanwhile
		return
	}
	a.results <- forkResult{leg: l}
	e.log.Info("call picked up", "org", org.Domain, "picker", picker.number, "dialled", dialled)
}
