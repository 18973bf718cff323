// Package settings owns the Softphone's remembered choices: the account the user logged in with
// (seed 000: server address, user name, password) and the audio devices (headset for talking,
// headset or computer speaker for ringing). They are kept as JSON in the user's configuration
// directory, readable only by the user.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
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
	// Password is stored in clear text so that the Softphone can log in automatically at start,
	// as the user expects (seed 000). The file is created with mode 0600 in a 0700 directory;
	// Log out removes it.
	Password string `json:"password,omitempty"`
	// Language is "en", "fi" or "sv"; empty means the system language.
	Language string `json:"language,omitempty"`
	Audio    Audio  `json:"audio"`
}

// Audio holds the chosen devices by name; an empty name means the system default device.
type Audio struct {
	Microphone string `json:"microphone,omitempty"`
	Speaker    string `json:"speaker,omitempty"`
	// Ringer is the device that plays the ring tone: the headset, or the computer speaker so
	// that a ringing call is heard while the headset is off (seed 000).
	Ringer string `json:"ringer,omitempty"`
	// RingVolume is 0…1; nil means DefaultRingVolume.
	RingVolume *float64 `json:"ring_volume,omitempty"`
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

// Store reads and writes one settings file. It is safe for concurrent use.
type Store struct {
	mu   sync.Mutex
	path string
}

// NewStore returns a store for dir/softphone.json. The directory is created on first Save.
func NewStore(dir string) *Store {
	return &Store{path: filepath.Join(dir, FileName)}
}

// Path is the settings file's location.
func (s *Store) Path() string { return s.path }

// Load returns the saved settings; a missing file gives zero settings and no error.
func (s *Store) Load() (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st Settings
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return Settings{}, fmt.Errorf("parse settings %s: %w", s.path, err)
	}
	return st, nil
}

// Save writes the settings atomically (temporary file, then rename) with mode 0600.
func (s *Store) Save(st Settings) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create settings dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, FileName+".*.tmp")
	if err != nil {
		return fmt.Errorf("create settings temp file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod settings: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write settings: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close settings: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("replace settings: %w", err)
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
