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

	// 2: directory fields, presence, activities, contacts, instant messages, SMS (issue 3).
	`ALTER TABLE users ADD COLUMN department TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN title TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN keywords TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orgs ADD COLUMN show_roles INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orgs ADD COLUMN sms_sender TEXT NOT NULL DEFAULT '';
	CREATE TABLE presence (
		user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
		activity INTEGER NOT NULL,
		role INTEGER NOT NULL,
		until INTEGER NOT NULL DEFAULT 0,
		note TEXT NOT NULL DEFAULT '',
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE activities (
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		number INTEGER NOT NULL,
		name_fi TEXT NOT NULL DEFAULT '',
		name_sv TEXT NOT NULL DEFAULT '',
		name_en TEXT NOT NULL DEFAULT '',
		green INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (org_id, number)
	);
	CREATE TABLE contacts (
		id INTEGER PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		owner_id INTEGER NOT NULL DEFAULT 0,
		user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
		name TEXT NOT NULL DEFAULT '',
		company TEXT NOT NULL DEFAULT '',
		mobile TEXT NOT NULL DEFAULT '',
		phone TEXT NOT NULL DEFAULT '',
		email TEXT NOT NULL DEFAULT '',
		favourite INTEGER NOT NULL DEFAULT 0,
		vip INTEGER NOT NULL DEFAULT 0,
		groups TEXT NOT NULL DEFAULT '',
		note TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX contacts_owner ON contacts(org_id, owner_id);
	CREATE TABLE messages (
		id INTEGER PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		from_user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		to_user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		body TEXT NOT NULL,
		content_type TEXT NOT NULL DEFAULT 'text/plain',
		sent_at INTEGER NOT NULL,
		delivered_at INTEGER NOT NULL DEFAULT 0,
		read_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX messages_to_delivered ON messages(to_user_id, delivered_at, id);
	CREATE INDEX messages_pair ON messages(from_user_id, to_user_id, id);
	CREATE TABLE sms (
		id INTEGER PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		user_id INTEGER NOT NULL DEFAULT 0,
		sender TEXT NOT NULL DEFAULT '',
		recipient TEXT NOT NULL,
		body TEXT NOT NULL,
		parts INTEGER NOT NULL,
		status TEXT NOT NULL DEFAULT '',
		provider_id TEXT NOT NULL DEFAULT '',
		sent_at INTEGER NOT NULL
	);
	CREATE INDEX sms_org_sent ON sms(org_id, sent_at);`,
	// 3: voicemail mailboxes and settings (issue 4).
	`CREATE TABLE voicemails (
		id INTEGER PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		kind TEXT NOT NULL DEFAULT 'voice',
		caller TEXT NOT NULL DEFAULT '',
		caller_name TEXT NOT NULL DEFAULT '',
		received_at INTEGER NOT NULL,
		duration_ms INTEGER NOT NULL DEFAULT 0,
		path TEXT NOT NULL UNIQUE,
		heard_at INTEGER NOT NULL DEFAULT 0,
		urgent INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX voicemails_user_received ON voicemails(user_id, received_at DESC, id DESC);
	CREATE TABLE voicemail_settings (
		user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
		enabled INTEGER NOT NULL DEFAULT 1,
		pin_hash TEXT NOT NULL DEFAULT '',
		greeting_path TEXT NOT NULL DEFAULT '',
		notify TEXT NOT NULL DEFAULT 'sms',
		announce_activity INTEGER NOT NULL DEFAULT 0,
		customer_service TEXT NOT NULL DEFAULT '',
		offer_bypass INTEGER NOT NULL DEFAULT 0,
		updated_at INTEGER NOT NULL
	);`,
	// 4: personal call routing (issue 4).
	`CREATE TABLE forwarding (
		user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
		immediate TEXT NOT NULL DEFAULT '',
		busy TEXT NOT NULL DEFAULT '',
		no_answer TEXT NOT NULL DEFAULT '',
		unreachable TEXT NOT NULL DEFAULT '',
		ring_ms INTEGER NOT NULL DEFAULT 0,
		activities TEXT NOT NULL DEFAULT '{}',
		hours TEXT NOT NULL DEFAULT '',
		updated_at INTEGER NOT NULL
	);
	ALTER TABLE orgs ADD COLUMN voicemail_number TEXT NOT NULL DEFAULT '';
	ALTER TABLE orgs ADD COLUMN activity_number TEXT NOT NULL DEFAULT '';`,
	// 5: provisioning (issue 9): organisation time zone, barring, call limits, emergency
	// numbers, licences; users' add-on roles, terminals, barring, emergency area; DIDs; audit log.
	`ALTER TABLE orgs ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
	ALTER TABLE orgs ADD COLUMN bar_international INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orgs ADD COLUMN bar_premium INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orgs ADD COLUMN max_outside_calls INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orgs ADD COLUMN max_outside_calls_per_user INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orgs ADD COLUMN emergency_numbers TEXT NOT NULL DEFAULT '';
	ALTER TABLE orgs ADD COLUMN agent_licences INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orgs ADD COLUMN supervisor_licences INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orgs ADD COLUMN operator_licences INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN agent INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN supervisor INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN operator INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN terminals TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN bar_outside INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN bar_international INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN emergency_area TEXT NOT NULL DEFAULT '';
	CREATE TABLE dids (
		number TEXT PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		extension TEXT NOT NULL DEFAULT '',
		note TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX dids_org ON dids(org_id, number);
	CREATE TABLE audit (
		id INTEGER PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		actor_id INTEGER NOT NULL DEFAULT 0,
		actor TEXT NOT NULL DEFAULT '',
		at INTEGER NOT NULL,
		action TEXT NOT NULL,
		target TEXT NOT NULL DEFAULT '',
		old TEXT NOT NULL DEFAULT '',
		new TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX audit_org ON audit(org_id, at DESC, id DESC);`,
	// 6: IDs of deleted users are never given again (issue 9): mailbox directories, caches and
	// sessions are keyed by user ID, and users has no AUTOINCREMENT to prevent SQLite from
	// reusing the highest rowid.
	`CREATE TABLE retired_user_ids (id INTEGER PRIMARY KEY);`,
	// 7: groups (issue 10): customer-service queues, hunt groups and IVR menus in one table so
	// that one number is never two groups' (UNIQUE (org_id, number)); settings as JSON (every
	// field of store.Queue / HuntGroup / Menu except the columns); members with order and skill,
	// supervisors, agents' durable logins, callbacks (durable: they survive a restart) and
	// finished queue calls. The triggers keep a number from being a user's and a group's at
	// once whichever is written second, and keep a group's DID in the pool.
	`CREATE TABLE groups (
		id INTEGER PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		kind TEXT NOT NULL CHECK (kind IN ('queue', 'hunt', 'menu')),
		name TEXT NOT NULL,
		number TEXT NOT NULL,
		settings TEXT NOT NULL DEFAULT '{}',
		UNIQUE (org_id, number)
	);
	CREATE INDEX groups_org_kind ON groups(org_id, kind, name);
	CREATE TABLE group_members (
		group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		position INTEGER NOT NULL,
		ord INTEGER NOT NULL DEFAULT 0,
		skill INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (group_id, user_id)
	);
	CREATE INDEX group_members_user ON group_members(user_id);
	CREATE TABLE group_supervisors (
		group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		PRIMARY KEY (group_id, user_id)
	);
	CREATE INDEX group_supervisors_user ON group_supervisors(user_id);
	CREATE TABLE agent_logins (
		queue_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		logged_in INTEGER NOT NULL,
		at INTEGER NOT NULL,
		PRIMARY KEY (queue_id, user_id)
	);
	CREATE INDEX agent_logins_org ON agent_logins(org_id);
	CREATE TABLE callbacks (
		id INTEGER PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		queue_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
		number TEXT NOT NULL,
		name TEXT NOT NULL DEFAULT '',
		queued INTEGER NOT NULL,
		expires INTEGER NOT NULL DEFAULT 0,
		attempts INTEGER NOT NULL DEFAULT 0,
		state TEXT NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX callbacks_open ON callbacks(state, queued, id);
	CREATE TABLE queue_calls (
		id INTEGER PRIMARY KEY,
		org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
		queue_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
		caller TEXT NOT NULL DEFAULT '',
		agent_id INTEGER NOT NULL DEFAULT 0,
		entered INTEGER NOT NULL,
		answered INTEGER NOT NULL DEFAULT 0,
		ended INTEGER NOT NULL DEFAULT 0,
		outcome TEXT NOT NULL
	);
	CREATE INDEX queue_calls_queue_entered ON queue_calls(queue_id, entered, id);
	CREATE TRIGGER users_insert_not_group BEFORE INSERT ON users
	WHEN EXISTS (SELECT 1 FROM groups WHERE org_id = NEW.org_id AND number IN (NEW.extension, NEW.company_number, NEW.mobile_number))
	BEGIN SELECT RAISE(ABORT, 'the number is a group''s'); END;
	CREATE TRIGGER users_update_not_group BEFORE UPDATE OF extension, company_number, mobile_number ON users
	WHEN EXISTS (SELECT 1 FROM groups WHERE org_id = NEW.org_id AND number IN (NEW.extension, NEW.company_number, NEW.mobile_number))
	BEGIN SELECT RAISE(ABORT, 'the number is a group''s'); END;
	CREATE TRIGGER dids_insert_not_group BEFORE INSERT ON dids
	WHEN NEW.extension != '' AND EXISTS (SELECT 1 FROM groups WHERE org_id = NEW.org_id AND number = NEW.number)
	BEGIN SELECT RAISE(ABORT, 'the number is a group''s'); END;
	CREATE TRIGGER dids_update_not_group BEFORE UPDATE ON dids
	WHEN NEW.extension != '' AND EXISTS (SELECT 1 FROM groups WHERE org_id = NEW.org_id AND number = NEW.number)
	BEGIN SELECT RAISE(ABORT, 'the number is a group''s'); END;
	CREATE TRIGGER dids_delete_not_group BEFORE DELETE ON dids
	WHEN EXISTS (SELECT 1 FROM groups WHERE org_id = OLD.org_id AND number = OLD.number)
	BEGIN SELECT RAISE(ABORT, 'the number is a group''s'); END;`,
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
