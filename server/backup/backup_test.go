package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// state is a server's data directory: a database with one organisation and files beside it.
func state(t *testing.T, dir, domain, vm string) Paths {
	t.Helper()
	p := ServerPaths(filepath.Join(dir, "vaihde.db"), filepath.Join(dir, "prompts"), "")
	st, err := sqlite.Open(context.Background(), p.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateOrg(context.Background(), store.Org{Name: domain, Domain: domain}); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "voicemail", "7", "msg-1.wav"), vm)
	write(t, filepath.Join(dir, "prompts", "custom", "fi", "welcome.wav"), "prompt of "+domain)
	write(t, filepath.Join(dir, "https-key.pem"), "key of "+domain)
	write(t, filepath.Join(dir, "unrelated.txt"), "not state of "+domain)
	return p
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o640); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// snapshotOf backs up the database at p.DB through a store of its own, as the CLI does.
func snapshotOf(t *testing.T, p Paths) Snapshot {
	return func(ctx context.Context, path string) error {
		st, err := sqlite.Open(ctx, p.DB)
		if err != nil {
			return err
		}
		defer st.Close()
		return st.BackupTo(ctx, path)
	}
}

func checkDB(ctx context.Context, path string) error {
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Check(ctx)
}

func orgExists(t *testing.T, dbPath, domain string) bool {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.OrgByDomain(context.Background(), domain)
	return err == nil
}

func TestRoundTripIntoFreshDirectory(t *testing.T) {
	ctx := context.Background()
	src := state(t, t.TempDir(), "acme.example", "hello")
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	m, err := Create(ctx, file, src, snapshotOf(t, src), t0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Files != 3 || strings.Join(m.Parts, ",") != "voicemail,beside-db,prompts-custom" || !m.Created.Equal(t0) {
		t.Fatalf("manifest %+v", m)
	}
	fresh := t.TempDir()
	dst := ServerPaths(filepath.Join(fresh, "data", "vaihde.db"), filepath.Join(fresh, "prompts"), "")
	rep, err := Restore(ctx, file, dst, checkDB, false, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Aside) != 0 {
		t.Fatalf("a fresh directory had something to move aside: %v", rep.Aside)
	}
	if !orgExists(t, dst.DB, "acme.example") {
		t.Fatal("restored database lacks the organisation")
	}
	if got := read(t, filepath.Join(fresh, "data", "voicemail", "7", "msg-1.wav")); got != "hello" {
		t.Fatalf("voicemail %q", got)
	}
	if got := read(t, filepath.Join(fresh, "prompts", "custom", "fi", "welcome.wav")); got != "prompt of acme.example" {
		t.Fatalf("prompt %q", got)
	}
	if got := read(t, filepath.Join(fresh, "data", "https-key.pem")); got != "key of acme.example" {
		t.Fatalf("https key %q", got)
	}
	if _, err := os.Stat(filepath.Join(fresh, "data", "unrelated.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file that is not server state was restored: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(fresh, "*", ".vaihde-restore-*"))
	if len(leftovers) > 0 {
		t.Fatalf("staging left behind: %v", leftovers)
	}
}

// TestRestoreOverExistingKeepsOldAside: the previous data is moved aside, never deleted, and
// the restored state is the backup's (a voicemail file that did not exist then is gone from
// the live tree).
func TestRestoreOverExistingKeepsOldAside(t *testing.T) {
	ctx := context.Background()
	src := state(t, t.TempDir(), "acme.example", "old message")
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if _, err := Create(ctx, file, src, snapshotOf(t, src), t0); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dst := state(t, dir, "other.example", "newer message")
	write(t, filepath.Join(dir, "voicemail", "8", "msg-2.wav"), "only here")
	rep, err := Restore(ctx, file, dst, checkDB, false, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !orgExists(t, dst.DB, "acme.example") || orgExists(t, dst.DB, "other.example") {
		t.Fatal("database not replaced by the backup's")
	}
	if got := read(t, filepath.Join(dir, "voicemail", "7", "msg-1.wav")); got != "old message" {
		t.Fatalf("voicemail %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "voicemail", "8")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a mailbox not in the backup is still live: %v", err)
	}
	aside := filepath.Join(dir, "voicemail.before-restore-20300102T030405Z", "8", "msg-2.wav")
	if got := read(t, aside); got != "only here" {
		t.Fatalf("old data not kept aside: %q", got)
	}
	if read(t, filepath.Join(dir, "https-key.pem")) != "key of acme.example" || read(t, filepath.Join(dir, "https-key.pem.before-restore-20300102T030405Z")) != "key of other.example" {
		t.Fatal("https key not restored with the old one kept aside")
	}
	if read(t, filepath.Join(dir, "unrelated.txt")) != "not state of other.example" {
		t.Fatal("restore touched a file that is not server state")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".vaihde-restore-*")); len(leftovers) > 0 {
		t.Fatalf("staging left behind: %v", leftovers)
	}
	if !orgExists(t, filepath.Join(dir, "vaihde.db.before-restore-20300102T030405Z"), "other.example") {
		t.Fatal("old database not kept aside")
	}
	if len(rep.Aside) < 3 {
		t.Fatalf("aside %v", rep.Aside)
	}
}

func TestRestoreRefusesLiveServer(t *testing.T) {
	ctx := context.Background()
	src := state(t, t.TempDir(), "acme.example", "x")
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if _, err := Create(ctx, file, src, snapshotOf(t, src), t0); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dst := state(t, dir, "live.example", "live")
	lk, err := Acquire(dst.DB) // the "server"
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Close()
	if _, err := Acquire(dst.DB); !errors.Is(err, ErrLive) {
		t.Fatalf("second lock: %v, want ErrLive", err)
	}
	if _, err := Restore(ctx, file, dst, checkDB, false, t0); !errors.Is(err, ErrLive) {
		t.Fatalf("restore over a live server: %v, want ErrLive", err)
	}
	if !orgExists(t, dst.DB, "live.example") || read(t, filepath.Join(dir, "voicemail", "7", "msg-1.wav")) != "live" {
		t.Fatal("refused restore changed the data")
	}
	if _, err := Restore(ctx, file, dst, checkDB, true, t0); err != nil {
		t.Fatalf("forced restore: %v", err)
	}
	if !orgExists(t, dst.DB, "acme.example") {
		t.Fatal("forced restore did not restore")
	}
	lk.Close()
	if lk2, err := Acquire(dst.DB); err != nil {
		t.Fatalf("lock after the server ended: %v", err)
	} else {
		lk2.Close()
	}
}

// TestFailedRestoreLosesNothing: a broken archive (bad database, unsafe member name, not an
// archive at all) leaves the existing data exactly as it was.
func TestFailedRestoreLosesNothing(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(t *testing.T, file string){
		"not gzip": func(t *testing.T, file string) { write(t, file, "hello") },
		"bad database": func(t *testing.T, file string) {
			tarball(t, file, map[string]string{manifestName: `{"format":1}`, dbName: "not sqlite at all, not at all", "voicemail/7/msg-1.wav": "evil"})
		},
		"path traversal": func(t *testing.T, file string) {
			tarball(t, file, map[string]string{manifestName: `{"format":1}`, "voicemail/../../escape": "x"})
		},
		"no manifest": func(t *testing.T, file string) {
			tarball(t, file, map[string]string{"voicemail/7/msg-1.wav": "x"})
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			dst := state(t, dir, "keep.example", "precious")
			file := filepath.Join(t.TempDir(), "b.tar.gz")
			mk(t, file)
			if _, err := Restore(ctx, file, dst, checkDB, false, t0); err == nil {
				t.Fatal("restore of a broken archive succeeded")
			}
			if !orgExists(t, dst.DB, "keep.example") || read(t, filepath.Join(dir, "voicemail", "7", "msg-1.wav")) != "precious" {
				t.Fatal("failed restore changed the data")
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), "restore") {
					t.Errorf("left behind: %s", e.Name())
				}
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); err == nil {
				t.Error("a member escaped the data directory")
			}
		})
	}
}

