//go:build linux

// Package windows_test checks the Windows packaging (make package-windows) with the real tools:
// mingw-w64 builds the Softphone, NSIS the setup program, 7z opens it, and Wine under Xvfb runs
// both. It has only tests: `go test ./...` runs it in CI.
package windows_test

import (
	"bytes"
	"context"
	"debug/pe"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"
)

// systemDLLs are the DLLs every Windows 10/11 has: Softphone.exe may import these and nothing else.
var systemDLLs = []string{
	"kernel32", "user32", "gdi32", "ole32", "oleaut32", "opengl32", "shell32", "winmm", "msvcrt",
	"advapi32", "ws2_32", "dsound", "comdlg32", "imm32", "setupapi", "version", "winspool", "ntdll",
	"bcryptprimitives", "bcrypt", "powrprof", "dwmapi", "uxtheme", "shlwapi", "crypt32", "iphlpapi",
	"userenv", "secur32", "comctl32", "dnsapi", "mswsock", "netapi32", "ucrtbase", "wtsapi32",
	"hid", "cfgmgr32", "dxgi", "d3d11", "dinput8", "xinput1_4", "propsys", "mfplat", "ksuser", "avrt",
}

func TestIntegrationWindowsPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test (builds Softphone.exe with mingw, runs Wine)")
	}
	need(t, "make", "go", "x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-windres", "makensis", "convert",
		"7z", "wine", "wineserver", "wineboot", "Xvfb", "import", "apt-get", "dpkg-source", "pulseaudio", "pactl")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	start := time.Now()

	// The build, as a user runs it; DIST keeps the test's artefacts out of the work tree.
	ctx, cancel := context.WithTimeout(context.Background(), 35*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-C", root, "package-windows")
	cmd.Env = append(os.Environ(), "DIST="+dist)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make package-windows: %v\n%s", err, tail(out, 60))
	}
	t.Logf("make package-windows: %s", time.Since(start).Round(time.Second))
	if _, err := os.Stat(filepath.Join(root, "client/cmd/softphone/rsrc_windows_amd64.syso")); err == nil {
		t.Error("the generated rsrc_windows_amd64.syso was left in client/cmd/softphone")
	}

	exe := filepath.Join(dist, "Softphone.exe")
	setups, _ := filepath.Glob(filepath.Join(dist, "Softphone-setup-*.exe"))
	if len(setups) != 1 {
		t.Fatalf("want one Softphone-setup-<version>.exe in %s, have %q", dist, setups)
	}
	setup := setups[0]
	version := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(setup), "Softphone-setup-"), ".exe")
	for _, f := range []string{exe, setup} {
		if st, err := os.Stat(f); err == nil {
			t.Logf("%s: %.1f MB", filepath.Base(f), float64(st.Size())/1e6)
		}
	}

	t.Run("PE", func(t *testing.T) { checkPE(t, exe, version) })
	t.Run("Unsigned", func(t *testing.T) {
		if n := securityDirSize(t, exe); n != 0 {
			t.Errorf("Softphone.exe has a %d-byte certificate table without SIGN_*", n)
		}
	})
	t.Run("SetupContents", func(t *testing.T) { checkSetupContents(t, setup) })

	wine := newWine(t)
	t.Run("ShippedExeUnderWine", func(t *testing.T) { checkShippedUnderWine(t, wine, exe) })
	t.Run("LoginWindowUnderWine", func(t *testing.T) {
		// The same program with Go's net package tolerating Wine 8's missing SIO_UDP_NETRESET
		// (build.sh WINE_SMOKE=1); see checkShippedUnderWine.
		started := time.Now()
		cmd := exec.CommandContext(ctx, "make", "-C", root, "package-windows")
		cmd.Env = append(os.Environ(), "DIST="+dist, "WINE_SMOKE=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("WINE_SMOKE=1 make package-windows: %v\n%s", err, tail(out, 40))
		}
		t.Logf("Wine variant build: %s", time.Since(started).Round(time.Second))
		checkRunsUnderWine(t, wine, filepath.Join(dist, "Softphone-wine.exe"))
	})
	t.Run("SilentInstall", func(t *testing.T) { checkSilentInstall(t, wine, setup, version) })
	t.Run("Signed", func(t *testing.T) { checkSigned(t, root) })
	t.Logf("whole test: %s", time.Since(start).Round(time.Second))
}

