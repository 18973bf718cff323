// Package linux_test checks the Softphone's Linux packages (packaging/linux/build.sh) for real:
// the .deb installed with its dependencies into a fresh Debian 12 chroot and started under
// Xvfb, and the tarball installed into a temporary home where xdg-open of tel: and sip: links
// starts the installed Softphone with the number in its dial field, once.
package linux_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// need skips (or, with VAIHDE_REQUIRE_PACKAGING=1, fails) when a tool is missing.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
				t.Fatalf("%s is missing (make deps) and VAIHDE_REQUIRE_PACKAGING=1", tool)
			}
			t.Skipf("%s is missing (make deps)", tool)
		}
	}
}

// logBuf collects a process's output; safe for the process's writers and the test.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it is true or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return cond()
}

// startXvfb starts an X server on a free display and returns its DISPLAY; stopped at cleanup.
func startXvfb(t *testing.T) string {
	t.Helper()
	for n := 120; n < 160; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		var out logBuf
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("Xvfb: %v", err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		if waitFor(10*time.Second, func() bool {
			select {
			case <-done:
				return true
			default:
			}
			_, err := os.Stat(sock)
			return err == nil
		}) {
			select {
			case <-done: // lost a race for the display: try the next one
				continue
			default:
			}
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-done
			})
			return fmt.Sprintf(":%d", n)
		}
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("Xvfb :%d did not start: %s", n, out.String())
	}
	t.Fatal("no free X display")
	return ""
}

type packages struct {
	version, tarball, deb string
}

func build(t *testing.T) packages {
	t.Helper()
	root := repoRoot(t)
	dist := t.TempDir()
	ver, err := exec.Command(filepath.Join(root, "packaging/version.sh")).Output()
	if err != nil {
		t.Fatalf("version.sh: %v", err)
	}
	start := time.Now()
	cmd := exec.Command(filepath.Join(root, "packaging/linux/build.sh"))
	cmd.Env = append(os.Environ(), "VAIHDE_DIST_DIR="+dist, "VAIHDE_VERSION="+strings.TrimSpace(string(ver)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	t.Logf("build.sh took %v:\n%s", time.Since(start).Round(time.Second), out)
	v := strings.TrimSpace(string(ver))
	p := packages{version: v,
		tarball: filepath.Join(dist, "linux", "vaihde-softphone-"+v+"-linux-amd64.tar.gz"),
		deb:     filepath.Join(dist, "linux", "vaihde-softphone_"+v+"_amd64.deb")}
	for _, f := range []string{p.tarball, p.deb} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("build.sh made no %s: %v", f, err)
		}
	}
	return p
}

const desktopName = "vaihde-softphone.desktop"

var wantMime = "MimeType=x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/sip;"

func TestIntegrationSoftphoneLinuxPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: builds the Softphone packages and installs them")
	}
	need(t, "go", "gcc", "objdump", "dpkg-deb", "Xvfb", "xdg-open", "xdg-mime")
	p := build(t)
	checkTarball(t, p)
	checkDebMeta(t, p)
	display := startXvfb(t)
	t.Run("tarball_links", func(t *testing.T) { tarballLinks(t, p, display) })
	t.Run("deb_in_chroot", func(t *testing.T) { debInChroot(t, p, display) })
}

