package store

import "errors"

// The administrator rule of seed 004, shared by the admin API and the CLI: an organisation
// always keeps an administrator, and one of two or more users keeps at least two.
var (
	// ErrLastAdmin: the change would remove the organisation's last administrator.
	ErrLastAdmin = errors.New("store: the last administrator cannot be removed")
	// ErrSecondAdmin: the change would leave two or more users with fewer than two administrators.
	ErrSecondAdmin = errors.New("store: two or more users keep at least two administrators")
)

// CountAdmins returns how many of users are administrators.
func CountAdmins(users []User) int {
	n := 0
	for _, u := range users {
		if u.Admin {
			n++
		}
	}
	return n
}

// LacksSecondAdmin reports whether the organisation of users is short of its second
// administrator: two or more users but fewer than two administrators. Not an error (users are
// never refused for it), but a warning to show.
func LacksSecondAdmin(users []User) bool { return len(users) >= 2 && CountAdmins(users) < 2 }

// CheckAdmins checks a change of an organisation's users from before to after against the
// rule. Only a change that removes administrators can break it: an organisation already short
// of them may still add users.
func CheckAdmins(before, after []User) error {
	a, was := CountAdmins(after), CountAdmins(before)
	switch {
	case a >= was:
		return nil
	case a == 0:
		return ErrLastAdmin
	case a < 2 && len(after) >= 2:
		return ErrSecondAdmin
	}
	return nil
}