// checkSigned builds again (Go's cache makes it quick) with a throw-away self-signed certificate:
// Softphone.exe, the uninstaller inside the setup and the setup are signed and verify against it.
func checkSigned(t *testing.T, root string) {
	need(t, "openssl", "osslsigncode")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
		"-subj", "/CN=Vaihde test signing", "-addext", "extendedKeyUsage=codeSigning",
		"-keyout", key, "-out", cert).CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	dist := filepath.Join(dir, "dist")
	started := time.Now()
	cmd := exec.Command("make", "-C", root, "package-windows")
	cmd.Env = append(os.Environ(), "DIST="+dist, "SIGN_CERT="+cert, "SIGN_KEY="+key)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("signed make package-windows: %v\n%s", err, tail(out, 40))
	}
	t.Logf("signed build: %s", time.Since(started).Round(time.Second))
	setups, _ := filepath.Glob(filepath.Join(dist, "Softphone-setup-*.exe"))
	if len(setups) != 1 {
		t.Fatalf("setup programs: %q", setups)
	}
	// The uninstaller as the setup holds it (7z names it $INSTDIR/Uninstall.exe or similar).
	unpacked := filepath.Join(dir, "unpacked")
	if out, err := exec.Command("7z", "x", "-o"+unpacked, setups[0]).CombinedOutput(); err != nil {
		t.Fatalf("7z x: %v\n%s", err, out)
	}
	var uninst string
	_ = filepath.WalkDir(unpacked, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.EqualFold(d.Name(), "Uninstall.exe") {
			uninst = p
		}
		return nil
	})
	files := []string{filepath.Join(dist, "Softphone.exe"), setups[0]}
	if uninst == "" {
		t.Error("no Uninstall.exe in the signed setup")
	} else {
		files = append(files, uninst)
	}
	for _, f := range files {
		if n := securityDirSize(t, f); n == 0 {
			t.Errorf("%s: not signed", filepath.Base(f))
			continue
		}
		out, err := exec.Command("osslsigncode", "verify", "-CAfile", cert, "-in", f).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Signature verification: ok") {
			t.Errorf("osslsigncode verify %s: %v\n%s", filepath.Base(f), err, tail(out, 20))
		}
	}
}

// securityDirSize is the size of the PE's certificate table (Authenticode signature); 0 = unsigned.
func securityDirSize(t *testing.T, path string) uint32 {
	t.Helper()
	f, err := pe.Open(path)
	if err != nil {
		t.Fatalf("open PE %s: %v", path, err)
	}
	defer f.Close()
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		return oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_SECURITY].Size
	case *pe.OptionalHeader32:
		return oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_SECURITY].Size
	}
	t.Fatalf("%s: no optional header", path)
	return 0
}

// checkPE: a 64-bit GUI program (no console window) that imports only Windows' own DLLs and
// carries the version resource.
func checkPE(t *testing.T, exe, version string) {
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatalf("open PE: %v", err)
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("machine %#x, want AMD64", f.Machine)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatalf("optional header %T: not PE32+", f.OptionalHeader)
	}
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("subsystem %d, want %d (WINDOWS_GUI)", oh.Subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}
	// debug/pe's ImportedLibraries is a stub for PE files; ImportedSymbols gives "name:DLL".
	syms, err := f.ImportedSymbols()
	if err != nil {
		t.Fatalf("imported symbols: %v", err)
	}
	var libs []string
	for _, sym := range syms {
		if _, dll, ok := strings.Cut(sym, ":"); ok && !slices.Contains(libs, dll) {
			libs = append(libs, dll)
		}
	}
	if len(libs) == 0 {
		t.Fatal("no imported DLLs at all: not a real Windows program?")
	}
	var foreign []string
	for _, l := range libs {
		name := strings.TrimSuffix(strings.ToLower(l), ".dll")
		if !slices.Contains(systemDLLs, name) && !strings.HasPrefix(name, "api-ms-win-") {
			foreign = append(foreign, l)
		}
	}
	if len(foreign) > 0 {
		t.Errorf("imports DLLs that are not part of Windows: %q (all: %q)", foreign, libs)
	}
	t.Logf("imports %q", libs)

	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		t.Fatal("no .rsrc section: no icon or version info")
	}
	data, err := rsrc.Data()
	if err != nil {
		t.Fatalf("read .rsrc: %v", err)
	}
	for _, s := range []string{"Vaihde Softphone", version, "ProductVersion"} {
		if !bytes.Contains(data, utf16le(s)) {
			t.Errorf("version resource lacks %q", s)
		}
	}
	if !bytes.Contains(data, []byte("dpiAware")) {
		t.Error("no application manifest in the resources")
	}
}

