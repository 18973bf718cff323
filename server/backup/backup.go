// Package backup writes and restores a server's whole state as one tar.gz: a consistent
// snapshot of the SQLite database (taken online, while the server runs) and the files kept
// beside it — voicemail messages and greetings, administrators' custom prompts and the SMS
// outbox. It also owns the lock by which a running server marks its database as live, so that a
// restore does not pull the data from under it.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Format is the archive format version written in the manifest.
const Format = 1

// Archive member names.
const (
	manifestName = "MANIFEST.json"
	dbName       = "db/vaihde.db"
)

// Part is a directory of files saved with the database, under its archive prefix.
type Part struct {
	Name string // archive prefix, e.g. "voicemail"
	Dir  string // where it lives on this machine; "" = not used
	// Files, if set, are the only files of Dir that belong to the part (Dir is shared with
	// others, e.g. the database's directory); each is saved and restored on its own.
	Files []string
}

// Paths says where a server keeps its state.
type Paths struct {
	DB    string
	Parts []Part
}

// besideDB are files the server keeps next to its database: the self-signed certificate of
// the HTTPS API (config.HTTPSCertFiles), so that a restored server keeps the identity its
// clients trust.
var besideDB = []string{"https-cert.pem", "https-key.pem"}

// ServerPaths returns the state of a server with the database at dbPath (voicemail, the SMS
// outbox and the HTTPS API's own certificate beside it) and the custom prompts under
// promptsDir ("" = none), following custom/ if it is a symlink.
func ServerPaths(dbPath, promptsDir, smsOutbox string) Paths {
	dir := filepath.Dir(dbPath)
	p := Paths{DB: dbPath, Parts: []Part{
		{Name: "voicemail", Dir: filepath.Join(dir, "voicemail")},
		{Name: "beside-db", Dir: dir, Files: besideDB},
	}}
	if promptsDir != "" {
		custom := filepath.Join(promptsDir, "custom")
		// custom/ may be a symlink to the state directory (the Debian package ships the
		// prompts read-only in /usr/share): save and restore where it points, not the link.
		if real, err := filepath.EvalSymlinks(custom); err == nil {
			custom = real
		}
		p.Parts = append(p.Parts, Part{Name: "prompts-custom", Dir: custom})
	}
	if smsOutbox == "" {
		smsOutbox = filepath.Join(dir, "sms-outbox")
	}
	p.Parts = append(p.Parts, Part{Name: "sms-outbox", Dir: smsOutbox})
	return p
}

// Manifest describes an archive.
type Manifest struct {
	Format  int       `json:"format"`
	Created time.Time `json:"created"`
	Parts   []string  `json:"parts"` // the parts present, by name
	Files   int       `json:"files"` // files beside the database
}

// Snapshot writes a consistent copy of the database to a path that does not exist yet
// ((*sqlite.Store).BackupTo).
type Snapshot func(ctx context.Context, path string) error

// Create writes the archive to file (replacing it only once complete): the database through
// snap, then every part's files. now stamps the manifest.
func Create(ctx context.Context, file string, p Paths, snap Snapshot, now time.Time) (Manifest, error) {
	const op = "backup"
	m := Manifest{Format: Format, Created: now.UTC()}
	dir := filepath.Dir(file)
	tmpDir, err := os.MkdirTemp(dir, ".vaihde-backup-")
	if err != nil {
		return m, fmt.Errorf("%s: %w", op, err)
	}
	defer os.RemoveAll(tmpDir)
	dbCopy := filepath.Join(tmpDir, "vaihde.db")
	if err := snap(ctx, dbCopy); err != nil {
		return m, fmt.Errorf("%s: snapshot database: %w", op, err)
	}
	out, err := os.CreateTemp(dir, ".vaihde-backup-*.tar.gz")
	if err != nil {
		return m, fmt.Errorf("%s: %w", op, err)
	}
	defer os.Remove(out.Name()) // after the rename: nothing there
	defer out.Close()
	gz := gzip.NewWriter(out)
	tw := tar.NewWriter(gz)
	if err := addFile(tw, dbCopy, dbName, now); err != nil {
		return m, fmt.Errorf("%s: %w", op, err)
	}
	for _, part := range p.Parts {
		if err := ctx.Err(); err != nil {
			return m, fmt.Errorf("%s: %w", op, err)
		}
		if part.Dir == "" {
			continue
		}
		var n int
		var err error
		if part.Files != nil {
			n, err = addFiles(tw, part.Dir, part.Files, part.Name)
		} else {
			n, err = addDir(tw, part.Dir, part.Name, now)
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return m, fmt.Errorf("%s: %s: %w", op, part.Name, err)
		}
		m.Parts = append(m.Parts, part.Name)
		m.Files += n
	}
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(mj)), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
		return m, fmt.Errorf("%s: %w", op, err)
	}
	if _, err := tw.Write(mj); err != nil {
		return m, fmt.Errorf("%s: %w", op, err)
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		return m, fmt.Errorf("%s: write %s: %w", op, file, err)
	}
	if err := out.Sync(); err != nil {
		return m, fmt.Errorf("%s: write %s: %w", op, file, err)
	}
	if err := out.Close(); err != nil {
		return m, fmt.Errorf("%s: write %s: %w", op, file, err)
	}
	if err := os.Rename(out.Name(), file); err != nil {
		return m, fmt.Errorf("%s: %w", op, err)
	}
	return m, nil
}

