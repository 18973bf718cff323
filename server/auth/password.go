package auth

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password policy shared by the CLI and the admin API. SIP phones type these passwords too,
// so spaces (which many phones and config files mangle) are refused rather than trimmed.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

// ErrWeakPassword is wrapped by every ValidatePassword refusal; the message says why.
var ErrWeakPassword = errors.New("weak password")

// ValidatePassword checks password against the policy: MinPasswordLength–MaxPasswordLength
// characters, no spaces or control characters, at least two of letters, digits and other
// characters (or 16 characters or more, for passphrases), and not the extension itself.
func ValidatePassword(password, extension string) error {
	if !utf8.ValidString(password) {
		return fmt.Errorf("%w: the password is not valid UTF-8", ErrWeakPassword)
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength {
		return fmt.Errorf("%w: the password needs at least %d characters", ErrWeakPassword, MinPasswordLength)
	}
	if n > MaxPasswordLength {
		return fmt.Errorf("%w: the password may have at most %d characters", ErrWeakPassword, MaxPasswordLength)
	}
	var letter, digit, other bool
	for _, r := range password {
		switch {
		case unicode.IsSpace(r):
			return fmt.Errorf("%w: the password must not contain spaces", ErrWeakPassword)
		case unicode.IsControl(r):
			return fmt.Errorf("%w: the password must not contain control characters", ErrWeakPassword)
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	if extension != "" && strings.Contains(password, extension) && n < len(extension)+MinPasswordLength {
		return fmt.Errorf("%w: the password must not be built on the extension", ErrWeakPassword)
	}
	classes := 0
	for _, b := range []bool{letter, digit, other} {
		if b {
			classes++
		}
	}
	if classes < 2 && n < 16 {
		return fmt.Errorf("%w: use letters and digits or other characters (or at least 16 characters)", ErrWeakPassword)
	}
	return nil
}