// checkSetupContents: the setup program is an NSIS archive with the Softphone and the uninstaller.
func checkSetupContents(t *testing.T, setup string) {
	out, err := exec.Command("7z", "l", setup).CombinedOutput()
	if err != nil {
		t.Fatalf("7z l: %v\n%s", err, out)
	}
	listing := string(out)
	for _, want := range []string{"Softphone.exe", "Uninstall.exe"} {
		if !regexp.MustCompile(`(?m)\s\S*` + regexp.QuoteMeta(want) + `\s*$`).MatchString(listing) {
			t.Errorf("7z l %s does not list %s:\n%s", filepath.Base(setup), want, listing)
		}
	}
	if !strings.Contains(listing, "Type = Nsis") {
		t.Errorf("not an NSIS archive:\n%s", listing)
	}
}

// checkShippedUnderWine starts the shipped Softphone.exe under Wine: Windows' loader resolves
// every import (a missing DLL or entry point stops it before main), PortAudio initialises and
// lists its devices. Its SIP socket then fails under Wine 8 only: Go (go.dev/issue/68614) turns off
// SIO_UDP_NETRESET on every UDP socket, which Windows 8+ has and Wine 8 answers with
// WSAEOPNOTSUPP (10045) — so the login window is checked with the Wine variant.
func checkShippedUnderWine(t *testing.T, w *wineEnv, exe string) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := w.command(ctx, exe, "-no-keychain", "-config-dir", `Z:`+filepath.Join(dir, "config"),
		"-screenshot", `Z:`+filepath.Join(dir, "shot.png"), "-screenshot-after", "8s")
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	log := out.String()
	checkAudioLine(t, log)
	switch {
	case err == nil:
		t.Log("the shipped Softphone.exe ran to its screenshot (this Wine has SIO_UDP_NETRESET)")
	case strings.Contains(log, "wsaioctl") && strings.Contains(log, "10045"):
		t.Logf("as expected under Wine 8, the SIP socket failed: %s",
			regexp.MustCompile(`(?m)^.*softphone failed.*$`).FindString(log))
	default:
		t.Errorf("Softphone.exe under Wine: %v\n%s", err, tail([]byte(log), 40))
	}
}

// checkAudioLine: the log has the Softphone's "audio devices" line with PortAudio's devices; the
// Wine prefix's sound goes to the test's PulseAudio null sink, so its "Null Output" is there.
func checkAudioLine(t *testing.T, log string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^.*msg="audio devices".*$`).FindString(log)
	if m == "" {
		t.Errorf("no \"audio devices\" line in the log:\n%s", tail([]byte(log), 40))
		return
	}
	t.Logf("PortAudio under Wine: %s", m)
	if !regexp.MustCompile(`outputs="[^"]*Null Output`).MatchString(m) {
		t.Errorf("PortAudio does not list the PulseAudio null sink as an output under Wine: %s", m)
	}
	if !regexp.MustCompile(`inputs="[^"]+"`).MatchString(m) {
		t.Errorf("PortAudio lists no input device under Wine: %s", m)
	}
}

