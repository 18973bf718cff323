package main

// The group commands: `vaihde queue|hunt|menu …`. Groups are named by their number, members by
// extension; validation is server/provision's, the admin API's too.

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/provision"
	"github.com/vaihde/vaihde/server/store"
)

// groupUsage is the group part of cliUsage.
const groupUsage = `  vaihde org licences --org D [--agents N] [--supervisors N] [--operators N]   (floating licences)
  vaihde user role --org D --ext E [--agent=true|false] [--supervisor=…] [--operator=…]
  vaihde queue create --org D --name N --number 8000 [--members 1004:1,1005:2] [--supervisors 1005]
                      [--ring-at-once N] [--ring-time 20s]   (members ext[:skill 1-3]; agent role needed)
  vaihde queue member add --org D --number 8000 --ext E [--skill 1-3] [--order N]
  vaihde queue member remove --org D --number 8000 --ext E
  vaihde queue list --org D
  vaihde queue delete --org D --number N
  vaihde hunt create --org D --name N --number 8001 --members 1007,1008 [--mode parallel|serial|random]
  vaihde hunt list --org D
  vaihde hunt delete --org D --number N
  vaihde menu create --org D --name N --number 8020 --option 1=8000 --option 2=8001 [--prompt P]
  vaihde menu list --org D
  vaihde menu delete --org D --number N
`

// groupCommand runs the group command name ("queue create", "queue member add", …); ok is
// false for a name that is none.
func (c *cli) groupCommand(ctx context.Context, name string, args []string) (ok bool, err error) {
	switch name {
	case "queue create":
		return true, c.queueCreate(ctx, args)
	case "queue list":
		return true, c.queueList(ctx, args)
	case "queue delete":
		return true, c.groupDelete(ctx, "queue delete", args)
	case "queue member add":
		return true, c.queueMember(ctx, args, true)
	case "queue member remove":
		return true, c.queueMember(ctx, args, false)
	case "hunt create":
		return true, c.huntCreate(ctx, args)
	case "hunt list":
		return true, c.huntList(ctx, args)
	case "hunt delete":
		return true, c.groupDelete(ctx, "hunt delete", args)
	case "menu create":
		return true, c.menuCreate(ctx, args)
	case "menu list":
		return true, c.menuList(ctx, args)
	case "menu delete":
		return true, c.groupDelete(ctx, "menu delete", args)
	}
	return false, nil
}

// groupCommands are the first words of the group commands; "queue member" has one more.
var groupCommands = []string{"queue", "hunt", "menu"}

