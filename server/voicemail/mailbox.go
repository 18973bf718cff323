// Package voicemail owns the users' mailboxes on disk: the audio (or fax PDF) files under one
// root directory and the order in which a message becomes real — the file is written durably
// (temporary file, fsync, rename, fsync of the directory) before its store record is added, so
// "message saved" is only said after both. Recover reconciles the two after a crash.
//
// It also owns voicemail's call flows, mediaapp.Flow state machines that tests run on a
// mediaapp.Script: Deposit (a caller leaves a message after the greeting, VM-3) and Access (the
// access number with mailbox and PIN login and VM-2's keypad menus, VM-1/VM-2).
package voicemail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// Store is what a mailbox needs from the server's store; store.Store satisfies it.
type Store interface {
	store.Voicemails
	UserByID(ctx context.Context, id int64) (store.User, error)
}

// ErrTooLarge is returned when a message exceeds the mailbox's MaxBytes.
var ErrTooLarge = errors.New("voicemail: message too large")

// Config configures a Mailbox.
type Config struct {
	Root  string // directory of the mailboxes; created if missing
	Store Store
	// Changed is called (synchronously, after the change is durable) with the user whose
	// mailbox changed; message-waiting indication hangs off it. Optional.
	Changed func(userID int64)
	// Saved is called (synchronously, after Changed, outside any lock) with each new message
	// Save recorded — not for messages Recover re-adds; notifications (VM-4) hang off it and
	// must not block. Optional.
	Saved func(v store.Voicemail)
	// MaxBytes bounds one stored file; 0: DefaultMaxBytes.
	MaxBytes int64
	Logger   *slog.Logger
	// Now is the clock that dates new messages and heard marks; nil: time.Now. Tests inject one.
	Now func() time.Time
}

// DefaultMaxBytes bounds one file: ten minutes of 8 kHz 16-bit mono is 9.6 MB.
const DefaultMaxBytes = 16 << 20

// Mailbox stores voicemail. It is safe for concurrent use.
type Mailbox struct {
	root    string
	st      Store
	changed func(int64)
	saved   func(store.Voicemail)
	max     int64
	log     *slog.Logger
	now     func() time.Time
	// create makes the temporary file; a variable so tests can simulate a full disk.
	create func(dir, pattern string) (file, error)
}

