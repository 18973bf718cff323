package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name the password is filed under in the OS keychain.
const KeyringService = "Vaihde Softphone"

// PasswordFileName is the fallback password file inside the settings directory, used only
// where no keychain answers (e.g. Linux without a Secret Service).
const PasswordFileName = "softphone.password"

// keychainTimeout bounds one keychain call: a D-Bus session without a Secret Service can
// leave a call waiting for service activation far longer than a login should take.
const keychainTimeout = 3 * time.Second

// Location says where the password is kept.
type Location int

const (
	// NotSaved: no password is remembered.
	NotSaved Location = iota
	// InKeychain: the OS keychain (Secret Service, macOS Keychain, Windows Credential Manager).
	InKeychain
	// InFile: PasswordFileName, mode 0600, because no keychain was found.
	InFile
)

func (l Location) String() string {
	switch l {
	case InKeychain:
		return "keychain"
	case InFile:
		return "file"
	}
	return "not saved"
}

// SystemKeyring is the OS keychain through go-keyring. Tests replace the process-wide
// provider with keyring.MockInit / MockInitWithError.
type SystemKeyring struct{}

var _ keyring.Keyring = SystemKeyring{}

// Set implements keyring.Keyring.
func (SystemKeyring) Set(service, user, password string) error {
	return bounded(func() error { return keyring.Set(service, user, password) })
}

// Get implements keyring.Keyring.
func (SystemKeyring) Get(service, user string) (string, error) {
	var pw string
	err := bounded(func() (err error) { pw, err = keyring.Get(service, user); return err })
	return pw, err
}

// Delete implements keyring.Keyring.
func (SystemKeyring) Delete(service, user string) error {
	return bounded(func() error { return keyring.Delete(service, user) })
}

// DeleteAll implements keyring.Keyring.
func (SystemKeyring) DeleteAll(service string) error {
	return bounded(func() error { return keyring.DeleteAll(service) })
}

var errKeychainTimeout = errors.New("settings: the keychain did not answer")

// bounded runs f with keychainTimeout. go-keyring cannot be cancelled: on timeout the
// goroutine is left to finish on its own (it owns nothing but its result channel).
func bounded(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(keychainTimeout):
		return errKeychainTimeout
	}
}

// vault keeps passwords in a keychain and, where none answers, in a 0600 file. It is used
// under Store's mutex.
type vault struct {
	kr   keyring.Keyring // nil: no keychain at all
	file string
}

// get returns the password of account and where it was found; ("", NotSaved) when none.
func (v vault) get(account string) (string, Location, error) {
	if v.kr != nil {
		pw, err := v.kr.Get(KeyringService, account)
		if err == nil {
			return pw, InKeychain, nil
		}
		// Not found or no keychain: the password may still be in the file of a run without one.
	}
	m, err := v.readFile()
	if err != nil {
		return "", NotSaved, err
	}
	if pw, ok := m[account]; ok {
		return pw, InFile, nil
	}
	return "", NotSaved, nil
}

// set stores the password of account in the keychain, else in the file.
func (v vault) set(account, password string) (Location, error) {
	if v.kr != nil {
		if err := v.kr.Set(KeyringService, account, password); err == nil {
			// A copy left in the file from a run without a keychain would outlive Log out.
			if err := v.deleteFromFile(account); err != nil {
				return InKeychain, err
			}
			return InKeychain, nil
		}
	}
	m, err := v.readFile()
	if err != nil {
		return NotSaved, err
	}
	m[account] = password
	if err := v.writeFile(m); err != nil {
		return NotSaved, err
	}
	return InFile, nil
}

// delete forgets the password of account wherever it is.
func (v vault) delete(account string) error {
	if v.kr != nil {
		// Not found, or no keychain: either way nothing is left there; the file is next.
		_ = v.kr.Delete(KeyringService, account)
	}
	return v.deleteFromFile(account)
}

func (v vault) deleteFromFile(account string) error {
	m, err := v.readFile()
	if err != nil {
		return err
	}
	if _, ok := m[account]; !ok {
		return nil
	}
	delete(m, account)
	if len(m) == 0 {
		if err := os.Remove(v.file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove password file: %w", err)
		}
		return nil
	}
	return v.writeFile(m)
}

func (v vault) readFile() (map[string]string, error) {
	m := map[string]string{}
	b, err := os.ReadFile(v.file)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read password file: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse password file %s: %w", v.file, err)
	}
	return m, nil
}

func (v vault) writeFile(m map[string]string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode password file: %w", err)
	}
	return writeAtomic(v.file, append(b, '\n'))
}

// writeAtomic writes b to path through a 0600 temporary file and a rename, creating the
// directory with mode 0700.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	name := filepath.Base(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create settings dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temp file for %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", name, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", name, err)
	}
	return nil
}
