// Package settings owns the Softphone's remembered choices: the account the user logged in with
// (seed 000: server address, user name, password) and the audio devices (headset for talking,
// headset or computer speaker for ringing). They are kept as JSON in the user's configuration
// directory, readable only by the user; the password never is: it goes to the OS keychain
// (go-keyring: Secret Service, macOS Keychain, Windows Credential Manager), or to a separate
// 0600 file where no keychain answers, and the Store says which (PasswordLocation).
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/zalando/go-keyring"
)

// FileName is the name of the settings file inside the settings directory.
const FileName = "softphone.json"

// DefaultRingVolume is the ring volume used until the user picks one.
const DefaultRingVolume = 0.8

// Settings is everything the Softphone remembers between runs.
type Settings struct {
	Server string `json:"server,omitempty"`
	// APIURL is the server's HTTP API when it is not at the default derived from Server
	// (http://host:8080); there is no field for it in the login form.
	APIURL string `json:"api_url,omitempty"`
	User   string `json:"user,omitempty"`
	// Password is remembered so that the Softphone can log in automatically at start, as the
	// user expects (seed 000); Log out forgets it. It is never written into the settings file:
	// Save puts it into the keychain (or the fallback file) under the server and user.
	Password string `json:"-"`
	// Transport is the SIP transport, "udp" (empty), "tcp" or "tls"; SRTP encrypts the calls'
	// media (it needs "tls"). Both apply at the next login.
	Transport string `json:"transport,omitempty"`
	SRTP      bool   `json:"srtp,omitempty"`
	// TLSCA is a PEM file of certificates to trust for the server besides the system's, for
	// a server with a self-signed certificate.
	TLSCA string `json:"tls_ca,omitempty"`
	// Language is "en", "fi" or "sv"; empty means the system language.
	Language string `json:"language,omitempty"`
	Audio    Audio  `json:"audio"`
	// CloseToTray keeps the Softphone running in the system tray when its window is closed
	// (calls still ring); nil means the default, on. It only applies where a tray exists.
	CloseToTray *bool `json:"close_to_tray,omitempty"`
}

// KeepInTray reports whether closing the window only hides it (the default).
func (s Settings) KeepInTray() bool { return s.CloseToTray == nil || *s.CloseToTray }

// SetKeepInTray remembers the close-to-tray choice.
func (s *Settings) SetKeepInTray(on bool) { s.CloseToTray = &on }

// Audio holds the chosen devices by name; an empty name means the system default device.
type Audio struct {
	Microphone string `json:"microphone,omitempty"`
	Speaker    string `json:"speaker,omitempty"`
	// Ringer is the device that plays the ring tone: the headset, or the computer speaker so
	// that a ringing call is heard while the headset is off (seed 000).
	Ringer string `json:"ringer,omitempty"`
	// AlsoRing are further devices that ring at the same time as Ringer ("" = the system
	// default), so that both the speaker and the headset ring; empty: Ringer only.
	AlsoRing []string `json:"also_ring,omitempty"`
	// RingVolume is 0…1; nil means DefaultRingVolume.
	RingVolume *float64 `json:"ring_volume,omitempty"`
}

// RingDevices returns every device that rings, Ringer first, each once.
func (a Audio) RingDevices() []string {
	out := []string{a.Ringer}
	for _, d := range a.AlsoRing {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// Volume returns the ring volume with the default applied, clamped to 0…1.
func (a Audio) Volume() float64 {
	if a.RingVolume == nil {
		return DefaultRingVolume
	}
	return min(max(*a.RingVolume, 0), 1)
}

// SetVolume stores v (clamped to 0…1) as the ring volume.
func (a *Audio) SetVolume(v float64) {
	v = min(max(v, 0), 1)
	a.RingVolume = &v
}

// CanAutoLogin reports whether the account is complete enough to log in without asking.
func (s Settings) CanAutoLogin() bool {
	return s.Server != "" && s.User != "" && s.Password != ""
}

// DefaultDir is where the settings live unless the user says otherwise:
// os.UserConfigDir()/Vaihde (e.g. ~/.config/Vaihde, %AppData%\Vaihde,
// ~/Library/Application Support/Vaihde).
func DefaultDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find user config dir: %w", err)
	}
	return filepath.Join(base, "Vaihde"), nil
}

