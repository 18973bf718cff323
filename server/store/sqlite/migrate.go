package sqlite

import (
	"context"
	"fmt"
	"time"
)

// migrations are applied in order; each runs once, recorded in schema_migrations by its
// version (index + 1). Never edit a released migration: append a new one.
var migrations = []string{
	// 1: organisations, users, bindings, call log.
	`CREATE TABLE orgs (
		id INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		domain TEXT NOT NULL UNIQUE,
		country_code TEXT NOT NULL DEFAULT '',
		switchboard TEXT NOT NULL DEFAULT '',
		demo INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE users (
		id INTEGER PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		extension TEXT NOT NULL,
		name TEXT NOT NULL DEFAULT '',
		company_number TEXT,
		mobile_number TEXT,
		email TEXT NOT NULL DEFAULT '',
		language TEXT NOT NULL DEFAULT 'en',
		ha1_md5 TEXT NOT NULL DEFAULT '',
		ha1_sha256 TEXT NOT NULL DEFAULT '',
		password_hash TEXT NOT NULL DEFAULT '',
		UNIQUE (org_id, extension)
	);
	CREATE UNIQUE INDEX users_company_number ON users(org_id, company_number);
	CREATE UNIQUE INDEX users_mobile_number ON users(org_id, mobile_number);
	CREATE TABLE bindings (
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		contact TEXT NOT NULL,
		source TEXT NOT NULL DEFAULT '',
		call_id TEXT NOT NULL DEFAULT '',
		cseq INTEGER NOT NULL DEFAULT 0,
		expires INTEGER NOT NULL,
		user_agent TEXT NOT NULL DEFAULT '',
		instance_id TEXT NOT NULL DEFAULT '',
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (user_id, contact)
	);
	CREATE INDEX bindings_expires ON bindings(expires);
	CREATE TABLE calls (
		id INTEGER PRIMARY KEY,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		call_id TEXT NOT NULL DEFAULT '',
		direction TEXT NOT NULL,
		peer TEXT NOT NULL DEFAULT '',
		peer_name TEXT NOT NULL DEFAULT '',
		outcome TEXT NOT NULL,
		started_at INTEGER NOT NULL,
		answered_at INTEGER NOT NULL DEFAULT 0,
		ended_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX calls_user_started ON calls(user_id, started_at DESC);`,
}

// SchemaVersion is the schema version this build migrates to.
var SchemaVersion = len(migrations)

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("sqlite: migrate: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("sqlite: migrate: database schema version %d is newer than this build (%d)", current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlite: migrate %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migrate %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, time.Now().Unix()); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migrate %d: record: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: migrate %d: commit: %w", v, err)
		}
	}
	return nil
}