func addFile(tw *tar.Writer, src, name string, now time.Time) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: int64(fi.Mode().Perm()), Size: fi.Size(), ModTime: fi.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, f, fi.Size()); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// addFiles adds the named regular files of dir that exist; none is fs.ErrNotExist.
func addFiles(tw *tar.Writer, dir string, names []string, prefix string) (int, error) {
	n := 0
	for _, name := range names {
		err := addFile(tw, filepath.Join(dir, name), path.Join(prefix, name), time.Time{})
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	if n == 0 {
		return 0, fs.ErrNotExist
	}
	return n, nil
}

// addDir adds root's regular files and directories under prefix; a file that disappears while
// the server runs (a voicemail deleted meanwhile) is skipped. It returns how many files it added.
func addDir(tw *tar.Writer, root, prefix string, now time.Time) (int, error) {
	if _, err := os.Stat(root); err != nil {
		return 0, err
	}
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != root {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := path.Join(prefix, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			return tw.WriteHeader(&tar.Header{Name: name + "/", Mode: 0o750, ModTime: now, Typeflag: tar.TypeDir})
		case d.Type().IsRegular():
			if strings.HasPrefix(d.Name(), ".") { // temporary files of writers in progress
				return nil
			}
			err := addFile(tw, p, name, now)
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err == nil {
				n++
			}
			return err
		}
		return nil // symlinks and devices are not server state
	})
	return n, err
}

// RestoreReport says what a restore did.
type RestoreReport struct {
	Manifest Manifest
	// Aside is where the data that was in place before went, per target path; nothing is
	// deleted by a restore.
	Aside []string
}

// Check validates a restored database before it is put in place (opens it, runs an
// integrity check).
type Check func(ctx context.Context, dbPath string) error

// Restore puts the archive's state in place of p's. Unless force, it refuses (ErrLive) when
// a running server holds the database's lock; it holds the lock itself meanwhile, so that no
// server starts half-way. Everything is unpacked and checked beside its target first, then
// renamed into place, the data that was there moved aside (kept, named in the report); when a
// step fails the moves are undone, so a failed restore loses nothing. A part the archive does
// not have is left alone.
func Restore(ctx context.Context, file string, p Paths, check Check, force bool, now time.Time) (RestoreReport, error) {
	const op = "restore"
	var rep RestoreReport
	if err := os.MkdirAll(filepath.Dir(p.DB), 0o750); err != nil {
		return rep, fmt.Errorf("%s: %w", op, err)
	}
	lk, err := Acquire(p.DB)
	switch {
	case errors.Is(err, ErrLive) && force:
		// The operator said so: go ahead without the lock.
	case err != nil:
		return rep, fmt.Errorf("%s: %w", op, err)
	default:
		defer lk.Close()
	}
	f, err := os.Open(file)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", op, err)
	}
	defer f.Close()

	id := randID()
	st := &staging{id: id, stamp: now.UTC().Format("20060102T150405Z")}
	defer st.cleanup()
	// Part name → a path whose directory receives the part's staging directory: beside the
	// target, so that the final renames stay on one file system.
	targets := map[string]string{"db": p.DB}
	for _, part := range p.Parts {
		switch {
		case part.Dir == "":
		case part.Files != nil:
			targets[part.Name] = filepath.Join(part.Dir, part.Name) // staged inside Dir
		default:
			targets[part.Name] = part.Dir
		}
	}
	man, err := st.unpack(f, targets)
	if err != nil {
		return rep, fmt.Errorf("%s: %s: %w", op, file, err)
	}
	rep.Manifest = man
	if check != nil {
		if err := check(ctx, st.staged["db"]); err != nil {
			return rep, fmt.Errorf("%s: %s: the database in the archive is unusable: %w", op, file, err)
		}
		// The check may have left SQLite's side files; they belong to the staged copy only.
		os.Remove(st.staged["db"] + "-wal")
		os.Remove(st.staged["db"] + "-shm")
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("%s: %w", op, err)
	}
	// Swap the database (and its WAL, which belongs to the old data and would corrupt the new)
	// and every part the archive has. A part it lacks (no custom prompts when it was made) is
	// left as it is here.
	type swap struct {
		staged, target string
		aside          []string // what moves out of the way first
	}
	swaps := []swap{{st.staged["db"], p.DB, []string{p.DB, p.DB + "-wal", p.DB + "-shm"}}}
	for _, part := range p.Parts {
		staged, ok := st.staged[part.Name]
		if !ok || part.Dir == "" {
			continue
		}
		if part.Files == nil {
			swaps = append(swaps, swap{staged, part.Dir, []string{part.Dir}})
			continue
		}
		for _, name := range part.Files {
			if _, err := os.Lstat(filepath.Join(staged, name)); err == nil {
				target := filepath.Join(part.Dir, name)
				swaps = append(swaps, swap{filepath.Join(staged, name), target, []string{target}})
			}
		}
	}
	var done []move
	undo := func() {
		for i := len(done) - 1; i >= 0; i-- {
			_ = os.Rename(done[i].to, done[i].from)
		}
	}
	for _, sw := range swaps {
		for _, a := range sw.aside {
			if _, err := os.Lstat(a); errors.Is(err, fs.ErrNotExist) {
				continue
			}
			to := a + ".before-restore-" + st.stamp
			if err := os.Rename(a, to); err != nil {
				undo()
				return RestoreReport{Manifest: man}, fmt.Errorf("%s: move %s aside: %w", op, a, err)
			}
			done = append(done, move{from: a, to: to})
			rep.Aside = append(rep.Aside, to)
		}
		if err := os.MkdirAll(filepath.Dir(sw.target), 0o750); err != nil {
			undo()
			return RestoreReport{Manifest: man}, fmt.Errorf("%s: %w", op, err)
		}
		if err := os.Rename(sw.staged, sw.target); err != nil {
			undo()
			return RestoreReport{Manifest: man}, fmt.Errorf("%s: put %s in place: %w", op, sw.target, err)
		}
		done = append(done, move{from: sw.staged, to: sw.target})
	}
	return rep, nil
}

