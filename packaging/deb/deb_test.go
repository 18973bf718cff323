// Package deb_test checks the server's Debian package (packaging/deb/build.sh) the way an
// administrator meets it: installed into a fresh Debian 12 chroot, started as its unit says,
// provisioned with its CLI, called by two baresip phones, upgraded, backed up, removed, purged.
package deb_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

const (
	domain   = "deb.test"
	v1       = "0.0.1~debtest1"
	v2       = "0.0.2~debtest2"
	unitPath = "/lib/systemd/system/vaihde.service"
	confPath = "/etc/vaihde/config.json"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// requirePackaging skips the test (or, with VAIHDE_REQUIRE_PACKAGING=1 as in CI, fails it)
// when something it needs is missing.
func requirePackaging(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
		t.Fatalf("VAIHDE_REQUIRE_PACKAGING=1 but %s", why)
	}
	t.Skip(why)
}

// TestIntegrationServerDeb is issue 12's acceptance 2.
func TestIntegrationServerDeb(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test (needs root, debootstrap and baresip)")
	}
	if os.Getuid() != 0 {
		requirePackaging(t, "not root: installing a package into a chroot needs root")
	}
	for _, tool := range []string{"debootstrap", "dpkg-deb", "chroot", "baresip", "espeak-ng", "sox", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			requirePackaging(t, tool+" is not installed (make deps)")
		}
	}
	if _, err := os.Stat("/usr/lib/baresip/modules/sndfile.so"); err != nil {
		requirePackaging(t, "baresip's sndfile module is missing (make deps)")
	}
	root := repoRoot(t)
	chrootSh := filepath.Join(root, "packaging", "chroot.sh")
	if _, err := os.Stat(chrootSh); err != nil {
		requirePackaging(t, "packaging/chroot.sh is missing")
	}
	start := time.Now()
	t.Cleanup(func() { t.Logf("TestIntegrationServerDeb took %v", time.Since(start).Round(time.Second)) })

	// Two packages, the second a higher version, as an upgrade brings.
	dist := t.TempDir()
	deb1 := buildDeb(t, root, dist, v1)
	deb2 := buildDeb(t, root, dist, v2)
	t.Logf("built %s and %s (%v)", filepath.Base(deb1), filepath.Base(deb2), time.Since(start).Round(time.Second))
	checkLintian(t, deb1)
	checkUnit(t, deb1)

	// Not under t.TempDir: its removal would walk into the chroot's bind-mounted /dev if an
	// unmount failed; chroot.sh destroy refuses to delete while anything is still mounted.
	dir, err := os.MkdirTemp("/var/tmp", "vaihde-deb-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil { // chroot.sh create wants it absent or empty
		t.Fatal(err)
	}
	c := &chroot{t: t, dir: dir}
	t.Cleanup(func() {
		if out, err := exec.Command(chrootSh, "destroy", dir).CombinedOutput(); err != nil {
			t.Errorf("chroot.sh destroy %s: %v\n%s", dir, err, out)
		}
	})
	mark := time.Now()
	if out, err := exec.Command(chrootSh, "create", dir).CombinedOutput(); err != nil {
		t.Fatalf("chroot.sh create: %v\n%s", err, out)
	}
	t.Logf("fresh Debian 12 chroot in %v", time.Since(mark).Round(time.Second))

	// 1. The package installs into a fresh system: the user exists and owns the state.
	c.install(deb1)
	uid, gid := c.serviceUser()
	c.checkOwner("/var/lib/vaihde", uid, gid)
	c.checkOwner("/var/lib/vaihde/prompts-custom", uid, gid)
	if got := c.run("", "", "/usr/bin/vaihde", "version"); strings.TrimSpace(got) != v1 {
		t.Fatalf("vaihde version after install: %q, want %s", got, v1)
	}
	if _, err := os.Lstat(c.path("/etc/systemd/system/multi-user.target.wants/vaihde.service")); err != nil {
		t.Fatalf("postinst did not enable vaihde.service: %v", err)
	}
	t.Logf("/etc/default/vaihde as installed:\n%s", c.read("/etc/default/vaihde"))
	if fi, err := os.Stat(c.path(confPath)); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("%s: %v %v, want mode 0640 (it may hold passwords)", confPath, fi, err)
	}

	// 2. The unit's ExecStart as its user, on test ports an administrator's config sets.
	u := c.unit()
	t.Logf("unit: User=%s Group=%s WorkingDirectory=%s ExecStart=%q", u.user, u.group, u.workDir, u.execStart)
	ports := freePorts(t)
	c.writeTestConfig(ports)
	srv := c.startService(u, ports)

	// 3. OPTIONS → 200.
	if code, err := sendOptions(ports.sipAddr()); err != nil || code != 200 {
		t.Fatalf("OPTIONS: %d %v, want 200", code, err)
	}

	// 4. An organisation and users made with the installed CLI as the service user, then a
	// call between two registered baresip phones with a tone each way.
	c.run(u.user, "", "/usr/bin/vaihde", "org", "create", "--domain", domain, "--name", "Deb Oy", "-config", confPath)
	for _, ext := range []string{"2001", "2002", "2003"} {
		c.run(u.user, "pw-"+ext+"-secret\n", "/usr/bin/vaihde", "user", "create", "--org", domain, "--ext", ext,
			"--name", "User "+ext, "--password-stdin", "-config", confPath)
	}
	if got := c.run(u.user, "", "/usr/bin/vaihde", "user", "list", "--org", domain, "-config", confPath); !strings.Contains(got, "2003") {
		t.Fatalf("user list: %s", got)
	}
	a := startBaresip(t, ports, "2001", 440, false)
	b := startBaresip(t, ports, "2002", 880, true)
	a.waitRegistered()
	b.waitRegistered()
	ma, mb := a.mark(), b.mark()
	a.cmd("dial", "sip:2002@"+domain)
	a.waitEvent(ma, "CALL_ESTABLISHED", 30*time.Second)
	b.waitEvent(mb, "CALL_ESTABLISHED", 30*time.Second)
	a.waitRecorded(4, 20*time.Second)
	b.waitRecorded(4, 20*time.Second)
	a.cmd("hangup", "")
	a.waitEvent(ma, "CALL_CLOSED", 20*time.Second)
	checkTone(t, "2001 heard 2002", a.lastRecording(t), 880, 440)
	checkTone(t, "2002 heard 2001", b.lastRecording(t), 440, 880)

	// 5. A voicemail for 2003 (no phone registered): the greeting, 3 s of 2001's tone, #.
	greeting := c.promptSeconds("fi", "greeting_reached", "num/2", "num/0", "num/0", "num/3", "greeting_default", "leave_message")
	ma = a.mark()
	rm := a.recordingCount()
	a.cmd("dial", "sip:2003@"+domain)
	a.waitEvent(ma, "CALL_ESTABLISHED", 30*time.Second)
	a.waitNewRecording(rm, greeting+0.5, 40*time.Second)
	time.Sleep(3 * time.Second)
	a.cmd("sndcode", "#")
	srv.waitLog(regexp.MustCompile(`voicemail deposited`), 30*time.Second)
	a.waitEvent(ma, "CALL_CLOSED", 30*time.Second)
	vm := c.voicemailFiles()
	if len(vm) != 1 {
		t.Fatalf("voicemail files after the deposit: %v, want 1", vm)
	}
	vmHash := c.hash(vm[0])
	checkTone(t, "the voicemail message", readWAVFile(t, c.path(vm[0])), 440, 880)
	c.checkOwner(vm[0], uid, gid)
	before := c.mailbox(ports, "2003")
	if len(before.Messages) != 1 || before.Messages[0].Caller != "2001" {
		t.Fatalf("2003's mailbox before the upgrade: %+v", before)
	}
	a.stop()
	b.stop()
	srv.stop()

	// The upgrade keeps the database, the voicemail and the administrator's config.
	conf := c.read(confPath)
	c.install(deb2)
	if got := strings.TrimSpace(c.run("", "", "/usr/bin/vaihde", "version")); got != v2 {
		t.Fatalf("vaihde version after the upgrade: %q, want %s", got, v2)
	}
	if c.read(confPath) != conf {
		t.Fatalf("the upgrade replaced the administrator's %s", confPath)
	}
	if got := c.voicemailFiles(); len(got) != 1 || got[0] != vm[0] || c.hash(got[0]) != vmHash {
		t.Fatalf("voicemail after the upgrade: %v (want %s with its content)", got, vm[0])
	}
	if uid2, gid2 := c.serviceUser(); uid2 != uid || gid2 != gid {
		t.Fatalf("service user changed in the upgrade: %d:%d → %d:%d", uid, gid, uid2, gid2)
	}
	srv = c.startService(c.unit(), ports)
	if !strings.Contains(srv.log.String(), "version="+v2) {
		t.Fatalf("the restarted server does not log version %s", v2)
	}
	if code, err := sendOptions(ports.sipAddr()); err != nil || code != 200 {
		t.Fatalf("OPTIONS after the upgrade: %d %v, want 200", code, err)
	}
	after := c.mailbox(ports, "2003")
	if len(after.Messages) != 1 || after.Messages[0].ID != before.Messages[0].ID || after.Messages[0].DurationMS != before.Messages[0].DurationMS {
		t.Fatalf("2003's mailbox after the upgrade: %+v, before %+v", after, before)
	}

	// 6. vaihde backup as the service user, while the server runs.
	backupFile := "/var/lib/vaihde/backup-test.tar.gz"
	out := c.run(u.user, "", "/usr/bin/vaihde", "backup", backupFile, "-config", confPath)
	t.Logf("backup: %s", strings.TrimSpace(out))
	c.checkOwner(backupFile, uid, gid)
	checkBackup(t, c.path(backupFile), vmHash)
	srv.stop()

	// The unit under systemd itself, where systemd-nspawn can boot the chroot.
	c.bootCheck(ports, uid)

	// 7. dpkg -r keeps the data, the config and the user; --purge removes them.
	c.run("", "", "dpkg", "-r", "vaihde")
	if _, err := os.Stat(c.path("/usr/bin/vaihde")); !os.IsNotExist(err) {
		t.Fatalf("/usr/bin/vaihde after dpkg -r: %v", err)
	}
	for _, p := range []string{"/var/lib/vaihde/vaihde.db", vm[0], confPath, "/etc/default/vaihde"} {
		if _, err := os.Stat(c.path(p)); err != nil {
			t.Fatalf("dpkg -r removed %s: %v", p, err)
		}
	}
	if uid3, _ := c.serviceUser(); uid3 != uid {
		t.Fatal("dpkg -r changed the service user")
	}
	c.run("", "", "dpkg", "--purge", "vaihde")
	for _, p := range []string{"/var/lib/vaihde", "/etc/vaihde", "/etc/default/vaihde"} {
		if _, err := os.Stat(c.path(p)); !os.IsNotExist(err) {
			t.Fatalf("%s after dpkg --purge: %v, want gone", p, err)
		}
	}
	if out, err := c.cmd("", "", "getent", "passwd", "vaihde").CombinedOutput(); err == nil {
		t.Fatalf("user vaihde after dpkg --purge: %s", out)
	}
	if out, err := c.cmd("", "", "getent", "group", "vaihde").CombinedOutput(); err == nil {
		t.Fatalf("group vaihde after dpkg --purge: %s", out)
	}
}

