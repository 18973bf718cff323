package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vaihde/vaihde/server/backup"
	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/provision"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// Exit statuses of the provisioning commands.
const (
	exitOK       = 0
	exitFailed   = 1 // the database or the file system failed
	exitBadInput = 2 // bad input or a refused operation: nothing was written
)

// cliUsage lists the provisioning commands.
const cliUsage = `usage:
  vaihde org create --domain D --name N [--country-code 358] [--time-zone Europe/Helsinki]
  vaihde org list
  vaihde user create --org D --ext E --name "First Last" [--company-number N] [--mobile N]
                     [--email E] [--lang fi|sv|en] [--admin] --password-stdin
  vaihde user passwd --org D --ext E --password-stdin
  vaihde user delete --org D --ext E
  vaihde user list --org D
  vaihde did set --org D --number N [--ext E] [--note TEXT]   (a DID of the trunk → extension)
  vaihde did delete --org D --number N
  vaihde did list --org D
` + groupUsage + `  vaihde backup FILE
  vaihde restore FILE [--force]
  vaihde version
Every command also takes the server's -db FILE and -config FILE (and VAIHDE_DB_PATH etc.).
Passwords are read from standard input, one line. Bad input: one line on stderr, exit status 2.
`

// cli is one provisioning command's environment.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
}

// runCLI runs the provisioning command named by args[0] and returns its exit status; ok is
// false when args name no such command (then the server runs).
func runCLI(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	cmd, rest := args[0], args[1:]
	sub := ""
	grouped := slices.Contains(groupCommands, cmd)
	if cmd == "org" || cmd == "user" || cmd == "did" || grouped {
		if len(rest) == 0 {
			return c.fail(cmd, badUsage("missing subcommand")), true
		}
		sub, rest = rest[0], rest[1:]
		if cmd == "queue" && sub == "member" { // queue member add|remove
			if len(rest) == 0 {
				return c.fail("queue member", badUsage("missing subcommand: add or remove")), true
			}
			sub, rest = sub+" "+rest[0], rest[1:]
		}
	}
	name := strings.TrimSpace(cmd + " " + sub)
	if grouped {
		ok, err := c.groupCommand(ctx, name, rest)
		if !ok {
			err = badUsage("unknown subcommand " + strconv.Quote(sub))
		}
		return c.fail(name, err), true
	}
	var err error
	switch name {
	case "org create":
		err = c.orgCreate(ctx, rest)
	case "org list":
		err = c.orgList(ctx, rest)
	case "user create":
		err = c.userCreate(ctx, rest)
	case "user passwd":
		err = c.userPasswd(ctx, rest)
	case "user delete":
		err = c.userDelete(ctx, rest)
	case "user list":
		err = c.userList(ctx, rest)
	case "user role":
		err = c.userRole(ctx, rest)
	case "org licences":
		err = c.orgLicences(ctx, rest)
	case "did set":
		err = c.didSet(ctx, rest)
	case "did delete":
		err = c.didDelete(ctx, rest)
	case "did list":
		err = c.didList(ctx, rest)
	case "backup":
		err = c.backup(ctx, rest)
	case "restore":
		err = c.restore(ctx, rest)
	case "version":
		fmt.Fprintln(stdout, version)
	case "help":
		fmt.Fprintf(stdout, "%s\nusage: vaihde [demo] [flags]   (run the server)\n%s", cliUsage, config.FlagUsage())
	default:
		if cmd == "org" || cmd == "user" || cmd == "did" {
			return c.fail(name, badUsage("unknown subcommand "+strconv.Quote(sub))), true
		}
		return 0, false
	}
	return c.fail(name, err), true
}

// usageError is a command line that does not parse.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badUsage(msg string) error { return &usageError{msg: msg} }

// helpError is -h: the command's flags, to be printed.
type helpError struct{ flags string }

func (e *helpError) Error() string { return "help requested" }
func (e *helpError) Unwrap() error { return flag.ErrHelp }

// refusedError is an operation refused as things stand (a restore over a live server).
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

// fail prints err as one line and returns the exit status for it.
func (c *cli) fail(name string, err error) int {
	var ue *usageError
	var re *refusedError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		var he *helpError
		if errors.As(err, &he) {
			fmt.Fprintf(c.stdout, "usage: vaihde %s [flags]\n%s", name, he.flags)
		} else {
			fmt.Fprint(c.stdout, cliUsage)
		}
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "vaihde %s: %s (see vaihde help)\n", name, ue.msg)
		return exitBadInput
	case provision.IsInput(err), errors.As(err, &re):
		fmt.Fprintf(c.stderr, "vaihde %s: %v\n", name, err)
		return exitBadInput
	}
	fmt.Fprintf(c.stderr, "vaihde %s: %v\n", name, err)
	return exitFailed
}