// file is the part of *os.File a save uses.
type file interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// New opens (creating) the mailbox root.
func New(c Config) (*Mailbox, error) {
	if c.Root == "" || c.Store == nil {
		return nil, errors.New("voicemail: Root and Store are required")
	}
	if err := os.MkdirAll(c.Root, 0o750); err != nil {
		return nil, fmt.Errorf("voicemail: create root: %w", err)
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Mailbox{
		now:  c.Now,
		root: c.Root, st: c.Store, changed: c.Changed, saved: c.Saved, max: c.MaxBytes, log: log.With("component", "voicemail"),
		create: func(dir, pattern string) (file, error) { return os.CreateTemp(dir, pattern) },
	}, nil
}

// Root returns the mailbox root directory.
func (m *Mailbox) Root() string { return m.root }

// FilePath returns the absolute path of a record's file (Path is relative to the root).
func (m *Mailbox) FilePath(v store.Voicemail) string {
	return filepath.Join(m.root, filepath.FromSlash(v.Path))
}

// Message describes a message being saved.
type Message struct {
	OrgID      int64
	UserID     int64
	Kind       store.VoicemailKind // "": a voice message
	Caller     string
	CallerName string
	Urgent     bool
	ReceivedAt time.Time // zero: now
}

const (
	msgPrefix   = "m-"    // stored messages: m-<unix ms>-<random>-<caller>.<ext>
	tmpPrefix   = ".tmp-" // being written; never promised to anyone
	trashPrefix = ".del-" // being deleted: the rename is durable before the record goes
	timeLayout  = "20060102T150405.000Z"
)

// Save writes the message durably and then records it. On success the message survives a
// crash; on error nothing was promised (a file already renamed into place is kept and picked
// up by Recover, so a store failure loses nothing).
func (m *Mailbox) Save(ctx context.Context, msg Message, r io.Reader) (store.Voicemail, error) {
	const op = "voicemail: save"
	if msg.UserID <= 0 {
		return store.Voicemail{}, fmt.Errorf("%s: no user", op)
	}
	if msg.Kind == "" {
		msg.Kind = store.VoiceMessage
	}
	if msg.ReceivedAt.IsZero() {
		msg.ReceivedAt = m.now()
	}
	msg.ReceivedAt = msg.ReceivedAt.UTC()
	ext := ".wav"
	if msg.Kind == store.Fax {
		ext = ".pdf"
	}
	dirRel := strconv.FormatInt(msg.UserID, 10)
	dir := filepath.Join(m.root, dirRel)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return store.Voicemail{}, fmt.Errorf("%s: create mailbox: %w", op, err)
	}
	name := msgPrefix + msg.ReceivedAt.Format(timeLayout) + "-" + randHex() + "-" + callerToken(msg.Caller) + ext
	dur, err := m.writeDurably(dir, name, r)
	if err != nil {
		return store.Voicemail{}, fmt.Errorf("%s: %w", op, err)
	}
	v, err := m.st.AddVoicemail(ctx, store.Voicemail{
		OrgID: msg.OrgID, UserID: msg.UserID, Kind: msg.Kind, Caller: msg.Caller, CallerName: msg.CallerName,
		ReceivedAt: msg.ReceivedAt, Duration: dur, Path: path.Join(dirRel, name), Urgent: msg.Urgent,
	})
	if err != nil {
		// The file is durable: Recover records it on the next start rather than lose it.
		m.log.Error("voicemail file written but not recorded; Recover will add it", "user", msg.UserID, "file", name, "error", err)
		return store.Voicemail{}, fmt.Errorf("%s: record: %w", op, err)
	}
	m.log.Info("voicemail saved", "user", msg.UserID, "id", v.ID, "duration", dur)
	m.notify(msg.UserID)
	if m.saved != nil {
		m.saved(v)
	}
	return v, nil
}