func tarball(t *testing.T, file string, members map[string]string) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for name, body := range members {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
}

// TestRestoreLeavesPartsTheArchiveLacks: a backup made without custom prompts does not take
// away the custom prompts of the machine it is restored on.
func TestRestoreLeavesPartsTheArchiveLacks(t *testing.T) {
	ctx := context.Background()
	srcDir := t.TempDir()
	src := state(t, srcDir, "acme.example", "msg")
	if err := os.RemoveAll(filepath.Join(srcDir, "prompts")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	m, err := Create(ctx, file, src, snapshotOf(t, src), t0)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Parts, ",") != "voicemail,beside-db" {
		t.Fatalf("parts %v", m.Parts)
	}
	dir := t.TempDir()
	dst := state(t, dir, "other.example", "x")
	if _, err := Restore(ctx, file, dst, checkDB, false, t0); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "prompts", "custom", "fi", "welcome.wav")); got != "prompt of other.example" {
		t.Fatalf("custom prompts changed: %q", got)
	}
	if got := read(t, filepath.Join(dir, "voicemail", "7", "msg-1.wav")); got != "msg" {
		t.Fatalf("voicemail %q", got)
	}
}

// TestCustomPromptsThroughSymlink: the Debian package's prompts directory is read-only with
// custom/ a symlink into the state directory; the recordings are saved, and restored where the
// link points (the link itself stays).
func TestCustomPromptsThroughSymlink(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	shared := filepath.Join(dir, "usr-share", "prompts")
	state := filepath.Join(dir, "var-lib", "prompts-custom")
	write(t, filepath.Join(state, "fi", "welcome.wav"), "own greeting")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(state, filepath.Join(shared, "custom")); err != nil {
		t.Fatal(err)
	}
	p := ServerPaths(filepath.Join(dir, "var-lib", "vaihde.db"), shared, "")
	st, err := sqlite.Open(ctx, p.DB)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	m, err := Create(ctx, file, p, snapshotOf(t, p), t0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Files != 1 || !strings.Contains(strings.Join(m.Parts, ","), "prompts-custom") {
		t.Fatalf("manifest %+v: the custom prompt behind the symlink was not saved", m)
	}
	write(t, filepath.Join(state, "fi", "welcome.wav"), "changed since")
	if _, err := Restore(ctx, file, p, checkDB, false, t0); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(shared, "custom", "fi", "welcome.wav")); got != "own greeting" {
		t.Fatalf("custom prompt after restore %q", got)
	}
	if fi, err := os.Lstat(filepath.Join(shared, "custom")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("custom/ is no longer the symlink: %v %v", fi, err)
	}
}