// checkRunsUnderWine starts Softphone.exe under Wine in Xvfb: its log lists PortAudio's devices,
// and the login window is on the screen (the X screen's picture and the Softphone's own).
func checkRunsUnderWine(t *testing.T, w *wineEnv, exe string) {
	dir := t.TempDir()
	shot := filepath.Join(dir, "softphone.png")
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Under Wine, Z: is the Linux root, so Linux paths work with a Z: in front.
	cmd := w.command(ctx, exe, "-no-keychain", "-config-dir", `Z:`+filepath.Join(dir, "config"),
		"-screenshot", `Z:`+shot, "-screenshot-after", "12s")
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	// The X screen while the window is up (the Softphone quits after its own screenshot): a
	// picture every 2 s, keeping the one with the most colours.
	rootShot := filepath.Join(dir, "screen.png")
	shotDone := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		best, err := 0, errors.New("no picture taken before the Softphone quit")
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-exited:
				shotDone <- err
				return
			case <-tick.C:
			}
			tmp := filepath.Join(dir, "screen-try.png")
			if e := exec.CommandContext(ctx, "import", "-display", w.display, "-window", "root", tmp).Run(); e != nil {
				err = fmt.Errorf("import -window root: %w", e)
				continue
			}
			if n := pngColours(tmp); n > best {
				best, err = n, os.Rename(tmp, rootShot)
			}
		}
	}()
	err := cmd.Wait()
	close(exited)
	shotErr := <-shotDone
	log := stderr.String()
	t.Logf("Softphone.exe under Wine ran %s", time.Since(started).Round(100*time.Millisecond))
	if err != nil {
		t.Fatalf("Softphone.exe under Wine: %v\n%s", err, tail([]byte(log), 40))
	}

	checkAudioLine(t, log)
	if !strings.Contains(log, `msg="screenshot taken"`) {
		t.Errorf("the Softphone did not report its screenshot:\n%s", tail([]byte(log), 40))
	}

	own := checkNotBlank(t, shot, "the Softphone's own screenshot")
	screen := false
	if shotErr != nil {
		t.Errorf("the X screen: %v", shotErr)
	} else {
		screen = checkNotBlank(t, rootShot, "the X screen")
	}
	if d := os.Getenv("VAIHDE_SHOTS_DIR"); d != "" && own && screen {
		// The X screen is the window on black: trimmed to the window (and its Wine frame).
		out, err := exec.Command("convert", rootShot, "-bordercolor", "black", "-border", "1", "-trim", "+repage",
			filepath.Join(d, "windows-login.png")).CombinedOutput()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, out)
		}
		if err != nil {
			t.Errorf("save windows-login.png: %v", err)
		}
	}
}

