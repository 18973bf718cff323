package store

import "fmt"

// Test numbers (ORG-4, seed 003): groups may answer 8000–8099, reachable only from inside
// the organisation.
const (
	FirstTestNumber = 8000
	LastTestNumber  = 8099
)

// IsTestNumber reports whether n is one of the test numbers 8000–8099, written plainly.
func IsTestNumber(n string) bool {
	if len(n) != 4 || n[0] != '8' || n[1] != '0' {
		return false
	}
	return n[2] >= '0' && n[2] <= '9' && n[3] >= '0' && n[3] <= '9'
}

// NumberError is a group number that cannot be given: it is a user's, another group's or
// menu's, or not the organisation's. It is an ErrConflict (errors.Is), and its text names
// what holds the number, for the administrator.
type NumberError struct {
	Number string
	Reason string // e.g. `is the extension of Aino Virtanen`
}

func (e *NumberError) Error() string { return fmt.Sprintf("number %s %s", e.Number, e.Reason) }

// Is makes a NumberError match ErrConflict.
func (e *NumberError) Is(target error) bool { return target == ErrConflict }