func buildDeb(t *testing.T, root, dist, version string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "packaging", "deb", "build.sh"))
	cmd.Dir = root
	// gzip: ~10 s instead of ~70 s of xz on a busy machine (lintian refuses zstd).
	cmd.Env = append(os.Environ(), "VAIHDE_VERSION="+version, "DIST="+dist, "DEB_COMPRESS=gzip")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("build.sh %s: %v\n%s", version, err, stderr.String())
	}
	deb := strings.TrimSpace(string(out))
	if want := filepath.Join(dist, "vaihde_"+version+"_amd64.deb"); deb != want {
		t.Fatalf("build.sh printed %q, want %q", deb, want)
	}
	// The package's own description of itself.
	info, err := exec.Command("dpkg-deb", "-f", deb, "Package", "Version", "Architecture").Output()
	if err != nil {
		t.Fatalf("dpkg-deb -f %s: %v", deb, err)
	}
	if want := "Package: vaihde\nVersion: " + version + "\nArchitecture: amd64\n"; string(info) != want {
		t.Fatalf("control fields %q, want %q", info, want)
	}
	return deb
}

// checkLintian runs lintian when it is installed: no errors (warnings are logged).
func checkLintian(t *testing.T, deb string) {
	t.Helper()
	if _, err := exec.LookPath("lintian"); err != nil {
		if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
			t.Fatal("VAIHDE_REQUIRE_PACKAGING=1 but lintian is not installed")
		}
		t.Log("lintian not installed: not run")
		return
	}
	out, _ := exec.Command("lintian", "--allow-root", deb).CombinedOutput()
	var errs []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "E: ") {
			errs = append(errs, l)
		}
	}
	t.Logf("lintian:\n%s", out)
	if len(errs) > 0 {
		t.Fatalf("lintian errors:\n%s", strings.Join(errs, "\n"))
	}
}

