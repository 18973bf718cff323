// Package presence owns the vocabulary of presence that the server and the Softphone share:
// the default activities (PRES-1) with their feature-code numbers, names and colours, the
// roles that choose the caller ID (PRES-3), the phone state derived from calls, and the limits
// every presence change is checked against.
package presence

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Activity is one presence activity of an organisation. Number is what feature code 983<n>
// selects; Green means available (calls ring through), red means unavailable (PRES-5).
type Activity struct {
	Number int
	Names  Names
	Green  bool
}

// Names are a name in each supported language.
type Names struct {
	FI, SV, EN string
}

// In returns the name in lang ("fi", "sv", "en"), falling back to English.
func (n Names) In(lang string) string {
	switch lang {
	case "fi":
		if n.FI != "" {
			return n.FI
		}
	case "sv":
		if n.SV != "" {
			return n.SV
		}
	}
	return n.EN
}

// Activity numbers of the default set (seed 001; Sick from seed 004).
const (
	Available  = 1
	Busy       = 2
	Lunch      = 3
	Meeting    = 4
	Away       = 5
	Holiday    = 6
	RemoteWork = 7
	AtOffice   = 8
	Sick       = 9
)

// DefaultActivities is the set every new organisation starts with (PRES-1).
func DefaultActivities() []Activity {
	return []Activity{
		{Available, Names{"Tavoitettavissa", "Tillgänglig", "Available"}, true},
		{Busy, Names{"Varattu", "Upptagen", "Busy"}, false},
		{Lunch, Names{"Lounaalla", "På lunch", "At lunch"}, false},
		{Meeting, Names{"Neuvottelussa", "På möte", "In a meeting"}, false},
		{Away, Names{"Poissa", "Borta", "Away"}, false},
		{Holiday, Names{"Lomalla", "På semester", "On holiday"}, false},
		{RemoteWork, Names{"Etätöissä", "Distansjobbar", "Remote work"}, true},
		{AtOffice, Names{"Toimistolla", "På kontoret", "At the office"}, true},
		{Sick, Names{"Sairaana", "Sjuk", "Sick"}, false},
	}
}

// Role chooses the number shown on the user's outgoing calls (PRES-3, seed 001).
type Role int

const (
	RoleMobile      Role = 1 // the user's mobile number
	RoleLandline    Role = 2 // the user's company number, if set (else mobile)
	RoleSwitchboard Role = 3 // the organisation's switchboard number, if set (else company)
	RoleHidden      Role = 4 // no caller ID: anonymous From, Privacy: id
	RoleAwayNotice  Role = 5 // mobile number shown, and the away notice (AWAY-1) is on
)

// Roles lists every role in menu order.
var Roles = []Role{RoleMobile, RoleLandline, RoleSwitchboard, RoleHidden, RoleAwayNotice}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r >= RoleMobile && r <= RoleAwayNotice }

// Names returns the role's names (seed 001).
func (r Role) Names() Names {
	switch r {
	case RoleMobile:
		return Names{"Mobiili", "Mobil", "Mobile"}
	case RoleLandline:
		return Names{"Lanka", "Fast", "Landline"}
	case RoleSwitchboard:
		return Names{"Vaihde", "Växel", "Switchboard"}
	case RoleHidden:
		return Names{"Piilotettu", "Dold", "Hidden"}
	case RoleAwayNotice:
		return Names{"Tiedote loma ja poissa", "Frånvaromeddelande", "Away notice"}
	}
	return Names{EN: fmt.Sprintf("Role %d", int(r))}
}

// PhoneState is what a user's phones are doing, derived from live calls.
type PhoneState string

const (
	PhoneIdle    PhoneState = "idle"
	PhoneRinging PhoneState = "ringing"  // an incoming call rings and none is up
	PhoneOnCall  PhoneState = "on-call"  // at least one call is answered
	PhoneDialing PhoneState = "dialling" // an outgoing call is being set up and none is up
)

// Limits of a presence change. Longer notes are refused, not cut, so nothing is lost silently.
const (
	MaxNoteRunes = 500
	// MaxUntil is how far ahead an end time may be (a long holiday fits).
	MaxUntil = 2 * 366 * 24 * time.Hour
)

// Errors of Validate; callers wrap them and show them as they are.
var (
	ErrUnknownActivity = errors.New("unknown activity")
	ErrUnknownRole     = errors.New("unknown role")
	ErrNoteTooLong     = fmt.Errorf("note longer than %d characters", MaxNoteRunes)
	ErrNoteInvalid     = errors.New("note is not valid text")
	ErrUntilPast       = errors.New("end time is in the past")
	ErrUntilTooFar     = errors.New("end time is more than two years ahead")
)

// ValidateNote checks a personal note.
func ValidateNote(note string) error {
	if !utf8.ValidString(note) {
		return ErrNoteInvalid
	}
	if utf8.RuneCountInString(note) > MaxNoteRunes {
		return ErrNoteTooLong
	}
	for _, r := range note {
		if r < 0x20 && r != '\n' && r != '\t' {
			return ErrNoteInvalid
		}
	}
	return nil
}

// ValidateUntil checks an end time at now; the zero time means "no end time".
func ValidateUntil(until, now time.Time) error {
	if until.IsZero() {
		return nil
	}
	if until.Before(now.Add(-time.Minute)) {
		return ErrUntilPast
	}
	if until.After(now.Add(MaxUntil)) {
		return ErrUntilTooFar
	}
	return nil
}

// Find returns the activity numbered n in list.
func Find(list []Activity, n int) (Activity, bool) {
	for _, a := range list {
		if a.Number == n {
			return a, true
		}
	}
	return Activity{}, false
}
