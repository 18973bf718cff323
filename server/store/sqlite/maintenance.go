package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// DataVersion returns SQLite's data_version of the writer connection: it changes whenever
// another connection — in practice another process, such as the `vaihde user` command —
// commits to the database, and not for this store's own writes. The server polls it to see
// changes made behind its back.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.w.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: data version: %w", err)
	}
	return v, nil
}

// BackupTo writes a consistent copy of the database to path (VACUUM INTO), which must not
// exist. It reads one snapshot, so it may run while another process (the server) writes to the
// database; in this process it holds the writer connection until done (the reader pool is
// query-only, which VACUUM refuses).
func (s *Store) BackupTo(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("sqlite: backup to %s: file exists", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	if _, err := s.w.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	return nil
}

// Check runs SQLite's integrity check and reports the first problem.
func (s *Store) Check(ctx context.Context) error {
	var res string
	if err := s.r.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return fmt.Errorf("sqlite: check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("sqlite: check: %s", res)
	}
	return nil
}