// writeDurably copies r into dir/name: temporary file, fsync, rename, fsync of dir. It returns
// the audio length when the file is a WAV it can read.
func (m *Mailbox) writeDurably(dir, name string, r io.Reader) (time.Duration, error) {
	f, err := m.create(dir, tmpPrefix+"*")
	if err != nil {
		return 0, fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	fail := func(what string, err error) (time.Duration, error) {
		f.Close()
		os.Remove(tmp)
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	h := &wavHeader{}
	n, err := io.Copy(f, io.TeeReader(io.LimitReader(r, m.max+1), h))
	if err != nil {
		return fail("write", err)
	}
	if n > m.max {
		return fail("write", fmt.Errorf("%w: more than %d bytes", ErrTooLarge, m.max))
	}
	if n == 0 {
		return fail("write", errors.New("empty message"))
	}
	if err := f.Sync(); err != nil {
		return fail("sync", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("close: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("rename: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return 0, fmt.Errorf("sync directory: %w", err)
	}
	return h.duration(n), nil
}

// List returns the user's messages, newest first.
func (m *Mailbox) List(ctx context.Context, userID int64) ([]store.Voicemail, error) {
	vs, err := m.st.Voicemails(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("voicemail: list: %w", err)
	}
	return vs, nil
}

// Open opens the file of one of the user's messages.
func (m *Mailbox) Open(ctx context.Context, userID, id int64) (*os.File, store.Voicemail, error) {
	v, err := m.st.Voicemail(ctx, userID, id)
	if err != nil {
		return nil, store.Voicemail{}, fmt.Errorf("voicemail: open: %w", err)
	}
	f, err := os.Open(m.FilePath(v))
	if err != nil {
		return nil, store.Voicemail{}, fmt.Errorf("voicemail: open: %w", err)
	}
	return f, v, nil
}

// Counts returns the user's new and old voice messages.
func (m *Mailbox) Counts(ctx context.Context, userID int64) (newCount, oldCount int, err error) {
	n, o, err := m.st.VoicemailCounts(ctx, userID)
	if err != nil {
		return 0, 0, fmt.Errorf("voicemail: counts: %w", err)
	}
	return n, o, nil
}

// MarkHeard marks one of the user's messages heard (or new again).
func (m *Mailbox) MarkHeard(ctx context.Context, userID, id int64, heard bool) error {
	if err := m.st.MarkHeard(ctx, userID, id, heard, m.now()); err != nil {
		return fmt.Errorf("voicemail: mark heard: %w", err)
	}
	m.notify(userID)
	return nil
}

// Delete removes one of the user's messages. The file is first renamed to a trash name
// (durably), then the record goes, then the file: a crash at any point leaves either the
// message intact or a trash file Recover finishes deleting — never a deleted message that
// comes back.
func (m *Mailbox) Delete(ctx context.Context, userID, id int64) error {
	const op = "voicemail: delete"
	v, err := m.st.Voicemail(ctx, userID, id)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	abs := m.FilePath(v)
	dir, base := filepath.Split(abs)
	trash := filepath.Join(dir, trashPrefix+base)
	switch err := os.Rename(abs, trash); {
	case errors.Is(err, os.ErrNotExist):
		trash = "" // the file is already gone: only the record remains
	case err != nil:
		return fmt.Errorf("%s: %w", op, err)
	default:
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("%s: sync directory: %w", op, err)
		}
	}
	if _, err := m.st.DeleteVoicemail(ctx, userID, id); err != nil {
		if trash != "" {
			os.Rename(trash, abs) // put it back: the message still exists
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	if trash != "" {
		if err := os.Remove(trash); err != nil {
			m.log.Warn("remove deleted voicemail file; Recover will", "file", trash, "error", err)
		}
	}
	m.notify(userID)
	return nil
}

func (m *Mailbox) notify(userID int64) {
	if m.changed != nil {
		m.changed(userID)
	}
}

// RecoverReport says what Recover did.
type RecoverReport struct {
	Readded    []string // message files that had no record: recorded now
	Temporary  []string // unfinished writes and unreferenced greetings, removed (nobody was told they were saved)
	Deleted    []string // trash files of interrupted deletes, finished
	Missing    []string // records whose file is gone (left for an admin; logged)
	Unreadable []string // files Recover could not make sense of (left alone)
}

// Recover reconciles disk and store after a crash; call it once at start before serving. A
// message file without a record was written completely (the rename comes after fsync) and is
// re-added rather than lost: the caller may not have heard "saved", but a message they left
// is better delivered than dropped. Its caller number comes from the file name; the caller's
// name is lost.
func (m *Mailbox) Recover(ctx context.Context) (RecoverReport, error) {
	const op = "voicemail: recover"
	var rep RecoverReport
	paths, err := m.st.VoicemailPaths(ctx)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", op, err)
	}
	known := make(map[string]bool, len(paths))
	for _, p := range paths {
		known[p] = true
	}
	dirs, err := os.ReadDir(m.root)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", op, err)
	}
	changed := map[int64]bool{}
	for _, d := range dirs {
		userID, err := strconv.ParseInt(d.Name(), 10, 64)
		if !d.IsDir() || err != nil || userID <= 0 {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(m.root, d.Name()))
		if err != nil {
			return rep, fmt.Errorf("%s: %w", op, err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			rel := path.Join(d.Name(), e.Name())
			abs := filepath.Join(m.root, d.Name(), e.Name())
			switch name := e.Name(); {
			case strings.HasPrefix(name, tmpPrefix):
				if err := os.Remove(abs); err != nil {
					return rep, fmt.Errorf("%s: remove %s: %w", op, rel, err)
				}
				rep.Temporary = append(rep.Temporary, rel)
			case strings.HasPrefix(name, trashPrefix):
				orig := path.Join(d.Name(), strings.TrimPrefix(name, trashPrefix))
				if known[orig] {
					if err := m.dropRecord(ctx, userID, orig); err != nil {
						return rep, fmt.Errorf("%s: %w", op, err)
					}
					delete(known, orig)
					changed[userID] = true
				}
				if err := os.Remove(abs); err != nil {
					return rep, fmt.Errorf("%s: remove %s: %w", op, rel, err)
				}
				rep.Deleted = append(rep.Deleted, rel)
			case strings.HasPrefix(name, greetingPrefix):
				// A greeting saved but never put in the settings (crash), or one replaced
				// whose removal failed: unreferenced, so nobody hears it.
				vs, err := m.st.VoicemailSettings(ctx, userID)
				if err != nil {
					return rep, fmt.Errorf("%s: %w", op, err)
				}
				if vs.GreetingPath != rel {
					if err := os.Remove(abs); err != nil {
						return rep, fmt.Errorf("%s: remove %s: %w", op, rel, err)
					}
					rep.Temporary = append(rep.Temporary, rel)
				}
			case strings.HasPrefix(name, msgPrefix):
				if known[rel] {
					delete(known, rel)
					continue
				}
				v, ok := parseName(userID, rel, name)
				if !ok {
					rep.Unreadable = append(rep.Unreadable, rel)
					continue
				}
				u, err := m.st.UserByID(ctx, userID)
				if errors.Is(err, store.ErrNotFound) {
					rep.Unreadable = append(rep.Unreadable, rel) // the user is gone; keep the file for an admin
					continue
				}
				if err != nil {
					return rep, fmt.Errorf("%s: %w", op, err)
				}
				v.OrgID = u.OrgID
				if st, err := os.Stat(abs); err == nil {
					f, err := os.Open(abs)
					if err == nil {
						h := &wavHeader{}
						io.Copy(h, io.LimitReader(f, 512))
						f.Close()
						v.Duration = h.duration(st.Size())
					}
				}
				if _, err := m.st.AddVoicemail(ctx, v); err != nil {
					return rep, fmt.Errorf("%s: re-add %s: %w", op, rel, err)
				}
				rep.Readded = append(rep.Readded, rel)
				changed[userID] = true
			}
		}
	}
	for p := range known {
		rep.Missing = append(rep.Missing, p)
	}
	for _, p := range rep.Missing {
		m.log.Warn("voicemail record without file", "path", p)
	}
	if len(rep.Readded)+len(rep.Temporary)+len(rep.Deleted) > 0 {
		m.log.Info("voicemail recovered", "readded", len(rep.Readded), "temporary", len(rep.Temporary), "deleted", len(rep.Deleted))
	}
	for u := range changed {
		m.notify(u)
	}
	return rep, nil
}

// dropRecord deletes the user's record with path p.
func (m *Mailbox) dropRecord(ctx context.Context, userID int64, p string) error {
	vs, err := m.st.Voicemails(ctx, userID)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.Path == p {
			_, err := m.st.DeleteVoicemail(ctx, userID, v.ID)
			return err
		}
	}
	return nil
}

// parseName reads a message file name back into a record (without OrgID and Duration).
func parseName(userID int64, rel, name string) (store.Voicemail, bool) {
	base := strings.TrimPrefix(name, msgPrefix)
	ext := path.Ext(base)
	base = strings.TrimSuffix(base, ext)
	parts := strings.SplitN(base, "-", 3)
	if len(parts) != 3 {
		return store.Voicemail{}, false
	}
	at, err := time.Parse(timeLayout, parts[0])
	if err != nil {
		return store.Voicemail{}, false
	}
	kind := store.VoiceMessage
	switch ext {
	case ".wav":
	case ".pdf":
		kind = store.Fax
	default:
		return store.Voicemail{}, false
	}
	caller := parts[2]
	if caller == "anonymous" {
		caller = ""
	}
	return store.Voicemail{UserID: userID, Kind: kind, Caller: caller, ReceivedAt: at, Path: rel}, true
}

// callerToken is the caller number as it may appear in a file name: digits, '+', '*', '#'.
func callerToken(caller string) string {
	var b strings.Builder
	for _, c := range caller {
		if c >= '0' && c <= '9' || c == '+' || c == '*' || c == '#' {
			b.WriteRune(c)
		}
		if b.Len() >= 32 {
			break
		}
	}
	if b.Len() == 0 {
		return "anonymous"
	}
	return b.String()
}

func randHex() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
