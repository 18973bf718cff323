package provision

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vaihde/vaihde/server/store"
)

// CheckRolesKept refuses to take from a user the role that a queue needs of them: the agent
// role (or operator) of a queue member, the supervisor role of a queue's supervisor. The
// administrator removes them from the queue first, so that no queue is left with a member the
// licences do not cover.
func CheckRolesKept(ctx context.Context, st GroupReader, org store.Org, old, new store.User) error {
	lostAgent := (old.Agent || old.Operator) && !(new.Agent || new.Operator)
	lostSupervisor := old.Supervisor && !new.Supervisor
	if !lostAgent && !lostSupervisor {
		return nil
	}
	qs, err := st.Queues(ctx, org.ID)
	if err != nil {
		return fmt.Errorf("provision: queues of %s: %w", org.Domain, err)
	}
	var in, sup []string
	for _, q := range qs {
		if lostAgent && slices.ContainsFunc(q.Members, func(m store.QueueMember) bool { return m.UserID == old.ID }) {
			in = append(in, fmt.Sprintf("%q (%s)", q.Name, q.Number))
		}
		if lostSupervisor && slices.Contains(q.Supervisors, old.ID) {
			sup = append(sup, fmt.Sprintf("%q (%s)", q.Name, q.Number))
		}
	}
	switch {
	case len(in) > 0:
		return conflictInput("%s is an agent of the queue %s: remove them from it before taking the role", old.Extension, strings.Join(in, ", "))
	case len(sup) > 0:
		return conflictInput("%s supervises the queue %s: remove them from it before taking the role", old.Extension, strings.Join(sup, ", "))
	}
	return nil
}

// RoleChange sets the given add-on roles of a user (nil: unchanged).
type RoleChange struct {
	Agent, Supervisor, Operator *bool
}

// SetRoles gives or takes the user's add-on roles within the organisation's floating
// licences (ORG-2), refusing to take a role a queue needs of them (CheckRolesKept).
func (s *Service) SetRoles(ctx context.Context, domain, ext string, c RoleChange) (store.User, error) {
	o, users, err := s.Users(ctx, domain)
	if err != nil {
		return store.User{}, err
	}
	old, err := s.user(ctx, o, ext)
	if err != nil {
		return store.User{}, err
	}
	u := old
	for _, f := range []struct {
		in  *bool
		out *bool
	}{{c.Agent, &u.Agent}, {c.Supervisor, &u.Supervisor}, {c.Operator, &u.Operator}} {
		if f.in != nil {
			*f.out = *f.in
		}
	}
	after := slices.Clone(users)
	for i := range after {
		if after[i].ID == u.ID {
			after[i] = u
		}
	}
	if r, over := store.OverLicence(o, users, after); over {
		return store.User{}, conflictInput("all %d %s licences of %s are in use: take the role from someone or raise them (vaihde org licences)",
			r.Licences(o), r.Name, o.Domain)
	}
	if rd, ok := s.St.(GroupReader); ok {
		if err := CheckRolesKept(ctx, rd, o, old, u); err != nil {
			return store.User{}, err
		}
	}
	if u == old {
		return u, nil
	}
	if err := s.St.UpdateUser(ctx, u); err != nil {
		return store.User{}, fmt.Errorf("provision: roles of %s@%s: %w", ext, o.Domain, err)
	}
	s.audit(ctx, o.ID, "user.update", "user "+ext, rolesText(old), rolesText(u))
	return u, nil
}

func rolesText(u store.User) string {
	return fmt.Sprintf("agent=%t; supervisor=%t; operator=%t", u.Agent, u.Supervisor, u.Operator)
}

// LicenceChange sets the given licence counts (nil: unchanged).
type LicenceChange struct {
	Agents, Supervisors, Operators *int
}

// SetLicences changes the organisation's floating licences of the add-on roles; lowering one
// below the users holding the role is refused.
func (s *Service) SetLicences(ctx context.Context, domain string, c LicenceChange) (store.Org, error) {
	o, users, err := s.Users(ctx, domain)
	if err != nil {
		return store.Org{}, err
	}
	n := o
	for _, f := range []struct {
		name string
		in   *int
		out  *int
	}{{"agents", c.Agents, &n.AgentLicences}, {"supervisors", c.Supervisors, &n.SupervisorLicences}, {"operators", c.Operators, &n.OperatorLicences}} {
		if f.in == nil {
			continue
		}
		if *f.in < 0 || *f.in > 100000 {
			return store.Org{}, badInput("%s licences must be between 0 and 100000", f.name)
		}
		*f.out = *f.in
	}
	if r, h, cut := store.LicenceCut(o, n, users); cut {
		return store.Org{}, conflictInput("%d users hold the %s role: take it from %d of them before lowering its licences to %d",
			h, r.Name, h-r.Licences(n), r.Licences(n))
	}
	if n == o {
		return o, nil
	}
	if err := s.St.UpdateOrg(ctx, n); err != nil {
		return store.Org{}, fmt.Errorf("provision: licences of %s: %w", domain, err)
	}
	s.audit(ctx, o.ID, "org.update", "org "+o.Domain,
		fmt.Sprintf("agent_licences=%d; supervisor_licences=%d; operator_licences=%d", o.AgentLicences, o.SupervisorLicences, o.OperatorLicences),
		fmt.Sprintf("agent_licences=%d; supervisor_licences=%d; operator_licences=%d", n.AgentLicences, n.SupervisorLicences, n.OperatorLicences))
	return n, nil
}
