package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaihde/vaihde/server/backup"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// cliRun runs one provisioning command in-process with stdin and returns its exit status and
// output.
func cliRun(t *testing.T, db, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"VAIHDE_DB_PATH": db}
	code, ok := runCLI(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	if !ok {
		t.Fatalf("%q not taken as a command", args)
	}
	return code, out.String(), errOut.String()
}

// snapshot is what the database holds, as the list commands print it.
func snapshot(t *testing.T, db string) string {
	t.Helper()
	_, orgs, _ := cliRun(t, db, "", "org", "list")
	_, users, _ := cliRun(t, db, "", "user", "list", "--org", "acme.example")
	_, dids, _ := cliRun(t, db, "", "did", "list", "--org", "acme.example")
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o, err := st.OrgByDomain(context.Background(), "acme.example")
	if err != nil {
		t.Fatal(err)
	}
	audit, _ := st.ListAudit(context.Background(), o.ID, 0)
	return orgs + users + dids + strings.Repeat("audit\n", len(audit))
}

func TestCLIProvisioning(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "vaihde.db")
	if code, _, e := cliRun(t, db, "", "org", "create", "--domain", "acme.example", "--name", "Acme Oy", "--time-zone", "Europe/Stockholm"); code != 0 {
		t.Fatalf("org create: %d %s", code, e)
	}
	code, out, e := cliRun(t, db, "Kesä-2030-x\n", "user", "create", "--org", "acme.example", "--ext", "2001", "--name", "Aino Ahonen",
		"--mobile", "040 111 2001", "--company-number", "09 1234 2001", "--email", "aino@acme.example", "--lang", "sv", "--admin", "--password-stdin")
	if code != 0 || !strings.Contains(out, "created user 2001@acme.example") {
		t.Fatalf("user create: %d %q %q", code, out, e)
	}
	_, list, _ := cliRun(t, db, "", "user", "list", "--org", "acme.example")
	for _, want := range []string{"2001", "Aino Ahonen", "+358912342001", "+358401112001", "aino@acme.example", "sv", "yes"} {
		if !strings.Contains(list, want) {
			t.Fatalf("user list lacks %q:\n%s", want, list)
		}
	}
	_, orgs, _ := cliRun(t, db, "", "org", "list")
	if !strings.Contains(orgs, "acme.example") || !strings.Contains(orgs, "Europe/Stockholm") {
		t.Fatalf("org list:\n%s", orgs)
	}
	if code, _, e := cliRun(t, db, "Uusi-salasana-9\r\n", "user", "passwd", "--org", "acme.example", "--ext", "2001", "--password-stdin"); code != 0 {
		t.Fatalf("passwd: %d %s", code, e)
	}
	if code, out, e := cliRun(t, db, "", "did", "set", "--org", "acme.example", "--number", "09 1234 2000", "--ext", "2001"); code != 0 || !strings.Contains(out, "+358912342000") {
		t.Fatalf("did set: %d %q %q", code, out, e)
	}
	if _, out, _ := cliRun(t, db, "", "did", "list", "--org", "acme.example"); !strings.Contains(out, "+358912342000  2001") {
		t.Fatalf("did list:\n%s", out)
	}
	before := snapshot(t, db)

	bad := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"duplicate extension", "Kesä-2030-x\n", []string{"user", "create", "--org", "acme.example", "--ext", "2001", "--name", "X", "--password-stdin"}, "already exists"},
		{"unknown org", "Kesä-2030-x\n", []string{"user", "create", "--org", "nope.example", "--ext", "2002", "--name", "X", "--password-stdin"}, "unknown organisation"},
		{"malformed number", "Kesä-2030-x\n", []string{"user", "create", "--org", "acme.example", "--ext", "2002", "--name", "X", "--mobile", "04x", "--password-stdin"}, "not a telephone number"},
		{"weak password", "kissa\n", []string{"user", "create", "--org", "acme.example", "--ext", "2002", "--name", "X", "--password-stdin"}, "weak password"},
		{"spaced password", "Kesä 2030 x\n", []string{"user", "create", "--org", "acme.example", "--ext", "2002", "--name", "X", "--password-stdin"}, "spaces"},
		{"no password", "", []string{"user", "create", "--org", "acme.example", "--ext", "2002", "--name", "X", "--password-stdin"}, "no password"},
		{"password in argv", "", []string{"user", "create", "--org", "acme.example", "--ext", "2002", "--name", "X", "--password", "Kesä-2030-x"}, "--password-stdin"},
		{"without --password-stdin", "Kesä-2030-x\n", []string{"user", "create", "--org", "acme.example", "--ext", "2002", "--name", "X"}, "--password-stdin is required"},
		{"unknown language", "Kesä-2030-x\n", []string{"user", "create", "--org", "acme.example", "--ext", "2002", "--name", "X", "--lang", "de", "--password-stdin"}, "unknown language"},
		{"bad domain", "", []string{"org", "create", "--domain", "acme", "--name", "X"}, "two labels"},
		{"duplicate org", "", []string{"org", "create", "--domain", "ACME.example", "--name", "X"}, "already exists"},
		{"weak new password", "lyhyt\n", []string{"user", "passwd", "--org", "acme.example", "--ext", "2001", "--password-stdin"}, "weak password"},
		{"passwd unknown user", "Kesä-2030-x\n", []string{"user", "passwd", "--org", "acme.example", "--ext", "2999", "--password-stdin"}, "no user"},
		{"delete unknown user", "", []string{"user", "delete", "--org", "acme.example", "--ext", "2999"}, "no user"},
		{"unknown subcommand", "", []string{"user", "rename"}, "unknown subcommand"},
		{"missing flag", "", []string{"user", "list"}, "--org is required"},
		{"stray argument", "", []string{"org", "list", "extra"}, "unexpected argument"},
		{"backup without file", "", []string{"backup"}, "file name"},
		{"did to nobody", "", []string{"did", "set", "--org", "acme.example", "--number", "09 1234 2000", "--ext", "2999"}, "no user"},
		{"did not a number", "", []string{"did", "set", "--org", "acme.example", "--number", "abc"}, "not a telephone number"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			code, out, e := cliRun(t, db, tc.stdin, tc.args...)
			if code != exitBadInput {
				t.Fatalf("exit %d, want 2 (stdout %q, stderr %q)", code, out, e)
			}
			if strings.Count(e, "\n") != 1 || !strings.HasSuffix(e, "\n") || !strings.Contains(e, tc.want) {
				t.Fatalf("stderr %q: want one line containing %q", e, tc.want)
			}
			if strings.Contains(e, "Kesä") {
				t.Fatal("the password reached the output")
			}
			if after := snapshot(t, db); after != before {
				t.Fatalf("bad input wrote something:\n%s\n---\n%s", before, after)
			}
		})
	}
}