type move struct{ from, to string }

// staging holds the unpacked archive: each part in a directory beside its target, so that the
// final renames stay on one file system.
type staging struct {
	id, stamp string
	roots     []string          // staging directories to remove at the end
	staged    map[string]string // part name → staged path
}

func (s *staging) cleanup() {
	for _, r := range s.roots {
		os.RemoveAll(r)
	}
}

func (s *staging) rootFor(target string) (string, error) {
	root := filepath.Join(filepath.Dir(target), ".vaihde-restore-"+s.id+"-"+filepath.Base(target))
	if err := os.MkdirAll(root, 0o750); err != nil {
		return "", err
	}
	s.roots = append(s.roots, root)
	return root, nil
}

// maxMember bounds one archive member (a database or a recording), against a corrupt archive
// filling the disk.
const maxMember = 64 << 30

func (s *staging) unpack(r io.Reader, targets map[string]string) (Manifest, error) {
	var man Manifest
	s.staged = map[string]string{}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return man, fmt.Errorf("not a vaihde backup (gzip): %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	sawManifest := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return man, fmt.Errorf("not a vaihde backup (tar): %w", err)
		}
		name := path.Clean(strings.TrimSuffix(h.Name, "/"))
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, `\`) {
			return man, fmt.Errorf("unsafe member name %q", h.Name)
		}
		if name == manifestName {
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&man); err != nil {
				return man, fmt.Errorf("manifest: %w", err)
			}
			sawManifest = true
			continue
		}
		part, rest, _ := strings.Cut(name, "/")
		target, ok := targets[part]
		if !ok {
			continue // a part this server does not have (e.g. no prompts directory configured)
		}
		if _, ok := s.staged[part]; !ok {
			root, err := s.rootFor(target)
			if err != nil {
				return man, err
			}
			if part == "db" {
				s.staged[part] = filepath.Join(root, "vaihde.db")
			} else {
				s.staged[part] = filepath.Join(root, "data")
				if err := os.MkdirAll(s.staged[part], 0o750); err != nil {
					return man, err
				}
			}
		}
		var dst string
		if part == "db" {
			if name != dbName {
				return man, fmt.Errorf("unexpected member %q", h.Name)
			}
			dst = s.staged[part]
		} else {
			if rest == "" || rest == "." {
				continue
			}
			dst = filepath.Join(s.staged[part], filepath.FromSlash(rest))
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o750); err != nil {
				return man, err
			}
		case tar.TypeReg:
			if h.Size > maxMember {
				return man, fmt.Errorf("member %q too large", h.Name)
			}
			if err := writeMember(dst, tr, h); err != nil {
				return man, err
			}
		default:
			return man, fmt.Errorf("member %q: unsupported type %q", h.Name, h.Typeflag)
		}
	}
	if !sawManifest || man.Format != Format {
		return man, fmt.Errorf("not a vaihde backup: manifest missing or format %d (want %d)", man.Format, Format)
	}
	if _, ok := s.staged["db"]; !ok {
		return man, errors.New("not a vaihde backup: no database")
	}
	return man, nil
}

func writeMember(dst string, r io.Reader, h *tar.Header) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	mode := fs.FileMode(h.Mode).Perm() & 0o666
	if mode == 0 {
		mode = 0o640
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, h.Size); err != nil {
		f.Close()
		return fmt.Errorf("unpack %s: %w", h.Name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func randID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