// checkSilentInstall runs the setup program with /S, checks the files, the links registration,
// the Apps & features entry and the Run key, then uninstalls with /S and checks they are gone.
func checkSilentInstall(t *testing.T, w *wineEnv, setup, version string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	started := time.Now()
	if out, err := w.command(ctx, setup, "/S").CombinedOutput(); err != nil {
		t.Fatalf("setup /S: %v\n%s", err, out)
	}
	w.wait(t, ctx)
	t.Logf("silent install: %s", time.Since(started).Round(100*time.Millisecond))

	user := filepath.Join(w.prefix, "drive_c/users", w.user)
	instDir := filepath.Join(user, "AppData/Local/Programs/Vaihde")
	winDir := `C:\users\` + w.user + `\AppData\Local\Programs\Vaihde`
	files := []string{
		filepath.Join(instDir, "Softphone.exe"),
		filepath.Join(instDir, "Uninstall.exe"),
		filepath.Join(user, "AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Vaihde Softphone.lnk"),
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	handler := `"` + winDir + `\Softphone.exe" "%1"`
	for _, scheme := range []string{"tel", "callto", "sip"} {
		key := `HKCU\Software\Classes\` + scheme
		if got := w.regValue(t, ctx, key+`\shell\open\command`, ""); got != handler {
			t.Errorf("%s handler = %q, want %q", scheme, got, handler)
		}
		if _, ok := w.regQuery(ctx, key, "URL Protocol"); !ok {
			t.Errorf("%s: no \"URL Protocol\" value: not a URL scheme", key)
		}
	}
	uninst := `HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\VaihdeSoftphone`
	if got := w.regValue(t, ctx, uninst, "DisplayVersion"); got != version {
		t.Errorf("Apps & features version = %q, want %q", got, version)
	}
	if got := w.regValue(t, ctx, uninst, "UninstallString"); !strings.Contains(got, `Uninstall.exe`) {
		t.Errorf("UninstallString = %q", got)
	}
	run := `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`
	if got := w.regValue(t, ctx, run, "Vaihde Softphone"); got != `"`+winDir+`\Softphone.exe"` {
		t.Errorf("start with Windows (on by default) = %q", got)
	}

	started = time.Now()
	if out, err := w.command(ctx, filepath.Join(instDir, "Uninstall.exe"), "/S").CombinedOutput(); err != nil {
		t.Fatalf("Uninstall.exe /S: %v\n%s", err, out)
	}
	// The uninstaller copies itself to %TEMP% and runs from there: wait for every Wine process.
	w.wait(t, ctx)
	t.Logf("silent uninstall: %s", time.Since(started).Round(100*time.Millisecond))
	for _, f := range append(files, instDir) {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("left behind by the uninstaller: %s (%v)", f, err)
		}
	}
	for _, key := range []string{`HKCU\Software\Classes\tel`, `HKCU\Software\Classes\callto`,
		`HKCU\Software\Classes\sip`, uninst, `HKCU\Software\Classes\VaihdeSoftphone.Url`} {
		if out, ok := w.regQuery(ctx, key, ""); ok {
			t.Errorf("left behind by the uninstaller: %s\n%s", key, out)
		}
	}
	if got, ok := w.regQuery(ctx, run, "Vaihde Softphone"); ok {
		t.Errorf("Run entry left behind: %s", got)
	}

	// /NOAUTOSTART leaves the Run key alone; the rest is the same install.
	if out, err := w.command(ctx, setup, "/S", "/NOAUTOSTART").CombinedOutput(); err != nil {
		t.Fatalf("setup /S /NOAUTOSTART: %v\n%s", err, out)
	}
	w.wait(t, ctx)
	if _, err := os.Stat(files[0]); err != nil {
		t.Errorf("/NOAUTOSTART: not installed: %v", err)
	}
	if got, ok := w.regQuery(ctx, run, "Vaihde Softphone"); ok {
		t.Errorf("/NOAUTOSTART still added the Run entry: %s", got)
	}
}

// checkNotBlank reports whether the PNG exists and shows something: a window, not one colour.
func checkNotBlank(t *testing.T, path, what string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return false
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return false
	}
	n := colours(img)
	b := img.Bounds()
	t.Logf("%s: %dx%d, %d colours", what, b.Dx(), b.Dy(), n)
	// A login window has text, fields and a button: far more than a handful of colours
	// (anti-aliased text alone gives dozens). A blank or one-colour screen has 1–2.
	if n < 16 {
		t.Errorf("%s looks blank: %d colours", what, n)
		return false
	}
	return true
}

func pngColours(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return 0
	}
	return colours(img)
}

func colours(img image.Image) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	return len(seen)
}

// wineEnv is a fresh Wine prefix and an Xvfb display of the test's own, stopped at cleanup.
type wineEnv struct {
	prefix, display, user string
	env                   []string
}

func newWine(t *testing.T) *wineEnv {
	t.Helper()
	w := &wineEnv{prefix: filepath.Join(t.TempDir(), "wine")}
	w.display = startXvfb(t)
	w.env = append(os.Environ(), startPulse(t)...)
	w.env = append(w.env, "WINEPREFIX="+w.prefix, "WINEDEBUG=-all", "DISPLAY="+w.display,
		"WINEDLLOVERRIDES=mscoree,mshtml=", // no Mono/Gecko install prompts
		"LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	boot := exec.CommandContext(ctx, "wineboot", "--init")
	boot.Env = w.env
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("wineboot --init: %v\n%s", err, out)
	}
	w.wait(t, ctx)
	t.Cleanup(func() {
		k := exec.Command("wineserver", "-k")
		k.Env = w.env
		_ = k.Run()
	})
	users, _ := filepath.Glob(filepath.Join(w.prefix, "drive_c/users/*"))
	for _, u := range users {
		if b := filepath.Base(u); b != "Public" {
			w.user = b
		}
	}
	if w.user == "" {
		t.Fatalf("no user profile in the Wine prefix (%q)", users)
	}
	t.Logf("Wine prefix ready: %s", time.Since(started).Round(100*time.Millisecond))

	// Go 1.24+ programs import bcryptprimitives.dll (ProcessPrng), which Wine 8 lacks: a tiny
	// stand-in built here, never shipped (Windows has the real one).
	sys32 := filepath.Join(w.prefix, "drive_c/windows/system32")
	if _, err := os.Stat(filepath.Join(sys32, "bcryptprimitives.dll")); err != nil {
		out, err := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-s",
			"-o", filepath.Join(sys32, "bcryptprimitives.dll"),
			"winestub/bcryptprimitives.c", "winestub/bcryptprimitives.def", "-ladvapi32").CombinedOutput()
		if err != nil {
			t.Fatalf("build the bcryptprimitives.dll stub: %v\n%s", err, out)
		}
	}
	return w
}

func (w *wineEnv) command(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "wine", append([]string{exe}, args...)...)
	cmd.Env = w.env
	cmd.Dir = filepath.Dir(exe)
	return cmd
}

// wait returns when every process of the prefix has ended (wineserver -w).
func (w *wineEnv) wait(t *testing.T, ctx context.Context) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "wineserver", "-w")
	cmd.Env = w.env
	if err := cmd.Run(); err != nil {
		t.Fatalf("wineserver -w: %v", err)
	}
}

// regQuery runs `wine reg query KEY [/v NAME | /ve]`; ok is false when the key or value is absent.
func (w *wineEnv) regQuery(ctx context.Context, key, name string) (string, bool) {
	args := []string{"reg", "query", key}
	if name == "" {
		args = append(args, "/ve")
	} else {
		args = append(args, "/v", name)
	}
	cmd := exec.CommandContext(ctx, "wine", args...)
	cmd.Env = w.env
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// regValue is the data of one REG_SZ/REG_DWORD value ("" for the default value).
func (w *wineEnv) regValue(t *testing.T, ctx context.Context, key, name string) string {
	t.Helper()
	out, ok := w.regQuery(ctx, key, name)
	if !ok {
		t.Errorf("registry: %s [%s] missing:\n%s", key, name, out)
		return ""
	}
	// A value line: "    <name or (Default)>    REG_SZ    <data>".
	for _, line := range strings.Split(strings.ReplaceAll(out, "\r", ""), "\n") {
		if m := regexp.MustCompile(`^\s+(.*?)\s+(REG_\w+)\s+(.*)$`).FindStringSubmatch(line); m != nil {
			return strings.TrimRight(m[3], " ")
		}
	}
	t.Errorf("registry: %s [%s]: no value in\n%s", key, name, out)
	return ""
}

// startPulse starts a PulseAudio of the test's own with a null sink as the default device (Wine's
// sound driver, and so PortAudio's WMME devices, use it) and stops it at cleanup; it returns the
// environment that points at it.
func startPulse(t *testing.T) []string {
	t.Helper()
	rt, err := os.MkdirTemp("", "vaihde-wine-pulse-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(rt, 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{"XDG_RUNTIME_DIR=" + rt, "PULSE_SERVER=unix:" + filepath.Join(rt, "pulse/native")}
	run := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %q: %w\n%s", name, args, err, out)
		}
		return nil
	}
	if err := run("pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1", "--use-pid-file=yes",
		"--load=module-native-protocol-unix", "--load=module-null-sink sink_name=vsink rate=48000"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = run("pulseaudio", "--kill") // this instance only: its pid file is in rt
		os.RemoveAll(rt)
	})
	for _, args := range [][]string{{"set-default-sink", "vsink"}, {"set-default-source", "vsink.monitor"}} {
		if err := run("pactl", args...); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// startXvfb starts an X server on a free display (-displayfd) and stops it at cleanup.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{wr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v", err)
	}
	wr.Close()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	})
	buf := make([]byte, 16)
	_ = r.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := r.Read(buf)
	if err != nil || n == 0 {
		t.Fatalf("Xvfb did not report its display: %v", err)
	}
	return ":" + strings.TrimSpace(string(buf[:n]))
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing tools %q (make deps installs them)", missing)
	if os.Getenv("VAIHDE_REQUIRE_PACKAGING") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func tail(b []byte, lines int) string {
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}
