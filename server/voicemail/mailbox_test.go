package voicemail

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// wav builds an 8 kHz 16-bit mono WAV of the given length.
func wav(d time.Duration) []byte {
	n := int(d * 16000 / time.Second)
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + n))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1))
	w(uint16(1))
	w(uint32(8000))
	w(uint32(16000))
	w(uint16(2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(n))
	for i := 0; i < n; i++ {
		b.WriteByte(byte(i))
	}
	return b.Bytes()
}

type env struct {
	st      *sqlite.Store
	mb      *Mailbox
	root    string
	user    store.User
	mu      sync.Mutex
	changes []int64
	now     time.Time // the injected clock; each reading advances it by a second
}

// testEpoch is where the injected clock starts: tests never read the wall clock.
var testEpoch = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(time.Second)
	return e.now
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	o, err := st.CreateOrg(ctx, store.Org{Name: "Demo", Domain: "demo.test", CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1001", Name: "Aino"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, root: filepath.Join(dir, "voicemail"), user: u, now: testEpoch}
	e.mb = e.open(t)
	return e
}

// open makes a Mailbox on the same root and store (a "restart").
func (e *env) open(t *testing.T) *Mailbox {
	t.Helper()
	mb, err := New(Config{Root: e.root, Store: e.st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: e.clock, Changed: func(u int64) {
		e.mu.Lock()
		e.changes = append(e.changes, u)
		e.mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

func (e *env) changeCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.changes)
}

func (e *env) counts(t *testing.T, wantNew, wantOld int) {
	t.Helper()
	n, o, err := e.mb.Counts(context.Background(), e.user.ID)
	if err != nil || n != wantNew || o != wantOld {
		t.Fatalf("Counts = %d/%d, %v; want %d/%d", n, o, err, wantNew, wantOld)
	}
}

// files lists the names in the user's mailbox directory.
func (e *env) files(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(e.root, "1"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, x := range ents {
		out = append(out, x.Name())
	}
	sort.Strings(out)
	return out
}

func TestSaveListHeardDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	audio := wav(3 * time.Second)
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	v1, err := e.mb.Save(ctx, Message{OrgID: e.user.OrgID, UserID: e.user.ID, Caller: "+358 40-111 2222", CallerName: "Bo", ReceivedAt: t0}, bytes.NewReader(audio))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Duration != 3*time.Second || v1.Caller != "+358 40-111 2222" || v1.Kind != store.VoiceMessage {
		t.Fatalf("saved record: %+v", v1)
	}
	got, err := os.ReadFile(e.mb.FilePath(v1))
	if err != nil || !bytes.Equal(got, audio) {
		t.Fatalf("file content differs (%d bytes, %v)", len(got), err)
	}
	if e.changeCount() != 1 {
		t.Fatalf("Changed called %d times after Save", e.changeCount())
	}
	v2, err := e.mb.Save(ctx, Message{OrgID: e.user.OrgID, UserID: e.user.ID, ReceivedAt: t0.Add(time.Minute)}, bytes.NewReader(wav(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.mb.List(ctx, e.user.ID)
	if err != nil || len(list) != 2 || list[0].ID != v2.ID || list[1].ID != v1.ID {
		t.Fatalf("List newest first: %+v %v", list, err)
	}
	e.counts(t, 2, 0)

	f, v, err := e.mb.Open(ctx, e.user.ID, v1.ID)
	if err != nil || v.ID != v1.ID {
		t.Fatalf("Open: %v", err)
	}
	f.Close()
	if _, _, err := e.mb.Open(ctx, e.user.ID+1, v1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Open of another user's message: %v", err)
	}

	if err := e.mb.MarkHeard(ctx, e.user.ID, v1.ID, true); err != nil {
		t.Fatal(err)
	}
	e.counts(t, 1, 1)
	if err := e.mb.Delete(ctx, e.user.ID, v1.ID); err != nil {
		t.Fatal(err)
	}
	e.counts(t, 1, 0)
	if _, err := os.Stat(e.mb.FilePath(v1)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("deleted file still there: %v", err)
	}
	if err := e.mb.Delete(ctx, e.user.ID, v1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if n := e.changeCount(); n != 4 {
		t.Fatalf("Changed called %d times, want 4 (2 saves, heard, delete)", n)
	}
	if fs := e.files(t); len(fs) != 1 || !strings.HasPrefix(fs[0], msgPrefix) {
		t.Fatalf("mailbox files: %v", fs)
	}
}

func TestRecoverAfterCrash(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := filepath.Join(e.root, "1")
	kept, err := e.mb.Save(ctx, Message{OrgID: e.user.OrgID, UserID: e.user.ID, Caller: "1002"}, bytes.NewReader(wav(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	deleting, err := e.mb.Save(ctx, Message{OrgID: e.user.OrgID, UserID: e.user.ID, Caller: "1003"}, bytes.NewReader(wav(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	// Crash 1: the file was renamed into place (durable) but the record was never added. It
	// is dated after the saved messages (by the injected clock), so it sorts newest.
	at := testEpoch.Add(90 * time.Minute)
	orphan := msgPrefix + at.Format(timeLayout) + "-0badf00d-+358401112222.wav"
	if err := os.WriteFile(filepath.Join(dir, orphan), wav(2*time.Second), 0o640); err != nil {
		t.Fatal(err)
	}
	// Crash 2: a write that never finished.
	if err := os.WriteFile(filepath.Join(dir, tmpPrefix+"123"), []byte("RIFF"), 0o640); err != nil {
		t.Fatal(err)
	}
	// Crash 3: a delete that renamed the file to trash but did not remove the record.
	base := filepath.Base(e.mb.FilePath(deleting))
	if err := os.Rename(e.mb.FilePath(deleting), filepath.Join(dir, trashPrefix+base)); err != nil {
		t.Fatal(err)
	}
	before := e.changeCount()

	mb := e.open(t) // restart
	e.mb = mb
	rep, err := mb.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Readded) != 1 || len(rep.Temporary) != 1 || len(rep.Deleted) != 1 || len(rep.Missing) != 0 {
		t.Fatalf("report: %+v", rep)
	}
	list, err := mb.List(ctx, e.user.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("after recover: %+v %v", list, err)
	}
	if list[1].ID != kept.ID {
		t.Fatalf("kept message changed: %+v", list)
	}
	r := list[0]
	if r.Caller != "+358401112222" || !r.ReceivedAt.Equal(at) || r.Duration != 2*time.Second || r.OrgID != e.user.OrgID || r.Heard {
		t.Fatalf("re-added record: %+v", r)
	}
	e.counts(t, 2, 0)
	if fs := e.files(t); len(fs) != 2 {
		t.Fatalf("files after recover: %v", fs)
	}
	if e.changeCount() == before {
		t.Fatal("Recover did not report the changed mailbox")
	}
	// A second run finds nothing to do.
	rep, err = mb.Recover(ctx)
	if err != nil || len(rep.Readded)+len(rep.Temporary)+len(rep.Deleted)+len(rep.Missing) != 0 {
		t.Fatalf("second recover: %+v %v", rep, err)
	}
}

// fullDisk is a temporary file whose writes fail with ENOSPC after limit bytes. It does not
// embed *os.File, whose ReadFrom would bypass Write.
type fullDisk struct {
	f     *os.File
	limit int
}

func (f *fullDisk) Sync() error  { return f.f.Sync() }
func (f *fullDisk) Close() error { return f.f.Close() }
func (f *fullDisk) Name() string { return f.f.Name() }

func (f *fullDisk) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n, _ := f.f.Write(p[:f.limit])
		f.limit = 0
		return n, syscall.ENOSPC
	}
	f.limit -= len(p)
	return f.f.Write(p)
}

func TestSaveErrorsLoseNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first, err := e.mb.Save(ctx, Message{OrgID: e.user.OrgID, UserID: e.user.ID}, bytes.NewReader(wav(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(*Mailbox)
		body  io.Reader
		want  error
	}{
		{"disk full", func(m *Mailbox) {
			m.create = func(dir, pattern string) (file, error) {
				f, err := os.CreateTemp(dir, pattern)
				if err != nil {
					return nil, err
				}
				return &fullDisk{f: f, limit: 1000}, nil
			}
		}, bytes.NewReader(wav(time.Second)), syscall.ENOSPC},
		{"too large", func(m *Mailbox) { m.max = 100 }, bytes.NewReader(wav(time.Second)), ErrTooLarge},
		{"reader fails", func(*Mailbox) {}, io.MultiReader(bytes.NewReader(wav(time.Second)[:500]), errReader{}), errBroken},
		{"cannot create", func(m *Mailbox) {
			m.create = func(string, string) (file, error) { return nil, syscall.EROFS }
		}, bytes.NewReader(wav(time.Second)), syscall.EROFS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mb := e.open(t)
			tc.setup(mb)
			_, err := mb.Save(ctx, Message{OrgID: e.user.OrgID, UserID: e.user.ID}, tc.body)
			if !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), "voicemail: save:") {
				t.Fatalf("Save error = %v, want %v", err, tc.want)
			}
			list, _ := mb.List(ctx, e.user.ID)
			if len(list) != 1 || list[0].ID != first.ID {
				t.Fatalf("records after failed save: %+v", list)
			}
			if fs := e.files(t); len(fs) != 1 {
				t.Fatalf("files after failed save: %v", fs)
			}
			if got, err := os.ReadFile(mb.FilePath(first)); err != nil || !bytes.Equal(got, wav(time.Second)) {
				t.Fatalf("earlier message damaged: %v", err)
			}
		})
	}
}

var errBroken = errors.New("caller hung up mid-stream")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

func TestSaveKeepsFileWhenStoreFails(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A user id with no user: the file is written, the record is refused.
	_, err := e.mb.Save(ctx, Message{OrgID: e.user.OrgID, UserID: 999}, bytes.NewReader(wav(time.Second)))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Save for unknown user: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(e.root, "999"))
	if len(ents) != 1 {
		t.Fatalf("the durable file should be kept for Recover: %v", ents)
	}
	rep, err := e.mb.Recover(ctx)
	if err != nil || len(rep.Unreadable) != 1 || len(rep.Readded) != 0 {
		t.Fatalf("Recover of a file of a missing user: %+v %v", rep, err)
	}
}

func TestWAVDuration(t *testing.T) {
	full := wav(1500 * time.Millisecond)
	unfilled := append([]byte(nil), full...)
	binary.LittleEndian.PutUint32(unfilled[40:44], 0) // a recorder cut off before writing sizes
	tests := []struct {
		name string
		data []byte
		want time.Duration
	}{
		{"wav", full, 1500 * time.Millisecond},
		{"size unfilled", unfilled, 1500 * time.Millisecond},
		{"not wav", []byte("%PDF-1.4 hello"), 0},
		{"truncated header", full[:20], 0},
		{"empty", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &wavHeader{}
			h.Write(tc.data)
			if got := h.duration(int64(len(tc.data))); got != tc.want {
				t.Fatalf("duration = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseName(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	for _, caller := range []string{"+358401112222", "", "1002"} {
		name := msgPrefix + at.Format(timeLayout) + "-abcd0123-" + callerToken(caller) + ".wav"
		v, ok := parseName(7, "7/"+name, name)
		if !ok || v.Caller != caller || !v.ReceivedAt.Equal(at) || v.UserID != 7 || v.Kind != store.VoiceMessage {
			t.Fatalf("parseName(%q) = %+v, %v", name, v, ok)
		}
	}
	for _, bad := range []string{"m-x.wav", "m-20260102T030405.006Z-ab.wav", "m-20260102T030405.006Z-ab-1.mp3"} {
		if _, ok := parseName(7, "7/"+bad, bad); ok {
			t.Fatalf("parseName(%q) accepted", bad)
		}
	}
}
