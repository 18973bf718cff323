package backup

import (
	"errors"
	"fmt"
	"os"
)

// ErrLive means a running server holds the database's lock.
var ErrLive = errors.New("a running vaihde server uses this database")

// LockPath is the lock file of the database at dbPath: the server holds an exclusive flock on
// it for as long as it runs, and restore takes it to know that no server is live.
func LockPath(dbPath string) string { return dbPath + ".lock" }

// Lock is a held database lock.
type Lock struct{ f *os.File }

// Acquire takes the database's lock without waiting; ErrLive (wrapped) when a running server
// holds it. The lock ends with Close or with the process, however it ends.
func Acquire(dbPath string) (*Lock, error) {
	p := LockPath(dbPath)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("backup: lock %s: %w", p, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("backup: lock %s: %w", p, err)
	}
	// The holder's PID is for people looking at the file; the flock is what counts.
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return &Lock{f: f}, nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
