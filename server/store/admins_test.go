package store

import "testing"

func TestCheckAdmins(t *testing.T) {
	u := func(admin ...bool) []User {
		var us []User
		for i, a := range admin {
			us = append(us, User{ID: int64(i + 1), Admin: a})
		}
		return us
	}
	for _, tc := range []struct {
		name          string
		before, after []User
		want          error
		lacks         bool // LacksSecondAdmin(after)
	}{
		{"first user, an admin", nil, u(true), nil, false},
		{"second user, not an admin: allowed, but short", u(true), u(true, false), nil, true},
		{"second admin", u(true, false), u(true, true), nil, false},
		{"last admin demoted", u(true, false), u(false, false), ErrLastAdmin, true},
		{"only user deleted", u(true), nil, ErrLastAdmin, false},
		{"one of two admins demoted, three users", u(true, true, false), u(true, false, false), ErrSecondAdmin, true},
		{"one of two admins deleted, two left", u(true, true, false), u(true, false), ErrSecondAdmin, true},
		{"one of three admins demoted", u(true, true, true), u(true, true, false), nil, false},
		{"one of two admins demoted, alone", u(true, true), u(true), nil, false},
		{"non-admin deleted while short", u(true, false, false), u(true, false), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckAdmins(tc.before, tc.after); got != tc.want {
				t.Fatalf("CheckAdmins = %v, want %v", got, tc.want)
			}
			if got := LacksSecondAdmin(tc.after); got != tc.lacks {
				t.Fatalf("LacksSecondAdmin = %v, want %v", got, tc.lacks)
			}
		})
	}
}