// checkUnit runs systemd-analyze verify and security on the packaged unit, beside the host's
// own units (the targets it names).
func checkUnit(t *testing.T, deb string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil || !dirExists("/lib/systemd/system") {
		if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
			t.Fatal("VAIHDE_REQUIRE_PACKAGING=1 but systemd-analyze is not installed")
		}
		t.Log("systemd-analyze not installed: the unit is not verified")
		return
	}
	tree := t.TempDir()
	if out, err := exec.Command("dpkg-deb", "-x", deb, tree).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v\n%s", err, out)
	}
	if out, err := exec.Command("cp", "-rn", "/lib/systemd/system/.", filepath.Join(tree, "lib/systemd/system")).CombinedOutput(); err != nil {
		t.Fatalf("copy the host's units: %v\n%s", err, out)
	}
	if out, err := exec.Command("systemd-analyze", "verify", "--man=no", "--root="+tree, unitPath).CombinedOutput(); err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Exposure on systemd's 0-100 scale (printed as 0.0-10.0): 25 is "OK"; the unit scores 1.6.
	out, err := exec.Command("systemd-analyze", "security", "--offline=yes", "--threshold=25", "--root="+tree, "vaihde.service").CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for vaihde.service: (\S+ \S+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	t.Logf("systemd-analyze verify: ok; security: exposure %s", m[1])
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// checkBackup opens the archive: its manifest, a whole SQLite database, and the voicemail.
func checkBackup(t *testing.T, file, vmHash string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("backup is not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	var manifest struct {
		Format int      `json:"format"`
		Parts  []string `json:"parts"`
		Files  int      `json:"files"`
	}
	var dbSize int64
	var sawVM bool
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("backup tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("backup member %s: %v", h.Name, err)
		}
		switch {
		case h.Name == "MANIFEST.json":
			if err := json.Unmarshal(data, &manifest); err != nil {
				t.Fatalf("manifest: %v", err)
			}
		case h.Name == "db/vaihde.db":
			if !bytes.HasPrefix(data, []byte("SQLite format 3\x00")) {
				t.Fatal("backup's database is not an SQLite file")
			}
			dbSize = int64(len(data))
		case strings.HasPrefix(h.Name, "voicemail/") && strings.HasSuffix(h.Name, ".wav"):
			sum := sha256.Sum256(data)
			sawVM = sawVM || hex.EncodeToString(sum[:]) == vmHash
		}
	}
	t.Logf("backup: manifest %+v, database %d bytes, voicemail present %v", manifest, dbSize, sawVM)
	if manifest.Format != 1 || dbSize == 0 || !sawVM || manifest.Files < 1 {
		t.Fatalf("backup incomplete: manifest %+v, database %d bytes, voicemail %v", manifest, dbSize, sawVM)
	}
}