// checkTarball: the files the brief names, with their modes, the .desktop's link handlers and the icon.
func checkTarball(t *testing.T, p packages) {
	f, err := os.Open(p.tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	top := "vaihde-softphone-" + p.version + "-linux-amd64/"
	want := map[string]int64{ // path → mode
		"bin/vaihde-softphone":                                  0o755,
		"share/applications/" + desktopName:                     0o644,
		"share/icons/hicolor/256x256/apps/vaihde-softphone.png": 0o644,
		"install.sh":   0o755,
		"uninstall.sh": 0o755,
	}
	tr := tar.NewReader(zr)
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(h.Name, top)
		if mode, ok := want[name]; ok {
			seen[name] = true
			if h.Mode&0o777 != mode {
				t.Errorf("%s mode %o, want %o", name, h.Mode&0o777, mode)
			}
			if h.Uid != 0 || h.Gid != 0 {
				t.Errorf("%s owned by %d:%d, want root", name, h.Uid, h.Gid)
			}
		}
		data, _ := io.ReadAll(tr)
		switch {
		case strings.HasSuffix(name, ".desktop"):
			s := string(data)
			for _, line := range []string{wantMime, "Exec=vaihde-softphone %u", "Icon=vaihde-softphone", "Type=Application"} {
				if !strings.Contains(s, line) {
					t.Errorf("%s lacks %q:\n%s", name, line, s)
				}
			}
		case strings.HasSuffix(name, ".png"):
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil || img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 {
				t.Errorf("icon: %v %v, want a 256×256 PNG", err, img)
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("tarball lacks %s%s", top, name)
		}
	}
}

// checkDebMeta: control fields and file list (the chroot install checks Depends is enough).
func checkDebMeta(t *testing.T, p packages) {
	out, err := exec.Command("dpkg-deb", "-f", p.deb, "Package", "Version", "Architecture", "Depends").CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb -f: %v\n%s", err, out)
	}
	s := string(out)
	t.Logf("control:\n%s", s)
	for _, w := range []string{"Package: vaihde-softphone", "Version: " + p.version, "Architecture: amd64",
		"libportaudio2", "libgl1", "libx11-6", "libgl1-mesa-dri"} {
		if !strings.Contains(s, w) {
			t.Errorf("control lacks %q", w)
		}
	}
	if !regexp.MustCompile(`libc6 \(>= 2\.[0-9]+\)`).MatchString(s) {
		t.Errorf("Depends has no versioned libc6")
	}
	out, err = exec.Command("dpkg-deb", "-c", p.deb).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb -c: %v", err)
	}
	for _, f := range []string{"./usr/bin/vaihde-softphone", "./usr/share/applications/" + desktopName,
		"./usr/share/icons/hicolor/256x256/apps/vaihde-softphone.png"} {
		if !bytes.Contains(out, []byte(f)) {
			t.Errorf("deb lacks %s:\n%s", f, out)
		}
	}
	if !bytes.Contains(out, []byte("-rwxr-xr-x root/root")) {
		t.Errorf("deb files not root-owned / executable:\n%s", out)
	}
}

// desktopEnv is a login-less environment for xdg-utils: a temporary home with its own XDG
// directories and no desktop named, so xdg-open uses its generic mode (mimeapps.list and
// the .desktop files).
func desktopEnv(home, display string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "DISPLAY", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID",
			"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "BROWSER", "WAYLAND_DISPLAY",
			"DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER", "PATH":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "DISPLAY="+display, "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local/share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_RUNTIME_DIR="+filepath.Join(home, "run"),
		// ~/.local/bin deliberately not on PATH: the installed .desktop names the program by its path.
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
}

func tarballLinks(t *testing.T, p packages, display string) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := desktopEnv(home, display)
	unpack := t.TempDir()
	if out, err := exec.Command("tar", "-C", unpack, "-xzf", p.tarball).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	dir := filepath.Join(unpack, "vaihde-softphone-"+p.version+"-linux-amd64")
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	t.Logf("install.sh:\n%s", run(filepath.Join(dir, "install.sh")))
	bin := filepath.Join(home, ".local/bin/vaihde-softphone")
	if fi, err := os.Stat(bin); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("installed binary: %v %v", fi, err)
	}
	desk, err := os.ReadFile(filepath.Join(home, ".local/share/applications", desktopName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(desk), "Exec="+bin+" %u") {
		t.Fatalf("installed .desktop does not name %s:\n%s", bin, desk)
	}
	for _, s := range []string{"tel", "callto", "sip", "sips"} {
		if got := strings.TrimSpace(run("xdg-mime", "query", "default", "x-scheme-handler/"+s)); got != desktopName {
			t.Errorf("xdg-mime query default x-scheme-handler/%s = %q, want %s", s, got, desktopName)
		}
	}

	// The first link starts the Softphone (xdg-open waits for it in generic mode).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var first logBuf
	cmd := exec.CommandContext(ctx, "xdg-open", "tel:+358%2040%20123%204567")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &first, &first
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	has := func(l *logBuf, re string) bool { return regexp.MustCompile(re).MatchString(l.String()) }
	if !waitFor(90*time.Second, func() bool { return has(&first, `msg="dial field filled" number=\+358401234567`) }) {
		t.Fatalf("xdg-open tel: did not fill the dial field of the installed Softphone:\n%s", first.String())
	}
	t.Logf("tel: link to a filled dial field in %v", time.Since(start).Round(100*time.Millisecond))
	if !has(&first, `msg="link opened" number=\+358401234567`) {
		t.Errorf("no 'link opened' line:\n%s", first.String())
	}
	info := filepath.Join(home, ".config/Vaihde/instance.json")
	if fi, err := os.Stat(info); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("instance file %s: %v %v, want mode 0600", info, fi, err)
	}

	// A second link reaches the running Softphone; the second process exits at once.
	second := exec.CommandContext(ctx, "xdg-open", "sip:1002@demo.vaihde.local")
	second.Env = env
	out, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("second xdg-open: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "link handed to the running Softphone") {
		t.Errorf("second start did not hand its link over:\n%s", out)
	}
	if !waitFor(20*time.Second, func() bool { return has(&first, `msg="dial field filled" number=1002`) }) {
		t.Fatalf("the running Softphone did not get sip:1002:\n%s", first.String())
	}
	select {
	case <-exited:
		t.Fatalf("the first Softphone exited: %v\n%s", waitErr, first.String())
	default:
	}
	if n := strings.Count(first.String(), "dial field filled"); n != 2 {
		t.Errorf("dial field filled %d times, want 2", n)
	}

	// uninstall.sh removes the program and the associations.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		t.Error("the Softphone did not stop on SIGTERM")
	}
	run(filepath.Join(dir, "uninstall.sh"))
	if _, err := os.Stat(bin); !os.IsNotExist(err) {
		t.Errorf("uninstall left %s", bin)
	}
	if got := strings.TrimSpace(run("xdg-mime", "query", "default", "x-scheme-handler/tel")); got == desktopName {
		t.Errorf("tel: still goes to %s after uninstall", got)
	}
}