// TestCLIMissingDatabase: a mistyped -db creates nothing, and org create with bad input does
// not create the database either.
func TestCLIMissingDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "nothing.db")
	for _, args := range [][]string{
		{"user", "list", "--org", "acme.example"},
		{"org", "list"},
		{"org", "create", "--domain", "acme..example", "--name", "Acme"},
		{"org", "create", "--domain", "acme.example", "--name", "Acme", "--country-code", "+358"},
		{"backup", filepath.Join(t.TempDir(), "b.tar.gz")},
	} {
		code, _, e := cliRun(t, db, "", args...)
		if code != exitBadInput || strings.Count(e, "\n") != 1 {
			t.Fatalf("%q: exit %d, stderr %q", args, code, e)
		}
		if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%q created the database", args)
		}
	}
}

func TestCLIServerArgsAreNotCommands(t *testing.T) {
	for _, args := range [][]string{nil, {"demo"}, {"-demo"}, {"-db", "x.db"}} {
		if _, ok := runCLI(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}); ok {
			t.Fatalf("%q taken as a provisioning command", args)
		}
	}
}

// TestSecondServerRefused: the database lock keeps a second server off a live database (and
// tells restore that a server is live).
func TestSecondServerRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	lk, err := backup.Acquire(db)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Close()
	env := map[string]string{"VAIHDE_DB_PATH": db}
	err = run(context.Background(), []string{"-sip-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "another vaihde server is running on it") {
		t.Fatalf("second server: %v", err)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the refused server opened the database")
	}
}
