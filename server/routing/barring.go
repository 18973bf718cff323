package routing

import "strings"

// Outside calls: which destinations an organisation or a user may not call (NF-1 toll-fraud
// protection), and which numbers are emergency numbers that are always allowed (CALL-10).
// The rules are pure: the call engine gathers the organisation's and the user's settings.

// Class of an outside (E.164) number for barring.
type Class int

const (
	// Domestic: a number in the organisation's own country.
	Domestic Class = iota
	// International: a number in another country.
	International
	// Premium: a premium-rate service number, at home or abroad.
	Premium
)

func (c Class) String() string {
	switch c {
	case International:
		return "international"
	case Premium:
		return "premium"
	}
	return "domestic"
}

// premiumPrefixes are E.164 prefixes of premium-rate service numbers: Finland's 0600 and 0700
// service numbers, Sweden's 0900/0939/0944, Germany's 0900, the UK's 09 and the North
// American 1-900.
var premiumPrefixes = []string{
	"+358600", "+358700",
	"+46900", "+46939", "+46944",
	"+49900",
	"+449",
	"+1900",
}

// Classify tells what kind of outside number e164 is for an organisation in country (its
// country code without '+').
func Classify(e164, country string) Class {
	for _, p := range premiumPrefixes {
		if strings.HasPrefix(e164, p) {
			return Premium
		}
	}
	if country != "" && !strings.HasPrefix(e164, "+"+country) {
		return International
	}
	return Domestic
}

// Barring is what the organisation and the calling user allow.
type Barring struct {
	// Organisation-wide.
	OrgInternational bool
	OrgPremium       bool
	// The user's own.
	UserOutside       bool // no outside calls at all
	UserInternational bool
}

// Barred reports whether a call out to e164 is refused under b for an organisation in
// country, and why (a sentence for the caller's response and the log).
func Barred(b Barring, e164, country string) (bool, string) {
	if b.UserOutside {
		return true, "outside calls barred for this user"
	}
	switch Classify(e164, country) {
	case Premium:
		if b.OrgPremium {
			return true, "premium-rate numbers barred"
		}
		// A premium number abroad is international as well.
		if !strings.HasPrefix(e164, "+"+country) && (b.OrgInternational || b.UserInternational) {
			return true, "international calls barred"
		}
	case International:
		if b.OrgInternational {
			return true, "international calls barred"
		}
		if b.UserInternational {
			return true, "international calls barred for this user"
		}
	}
	return false, ""
}

// EmergencyNumber is the number always treated as an emergency number (the European 112).
const EmergencyNumber = "112"

// IsEmergency reports whether dialled (as typed or as a Request-URI user part) is 112 or one of
// extra, the organisation's further emergency numbers (space- or comma-separated). Spaces,
// dashes and dots in dialled are ignored; a tel/sip prefix is not expected here.
func IsEmergency(dialled, extra string) bool {
	d := CompactDigits(dialled)
	if d == "" {
		return false
	}
	if d == EmergencyNumber {
		return true
	}
	for _, n := range strings.FieldsFunc(extra, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
		if CompactDigits(n) == d {
			return true
		}
	}
	return false
}

// CompactDigits drops the separators people type in numbers ("112", "0800 112 112").
func CompactDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}