// ---------------------------------------------------------------------------------------------
// The chroot

type chroot struct {
	t   *testing.T
	dir string
}

func (c *chroot) path(p string) string { return filepath.Join(c.dir, p) }

// cmd is a command inside the chroot, as root or (user != "") as that user, with a clean
// environment.
func (c *chroot) cmd(user, stdin string, args ...string) *exec.Cmd {
	return c.cmdIn(user, stdin, "/", nil, args...)
}

// cmdIn is cmd in the directory workDir with env added.
func (c *chroot) cmdIn(user, stdin, workDir string, env []string, args ...string) *exec.Cmd {
	a := []string{}
	if user != "" {
		uid, gid := c.serviceUser()
		a = append(a, "--userspec="+strconv.Itoa(uid)+":"+strconv.Itoa(gid), "--groups="+strconv.Itoa(gid))
	}
	a = append(a, c.dir, "/usr/bin/env", "-i", "-C", workDir, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8")
	a = append(a, env...)
	a = append(a, args...)
	cmd := exec.Command("chroot", a...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs a command in the chroot and returns its output; failure fails the test.
func (c *chroot) run(user, stdin string, args ...string) string {
	c.t.Helper()
	out, err := c.cmd(user, stdin, args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("in the chroot (%s): %s: %v\n%s", cmpOr(user, "root"), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func cmpOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// install copies deb into the chroot and installs it with dpkg -i, no terminal: an install or
// upgrade that asked a question would fail here.
func (c *chroot) install(deb string) {
	c.t.Helper()
	data, err := os.ReadFile(deb)
	if err != nil {
		c.t.Fatal(err)
	}
	in := "/tmp/" + filepath.Base(deb)
	if err := os.WriteFile(c.path(in), data, 0o644); err != nil {
		c.t.Fatal(err)
	}
	out := c.run("", "", "dpkg", "-i", in)
	c.t.Logf("dpkg -i %s:\n%s", filepath.Base(deb), strings.TrimSpace(out))
	status := c.run("", "", "dpkg-query", "-W", "-f=${Status} ${Version}", "vaihde")
	want := "install ok installed " + strings.TrimSuffix(strings.TrimPrefix(filepath.Base(deb), "vaihde_"), "_amd64.deb")
	if status != want {
		c.t.Fatalf("dpkg-query: %q, want %q", status, want)
	}
}

// serviceUser returns the uid and gid of vaihde from the chroot's own databases.
func (c *chroot) serviceUser() (int, int) {
	c.t.Helper()
	out, err := c.cmd("", "", "getent", "passwd", "vaihde").Output()
	if err != nil {
		c.t.Fatalf("getent passwd vaihde in the chroot: %v (the user does not exist)", err)
	}
	f := strings.Split(strings.TrimSpace(string(out)), ":")
	if len(f) < 7 {
		c.t.Fatalf("passwd entry %q", out)
	}
	uid, _ := strconv.Atoi(f[2])
	gid, _ := strconv.Atoi(f[3])
	if uid == 0 || uid >= 1000 || f[5] != "/var/lib/vaihde" || f[6] != "/usr/sbin/nologin" {
		c.t.Fatalf("vaihde is not a system user without a login: %q", out)
	}
	return uid, gid
}

func (c *chroot) checkOwner(p string, uid, gid int) {
	c.t.Helper()
	fi, err := os.Stat(c.path(p))
	if err != nil {
		c.t.Fatalf("%s: %v", p, err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		c.t.Fatalf("%s is owned by %d:%d, want the service user %d:%d", p, st.Uid, st.Gid, uid, gid)
	}
}

func (c *chroot) read(p string) string {
	c.t.Helper()
	b, err := os.ReadFile(c.path(p))
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

func (c *chroot) hash(p string) string {
	sum := sha256.Sum256([]byte(c.read(p)))
	return hex.EncodeToString(sum[:])
}

// voicemailFiles lists the message recordings under /var/lib/vaihde/voicemail (chroot paths).
func (c *chroot) voicemailFiles() []string {
	var out []string
	root := c.path("/var/lib/vaihde/voicemail")
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".wav") && !strings.Contains(p, "greeting") && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, strings.TrimPrefix(p, c.dir))
		}
		return nil
	})
	return out
}

// promptSeconds adds up the installed prompts' lengths (16-bit mono 8 kHz WAVs).
func (c *chroot) promptSeconds(lang string, keys ...string) float64 {
	c.t.Helper()
	var s float64
	for _, k := range keys {
		p := readWAVFile(c.t, c.path("/usr/share/vaihde/prompts/"+lang+"/"+k+".wav"))
		s += p.seconds()
	}
	return s
}

// unit is what vaihde.service says about how to run the server.
type unit struct {
	user, group, workDir string
	execStart            []string
	envFiles             []string // "-" prefix: optional
}

func (c *chroot) unit() unit {
	c.t.Helper()
	var u unit
	section := ""
	sc := bufio.NewScanner(strings.NewReader(c.read(unitPath)))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "[") {
			section = l
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || section != "[Service]" {
			continue
		}
		switch k {
		case "User":
			u.user = v
		case "Group":
			u.group = v
		case "WorkingDirectory":
			u.workDir = v
		case "ExecStart":
			u.execStart = strings.Fields(v)
		case "EnvironmentFile":
			u.envFiles = append(u.envFiles, v)
		}
	}
	if u.user != "vaihde" || u.group != "vaihde" || len(u.execStart) == 0 || u.workDir == "" {
		c.t.Fatalf("unit %s: %+v", unitPath, u)
	}
	return u
}

// env reads the unit's environment files (KEY=VALUE lines) from the chroot.
func (c *chroot) env(u unit) []string {
	c.t.Helper()
	var env []string
	for _, f := range u.envFiles {
		optional := strings.HasPrefix(f, "-")
		data, err := os.ReadFile(c.path(strings.TrimPrefix(f, "-")))
		if err != nil {
			if optional && os.IsNotExist(err) {
				continue
			}
			c.t.Fatalf("EnvironmentFile %s: %v", f, err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSpace(l)
			if l != "" && !strings.HasPrefix(l, "#") && strings.Contains(l, "=") {
				env = append(env, l)
			}
		}
	}
	return env
}

type testPorts struct {
	sip, tls, http, https, rtpLo, rtpHi int
}

func (p testPorts) sipAddr() string { return "127.0.0.1:" + strconv.Itoa(p.sip) }

// writeTestConfig is the administrator's edit: loopback test ports instead of 5060 and the
// media address.
func (c *chroot) writeTestConfig(p testPorts) {
	c.t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal([]byte(c.read(confPath)), &cfg); err != nil {
		c.t.Fatalf("the packaged %s: %v", confPath, err)
	}
	if cfg["db_path"] != "/var/lib/vaihde/vaihde.db" || cfg["prompts_dir"] != "/usr/share/vaihde/prompts" || cfg["sip_addr"] != "0.0.0.0:5060" {
		c.t.Fatalf("the packaged %s: %v", confPath, cfg)
	}
	a := func(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
	cfg["sip_addr"], cfg["tls_addr"], cfg["http_addr"], cfg["https_addr"] = a(p.sip), a(p.tls), a(p.http), a(p.https)
	cfg["media_ip"] = "127.0.0.1"
	cfg["rtp_port_min"], cfg["rtp_port_max"] = p.rtpLo, p.rtpHi
	data, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(c.path(confPath), data, 0o640); err != nil {
		c.t.Fatal(err)
	}
	// The media address the package wrote would win over config.json: the admin sets it there.
	env := "# test\nVAIHDE_MEDIA_IP=127.0.0.1\n"
	if err := os.WriteFile(c.path("/etc/default/vaihde"), []byte(env), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// startService runs the unit's ExecStart as its User:Group in its WorkingDirectory with its
// environment files: what systemd would do, without systemd (it is not PID 1 here).
func (c *chroot) startService(u unit, ports testPorts) *proc {
	c.t.Helper()
	cmd := c.cmdIn(u.user, "", u.workDir, c.env(u), u.execStart...)
	p := startProc(c.t, "vaihde", cmd)
	p.waitLog(regexp.MustCompile(`vaihde ready`), 30*time.Second)
	if err := waitOptions(ports.sipAddr(), 20*time.Second); err != nil {
		c.t.Fatalf("the service does not answer OPTIONS: %v", err)
	}
	return p
}

// mailbox reads ext's voicemail through the HTTP API, logged in with its password.
func (c *chroot) mailbox(p testPorts, ext string) api.VoicemailList {
	c.t.Helper()
	base := "http://127.0.0.1:" + strconv.Itoa(p.http)
	body, _ := json.Marshal(api.LoginRequest{User: ext + "@" + domain, Password: "pw-" + ext + "-secret"})
	var lr api.LoginResponse
	if err := httpJSON(http.MethodPost, base+"/api/login", "", body, &lr); err != nil {
		c.t.Fatalf("login %s: %v", ext, err)
	}
	var l api.VoicemailList
	if err := httpJSON(http.MethodGet, base+"/api/voicemail", lr.Token, nil, &l); err != nil {
		c.t.Fatalf("mailbox %s: %v", ext, err)
	}
	return l
}

func httpJSON(method, url, token string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 500))
		return fmt.Errorf("%s %s: %s %s", method, url, res.Status, b)
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// ---------------------------------------------------------------------------------------------
// Ports and SIP

func freePorts(t *testing.T) testPorts {
	t.Helper()
	p := testPorts{sip: freeUDPTCPPort(t), tls: freeTCPPort(t), http: freeTCPPort(t), https: freeTCPPort(t)}
	p.rtpLo, p.rtpHi = rtpRange(t)
	return p
}

// freeUDPTCPPort returns a port free for UDP and TCP on 127.0.0.1, with the next one free too
// (baresip also opens SIP over TLS on port+1).
func freeUDPTCPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		ok := port < 65535 && canListen("tcp4", port) && canListen("tcp4", port+1) && canListen("udp4", port+1)
		u.Close()
		if ok {
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}

func canListen(network string, port int) bool {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if network == "udp4" {
		c, err := net.ListenPacket(network, addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	l, err := net.Listen(network, addr)
	if err == nil {
		l.Close()
	}
	return err == nil
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var nextRTP = 41000 + (os.Getpid()%40)*200

// rtpRange returns a block of 100 UDP ports free now.
func rtpRange(t *testing.T) (int, int) {
	t.Helper()
	for range 100 {
		lo := nextRTP
		nextRTP += 100
		if nextRTP > 60000 {
			nextRTP = 41000
		}
		free := true
		for p := lo; p < lo+100 && free; p += 7 {
			free = canListen("udp4", p)
		}
		if free {
			return lo, lo + 99
		}
	}
	t.Fatal("no free RTP port block")
	return 0, 0
}

// waitOptions sends OPTIONS until any response arrives.
func waitOptions(hostport string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if _, err = sendOptions(hostport); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

var optionsSeq int

// sendOptions sends one SIP OPTIONS over UDP and returns the response's status code.
func sendOptions(hostport string) (int, error) {
	optionsSeq++
	c, err := net.Dial("udp4", hostport)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	local := c.LocalAddr().String()
	branch := fmt.Sprintf("z9hG4bK-debtest-%d-%d", os.Getpid(), optionsSeq)
	msg := strings.Join([]string{
		"OPTIONS sip:" + hostport + " SIP/2.0",
		"Via: SIP/2.0/UDP " + local + ";rport;branch=" + branch,
		"Max-Forwards: 70",
		"From: <sip:probe@" + local + ">;tag=probe" + strconv.Itoa(optionsSeq),
		"To: <sip:" + hostport + ">",
		"Call-ID: probe-" + branch,
		"CSeq: " + strconv.Itoa(optionsSeq) + " OPTIONS",
		"Contact: <sip:probe@" + local + ">",
		"Accept: application/sdp",
		"Content-Length: 0",
		"", "",
	}, "\r\n")
	if _, err := c.Write([]byte(msg)); err != nil {
		return 0, err
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "SIP/2.0" {
		return 0, fmt.Errorf("not a SIP response: %q", line)
	}
	return strconv.Atoi(f[1])
}
