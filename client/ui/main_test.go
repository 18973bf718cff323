package ui

import (
	"errors"
	"os"
	"testing"

	"github.com/zalando/go-keyring"
)

// TestMain keeps the tests away from the machine's keychain: by default there is none, so
// every password goes to the 0600 file of the test's own settings directory.
func TestMain(m *testing.M) {
	keyring.MockInitWithError(errNoKeychain)
	os.Exit(m.Run())
}

var errNoKeychain = errors.New("test: no keychain")
