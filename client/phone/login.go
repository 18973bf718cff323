package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vaihde/vaihde/shared/number"
)

// LoginKind says what the user typed into the login field.
type LoginKind int

const (
	// LoginExtension is a bare internal extension ("1001"): the server picks the organisation
	// by the address it was reached at.
	LoginExtension LoginKind = iota + 1
	// LoginPhoneNumber is a company or mobile number in any form (ORG-3); the server finds the
	// user and the organisation by it.
	LoginPhoneNumber
)

// Login is the parsed login field: who to log in as and, when typed, in which organisation.
type Login struct {
	Kind LoginKind
	// User is what the server gets as LoginRequest.User: the extension's digits, an E.164
	// number ("+358401234567") or, for a national number, its digits ("0401234567"), which
	// only the server can complete with the organisation's country code.
	User string
	// Domain is the organisation's SIP domain typed after '@', lower case; "" when none.
	Domain string
}

// Errors of ParseLogin; test with errors.Is.
var (
	ErrLoginEmpty  = errors.New("phone: no user given")
	ErrLoginUser   = errors.New("phone: the user must be an extension or a phone number")
	ErrLoginDomain = errors.New("phone: the part after @ must be a domain such as example.com")
)

// ParseLogin reads the login field: "ext@domain", a phone number in any form (0401234567,
// +358 40 123 4567, 358401234567), optionally also "@domain", or a bare extension. A "sip:"
// prefix is allowed, so a SIP address pasted from elsewhere works.
func ParseLogin(s string) (Login, error) {
	s = strings.TrimSpace(s)
	low := strings.ToLower(s)
	for _, p := range []string{"sips:", "sip:"} {
		if strings.HasPrefix(low, p) {
			s = s[len(p):]
			break
		}
	}
	if s == "" {
		return Login{}, ErrLoginEmpty
	}
	user, domain, hasDomain := strings.Cut(s, "@")
	var l Login
	if hasDomain {
		d := strings.ToLower(strings.TrimSpace(domain))
		if !validDomain(d) {
			return Login{}, fmt.Errorf("login %q: %w", s, ErrLoginDomain)
		}
		l.Domain = d
	}
	if strings.TrimSpace(user) == "" {
		return Login{}, fmt.Errorf("login %q: %w", s, ErrLoginEmpty)
	}
	// Without the organisation's country code a national number cannot be completed here;
	// number.Parse says so with ErrNoCountry, which still means "a phone number".
	n, err := number.Parse(user, "")
	switch {
	case errors.Is(err, number.ErrNoCountry):
		l.Kind, l.User = LoginPhoneNumber, digitsOnly(user)
	case err != nil:
		return Login{}, fmt.Errorf("login %q: %w", s, ErrLoginUser)
	case n.Kind == number.Extension:
		l.Kind, l.User = LoginExtension, n.Value
	case n.Kind == number.E164:
		l.Kind, l.User = LoginPhoneNumber, n.Value
	default:
		return Login{}, fmt.Errorf("login %q: %w", s, ErrLoginUser)
	}
	return l, nil
}

// String is the login as the user would type it again.
func (l Login) String() string {
	if l.Domain == "" {
		return l.User
	}
	return l.User + "@" + l.Domain
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// validDomain accepts a DNS name: labels of letters, digits and inner hyphens, joined by dots.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
