package b2bua

import (
	"context"
	"strings"
	"sync"

	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
)

// Outside calls (NF-1 toll-fraud protection, CALL-10 emergency calls). Every call the server
// places on the trunk goes through allowOutside: it names the organisation user who authorised
// it (the caller, the user whose forward or transfer sends a call on), applies the
// organisation's and the user's barring (routing.Barred), and takes one of the organisation's
// and the user's outside-call slots, which the answered leg gives back when it ends. A call
// nobody of the organisation authorised never goes out. Emergency calls are never barred nor
// refused for the limits (they still occupy a slot while they last).

// outsideCounts are the outside calls in progress, by organisation and by authorising user.
type outsideCounts struct {
	mu   sync.Mutex
	org  map[int64]int
	user map[int64]int
}

func newOutsideCounts() *outsideCounts {
	return &outsideCounts{org: map[int64]int{}, user: map[int64]int{}}
}

// take reserves a slot for user u of org; unless force, it fails with the refusal's status and
// reason when a limit is reached. release gives the slot back (idempotent).
func (o *outsideCounts) take(org store.Org, u store.User, force bool) (release func(), code int, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !force {
		if max := org.MaxOutsideCalls; max > 0 && o.org[org.ID] >= max {
			return nil, 503, "Too many outside calls in the organisation"
		}
		if max := org.MaxOutsideCallsPerUser; max > 0 && o.user[u.ID] >= max {
			return nil, 403, "Too many outside calls for this user"
		}
	}
	o.org[org.ID]++
	o.user[u.ID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			if o.org[org.ID]--; o.org[org.ID] <= 0 {
				delete(o.org, org.ID)
			}
			if o.user[u.ID]--; o.user[u.ID] <= 0 {
				delete(o.user, u.ID)
			}
		})
	}, 0, ""
}

// current returns the outside calls in progress for org and for user (tests, status).
func (o *outsideCounts) current(orgID, userID int64) (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.org[orgID], o.user[userID]
}

// allowOutside decides whether the trunk call to target (target.By authorising it) may go out
// in org, and reserves its slot. It returns the authorising user as stored now (barring and the
// emergency area are read fresh, not from a cache). On refusal release is nil and code/reason
// say why (logged).
func (e *Engine) allowOutside(ctx context.Context, org store.Org, target routing.Target) (release func(), by store.User, code int, reason string) {
	refuse := func(code int, reason string, by store.User) (func(), store.User, int, string) {
		e.log.Warn("outside call refused", "org", org.Domain, "by", by.Extension, "number", target.Number.Value, "status", code, "reason", reason)
		return nil, by, code, reason
	}
	if target.By == 0 {
		// Toll-fraud protection: an outside caller (a REFER or a transfer code from the
		// trunk, a forward nobody set) must never make the server call out.
		return refuse(403, "Outside calls only for the organisation's users", store.User{})
	}
	u, err := e.deps.Store.UserByID(ctx, target.By)
	if err != nil || u.OrgID != org.ID {
		e.log.Warn("outside call: authorising user", "org", org.Domain, "user_id", target.By, "error", err)
		return refuse(403, "Outside calls only for the organisation's users", store.User{})
	}
	if !target.Emergency {
		if barred, why := routing.Barred(routing.Barring{
			OrgInternational: org.BarInternational, OrgPremium: org.BarPremium,
			UserOutside: u.BarOutside, UserInternational: u.BarInternational,
		}, target.Number.Value, org.CountryCode); barred {
			return refuse(403, capitalise(why), u)
		}
	}
	release, code, reason = e.outside.take(org, u, target.Emergency)
	if release == nil {
		return refuse(code, reason, u)
	}
	return release, u, 0, ""
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// emergencyTarget is the trunk target of an emergency call by caller (CALL-10).
func emergencyTarget(caller party, dialled string) routing.Target {
	t := routing.Target{Kind: routing.Trunk, By: caller.user.ID, Emergency: true}
	t.Number.Value = routing.CompactDigits(dialled)
	return t
}