// flags is a command's flag set with the server's -db and -config (and -prompts-dir for
// backup and restore).
type flags struct {
	fs                         *flag.FlagSet
	db, configFile, promptsDir string
	positional                 []string
}

func newFlags(name string, prompts bool) *flags {
	f := &flags{fs: flag.NewFlagSet("vaihde "+name, flag.ContinueOnError)}
	f.fs.SetOutput(io.Discard) // errors are reported as one line by fail
	f.fs.StringVar(&f.db, "db", "", "SQLite database file (as the server's -db)")
	f.fs.StringVar(&f.configFile, "config", "", "JSON configuration file (as the server's -config)")
	if prompts {
		f.fs.StringVar(&f.promptsDir, "prompts-dir", "", "voice prompts directory (as the server's -prompts-dir)")
	}
	return f
}

// parse parses args, flags and positional arguments in any order, and checks the count of
// positional arguments.
func (f *flags) parse(args []string, positional int) error {
	for {
		if err := f.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				var b strings.Builder
				f.fs.SetOutput(&b)
				f.fs.PrintDefaults()
				return &helpError{flags: b.String()}
			}
			if strings.Contains(err.Error(), "-password") {
				return badUsage(err.Error() + ": give the password on standard input with --password-stdin")
			}
			return badUsage(err.Error())
		}
		args = f.fs.Args()
		if len(args) == 0 {
			break
		}
		f.positional = append(f.positional, args[0])
		args = args[1:]
	}
	if len(f.positional) != positional {
		if positional == 0 {
			return badUsage(fmt.Sprintf("unexpected argument %q", f.positional[0]))
		}
		return badUsage(fmt.Sprintf("want %d file name argument, got %d", positional, len(f.positional)))
	}
	return nil
}

// config is the server's configuration as these flags and the environment give it.
func (c *cli) config(f *flags) (config.Config, error) {
	var args []string
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "db", "config", "prompts-dir":
			args = append(args, "-"+fl.Name, fl.Value.String())
		}
	})
	cfg, err := config.Load(args, c.getenv)
	if err != nil {
		return config.Config{}, badUsage(err.Error())
	}
	return cfg, nil
}

// open opens the server's database. Unless create, a missing database file is an error, so
// that a mistyped -db does not create an empty one.
func (c *cli) open(ctx context.Context, f *flags, create bool) (*sqlite.Store, config.Config, error) {
	cfg, err := c.config(f)
	if err != nil {
		return nil, cfg, err
	}
	if !create {
		if _, err := os.Stat(cfg.DBPath); errors.Is(err, os.ErrNotExist) {
			return nil, cfg, badUsage(fmt.Sprintf("no database at %s: give the server's -db, or create an organisation first", cfg.DBPath))
		}
	} else if err := os.MkdirAll(filepath.Dir(cfg.DBPath), 0o750); err != nil {
		return nil, cfg, fmt.Errorf("create database directory: %w", err)
	}
	st, err := sqlite.Open(ctx, cfg.DBPath)
	if err != nil {
		return nil, cfg, err
	}
	return st, cfg, nil
}

func (c *cli) service(st *sqlite.Store) *provision.Service {
	return &provision.Service{St: st, Now: c.now}
}

