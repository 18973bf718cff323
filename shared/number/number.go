// Package number normalises dialled strings and user names (ORG-3): internal extensions,
// national and international telephone numbers (stored as E.164, "+358401234567") and service
// codes that start with '*' or '#'. It has no dependencies and no I/O.
package number

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says what a dialled string is.
type Kind int

const (
	// Extension is a short internal number (3–6 digits).
	Extension Kind = iota + 1
	// E164 is a full international number, normalised to "+<country><subscriber>".
	E164
	// Service is a feature or service code such as "*21#" or "#31#", kept as typed (digits, '*', '#').
	Service
)

func (k Kind) String() string {
	switch k {
	case Extension:
		return "extension"
	case E164:
		return "e164"
	case Service:
		return "service"
	}
	return "unknown"
}

// Length limits of the forms.
const (
	MinExtension = 3
	MaxExtension = 6
	maxE164      = 15 // digits, ITU-T E.164
	minE164      = 7  // country code plus a short subscriber number
	maxService   = 32
)

// Errors returned by Parse; test with errors.Is.
var (
	ErrEmpty     = errors.New("number: empty")
	ErrInvalid   = errors.New("number: invalid character")
	ErrLength    = errors.New("number: wrong length")
	ErrNoCountry = errors.New("number: national number needs a country code")
)

// Number is a parsed, normalised number.
type Number struct {
	Kind Kind
	// Value is the normalised form: the digits of an extension, "+<digits>" for E164, the code
	// as typed (without separators) for Service.
	Value string
}

func (n Number) String() string { return n.Value }

// Parse normalises raw as dialled in an organisation whose E.164 country code is country
// (digits without '+', e.g. "358"). Spaces, dashes, dots, slashes and parentheses are ignored.
// A "sip:"/"tel:" prefix and an "@domain" suffix are stripped, so a SIP user part parses too.
func Parse(raw, country string) (Number, error) {
	s := strip(raw)
	if s == "" {
		return Number{}, ErrEmpty
	}
	switch {
	case s[0] == '*' || s[0] == '#':
		if len(s) > maxService {
			return Number{}, fmt.Errorf("parse %q: %w", raw, ErrLength)
		}
		for i := 1; i < len(s); i++ {
			if !isDigit(s[i]) && s[i] != '*' && s[i] != '#' {
				return Number{}, fmt.Errorf("parse %q: %w", raw, ErrInvalid)
			}
		}
		return Number{Kind: Service, Value: s}, nil
	case s[0] == '+':
		return e164(raw, s[1:])
	}
	if !AllDigits(s) {
		return Number{}, fmt.Errorf("parse %q: %w", raw, ErrInvalid)
	}
	switch {
	case strings.HasPrefix(s, "00"):
		return e164(raw, s[2:])
	case len(s) >= MinExtension && len(s) <= MaxExtension && s[0] != '0':
		return Number{Kind: Extension, Value: s}, nil
	case s[0] == '0' && len(s) > 1:
		if country == "" || !AllDigits(country) || len(country) > 3 {
			return Number{}, fmt.Errorf("parse %q: %w", raw, ErrNoCountry)
		}
		return e164(raw, country+s[1:])
	case len(s) > MaxExtension:
		// Long digits without a prefix: already international without '+' (as some trunks send).
		return e164(raw, s)
	}
	return Number{}, fmt.Errorf("parse %q: %w", raw, ErrLength)
}

func e164(raw, digits string) (Number, error) {
	if !AllDigits(digits) || digits == "" {
		return Number{}, fmt.Errorf("parse %q: %w", raw, ErrInvalid)
	}
	if digits[0] == '0' {
		return Number{}, fmt.Errorf("parse %q: country code cannot start with 0: %w", raw, ErrInvalid)
	}
	if len(digits) < minE164 || len(digits) > maxE164 {
		return Number{}, fmt.Errorf("parse %q: %w", raw, ErrLength)
	}
	return Number{Kind: E164, Value: "+" + digits}, nil
}

// strip removes URI decoration and visual separators.
func strip(raw string) string {
	s := strings.TrimSpace(raw)
	low := strings.ToLower(s)
	for _, p := range []string{"sips:", "sip:", "tel:"} {
		if strings.HasPrefix(low, p) {
			s = s[len(p):]
			break
		}
	}
	if i := strings.IndexAny(s, "@;"); i >= 0 {
		s = s[:i]
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '-', '.', '/', '(', ')':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// AllDigits reports whether s holds only the digits 0–9 (true for "": callers that need a
// digit say so).
func AllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// National returns the national form of an E.164 number in the given country ("+358401234567",
// "358" → "0401234567"), or the value unchanged when it belongs to another country.
func (n Number) National(country string) string {
	if n.Kind == E164 && country != "" && strings.HasPrefix(n.Value, "+"+country) {
		return "0" + n.Value[1+len(country):]
	}
	return n.Value
}
