package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// groupSnapshot is what the database holds of acme's groups, as the list commands print it,
// with the audit log's length.
func groupSnapshot(t *testing.T, db string) string {
	t.Helper()
	var b strings.Builder
	for _, cmd := range []string{"queue", "hunt", "menu"} {
		_, out, _ := cliRun(t, db, "", cmd, "list", "--org", "acme.example")
		b.WriteString(out)
	}
	return b.String() + snapshot(t, db)
}

// acmeWithAgents creates acme.example with users 2001–2004 through the CLI and gives 2002 and
// 2003 the agent role and 2001 the supervisor role (the admin API's job) in the store.
func acmeWithAgents(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "vaihde.db")
	if code, _, e := cliRun(t, db, "", "org", "create", "--domain", "acme.example", "--name", "Acme Oy"); code != 0 {
		t.Fatalf("org create: %d %s", code, e)
	}
	for _, ext := range []string{"2001", "2002", "2003", "2004"} {
		args := []string{"user", "create", "--org", "acme.example", "--ext", ext, "--name", "Acme " + ext, "--password-stdin"}
		if ext == "2001" {
			args = append(args, "--admin")
		}
		if code, _, e := cliRun(t, db, "Kesä-2030-x\n", args...); code != 0 {
			t.Fatalf("user create %s: %d %s", ext, code, e)
		}
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o, _ := st.OrgByDomain(ctx, "acme.example")
	o.AgentLicences, o.SupervisorLicences = 3, 1
	if err := st.UpdateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	for ext, set := range map[string]func(*store.User){
		"2001": func(u *store.User) { u.Supervisor = true },
		"2002": func(u *store.User) { u.Agent = true },
		"2003": func(u *store.User) { u.Agent = true },
	} {
		u, err := st.UserByExtension(ctx, o.ID, ext)
		if err != nil {
			t.Fatal(err)
		}
		set(&u)
		if err := st.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestCLIGroups(t *testing.T) {
	db := acmeWithAgents(t)
	run := func(args ...string) string {
		t.Helper()
		code, out, e := cliRun(t, db, "", args...)
		if code != 0 {
			t.Fatalf("%q: exit %d, %s", args, code, e)
		}
		return out
	}
	if out := run("queue", "create", "--org", "acme.example", "--name", "Tuki", "--number", "8000",
		"--members", "2002:1,2003", "--supervisors", "2001", "--ring-time", "15s"); !strings.Contains(out, `created queue 8000 "Tuki"`) {
		t.Fatalf("queue create: %q", out)
	}
	if out := run("queue", "list", "--org", "acme.example"); !strings.Contains(out, "8000    Tuki  2002:1 2003:3") || !strings.Contains(out, "2001") {
		t.Fatalf("queue list:\n%s", out)
	}
	run("queue", "member", "add", "--org", "acme.example", "--number", "8000", "--ext", "2003", "--skill", "2")
	run("queue", "member", "remove", "--org", "acme.example", "--number", "8000", "--ext", "2002")
	if out := run("queue", "list", "--org", "acme.example"); !strings.Contains(out, "2003:2") || strings.Contains(out, "2002:") {
		t.Fatalf("queue list after member changes:\n%s", out)
	}
	run("hunt", "create", "--org", "acme.example", "--name", "Myynti", "--number", "8001", "--members", "2004,2001", "--mode", "serial")
	if out := run("hunt", "list", "--org", "acme.example"); !strings.Contains(out, "8001    Myynti  serial  2004 2001") {
		t.Fatalf("hunt list:\n%s", out)
	}
	run("menu", "create", "--org", "acme.example", "--name", "Päävalikko", "--number", "8020", "--option", "1=8000", "--option", "2=8001", "--option", "#=8020")
	if out := run("menu", "list", "--org", "acme.example"); !strings.Contains(out, "#=(replay) 1=8000 2=8001") {
		t.Fatalf("menu list:\n%s", out)
	}
	// Audited as the CLI.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := st.OrgByDomain(ctx, "acme.example")
	audit, _ := st.ListAudit(ctx, o.ID, 0)
	st.Close()
	var actions []string
	for _, e := range audit {
		if e.Actor == "cli" && (strings.HasPrefix(e.Action, "queue.") || strings.HasPrefix(e.Action, "hunt.") || strings.HasPrefix(e.Action, "menu.")) {
			actions = append(actions, e.Action)
		}
	}
	if strings.Join(actions, " ") != "menu.create hunt.create queue.update queue.update queue.create" {
		t.Fatalf("audit %v", actions)
	}

	before := groupSnapshot(t, db)
	bad := []struct {
		name string
		args []string
		want string
	}{
		{"number taken", []string{"queue", "create", "--org", "acme.example", "--name", "X", "--number", "8001"}, `already the hunt group "Myynti"`},
		{"a user's extension", []string{"hunt", "create", "--org", "acme.example", "--name", "X", "--number", "2001"}, "test number"},
		{"outside the test range", []string{"menu", "create", "--org", "acme.example", "--name", "X", "--number", "8100"}, "test number"},
		{"member without the agent role", []string{"queue", "create", "--org", "acme.example", "--name", "X", "--number", "8002", "--members", "2004"}, "agent role"},
		{"supervisor without the role", []string{"queue", "create", "--org", "acme.example", "--name", "X", "--number", "8002", "--supervisors", "2002"}, "supervisor role"},
		{"unknown member", []string{"queue", "create", "--org", "acme.example", "--name", "X", "--number", "8002", "--members", "2999"}, "no user"},
		{"skill 4", []string{"queue", "member", "add", "--org", "acme.example", "--number", "8000", "--ext", "2002", "--skill", "4"}, "skill"},
		{"bad member syntax", []string{"queue", "create", "--org", "acme.example", "--name", "X", "--number", "8002", "--members", "2002:x"}, "extension[:skill]"},
		{"negative ring time", []string{"queue", "create", "--org", "acme.example", "--name", "X", "--number", "8002", "--ring-time", "-5s"}, "ring time"},
		{"remove a non-member", []string{"queue", "member", "remove", "--org", "acme.example", "--number", "8000", "--ext", "2004"}, "no member"},
		{"member of no queue", []string{"queue", "member", "add", "--org", "acme.example", "--number", "8001", "--ext", "2002"}, "no queue"},
		{"bad hunt mode", []string{"hunt", "create", "--org", "acme.example", "--name", "X", "--number", "8002", "--mode", "all"}, "mode"},
		{"bad menu key", []string{"menu", "create", "--org", "acme.example", "--name", "X", "--number", "8002", "--option", "A=8000"}, "menu key"},
		{"menu to nowhere", []string{"menu", "create", "--org", "acme.example", "--name", "X", "--number", "8002", "--option", "1=8099"}, "no user, group or menu"},
		{"bad option syntax", []string{"menu", "create", "--org", "acme.example", "--name", "X", "--number", "8002", "--option", "1"}, "key=number"},
		{"delete unknown", []string{"menu", "delete", "--org", "acme.example", "--number", "8099"}, "no menu"},
		{"delete the wrong kind", []string{"hunt", "delete", "--org", "acme.example", "--number", "8000"}, "no hunt group"},
		{"unknown org", []string{"queue", "list", "--org", "nope.example"}, "unknown organisation"},
		{"missing flags", []string{"queue", "create", "--org", "acme.example"}, "required"},
		{"unknown subcommand", []string{"menu", "rename"}, "unknown subcommand"},
		{"member without add/remove", []string{"queue", "member"}, "add or remove"},
		{"a group's DID deleted", []string{"did", "delete", "--org", "acme.example", "--number", "+35891234500"}, "group's number"},
	}
	// A pool number given to a queue, for the last case.
	run("did", "set", "--org", "acme.example", "--number", "+35891234500")
	run("queue", "create", "--org", "acme.example", "--name", "Laskutus", "--number", "09 1234 500")
	before = groupSnapshot(t, db)
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			code, out, e := cliRun(t, db, "", tc.args...)
			if code != exitBadInput {
				t.Fatalf("exit %d, want 2 (stdout %q, stderr %q)", code, out, e)
			}
			if strings.Count(e, "\n") != 1 || !strings.Contains(e, tc.want) {
				t.Fatalf("stderr %q: want one line containing %q", e, tc.want)
			}
			if after := groupSnapshot(t, db); after != before {
				t.Fatalf("bad input wrote something:\n%s\n---\n%s", before, after)
			}
		})
	}
	for _, args := range [][]string{
		{"queue", "delete", "--org", "acme.example", "--number", "8000"},
		{"hunt", "delete", "--org", "acme.example", "--number", "8001"},
		{"menu", "delete", "--org", "acme.example", "--number", "8020"},
	} {
		if out := run(args...); !strings.Contains(out, "deleted") {
			t.Fatalf("%q: %q", args, out)
		}
	}
	if out := run("queue", "list", "--org", "acme.example"); strings.Contains(out, "Tuki") || !strings.Contains(out, "+35891234500") {
		t.Fatalf("queue list after delete:\n%s", out)
	}
}