func (c *cli) orgCreate(ctx context.Context, args []string) error {
	f := newFlags("org create", false)
	var spec provision.OrgSpec
	f.fs.StringVar(&spec.Domain, "domain", "", "SIP domain of the organisation, e.g. acme.example")
	f.fs.StringVar(&spec.Name, "name", "", "name of the organisation")
	f.fs.StringVar(&spec.CountryCode, "country-code", provision.DefaultCountryCode, "E.164 country code")
	f.fs.StringVar(&spec.TimeZone, "time-zone", provision.DefaultTimeZone, "IANA time zone")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if spec.Domain == "" || spec.Name == "" {
		return badUsage("--domain and --name are required")
	}
	// Validate before the database is created, so that bad input writes nothing at all.
	if _, err := spec.Validate(); err != nil {
		return err
	}
	st, _, err := c.open(ctx, f, true)
	if err != nil {
		return err
	}
	defer st.Close()
	o, err := c.service(st).CreateOrg(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created organisation %s (%s), country code %s, time zone %s\n", o.Domain, o.Name, o.CountryCode, o.TimeZone)
	return nil
}

func (c *cli) orgList(ctx context.Context, args []string) error {
	f := newFlags("org list", false)
	if err := f.parse(args, 0); err != nil {
		return err
	}
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	orgs, err := c.service(st).Orgs(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tNAME\tCOUNTRY\tTIME ZONE\tUSERS\tDEMO")
	for _, o := range orgs {
		users, err := st.ListUsers(ctx, o.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", o.Domain, o.Name, o.CountryCode, o.Location(), len(users), yes(o.Demo))
	}
	return tw.Flush()
}

func (c *cli) userCreate(ctx context.Context, args []string) error {
	f := newFlags("user create", false)
	var spec provision.UserSpec
	var stdinPassword bool
	f.fs.StringVar(&spec.Org, "org", "", "domain of the organisation")
	f.fs.StringVar(&spec.Extension, "ext", "", "internal extension, 3-6 digits")
	f.fs.StringVar(&spec.Name, "name", "", "full name")
	f.fs.StringVar(&spec.CompanyNumber, "company-number", "", "company (landline) number, any form")
	f.fs.StringVar(&spec.MobileNumber, "mobile", "", "mobile number, any form")
	f.fs.StringVar(&spec.Email, "email", "", "email address")
	f.fs.StringVar(&spec.Language, "lang", "", "language: fi, sv or en (default fi in a 358 organisation, else en)")
	f.fs.BoolVar(&spec.Admin, "admin", false, "the user administers the organisation")
	f.fs.BoolVar(&stdinPassword, "password-stdin", false, "read the password from standard input")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if spec.Org == "" || spec.Extension == "" || spec.Name == "" {
		return badUsage("--org, --ext and --name are required")
	}
	if !stdinPassword {
		return badUsage("--password-stdin is required: the password is read from standard input, never from the command line")
	}
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	password, err := c.readPassword(spec.Extension + "@" + spec.Org)
	if err != nil {
		return err
	}
	u, err := c.service(st).CreateUser(ctx, spec, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created user %s@%s (%s)%s\n", u.Extension, spec.Org, u.Name, map[bool]string{true: ", administrator"}[u.Admin])
	if w, err := c.service(st).AdminWarning(ctx, spec.Org); err == nil && w != "" {
		fmt.Fprintf(c.stderr, "vaihde user create: warning: %s (create one with --admin)\n", w)
	}
	return nil
}

func (c *cli) userPasswd(ctx context.Context, args []string) error {
	f := newFlags("user passwd", false)
	var org, ext string
	var stdinPassword bool
	f.fs.StringVar(&org, "org", "", "domain of the organisation")
	f.fs.StringVar(&ext, "ext", "", "extension of the user")
	f.fs.BoolVar(&stdinPassword, "password-stdin", false, "read the password from standard input")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if org == "" || ext == "" {
		return badUsage("--org and --ext are required")
	}
	if !stdinPassword {
		return badUsage("--password-stdin is required: the password is read from standard input, never from the command line")
	}
	st, _, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	password, err := c.readPassword(ext + "@" + org)
	if err != nil {
		return err
	}
	if err := c.service(st).SetPassword(ctx, org, ext, password); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "password of %s@%s changed\n", ext, org)
	return nil
}

func (c *cli) userDelete(ctx context.Context, args []string) error {
	f := newFlags("user delete", false)
	var org, ext string
	f.fs.StringVar(&org, "org", "", "domain of the organisation")
	f.fs.StringVar(&ext, "ext", "", "extension of the user")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if org == "" || ext == "" {
		return badUsage("--org and --ext are required")
	}
	st, cfg, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := c.service(st).DeleteUser(ctx, org, ext)
	if err != nil {
		return err
	}
	// The store removed the records; the voicemail files (messages and greeting) are ours to
	// remove, or the server's crash recovery would try to re-add them to a missing user.
	mbox := filepath.Join(filepath.Dir(cfg.DBPath), "voicemail", strconv.FormatInt(u.ID, 10))
	if err := os.RemoveAll(mbox); err != nil {
		return fmt.Errorf("user %s@%s deleted, but not their voicemail files: %w", ext, org, err)
	}
	fmt.Fprintf(c.stdout, "deleted user %s@%s (%s)\n", ext, org, u.Name)
	return nil
}

func (c *cli) userList(ctx context.Context, args []string) error {
	return c.orgTable(ctx, "user list", args, func(svc *provision.Service, org string, tw io.Writer) error {
		_, users, err := svc.Users(ctx, org)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "EXT\tNAME\tCOMPANY NUMBER\tMOBILE\tEMAIL\tLANG\tADMIN")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Extension, u.Name, u.CompanyNumber, u.MobileNumber, u.Email, u.Language, yes(u.Admin))
		}
		return nil
	})
}

