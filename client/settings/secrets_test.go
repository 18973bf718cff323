package settings

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// TestMain keeps every test away from the real keychain of the machine running them.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}

// fakeKeyring is one keychain of its own per test; fail makes every call fail like a
// machine without a Secret Service.
type fakeKeyring struct {
	m    map[string]string
	fail bool
}

func newFakeKeyring() *fakeKeyring { return &fakeKeyring{m: map[string]string{}} }

var errNoService = errors.New("org.freedesktop.secrets was not provided by any .service files")

func (f *fakeKeyring) Set(service, user, pw string) error {
	if f.fail {
		return errNoService
	}
	f.m[service+"|"+user] = pw
	return nil
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	if f.fail {
		return "", errNoService
	}
	pw, ok := f.m[service+"|"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return pw, nil
}

func (f *fakeKeyring) Delete(service, user string) error {
	if f.fail {
		return errNoService
	}
	if _, ok := f.m[service+"|"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.m, service+"|"+user)
	return nil
}

func (f *fakeKeyring) DeleteAll(string) error { return nil }

// fileHas reports whether any file of dir contains s.
func fileHas(t *testing.T, dir, s string) []string {
	t.Helper()
	var in []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil && strings.Contains(string(b), s) {
			in = append(in, e.Name())
		}
	}
	return in
}

func TestPasswordGoesToKeychainNotToFiles(t *testing.T) {
	dir := t.TempDir()
	kr := newFakeKeyring()
	s := NewStoreWithKeyring(dir, kr)
	if err := s.Save(Settings{Server: "pbx.example.com", User: "1001@acme.example", Password: "kala-kukko-42"}); err != nil {
		t.Fatal(err)
	}
	if got := s.PasswordLocation(); got != InKeychain {
		t.Fatalf("location %v, want keychain", got)
	}
	if pw := kr.m[KeyringService+"|1001@acme.example on pbx.example.com"]; pw != "kala-kukko-42" {
		t.Fatalf("keychain holds %q (all: %v)", pw, kr.m)
	}
	if in := fileHas(t, dir, "kala-kukko-42"); len(in) > 0 {
		t.Fatalf("password written to %v", in)
	}
	s2 := NewStoreWithKeyring(dir, kr)
	st, err := s2.Load()
	if err != nil || st.Password != "kala-kukko-42" || !st.CanAutoLogin() || s2.PasswordLocation() != InKeychain {
		t.Fatalf("load: %+v, %v, %v", st, err, s2.PasswordLocation())
	}
	// Log out forgets it.
	st.Password = ""
	if err := s2.Save(st); err != nil {
		t.Fatal(err)
	}
	if len(kr.m) != 0 || s2.PasswordLocation() != NotSaved {
		t.Fatalf("after logout the keychain holds %v (location %v)", kr.m, s2.PasswordLocation())
	}
}

func TestNoKeychainFallsBackToPrivateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Vaihde")
	kr := newFakeKeyring()
	kr.fail = true
	s := NewStoreWithKeyring(dir, kr)
	if err := s.Save(Settings{Server: "pbx.example.com", User: "1001", Password: "kala-kukko-42"}); err != nil {
		t.Fatal(err)
	}
	if got := s.PasswordLocation(); got != InFile {
		t.Fatalf("location %v, want file", got)
	}
	if in := fileHas(t, dir, "kala-kukko-42"); len(in) != 1 || in[0] != PasswordFileName {
		t.Fatalf("password found in %v, want only %s", in, PasswordFileName)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(s.PasswordFile())
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("password file: %v, %v", fi, err)
		}
	}
	st, err := NewStoreWithKeyring(dir, kr).Load()
	if err != nil || st.Password != "kala-kukko-42" {
		t.Fatalf("load: %+v, %v", st, err)
	}
	// A keychain appears later (the desktop's Secret Service started): the password moves
	// into it at the next save and leaves the file.
	kr.fail = false
	s3 := NewStoreWithKeyring(dir, kr)
	st, _ = s3.Load()
	if s3.PasswordLocation() != InFile {
		t.Fatalf("found in %v, want file", s3.PasswordLocation())
	}
	if err := s3.Save(st); err != nil {
		t.Fatal(err)
	}
	if s3.PasswordLocation() != InKeychain || len(fileHas(t, dir, "kala-kukko-42")) != 0 {
		t.Fatalf("after save: %v, files %v", s3.PasswordLocation(), fileHas(t, dir, "kala-kukko-42"))
	}
	if _, err := os.Stat(s.PasswordFile()); !os.IsNotExist(err) {
		t.Fatalf("the empty password file should be gone: %v", err)
	}
}

func TestLegacyPasswordMovesOutOfSettingsFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kr    *fakeKeyring
		where Location
	}{{"keychain", newFakeKeyring(), InKeychain}, {"no keychain", &fakeKeyring{fail: true}, InFile}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			old := `{"server":"pbx.example.com","user":"1001","password":"kala-kukko-42","language":"fi"}`
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(old), 0o600); err != nil {
				t.Fatal(err)
			}
			s := NewStoreWithKeyring(dir, tc.kr)
			st, err := s.Load()
			if err != nil || st.Password != "kala-kukko-42" || st.Language != "fi" || s.PasswordLocation() != tc.where {
				t.Fatalf("load: %+v, %v, %v", st, err, s.PasswordLocation())
			}
			b, _ := os.ReadFile(s.Path())
			if strings.Contains(string(b), "kala-kukko-42") || strings.Contains(string(b), `"password"`) {
				t.Fatalf("settings file still holds the password: %s", b)
			}
			st, err = NewStoreWithKeyring(dir, tc.kr).Load()
			if err != nil || st.Password != "kala-kukko-42" || st.User != "1001" {
				t.Fatalf("reload: %+v, %v", st, err)
			}
		})
	}
}

func TestChangedAccountForgetsOldPassword(t *testing.T) {
	dir := t.TempDir()
	kr := newFakeKeyring()
	s := NewStoreWithKeyring(dir, kr)
	if err := s.Save(Settings{Server: "a.example", User: "1001", Password: "one"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(Settings{Server: "b.example", User: "2001", Password: "two"}); err != nil {
		t.Fatal(err)
	}
	if len(kr.m) != 1 || kr.m[KeyringService+"|2001 on b.example"] != "two" {
		t.Fatalf("keychain %v", kr.m)
	}
}

// TestSystemKeyringThroughGoKeyring drives the real go-keyring API with its mock provider,
// both working and failing as on a machine without a Secret Service.
func TestSystemKeyringThroughGoKeyring(t *testing.T) {
	defer keyring.MockInit()
	dir := t.TempDir()
	s := NewStore(dir)
	if err := s.Save(Settings{Server: "pbx.example.com", User: "1001", Password: "kala-kukko-42"}); err != nil {
		t.Fatal(err)
	}
	if pw, err := keyring.Get(KeyringService, "1001 on pbx.example.com"); err != nil || pw != "kala-kukko-42" || s.PasswordLocation() != InKeychain {
		t.Fatalf("go-keyring: %q, %v, %v", pw, err, s.PasswordLocation())
	}
	keyring.MockInitWithError(errNoService)
	dir2 := t.TempDir()
	s2 := NewStore(dir2)
	if err := s2.Save(Settings{Server: "pbx.example.com", User: "1001", Password: "kala-kukko-42"}); err != nil {
		t.Fatal(err)
	}
	if s2.PasswordLocation() != InFile {
		t.Fatalf("without a keychain: %v", s2.PasswordLocation())
	}
}

// countingKeyring counts writes, to show that saving other settings leaves the keychain alone.
type countingKeyring struct {
	*fakeKeyring
	sets int
}

func (c *countingKeyring) Set(service, user, pw string) error {
	c.sets++
	return c.fakeKeyring.Set(service, user, pw)
}

func TestSavingOtherSettingsDoesNotRewriteThePassword(t *testing.T) {
	kr := &countingKeyring{fakeKeyring: newFakeKeyring()}
	s := NewStoreWithKeyring(t.TempDir(), kr)
	st := Settings{Server: "pbx.example.com", User: "1001", Password: "kala-kukko-42"}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		st.Audio.SetVolume(float64(i) / 4)
		if err := s.Save(st); err != nil {
			t.Fatal(err)
		}
	}
	if kr.sets != 1 || s.PasswordLocation() != InKeychain {
		t.Fatalf("keychain written %d times (location %v), want once", kr.sets, s.PasswordLocation())
	}
	st.Password = "uusi-salasana-7"
	if err := s.Save(st); err != nil || kr.sets != 2 {
		t.Fatalf("a new password: %v, %d writes", err, kr.sets)
	}
	got, err := NewStoreWithKeyring(filepath.Dir(s.PasswordFile()), kr).Load()
	if err != nil || got.Password != "uusi-salasana-7" {
		t.Fatalf("reload: %+v %v", got, err)
	}
}
