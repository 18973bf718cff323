// Package routing is Vaihde's dialplan: it decides where a dialled number goes — to a user of the
// organisation (by extension, company number or mobile number), out through the trunk, or
// nowhere. It performs no I/O of its own; users are looked up through the small Lookup interface,
// so the rules are tested without a database or network.
package routing

import (
	"context"
	"errors"
	"fmt"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
)

// Kind of a routing decision.
type Kind int

const (
	// NotFound: the number belongs to nobody and cannot go out (404).
	NotFound Kind = iota
	// User: ring the user's devices.
	User
	// Trunk: call the external E.164 number through the carrier trunk.
	Trunk
	// Reject: the number is malformed or the call is not allowed (e.g. 484/403).
	Reject
)

func (k Kind) String() string {
	switch k {
	case User:
		return "user"
	case Trunk:
		return "trunk"
	case Reject:
		return "reject"
	}
	return "not-found"
}

// Lookup is what routing needs from the user store. store.Store satisfies it.
type Lookup interface {
	UserByExtension(ctx context.Context, orgID int64, ext string) (store.User, error)
	UserByNumber(ctx context.Context, orgID int64, e164 string) (store.User, error)
}

// Target is where a call goes.
type Target struct {
	Kind   Kind
	User   store.User    // for User
	Number number.Number // the normalised dialled number
	// Reason explains a Reject or NotFound for logs.
	Reason string
	// By is, for Trunk, the user who authorised the call out: the caller, or the user whose
	// forward or transfer sends the call on. Barring and outside-call limits are theirs.
	By int64
	// Emergency marks a call to an emergency number (CALL-10): it goes out on the trunk
	// whatever the barring, limits and personal rules say.
	Emergency bool
}

// Caller describes who is calling, for rules that depend on the caller.
type Caller struct {
	// Internal is true for an authenticated user of the organisation, false for a call that
	// came in from the trunk. Only internal callers may call out (toll-fraud protection, NF-1).
	Internal bool
	UserID   int64
}

// Route decides where dialled (a Request-URI user part or typed string) goes in org.
// A lookup error other than store.ErrNotFound is returned as an error.
func Route(ctx context.Context, lk Lookup, org store.Org, dialled string, caller Caller) (Target, error) {
	n, err := number.Parse(dialled, org.CountryCode)
	if err != nil {
		return Target{Kind: Reject, Reason: err.Error()}, nil
	}
	switch n.Kind {
	case number.Extension:
		u, err := lk.UserByExtension(ctx, org.ID, n.Value)
		switch {
		case err == nil:
			return Target{Kind: User, User: u, Number: n}, nil
		case errors.Is(err, store.ErrNotFound):
			return Target{Kind: NotFound, Number: n, Reason: "no such extension"}, nil
		}
		return Target{}, fmt.Errorf("route %q: lookup extension: %w", dialled, err)
	case number.E164:
		u, err := lk.UserByNumber(ctx, org.ID, n.Value)
		switch {
		case err == nil:
			return Target{Kind: User, User: u, Number: n}, nil
		case !errors.Is(err, store.ErrNotFound):
			return Target{}, fmt.Errorf("route %q: lookup number: %w", dialled, err)
		}
		if !caller.Internal {
			return Target{Kind: NotFound, Number: n, Reason: "external caller may not call out"}, nil
		}
		return Target{Kind: Trunk, Number: n, By: caller.UserID}, nil
	}
	// Service codes (feature codes, voicemail, …) are not handled by the calling core yet.
	return Target{Kind: NotFound, Number: n, Reason: "service codes not supported"}, nil
}