func debInChroot(t *testing.T, p packages, display string) {
	need(t, "debootstrap", "chroot", "mount")
	if os.Getuid() != 0 {
		if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
			t.Fatal("the chroot needs root and VAIHDE_REQUIRE_PACKAGING=1")
		}
		t.Skip("the chroot needs root")
	}
	root := repoRoot(t)
	dir := filepath.Join(t.TempDir(), "root")
	chroot := filepath.Join(root, "packaging/chroot.sh")
	start := time.Now()
	if out, err := exec.Command(chroot, "create", dir).CombinedOutput(); err != nil {
		t.Fatalf("chroot.sh create: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(chroot, "destroy", dir).CombinedOutput(); err != nil {
			t.Errorf("chroot.sh destroy: %v\n%s", err, out)
		}
	})
	t.Logf("chroot ready in %v", time.Since(start).Round(time.Second))
	in := func(timeout time.Duration, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "chroot", append([]string{dir}, args...)...)
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
			"DEBIAN_FRONTEND=noninteractive", "DISPLAY=" + display}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	data, err := os.ReadFile(p.deb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmp", filepath.Base(p.deb)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if out, err := in(10*time.Minute, "apt-get", "update", "-q"); err != nil {
		t.Fatalf("apt-get update in the chroot: %v\n%s", err, out)
	}
	// Only what Depends names comes in: a missing library would fail the start below.
	out, err := in(15*time.Minute, "apt-get", "install", "-y", "-q", "--no-install-recommends", "/tmp/"+filepath.Base(p.deb))
	if err != nil {
		t.Fatalf("apt-get install ./%s: %v\n%s", filepath.Base(p.deb), err, out)
	}
	t.Logf("apt-get install with dependencies took %v", time.Since(start).Round(time.Second))
	if out, err := in(time.Minute, "sh", "-c", "ldd /usr/bin/vaihde-softphone"); err != nil || strings.Contains(out, "not found") {
		t.Fatalf("ldd in the chroot: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "usr/share/applications", desktopName)); err != nil {
		t.Errorf("no menu entry: %v", err)
	}
	out, err = in(3*time.Minute, "vaihde-softphone", "-no-audio", "-no-keychain", "-config-dir", "/tmp/cfg",
		"-screenshot", "/tmp/shot.png", "-screenshot-after", "3s")
	if err != nil {
		t.Fatalf("installed Softphone in the chroot: %v\n%s", err, out)
	}
	shot := filepath.Join(dir, "tmp/shot.png")
	checkLoginShot(t, shot)
	if d := os.Getenv("VAIHDE_SHOTS_DIR"); d != "" {
		b, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(filepath.Join(d, "linux-softphone.png"), b, 0o644)
		}
		if err != nil {
			t.Errorf("save screenshot: %v", err)
		}
	}
}

// checkLoginShot: a window-sized picture with real content (many colours, light and dark
// areas), not a blank or black frame.
func checkLoginShot(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 200 || b.Dy() < 200 {
		t.Fatalf("screenshot %v: too small for the login window", b)
	}
	colours := map[[3]uint32]int{}
	var dark, light int
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
			lum := (r + g + bl) / 3 >> 8
			if lum < 80 {
				dark++
			} else if lum > 170 {
				light++
			}
		}
	}
	t.Logf("screenshot %dx%d: %d colours, %d dark, %d light samples", b.Dx(), b.Dy(), len(colours), dark, light)
	if len(colours) < 8 || dark == 0 || light == 0 {
		t.Fatalf("screenshot is blank (%d colours, dark %d, light %d)", len(colours), dark, light)
	}
}
