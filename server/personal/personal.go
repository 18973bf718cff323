// Package personal owns users' personal call routing as the call engine applies it: it gathers
// the facts of a call for a user — forwarding settings, presence (activity, role), voicemail
// settings and the user's VIP contacts — asks server/routing.Decide, and builds the voicemail
// or away-notice application when the decision is to answer the caller (ROUTE-1…2, PRES-5,
// PRES-6, VM-3, VM-5, AWAY-1). It implements b2bua.Personal.
package personal

import (
	"context"
	"log/slog"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/voicemail"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// Presence is what routing reads of a user's presence; *presence.Hub implements it.
type Presence interface {
	Get(ctx context.Context, userID int64) (presence.State, error)
}

// Store is what routing reads from the database; store.Store implements it.
type Store interface {
	Forwarding(ctx context.Context, userID int64) (store.Forwarding, error)
	VoicemailSettings(ctx context.Context, userID int64) (store.VoicemailSettings, error)
	ContactsOf(ctx context.Context, orgID, ownerID int64) ([]store.Contact, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
}

// Deps are the router's collaborators.
type Deps struct {
	Store    Store
	Presence Presence // nil: everyone is available
	// Voicemail builds the deposit and away-notice flows; nil (or without Voice) means the
	// server cannot answer with voicemail, so calls ring and fail as their devices answer.
	Voicemail *voicemail.DepositDeps
	Logger    *slog.Logger
	// Now is the clock of office hours; nil: time.Now. Location overrides the time zone they
	// are kept in; nil: the callee's organisation's (Org.Location).
	Now      func() time.Time
	Location *time.Location
}

// Router implements b2bua.Personal.
type Router struct {
	d   Deps
	log *slog.Logger
}

// New returns a router.
func New(d Deps) *Router {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Router{d: d, log: log}
}

// lookupTimeout bounds the database and presence reads of one decision: the caller waits.
const lookupTimeout = 3 * time.Second

// Divert implements b2bua.Personal. A fact it cannot read is taken at its harmless default
// (no forwarding, available, voicemail on) and logged: a call is never lost to a lookup error.
func (r *Router) Divert(ctx context.Context, c b2bua.PersonalCall) b2bua.Diversion {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	u := c.Callee
	log := r.log.With("user", u.Extension, "stage", c.Stage.String())
	f := routing.Facts{Stage: c.Stage, Via: c.Via, Hops: c.Hops, Bypass: c.Bypass}
	fw, err := r.d.Store.Forwarding(ctx, u.ID)
	if err != nil {
		log.Warn("forwarding unreadable", "error", err)
		fw = store.Forwarding{UserID: u.ID}
	}
	f.Forwarding = fw
	if fw.Hours != nil {
		f.OutsideHours = !fw.Hours.In(r.now(c.Org))
	}
	vs, err := r.d.Store.VoicemailSettings(ctx, u.ID)
	if err != nil {
		log.Warn("voicemail settings unreadable", "error", err)
		vs = store.DefaultVoicemailSettings(u.ID)
	}
	f.Voicemail = vs.Enabled && r.canAnswer()
	var st presence.State
	if r.d.Presence != nil {
		if st, err = r.d.Presence.Get(ctx, u.ID); err != nil {
			log.Warn("presence unreadable", "error", err)
			st = presence.State{Green: true}
		}
		f.Activity, f.Red = st.Activity, !st.Green && st.Activity != 0
		f.AwayNotice = st.Role == sharedpresence.RoleAwayNotice
	}
	if f.AwayNotice && f.Red && c.Stage == routing.Arriving {
		f.VIP = r.vip(ctx, c)
	}
	a := routing.Decide(f)
	d := b2bua.Diversion{Action: a}
	if a.Kind == routing.ToVoicemail || a.Kind == routing.Announce {
		if !r.canAnswer() {
			return d
		}
		caller := voicemail.Caller{Number: c.CallerNumber, Name: c.CallerName, UserID: c.Caller.ID,
			Diverted: a.Diverted, OnCall: c.Stage == routing.Busy}
		if a.Kind == routing.Announce {
			d.Flow = voicemail.AwayNotice(*r.d.Voicemail, c.Org, u, caller)
		} else {
			d.Flow = voicemail.Deposit(*r.d.Voicemail, c.Org, u, caller)
		}
	}
	log.Debug("personal routing", "action", a.Kind.String(), "reason", a.Reason, "target", a.Number)
	return d
}

// now is the current time in the office hours' time zone: the organisation's.
func (r *Router) now(org store.Org) time.Time {
	now := time.Now
	if r.d.Now != nil {
		now = r.d.Now
	}
	loc := r.d.Location
	if loc == nil {
		loc = org.Location()
	}
	return now().In(loc)
}

func (r *Router) canAnswer() bool { return r.d.Voicemail != nil && r.d.Voicemail.Voice != nil }

// vip reports whether the caller is on the callee's VIP list (AWAY-1): a personal contact
// marked VIP whose numbers — or whose colleague's numbers — include one of the caller's. Matching
// is by number, so a colleague saved as an external contact still passes.
func (r *Router) vip(ctx context.Context, c b2bua.PersonalCall) bool {
	mine := map[string]bool{}
	for _, n := range []string{c.CallerNumber, c.Caller.Extension, c.Caller.CompanyNumber, c.Caller.MobileNumber} {
		if n != "" {
			mine[n] = true
		}
	}
	if len(mine) == 0 {
		return false
	}
	contacts, err := r.d.Store.ContactsOf(ctx, c.Org.ID, c.Callee.ID)
	if err != nil {
		r.log.Warn("VIP contacts unreadable", "user", c.Callee.Extension, "error", err)
		return false
	}
	for _, ct := range contacts {
		if !ct.VIP {
			continue
		}
		if mine[ct.Mobile] && ct.Mobile != "" || mine[ct.Phone] && ct.Phone != "" {
			return true
		}
		if ct.UserID != 0 {
			if ct.UserID == c.Caller.ID {
				return true
			}
			if u, err := r.d.Store.UserByID(ctx, ct.UserID); err == nil {
				for _, n := range []string{u.Extension, u.CompanyNumber, u.MobileNumber} {
					if n != "" && mine[n] {
						return true
					}
				}
			}
		}
	}
	return false
}

// RedPresence adapts the presence hub to voicemail.Presence: the activity and its end time
// when the user's activity is red.
type RedPresence struct{ Presence Presence }

// Red implements voicemail.Presence.
func (p RedPresence) Red(ctx context.Context, userID int64) (int, time.Time, bool) {
	st, err := p.Presence.Get(ctx, userID)
	if err != nil || st.Green || st.Activity == 0 {
		return 0, time.Time{}, false
	}
	return st.Activity, st.Until, true
}
