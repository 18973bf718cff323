package voicemail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/shared/api"
)

const greetingPrefix = "greeting-" // a user's own greeting: greeting-<random>.wav

// ErrBadPIN is returned for a PIN that is not 4 to 8 digits.
var ErrBadPIN = errors.New("voicemail: a PIN is 4 to 8 digits")

// SaveGreeting stores the user's own greeting (VM-2 key 5) durably, points the settings at it
// and then removes the previous one, so a crash leaves either the old or the new greeting.
func (m *Mailbox) SaveGreeting(ctx context.Context, userID int64, r io.Reader) error {
	const op = "voicemail: save greeting"
	dirRel := strconv.FormatInt(userID, 10)
	dir := filepath.Join(m.root, dirRel)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	vs, err := m.st.VoicemailSettings(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	name := greetingPrefix + randHex() + ".wav"
	if _, err := m.writeDurably(dir, name, r); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	old := vs.GreetingPath
	vs.GreetingPath = path.Join(dirRel, name)
	vs.UpdatedAt = time.Now()
	if err := m.st.PutVoicemailSettings(ctx, vs); err != nil {
		os.Remove(filepath.Join(dir, name))
		return fmt.Errorf("%s: %w", op, err)
	}
	m.removeGreeting(old)
	return nil
}

// DeleteGreeting returns the user to the generated default greeting (VM-2 key 6).
func (m *Mailbox) DeleteGreeting(ctx context.Context, userID int64) error {
	const op = "voicemail: delete greeting"
	vs, err := m.st.VoicemailSettings(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if vs.GreetingPath == "" {
		return nil
	}
	old := vs.GreetingPath
	vs.GreetingPath = ""
	vs.UpdatedAt = time.Now()
	if err := m.st.PutVoicemailSettings(ctx, vs); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	m.removeGreeting(old)
	return nil
}

// Greeting returns the absolute path of the user's own greeting, "" when they have none.
func (m *Mailbox) Greeting(ctx context.Context, userID int64) (string, error) {
	vs, err := m.st.VoicemailSettings(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("voicemail: greeting: %w", err)
	}
	if vs.GreetingPath == "" {
		return "", nil
	}
	return filepath.Join(m.root, filepath.FromSlash(vs.GreetingPath)), nil
}

// removeGreeting removes a greeting file no longer referenced; only greeting files under the
// root, whatever the stored path says.
func (m *Mailbox) removeGreeting(rel string) {
	if rel == "" || !strings.HasPrefix(path.Base(rel), greetingPrefix) || strings.Contains(rel, "..") {
		return
	}
	if err := os.Remove(filepath.Join(m.root, filepath.FromSlash(rel))); err != nil && !errors.Is(err, os.ErrNotExist) {
		m.log.Warn("remove old greeting", "file", rel, "error", err)
	}
}

// SetPIN stores a bcrypt hash of the user's mailbox PIN (VM-1: mailbox and PIN from another
// phone).
func (m *Mailbox) SetPIN(ctx context.Context, userID int64, pin string) error {
	const op = "voicemail: set pin"
	if !api.ValidPIN(pin) {
		return fmt.Errorf("%s: %w", op, ErrBadPIN)
	}
	h, err := auth.HashPassword(pin)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	vs, err := m.st.VoicemailSettings(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	vs.PINHash = h
	vs.UpdatedAt = time.Now()
	if err := m.st.PutVoicemailSettings(ctx, vs); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// CheckPIN reports whether pin opens the user's mailbox; a mailbox without a PIN cannot be
// opened from another phone.
func (m *Mailbox) CheckPIN(ctx context.Context, userID int64, pin string) (bool, error) {
	vs, err := m.st.VoicemailSettings(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("voicemail: check pin: %w", err)
	}
	return api.ValidPIN(pin) && auth.CheckPassword(vs.PINHash, pin), nil
}
