package b2bua

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
)

// anonymousURI is the From of a call whose caller hides its identity (RFC 3323 section 4.1.1.3).
var anonymousURI = sip.Uri{Scheme: "sip", User: "anonymous", Host: "anonymous.invalid"}

// anonymousNumber is what a callee's call log and presence show for a hidden caller.
const anonymousNumber = "anonymous"

// header is an extra header of an outgoing INVITE; each fork builds its own sip.Header.
type header struct{ name, value string }

// identity is how a caller is presented on one outgoing call (PRES-3).
type identity struct {
	from     sip.Uri
	fromName string
	headers  []header
	// shown is the caller as the callee's call log and presence see it.
	shown party
}

// roleNumber is the E.164 number a role shows (PRES-3), with the fallbacks of seed 001: Mobile
// and Away notice the mobile number, Landline the company number, Switchboard the
// organisation's switchboard; a missing number falls back to the user's other number and last
// to fallback (the trunk's caller ID). Hidden gets the user's real number (Mobile's rule), for
// a P-Asserted-Identity the carrier keeps to itself (RFC 3325).
func roleNumber(role presence.Role, u store.User, org store.Org, fallback string) string {
	var order []string
	switch role {
	case presence.RoleLandline:
		order = []string{u.CompanyNumber, u.MobileNumber}
	case presence.RoleSwitchboard:
		order = []string{org.Switchboard, u.CompanyNumber, u.MobileNumber}
	default: // Mobile, Away notice, Hidden, and unknown roles
		order = []string{u.MobileNumber, u.CompanyNumber}
	}
	for _, n := range order {
		if n != "" {
			return n
		}
	}
	return fallback
}

// role is the caller's current role; without presence (or for an unknown role) Mobile.
func (e *Engine) role(ctx context.Context, userID int64) presence.Role {
	if e.deps.Presence == nil || userID == 0 {
		return presence.RoleMobile
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if r := e.deps.Presence.Role(ctx, userID); r.Valid() {
		return r
	}
	return presence.RoleMobile
}

// trunkIdentity presents caller p (with role) to the carrier: From and P-Asserted-Identity
// carry the role's number; Hidden sends an anonymous From with Privacy: id and the real
// number only in P-Asserted-Identity, which the carrier must not pass on (RFC 3325).
func (e *Engine) trunkIdentity(p party, role presence.Role, org store.Org) identity {
	domain := e.cfg.Trunk.Domain
	if p.user.ID == 0 {
		// An external party forwarded back out (e.g. a transfer): the trunk's caller ID.
		n := e.cfg.Trunk.CallerID
		if n == "" {
			n = p.number
		}
		return identity{from: sip.Uri{Scheme: "sip", User: n, Host: domain}, shown: p}
	}
	fallback := e.cfg.Trunk.CallerID
	if fallback == "" {
		fallback = p.number
	}
	n := roleNumber(role, p.user, org, fallback)
	uri := sip.Uri{Scheme: "sip", User: n, Host: domain}
	pai := header{"P-Asserted-Identity", "<" + uri.String() + ">"}
	if role == presence.RoleHidden {
		return identity{
			from: anonymousURI, fromName: "Anonymous",
			headers: []header{pai, {"Privacy", "id"}},
			shown:   party{number: anonymousNumber},
		}
	}
	return identity{from: uri, headers: []header{pai}, shown: p}
}

// internalIdentity presents caller p to a colleague's devices: From keeps the extension (so
// callbacks stay internal) and P-Asserted-Identity shows the role's number. For Hidden the
// server is the privacy service (RFC 3323): anonymous From, Privacy: id and no asserted
// identity towards the callee.
func (e *Engine) internalIdentity(p party, role presence.Role, org store.Org) identity {
	from := p.uri(org.Domain)
	if p.user.ID == 0 {
		return identity{from: from, fromName: p.display, shown: p}
	}
	if role == presence.RoleHidden {
		return identity{
			from: anonymousURI, fromName: "Anonymous",
			headers: []header{{"Privacy", "id"}},
			shown:   party{number: anonymousNumber},
		}
	}
	id := identity{from: from, fromName: p.display, shown: p}
	if n := roleNumber(role, p.user, org, e.cfg.Trunk.CallerID); n != "" {
		uri := sip.Uri{Scheme: "sip", User: n, Host: org.Domain}
		id.headers = []header{{"P-Asserted-Identity", nameAddr(p.display, uri)}}
	}
	return id
}

// nameAddr formats `"Name" <uri>` (RFC 3261 section 25.1), escaping the quoted string.
func nameAddr(name string, uri sip.Uri) string {
	if name == "" {
		return "<" + uri.String() + ">"
	}
	name = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "").Replace(name)
	return `"` + name + `" <` + uri.String() + ">"
}