func (c *cli) didSet(ctx context.Context, args []string) error {
	f := newFlags("did set", false)
	var org, num, ext, note string
	f.fs.StringVar(&org, "org", "", "domain of the organisation")
	f.fs.StringVar(&num, "number", "", "the number, any form (e.g. 09 1234 2000 or +35891234200)")
	f.fs.StringVar(&ext, "ext", "", "extension the number reaches; empty: in the pool, unassigned")
	f.fs.StringVar(&note, "note", "", "free note")
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
	d, err := c.service(st).SetDID(ctx, org, num, ext, note)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s of %s → %s\n", d.Number, org, cmpOr(d.Extension, "(unassigned)"))
	return nil
}

func (c *cli) didDelete(ctx context.Context, args []string) error {
	f := newFlags("did delete", false)
	var org, num string
	f.fs.StringVar(&org, "org", "", "domain of the organisation")
	f.fs.StringVar(&num, "number", "", "the number, any form")
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
	if err := c.service(st).DeleteDID(ctx, org, num); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "removed %s from %s\n", num, org)
	return nil
}

func (c *cli) didList(ctx context.Context, args []string) error {
	return c.orgTable(ctx, "did list", args, func(svc *provision.Service, org string, tw io.Writer) error {
		ds, err := svc.DIDs(ctx, org)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "NUMBER\tEXT\tNOTE")
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Number, d.Extension, d.Note)
		}
		return nil
	})
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (c *cli) backup(ctx context.Context, args []string) error {
	f := newFlags("backup", true)
	if err := f.parse(args, 1); err != nil {
		return err
	}
	st, cfg, err := c.open(ctx, f, false)
	if err != nil {
		return err
	}
	defer st.Close()
	file := f.positional[0]
	m, err := backup.Create(ctx, file, serverPaths(cfg), st.BackupTo, c.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "backed up %s and %d files (%s) to %s\n", cfg.DBPath, m.Files, strings.Join(m.Parts, ", "), file)
	return nil
}

func (c *cli) restore(ctx context.Context, args []string) error {
	f := newFlags("restore", true)
	var force bool
	f.fs.BoolVar(&force, "force", false, "restore even though a running server uses the database")
	if err := f.parse(args, 1); err != nil {
		return err
	}
	cfg, err := c.config(f)
	if err != nil {
		return err
	}
	file := f.positional[0]
	if _, err := os.Stat(file); err != nil {
		return badUsage(fmt.Sprintf("backup file: %v", err))
	}
	check := func(ctx context.Context, dbPath string) error {
		st, err := sqlite.Open(ctx, dbPath)
		if err != nil {
			return err
		}
		defer st.Close()
		return st.Check(ctx)
	}
	rep, err := backup.Restore(ctx, file, serverPaths(cfg), check, force, c.now())
	if errors.Is(err, backup.ErrLive) {
		return &refusedError{msg: fmt.Sprintf("a running vaihde server uses %s: stop it first, or give --force", cfg.DBPath)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "restored %s from %s (made %s)\n", cfg.DBPath, file, rep.Manifest.Created.Format(time.RFC3339))
	for _, a := range rep.Aside {
		fmt.Fprintf(c.stdout, "previous data kept in %s\n", a)
	}
	return nil
}

// serverPaths is where the server with cfg keeps its state.
func serverPaths(cfg config.Config) backup.Paths {
	outbox := ""
	if cfg.SMS.Provider == "outbox" {
		outbox = cfg.SMS.Outbox
	}
	return backup.ServerPaths(cfg.DBPath, cfg.PromptsDir, outbox)
}

// readPassword reads one line from standard input. On a terminal it asks first (the password
// is echoed there: pipe it in, e.g. from a password manager, to keep it off the screen).
func (c *cli) readPassword(who string) (string, error) {
	if f, ok := c.stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(c.stderr, "password for %s (shown as typed): ", who)
		}
	}
	line, err := bufio.NewReader(io.LimitReader(c.stdin, 4096)).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", badUsage("no password on standard input")
		}
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// orgTable runs a "<noun> list --org D" command: it parses the flags, opens the store, and
// print writes the organisation's table, aligned in columns.
func (c *cli) orgTable(ctx context.Context, name string, args []string, print func(svc *provision.Service, org string, tw io.Writer) error) error {
	f := newFlags(name, false)
	var org string
	f.fs.StringVar(&org, "org", "", "domain of the organisation")
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
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	if err := print(c.service(st), org, tw); err != nil {
		return err
	}
	return tw.Flush()
}
