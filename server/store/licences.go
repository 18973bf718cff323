package store

// The floating licences of the add-on roles (ORG-2, seed 004), shared by the admin API and the
// CLI: at most Org.*Licences users hold a role at once.

// Role is an add-on role with its floating licence.
type Role struct {
	Name     string // "agent", "supervisor", "operator"
	Held     func(User) bool
	Licences func(Org) int
}

// Roles are the add-on roles.
var Roles = []Role{
	{"agent", func(u User) bool { return u.Agent }, func(o Org) int { return o.AgentLicences }},
	{"supervisor", func(u User) bool { return u.Supervisor }, func(o Org) int { return o.SupervisorLicences }},
	{"operator", func(u User) bool { return u.Operator }, func(o Org) int { return o.OperatorLicences }},
}

// Holders returns how many of users hold the role.
func (r Role) Holders(users []User) int {
	n := 0
	for _, u := range users {
		if r.Held(u) {
			n++
		}
	}
	return n
}

// OverLicence returns the first role whose holders a change of the organisation's users from
// before to after raises beyond its licences; ok is false when every role fits. A change that
// does not add holders is never refused, even if the organisation is over already.
func OverLicence(o Org, before, after []User) (r Role, ok bool) {
	for _, r := range Roles {
		n, was := r.Holders(after), r.Holders(before)
		if n > was && n > r.Licences(o) {
			return r, true
		}
	}
	return Role{}, false
}

// LicenceCut returns the first role whose licences a change of the organisation from old to
// new lowers below its holders among users; lowering while still above them is allowed.
func LicenceCut(old, new Org, users []User) (r Role, holders int, ok bool) {
	for _, r := range Roles {
		n, h := r.Licences(new), r.Holders(users)
		if n < r.Licences(old) && n < h {
			return r, h, true
		}
	}
	return Role{}, 0, false
}
