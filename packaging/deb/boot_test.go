package deb_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// bootCheck boots the chroot with systemd-nspawn --boot (systemd installed into it with apt):
// the unit the package enabled starts at boot under real systemd, with every hardening option
// applied, binds a privileged SIP port as the unprivileged user (CAP_NET_BIND_SERVICE) and
// serves the upgraded data. Where nspawn or the apt mirror is missing the check is skipped
// (failed with VAIHDE_REQUIRE_PACKAGING=1); where nspawn cannot start a container at all (some
// CI containers) it is skipped with the reason logged.
func (c *chroot) bootCheck(ports testPorts, uid int) {
	t := c.t // no t.Helper: its log lines name boot_test.go
	skip := func(why string) {
		if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
			t.Fatalf("VAIHDE_REQUIRE_PACKAGING=1 but %s", why)
		}
		t.Logf("not booted under systemd: %s", why)
	}
	if _, err := exec.LookPath("systemd-nspawn"); err != nil {
		skip("systemd-nspawn is not installed")
		return
	}
	mark := time.Now()
	apt := func(args ...string) error {
		out, err := c.cmdIn("", "", "/", []string{"DEBIAN_FRONTEND=noninteractive"}, append([]string{"apt-get", "-q", "-y"}, args...)...).CombinedOutput()
		if err != nil {
			t.Logf("apt-get %s: %v\n%s", strings.Join(args, " "), err, tail(string(out), 2000))
		}
		return err
	}
	if apt("update") != nil || apt("install", "--no-install-recommends", "systemd", "systemd-sysv") != nil {
		skip("systemd could not be installed into the chroot (no Debian mirror?)")
		return
	}
	t.Logf("systemd installed into the chroot in %v", time.Since(mark).Round(time.Second))

	// A privileged port: only CAP_NET_BIND_SERVICE lets the vaihde user bind it.
	sip := 0
	for p := 900; p < 1024 && sip == 0; p++ {
		if canListen("udp4", p) && canListen("tcp4", p) {
			sip = p
		}
	}
	if sip == 0 {
		t.Fatal("no free privileged port for SIP")
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(c.read(confPath)), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["sip_addr"] = "127.0.0.1:" + strconv.Itoa(sip)
	data, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(c.path(confPath), data, 0o640); err != nil {
		t.Fatal(err)
	}
	ports.sip = sip

	// nspawn mounts /proc, /sys and /dev itself and refuses a tree where chroot.sh already
	// did: it boots a plain (non-recursive) bind mount of the same directory.
	root := c.dir + ".boot"
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "--bind", c.dir, root).CombinedOutput(); err != nil {
		t.Fatalf("mount --bind %s: %v\n%s", root, err, out)
	}
	defer func() {
		if out, err := exec.Command("umount", root).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", root, err, out)
			return
		}
		_ = os.Remove(root)
	}()

	mark = time.Now()
	cmd := exec.Command("systemd-nspawn", "--register=no", "--keep-unit", "--quiet", "-D", root, "--boot")
	boot := startProc(t, "systemd-nspawn", cmd)
	// nspawn turns SIGTERM into a clean poweroff of the container; never leave it running.
	defer boot.stop()
	if !pollUntil(120*time.Second, func() bool {
		code, err := sendOptions(ports.sipAddr())
		return boot.exited() || (err == nil && code > 0)
	}) || boot.exited() {
		// A machine (a CI container) may not let nspawn start one at all: that is the
		// environment, not the package. Once systemd runs in it, the service must come up.
		if !strings.Contains(boot.log.String(), "running in system mode") {
			t.Logf("systemd-nspawn could not boot the chroot here (exited: %v %v); the unit was run by hand above:\n%s",
				boot.exited(), boot.err, tail(boot.log.String(), 1500))
			return
		}
		t.Fatalf("vaihde.service did not answer OPTIONS on privileged port %d after boot (nspawn exited: %v %v)", sip, boot.exited(), boot.err)
	}
	if err := waitOptions(ports.sipAddr(), time.Second); err != nil {
		t.Fatalf("vaihde.service did not answer OPTIONS on privileged port %d after boot: %v", sip, err)
	}
	if code, err := sendOptions(ports.sipAddr()); err != nil || code != 200 {
		t.Fatalf("OPTIONS to the booted service: %d %v", code, err)
	}
	t.Logf("booted with systemd-nspawn; vaihde.service answered OPTIONS on port %d after %v", sip, time.Since(mark).Round(100*time.Millisecond))

	pid := c.servicePID()
	status := readProc(t, pid, "status")
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `:\s*(.*)$`).FindStringSubmatch(status)
		if m == nil {
			t.Fatalf("/proc/%d/status has no %s", pid, name)
		}
		return strings.TrimSpace(m[1])
	}
	const capNetBindService = "0000000000000400"
	want := map[string]string{
		"Uid":        strings.Repeat(strconv.Itoa(uid)+"\t", 3) + strconv.Itoa(uid),
		"CapEff":     capNetBindService,
		"CapBnd":     capNetBindService,
		"CapAmb":     capNetBindService,
		"NoNewPrivs": "1",
		"Seccomp":    "2",
	}
	for k, v := range want {
		if got := field(k); got != v {
			t.Errorf("the service process %s: %q, want %q", k, got, v)
		}
	}
	// ProtectSystem=strict: / read-only for it, the state directory writable.
	mounts := map[string]string{}
	for _, l := range strings.Split(readProc(t, pid, "mountinfo"), "\n") {
		if f := strings.Fields(l); len(f) > 5 {
			mounts[f[4]] = f[5]
		}
	}
	if !strings.HasPrefix(mounts["/"], "ro") || !strings.HasPrefix(mounts["/var/lib/vaihde"], "rw") {
		t.Errorf("the service's mounts: / %q, /var/lib/vaihde %q; want / read-only and the state directory writable", mounts["/"], mounts["/var/lib/vaihde"])
	}
	t.Logf("service process %d: Uid %s, CapEff %s, NoNewPrivs %s, Seccomp %s, / %s", pid, field("Uid"), field("CapEff"), field("NoNewPrivs"), field("Seccomp"), mounts["/"])
	if l := c.mailbox(ports, "2003"); len(l.Messages) != 1 {
		t.Fatalf("2003's mailbox from the booted service: %+v", l)
	}

	boot.stop()
	if err := boot.err; err != nil {
		t.Logf("systemd-nspawn ended: %v", err)
	}
	if ok := pollUntil(10*time.Second, func() bool { return c.findServicePID() == 0 }); !ok {
		t.Fatal("the service still runs after the container's poweroff")
	}
}

// findServicePID returns the PID of /usr/bin/vaihde running with the chroot as its root, or 0.
func (c *chroot) findServicePID() int {
	mine, err := os.Stat(c.dir)
	if err != nil {
		return 0
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		exe, err := os.Readlink(filepath.Join(d, "exe"))
		if err != nil || !strings.HasSuffix(exe, "/usr/bin/vaihde") {
			continue
		}
		// Inside nspawn its root reads as "/": compare the directories themselves.
		root, err := os.Stat(filepath.Join(d, "root"))
		if err != nil || !os.SameFile(root, mine) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		return pid
	}
	return 0
}

func (c *chroot) servicePID() int {
	c.t.Helper()
	pid := c.findServicePID()
	if pid == 0 {
		c.t.Fatal("no vaihde process rooted in the container")
	}
	return pid
}

func readProc(t interface{ Fatalf(string, ...any) }, pid int, name string) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + name)
	if err != nil {
		t.Fatalf("read /proc/%d/%s: %v", pid, name, err)
	}
	return string(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
