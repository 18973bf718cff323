// Package link owns the Softphone's tel:, callto: and sip: links: Parse turns a link the
// desktop hands over (a clicked link on a web page, in a mail or a CRM) into the text for the
// dial field, and Claim/Send make one running Softphone per settings directory receive the
// links of every later start (instance.go). No Fyne, no cgo.
package link

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Errors returned by Parse; test with errors.Is.
var (
	// ErrNotLink: the argument is no tel:, callto:, sip: or sips: link (a file name, a flag value).
	ErrNotLink = errors.New("link: not a tel:, callto: or sip: link")
	// ErrNoNumber: a link of a known scheme without anything dialable in it.
	ErrNoNumber = errors.New("link: no number in the link")
)

const (
	maxLink   = 2048 // longer arguments are not links a browser hands over
	maxNumber = 64   // digits, '+', '*', '#'
	maxAddr   = 255  // user@host of a sip: link whose user is a name
)

// IsLink reports whether s starts with a scheme Parse handles (case-insensitive), so that the
// caller can tell a link from another positional argument before parsing it.
func IsLink(s string) bool {
	_, _, ok := scheme(strings.TrimSpace(s))
	return ok
}

func scheme(s string) (name, rest string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return "", "", false
	}
	name = strings.ToLower(s[:i])
	switch name {
	case "tel", "callto", "sip", "sips":
		return name, s[i+1:], true
	}
	return "", "", false
}

// Parse returns what a link puts in the dial field: for tel: and callto: (RFC 3966) the
// number, percent-decoded, without visual separators ("-", ".", "(", ")", spaces) and without
// parameters (";phone-context=…", ";ext=…"); for sip: and sips: (RFC 3261) the user part,
// cleaned the same way when it is a number ("sip:1002@demo.vaihde.local" → "1002"), or
// user@host when the user is a name. Nothing is dialled: the user presses Call.
func Parse(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxLink {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrNotLink, maxLink)
	}
	name, rest, ok := scheme(s)
	if !ok {
		return "", ErrNotLink
	}
	switch name {
	case "tel", "callto":
		// "callto://0401234567" and "tel://…" are common on web pages though not in the RFC.
		rest = strings.TrimPrefix(rest, "//")
		if i := strings.IndexAny(rest, ";?"); i >= 0 {
			rest = rest[:i]
		}
		n, err := phoneNumber(rest)
		if err != nil {
			return "", fmt.Errorf("%s link %q: %w", name, s, err)
		}
		return n, nil
	default:
		return sipUser(name, rest, s)
	}
}

// sipUser returns the user part of sip:user[:password]@host[;params][?headers].
func sipUser(name, rest, orig string) (string, error) {
	rest = strings.TrimPrefix(rest, "//")
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	at := strings.IndexByte(rest, '@')
	if at < 0 {
		return "", fmt.Errorf("%s link %q: %w (no user part)", name, orig, ErrNoNumber)
	}
	user, host := rest[:at], rest[at+1:]
	if i := strings.IndexByte(user, ':'); i >= 0 {
		user = user[:i] // a password has no place in the dial field
	}
	// User parameters: "sip:+358401234567;phone-context=…@host;user=phone".
	if i := strings.IndexByte(user, ';'); i >= 0 {
		user = user[:i]
	}
	if i := strings.IndexByte(host, ';'); i >= 0 {
		host = host[:i] // URI parameters
	}
	if i := strings.IndexByte(host, ':'); i >= 0 && !strings.HasPrefix(host, "[") {
		host = host[:i] // the port
	}
	if n, err := phoneNumber(user); err == nil {
		return n, nil
	}
	u, err := url.PathUnescape(user)
	if err != nil || u == "" {
		return "", fmt.Errorf("%s link %q: %w", name, orig, ErrNoNumber)
	}
	if !validUser(u) || !validHost(host) {
		return "", fmt.Errorf("%s link %q: %w (not a SIP address)", name, orig, ErrNoNumber)
	}
	addr := u + "@" + strings.ToLower(host)
	if len(addr) > maxAddr {
		return "", fmt.Errorf("%s link: %w (address too long)", name, ErrNoNumber)
	}
	return addr, nil
}

// phoneNumber percent-decodes s and keeps the digits, a leading '+', '*' and '#'; visual
// separators are dropped, anything else is an error.
func phoneNumber(s string) (string, error) {
	d, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("%w: bad percent-encoding", ErrNoNumber)
	}
	if !utf8.ValidString(d) {
		return "", fmt.Errorf("%w: not UTF-8", ErrNoNumber)
	}
	var b strings.Builder
	for _, r := range d {
		switch {
		case r >= '0' && r <= '9', r == '*', r == '#':
			b.WriteRune(r)
		case r == '+':
			if b.Len() > 0 {
				return "", fmt.Errorf("%w: '+' inside the number", ErrNoNumber)
			}
			b.WriteRune(r)
		case r == '-', r == '.', r == '(', r == ')', r == ' ', r == '\u00a0', r == '/':
			// visual separators (RFC 3966 section 5.1.1), and what people paste
		default:
			return "", fmt.Errorf("%w: %q in the number", ErrNoNumber, r)
		}
	}
	n := b.String()
	if n == "" || n == "+" {
		return "", ErrNoNumber
	}
	if len(n) > maxNumber {
		return "", fmt.Errorf("%w: longer than %d", ErrNoNumber, maxNumber)
	}
	return n, nil
}

// validUser accepts the unreserved and user-unreserved characters of RFC 3261 (decoded).
func validUser(u string) bool {
	for _, r := range u {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_.!~*'()&=+$,;?/#", r):
		default:
			return false
		}
	}
	return true
}

// validHost accepts a host name or IPv4 address (letters, digits, '-', '.') or an IPv6
// reference in brackets.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		for _, r := range h[1:end] {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == ':' || r == '.') {
				return false
			}
		}
		return end == len(h)-1 || h[end+1] == ':' && allDigits(h[end+2:])
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
