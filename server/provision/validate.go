package provision

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/shared/number"
)

// InputError is bad input from the operator (a malformed field, an unknown organisation, a
// duplicate extension): the CLI prints it as one line and exits with status 2. Nothing has
// been written when an operation returns one.
type InputError struct {
	msg      string
	conflict bool // against a rule of the organisation (IsConflict), not malformed
}

func (e *InputError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &InputError{msg: fmt.Sprintf(format, args...)}
}

// IsInput reports whether err is (or wraps) an InputError.
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// validPassword applies the one password policy of the server (auth.ValidatePassword) and
// reports a failure as bad input.
func validPassword(password, ext string) error {
	if err := auth.ValidatePassword(password, ext); err != nil {
		return badInput("%v", err)
	}
	return nil
}

// NormalizeDomain checks that d is a DNS name usable as a SIP domain and digest realm (two or
// more labels of letters, digits and hyphens; not an IP address or localhost) and returns it in
// lower case.
func NormalizeDomain(d string) (string, error) {
	if d == "" {
		return "", badInput("domain is empty")
	}
	d = strings.ToLower(d)
	if len(d) > 253 {
		return "", badInput("domain %q is too long", d)
	}
	if net.ParseIP(strings.Trim(d, "[]")) != nil {
		return "", badInput("domain %q is an IP address: give a DNS name such as acme.example", d)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", badInput("domain %q needs at least two labels, such as acme.example", d)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", badInput("domain %q has an empty or too long label", d)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", badInput("domain %q: a label cannot start or end with '-'", d)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", badInput("domain %q: only letters, digits, '-' and '.' are allowed", d)
			}
		}
	}
	if l := labels[len(labels)-1]; l != "" && number.AllDigits(l) {
		return "", badInput("domain %q: the last label cannot be numeric", d)
	}
	return d, nil
}

// validName checks a display name of an organisation or a person.
func validName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", badInput("%s is empty", what)
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100 {
		return "", badInput("%s is not valid UTF-8 or longer than 100 characters", what)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", badInput("%s contains control characters", what)
		}
	}
	return name, nil
}

// validCountryCode checks an E.164 country code without '+' (1–3 digits, not starting with 0).
func validCountryCode(cc string) error {
	if cc == "" || len(cc) > 3 || !number.AllDigits(cc) || cc[0] == '0' {
		return badInput("country code %q: give 1 to 3 digits without '+', e.g. 358", cc)
	}
	return nil
}

// validTimeZone checks an IANA time-zone name.
func validTimeZone(tz string) error {
	if tz == "" || tz == "Local" {
		return badInput("time zone %q: give an IANA name such as Europe/Helsinki", tz)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return badInput("unknown time zone %q: give an IANA name such as Europe/Helsinki", tz)
	}
	return nil
}

// validExtension checks an internal extension (3–6 digits, not starting with 0) and that it
// is not one of the reserved numbers (service and emergency numbers).
func validExtension(ext string, reserved []string) error {
	n, err := number.Parse(ext, "")
	if err != nil || n.Kind != number.Extension || n.Value != ext {
		return badInput("extension %q: give %d to %d digits not starting with 0", ext, number.MinExtension, number.MaxExtension)
	}
	for _, r := range reserved {
		if r == ext {
			return badInput("extension %s is reserved for a service or emergency number", ext)
		}
	}
	return nil
}

// normalizeNumber turns a company or mobile number in any form (ORG-3) into E.164 with the
// organisation's country code; "" stays "".
func normalizeNumber(what, raw, country string) (string, error) {
	if raw == "" {
		return "", nil
	}
	n, err := number.Parse(raw, country)
	if err != nil || n.Kind != number.E164 {
		return "", badInput("%s %q is not a telephone number (give e.g. +358401234567 or 040 123 4567)", what, raw)
	}
	return n.Value, nil
}

// validEmail checks a bare email address; "" is allowed.
func validEmail(e string) error {
	if e == "" {
		return nil
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return badInput("email %q is not a plain address such as aino@acme.example", e)
	}
	return nil
}

// Languages a user may have.
var languages = []string{"fi", "sv", "en"}

func validLanguage(l string) error {
	for _, k := range languages {
		if l == k {
			return nil
		}
	}
	return badInput("unknown language %q: give fi, sv or en", l)
}