// multi is a repeatable flag (--option 1=8000 --option 2=8001).
type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func split(list string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

// members parses "1004:1,1005:2,1006" (skill optional).
func members(list string) ([]provision.MemberSpec, error) {
	var out []provision.MemberSpec
	for _, f := range split(list) {
		ext, skill, found := strings.Cut(f, ":")
		m := provision.MemberSpec{Extension: ext}
		if found {
			n, err := strconv.Atoi(skill)
			if err != nil {
				return nil, badUsage(fmt.Sprintf("--members %q: give extension[:skill], e.g. 1004:1", f))
			}
			m.Skill = n
		}
		out = append(out, m)
	}
	return out, nil
}

func (c *cli) queueCreate(ctx context.Context, args []string) error {
	f := newFlags("queue create", false)
	var spec provision.QueueSpec
	var memberList, supList string
	f.fs.StringVar(&spec.Org, "org", "", "domain of the organisation")
	f.fs.StringVar(&spec.Name, "name", "", "name of the queue")
	f.fs.StringVar(&spec.Number, "number", "", "test number 8000-8099 or a number of the pool")
	f.fs.StringVar(&memberList, "members", "", "agents as ext[:skill], comma-separated, e.g. 1004:1,1005:2")
	f.fs.StringVar(&supList, "supervisors", "", "supervisors' extensions, comma-separated")
	f.fs.IntVar(&spec.RingAtOnce, "ring-at-once", 1, "agents rung at once")
	f.fs.DurationVar(&spec.RingTime, "ring-time", 20*time.Second, "ring time per agent")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if spec.Org == "" || spec.Name == "" || spec.Number == "" {
		return badUsage("--org, --name and --number are required")
	}
	var err error
	if spec.Members, err = members(memberList); err != nil {
		return err
	}
	spec.Supervisors = split(supList)
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	q, err := c.service(st).CreateQueue(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created queue %s %q of %s with %d members\n", q.Number, q.Name, spec.Org, len(q.Members))
	return nil
}

func (c *cli) queueMember(ctx context.Context, args []string, add bool) error {
	name := "queue member remove"
	if add {
		name = "queue member add"
	}
	f := newFlags(name, false)
	var org, num string
	var m provision.MemberSpec
	f.fs.StringVar(&org, "org", "", "domain of the organisation")
	f.fs.StringVar(&num, "number", "", "the queue's number")
	f.fs.StringVar(&m.Extension, "ext", "", "the agent's extension")
	if add {
		f.fs.IntVar(&m.Skill, "skill", 3, "skill 1 (best) to 3")
		f.fs.IntVar(&m.Order, "order", 0, "ring order, 1 first; 0 = unordered")
	}
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if org == "" || num == "" || m.Extension == "" {
		return badUsage("--org, --number and --ext are required")
	}
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	var q store.Queue
	if add {
		q, err = c.service(st).SetQueueMember(ctx, org, num, m)
	} else {
		q, err = c.service(st).RemoveQueueMember(ctx, org, num, m.Extension)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "queue %s %q of %s has %d members\n", q.Number, q.Name, org, len(q.Members))
	return nil
}

func (c *cli) queueList(ctx context.Context, args []string) error {
	return c.orgTable(ctx, "queue list", args, func(svc *provision.Service, org string, tw io.Writer) error {
		qs, exts, err := svc.Queues(ctx, org)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "NUMBER\tNAME\tMEMBERS (EXT:SKILL)\tSUPERVISORS")
		for _, q := range qs {
			var ms, ss []string
			for _, m := range q.Members {
				ms = append(ms, fmt.Sprintf("%s:%d", exts[m.UserID], m.Skill))
			}
			for _, id := range q.Supervisors {
				ss = append(ss, exts[id])
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", q.Number, q.Name, strings.Join(ms, " "), strings.Join(ss, " "))
		}
		return nil
	})
}

func (c *cli) huntCreate(ctx context.Context, args []string) error {
	f := newFlags("hunt create", false)
	var spec provision.HuntSpec
	var memberList, mode string
	f.fs.StringVar(&spec.Org, "org", "", "domain of the organisation")
	f.fs.StringVar(&spec.Name, "name", "", "name of the hunt group")
	f.fs.StringVar(&spec.Number, "number", "", "test number 8000-8099 or a number of the pool")
	f.fs.StringVar(&memberList, "members", "", "members' extensions in ring order, comma-separated")
	f.fs.StringVar(&mode, "mode", string(store.HuntParallel), "parallel, serial or random")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if spec.Org == "" || spec.Name == "" || spec.Number == "" {
		return badUsage("--org, --name and --number are required")
	}
	spec.Mode, spec.Members = store.HuntMode(mode), split(memberList)
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := c.service(st).CreateHuntGroup(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created hunt group %s %q of %s (%s, %d members)\n", h.Number, h.Name, spec.Org, h.Mode, len(h.Members))
	return nil
}

func (c *cli) huntList(ctx context.Context, args []string) error {
	return c.orgTable(ctx, "hunt list", args, func(svc *provision.Service, org string, tw io.Writer) error {
		hs, exts, err := svc.HuntGroups(ctx, org)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "NUMBER\tNAME\tMODE\tMEMBERS")
		for _, h := range hs {
			var ms []string
			for _, id := range h.Members {
				ms = append(ms, exts[id])
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Number, h.Name, h.Mode, strings.Join(ms, " "))
		}
		return nil
	})
}

func (c *cli) menuCreate(ctx context.Context, args []string) error {
	f := newFlags("menu create", false)
	var spec provision.MenuSpec
	var options multi
	f.fs.StringVar(&spec.Org, "org", "", "domain of the organisation")
	f.fs.StringVar(&spec.Name, "name", "", "name of the menu")
	f.fs.StringVar(&spec.Number, "number", "", "test number 8000-8099 or a number of the pool")
	f.fs.StringVar(&spec.Prompt, "prompt", "", "announcement (prompt name); empty: generated from the options")
	f.fs.Var(&options, "option", "key=number, repeated, e.g. --option 1=8000 --option 2=8001")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if spec.Org == "" || spec.Name == "" || spec.Number == "" {
		return badUsage("--org, --name and --number are required")
	}
	spec.Options = map[string]string{}
	for _, o := range options {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k == "" || v == "" {
			return badUsage(fmt.Sprintf("--option %q: give key=number, e.g. 1=8000", o))
		}
		if _, dup := spec.Options[k]; dup {
			return badUsage(fmt.Sprintf("--option: key %s given twice", k))
		}
		spec.Options[k] = v
	}
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := c.service(st).CreateMenu(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created menu %s %q of %s with %d options\n", m.Number, m.Name, spec.Org, len(m.Options))
	return nil
}

func (c *cli) menuList(ctx context.Context, args []string) error {
	return c.orgTable(ctx, "menu list", args, func(svc *provision.Service, org string, tw io.Writer) error {
		ms, err := svc.Menus(ctx, org)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "NUMBER\tNAME\tOPTIONS")
		for _, m := range ms {
			keys := make([]string, 0, len(m.Options))
			for k := range m.Options {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			opts := make([]string, len(keys))
			for i, k := range keys {
				opts[i] = k + "=" + cmpOr(m.Options[k], "(replay)")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Number, m.Name, strings.Join(opts, " "))
		}
		return nil
	})
}

// groupDelete deletes the queue, hunt group or menu answering --number.
func (c *cli) groupDelete(ctx context.Context, name string, args []string) error {
	f := newFlags(name, false)
	var org, num string
	f.fs.StringVar(&org, "org", "", "domain of the organisation")
	f.fs.StringVar(&num, "number", "", "the group's number")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if org == "" || num == "" {
		return badUsage("--org and --number are required")
	}
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := c.service(st)
	var what, gotName, gotNum string
	switch name {
	case "queue delete":
		q, err := svc.DeleteQueue(ctx, org, num)
		if err != nil {
			return err
		}
		what, gotName, gotNum = "queue", q.Name, q.Number
	case "hunt delete":
		h, err := svc.DeleteHuntGroup(ctx, org, num)
		if err != nil {
			return err
		}
		what, gotName, gotNum = "hunt group", h.Name, h.Number
	default:
		m, err := svc.DeleteMenu(ctx, org, num)
		if err != nil {
			return err
		}
		what, gotName, gotNum = "menu", m.Name, m.Number
	}
	fmt.Fprintf(c.stdout, "deleted %s %s %q of %s\n", what, gotNum, gotName, org)
	return nil
}

// boolFlag is a flag that records whether it was given (--agent=false takes the role).
type boolFlag struct {
	set, v bool
}

func (b *boolFlag) String() string { return strconv.FormatBool(b.v) }
func (b *boolFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	b.set, b.v = true, v
	return err
}
func (b *boolFlag) IsBoolFlag() bool { return true }

func (b *boolFlag) ptr() *bool {
	if !b.set {
		return nil
	}
	return &b.v
}

func (c *cli) userRole(ctx context.Context, args []string) error {
	f := newFlags("user role", false)
	var org, ext string
	var agent, sup, op boolFlag
	f.fs.StringVar(&org, "org", "", "domain of the organisation")
	f.fs.StringVar(&ext, "ext", "", "extension of the user")
	f.fs.Var(&agent, "agent", "give (or with =false take) the agent role")
	f.fs.Var(&sup, "supervisor", "give (or with =false take) the supervisor role")
	f.fs.Var(&op, "operator", "give (or with =false take) the operator role")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if org == "" || ext == "" {
		return badUsage("--org and --ext are required")
	}
	if !agent.set && !sup.set && !op.set {
		return badUsage("give at least one of --agent, --supervisor, --operator")
	}
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := c.service(st).SetRoles(ctx, org, ext, provision.RoleChange{Agent: agent.ptr(), Supervisor: sup.ptr(), Operator: op.ptr()})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s@%s: agent %s, supervisor %s, operator %s\n", ext, org, yesNo(u.Agent), yesNo(u.Supervisor), yesNo(u.Operator))
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// intFlag is an int flag that records whether it was given.
type intFlag struct {
	set bool
	v   int
}

func (n *intFlag) String() string { return strconv.Itoa(n.v) }
func (n *intFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	n.set, n.v = true, v
	return err
}

func (n *intFlag) ptr() *int {
	if !n.set {
		return nil
	}
	return &n.v
}

func (c *cli) orgLicences(ctx context.Context, args []string) error {
	f := newFlags("org licences", false)
	var org string
	var agents, sups, ops intFlag
	f.fs.StringVar(&org, "org", "", "domain of the organisation")
	f.fs.Var(&agents, "agents", "agent licences")
	f.fs.Var(&sups, "supervisors", "supervisor licences")
	f.fs.Var(&ops, "operators", "operator licences")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if org == "" {
		return badUsage("--org is required")
	}
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	o, err := c.service(st).SetLicences(ctx, org, provision.LicenceChange{Agents: agents.ptr(), Supervisors: sups.ptr(), Operators: ops.ptr()})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %d agent, %d supervisor, %d operator licences\n", org, o.AgentLicences, o.SupervisorLicences, o.OperatorLicences)
	return nil
}