// Store reads and writes one settings file and the password beside it. It is safe for
// concurrent use.
type Store struct {
	mu    sync.Mutex
	path  string
	vault vault
	where Location // where the password of the last Load or Save is
	saved string   // the keychain account of the password last saved, to forget it on change
	// known is the password last loaded or saved for saved, so that saving other settings
	// (a ring volume) does not write the keychain again.
	known string
}

// NewStore returns a store for dir/softphone.json with the password in the OS keychain,
// falling back to dir/softphone.password. The directory is created on first Save.
func NewStore(dir string) *Store { return NewStoreWithKeyring(dir, SystemKeyring{}) }

// NewStoreWithKeyring is NewStore with another keychain; nil means none (the file only).
// Tests use it with a fake keyring.
func NewStoreWithKeyring(dir string, kr keyring.Keyring) *Store {
	return &Store{path: filepath.Join(dir, FileName), vault: vault{kr: kr, file: filepath.Join(dir, PasswordFileName)}}
}

// Path is the settings file's location.
func (s *Store) Path() string { return s.path }

// PasswordFile is where the password is kept when no keychain answers.
func (s *Store) PasswordFile() string { return s.vault.file }

// PasswordLocation says where the password of the last Load or Save is kept.
func (s *Store) PasswordLocation() Location {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.where
}

// secretAccount names the password of one login in the keychain.
func secretAccount(st Settings) string { return st.User + " on " + st.Server }

// Load returns the saved settings with the remembered password; a missing file gives zero
// settings and no error. A password found in the settings file (written by versions before
// the keychain) is moved to the keychain and removed from the file.
func (s *Store) Load() (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st Settings
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.where = NotSaved
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return Settings{}, fmt.Errorf("parse settings %s: %w", s.path, err)
	}
	var legacy struct {
		Password string `json:"password"`
	}
	_ = json.Unmarshal(b, &legacy) // the same bytes parsed above
	if legacy.Password != "" {
		st.Password = legacy.Password
		if err := s.saveLocked(st); err != nil {
			return st, fmt.Errorf("move the password out of the settings file: %w", err)
		}
		return st, nil
	}
	if st.User == "" || st.Server == "" {
		s.where = NotSaved
		return st, nil
	}
	pw, where, err := s.vault.get(secretAccount(st))
	if err != nil {
		return st, err
	}
	st.Password, s.where, s.saved, s.known = pw, where, secretAccount(st), pw
	return st, nil
}

// Save writes the settings atomically (temporary file, then rename) with mode 0600, and
// the password to the keychain (or the fallback file); an empty password is forgotten.
func (s *Store) Save(st Settings) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveLocked(st)
}

func (s *Store) saveLocked(st Settings) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	account := secretAccount(st)
	if s.saved != "" && s.saved != account {
		if err := s.vault.delete(s.saved); err != nil {
			return err
		}
	}
	// Unchanged and where it belongs: nothing to write. A password in the file is offered to
	// the keychain again, which may have started since.
	settled := s.where == InKeychain || s.where == InFile && s.vault.kr == nil || s.where == NotSaved && st.Password == ""
	unchanged := s.saved == account && s.known == st.Password && settled
	s.saved = account
	switch {
	case unchanged:
	case st.Password == "":
		s.where, s.known = NotSaved, ""
		if err := s.vault.delete(account); err != nil {
			return err
		}
	default:
		// The password first: a settings file without one is harmless, a lost one is not.
		where, err := s.vault.set(account, st.Password)
		if err != nil {
			return err
		}
		s.where, s.known = where, st.Password
	}
	if err := writeAtomic(s.path, append(b, '\n')); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}

// Update loads the settings, applies fn and saves the result.
func (s *Store) Update(fn func(*Settings)) error {
	st, err := s.Load()
	if err != nil {
		return err
	}
	fn(&st)
	return s.Save(st)
}
