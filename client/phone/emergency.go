package phone

import "github.com/vaihde/vaihde/shared/api"

// EmergencyNumber is the European emergency number, an emergency call everywhere (CALL-10).
const EmergencyNumber = "112"

// IsEmergency reports whether dialling number reaches the emergency centre: 112 or one of
// the organisation's emergency numbers from the profile, compared without separators.
func IsEmergency(number string, p api.Profile) bool {
	n := dialDigits(number)
	if n == "" {
		return false
	}
	if n == EmergencyNumber {
		return true
	}
	for _, e := range p.EmergencyNumbers {
		if dialDigits(e) == n {
			return true
		}
	}
	return false
}

// dialDigits keeps the digits, '+', '*' and '#' of a dialled string.
func dialDigits(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c == '+' || c == '*' || c == '#' {
			b = append(b, c)
		}
	}
	return string(b)
}
