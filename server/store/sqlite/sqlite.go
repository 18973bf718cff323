// Package sqlite implements store.Store on an embedded SQLite database (modernc.org/sqlite,
// pure Go). Writes go through a single connection so that SQLite never has to arbitrate
// between writers; reads use a small pool of their own, which WAL mode lets run concurrently.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/vaihde/vaihde/server/store"
)

// Store is a store.Store on one SQLite database file. It is safe for concurrent use.
type Store struct {
	w *sql.DB // single writer connection
	r *sql.DB // reader pool

	putBinding *sql.Stmt // the registrar's hot path: prepared once
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// The path is part of a URI: '?', '#' and '%' in it must be escaped or the database lands
	// elsewhere.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{w: w}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open reader %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s.r = r
	s.putBinding, err = w.PrepareContext(ctx, putBindingSQL)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	return s, nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	var errs []error
	if s.putBinding != nil {
		errs = append(errs, s.putBinding.Close())
	}
	return errors.Join(append(errs, s.r.Close(), s.w.Close())...)
}

// mapErr turns SQLite constraint violations and empty results into store sentinels.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
			return fmt.Errorf("%s: %w: %v", op, store.ErrConflict, err)
		case 787: // SQLITE_CONSTRAINT_FOREIGNKEY: the referenced user or organisation does not exist
			return fmt.Errorf("%s: %w: %v", op, store.ErrNotFound, err)
		case 1811: // SQLITE_CONSTRAINT_TRIGGER: a number would be a user's and a group's (migration 7)
			return fmt.Errorf("%s: %w: %v", op, store.ErrConflict, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Times are stored as Unix nanoseconds; zero time as 0.
func toNS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// ---- organisations ----

const orgCols = "id, name, domain, country_code, switchboard, demo, show_roles, sms_sender, voicemail_number, activity_number, " +
	"time_zone, bar_international, bar_premium, max_outside_calls, max_outside_calls_per_user, emergency_numbers, " +
	"agent_licences, supervisor_licences, operator_licences"

func scanOrg(row interface{ Scan(...any) error }) (store.Org, error) {
	var o store.Org
	err := row.Scan(&o.ID, &o.Name, &o.Domain, &o.CountryCode, &o.Switchboard, &o.Demo, &o.ShowRoles, &o.SMSSender, &o.VoicemailNumber, &o.ActivityNumber,
		&o.TimeZone, &o.BarInternational, &o.BarPremium, &o.MaxOutsideCalls, &o.MaxOutsideCallsPerUser, &o.EmergencyNumbers,
		&o.AgentLicences, &o.SupervisorLicences, &o.OperatorLicences)
	return o, err
}

// CreateOrg inserts o and returns it with its ID.
func (s *Store) CreateOrg(ctx context.Context, o store.Org) (store.Org, error) {
	o.Domain = strings.ToLower(o.Domain)
	res, err := s.w.ExecContext(ctx,
		`INSERT INTO orgs (name, domain, country_code, switchboard, demo, show_roles, sms_sender, voicemail_number, activity_number,
		time_zone, bar_international, bar_premium, max_outside_calls, max_outside_calls_per_user, emergency_numbers,
		agent_licences, supervisor_licences, operator_licences)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Name, o.Domain, o.CountryCode, o.Switchboard, o.Demo, o.ShowRoles, o.SMSSender, o.VoicemailNumber, o.ActivityNumber,
		o.TimeZone, o.BarInternational, o.BarPremium, o.MaxOutsideCalls, o.MaxOutsideCallsPerUser, o.EmergencyNumbers,
		o.AgentLicences, o.SupervisorLicences, o.OperatorLicences)
	if err != nil {
		return store.Org{}, mapErr("sqlite: create org", err)
	}
	o.ID, err = res.LastInsertId()
	return o, mapErr("sqlite: create org", err)
}

// UpdateOrg replaces every field of the organisation with o.ID.
func (s *Store) UpdateOrg(ctx context.Context, o store.Org) error {
	const op = "sqlite: update org"
	res, err := s.w.ExecContext(ctx, `UPDATE orgs SET name = ?, domain = ?, country_code = ?, switchboard = ?, demo = ?,
		show_roles = ?, sms_sender = ?, voicemail_number = ?, activity_number = ?,
		time_zone = ?, bar_international = ?, bar_premium = ?, max_outside_calls = ?, max_outside_calls_per_user = ?,
		emergency_numbers = ?, agent_licences = ?, supervisor_licences = ?, operator_licences = ? WHERE id = ?`,
		o.Name, strings.ToLower(o.Domain), o.CountryCode, o.Switchboard, o.Demo, o.ShowRoles, o.SMSSender,
		o.VoicemailNumber, o.ActivityNumber,
		o.TimeZone, o.BarInternational, o.BarPremium, o.MaxOutsideCalls, o.MaxOutsideCallsPerUser,
		o.EmergencyNumbers, o.AgentLicences, o.SupervisorLicences, o.OperatorLicences, o.ID)
	if err != nil {
		return mapErr(op, err)
	}
	return affected(op, o.ID, res)
}

// OrgByID returns the organisation with the id.
func (s *Store) OrgByID(ctx context.Context, id int64) (store.Org, error) {
	o, err := scanOrg(s.r.QueryRowContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE id = ?`, id))
	return o, mapErr("sqlite: org by id", err)
}

// OrgByDomain returns the organisation whose domain is domain (case-insensitive).
func (s *Store) OrgByDomain(ctx context.Context, domain string) (store.Org, error) {
	o, err := scanOrg(s.r.QueryRowContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE domain = ?`, strings.ToLower(domain)))
	return o, mapErr("sqlite: org by domain", err)
}

// DemoOrg returns the demo organisation (the oldest one marked demo).
func (s *Store) DemoOrg(ctx context.Context) (store.Org, error) {
	o, err := scanOrg(s.r.QueryRowContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE demo = 1 ORDER BY id LIMIT 1`))
	return o, mapErr("sqlite: demo org", err)
}

// ---- users ----

const userCols = "id, org_id, extension, name, company_number, mobile_number, email, language, department, title, keywords, admin, ha1_md5, ha1_sha256, password_hash, " +
	"agent, supervisor, operator, terminals, bar_outside, bar_international, emergency_area"

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var company, mobile sql.NullString
	err := row.Scan(&u.ID, &u.OrgID, &u.Extension, &u.Name, &company, &mobile, &u.Email, &u.Language,
		&u.Department, &u.Title, &u.Keywords, &u.Admin, &u.HA1MD5, &u.HA1SHA256, &u.PasswordHash,
		&u.Agent, &u.Supervisor, &u.Operator, &u.Terminals, &u.BarOutside, &u.BarInternational, &u.EmergencyArea)
	u.CompanyNumber, u.MobileNumber = company.String, mobile.String
	return u, err
}

// Empty numbers are stored as NULL so the unique indexes ignore them.
func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nextUserID is the ID of a new user: above every current and deleted user's (one writer
// connection, so two inserts cannot pick the same).
const nextUserID = `(SELECT MAX(n) FROM (SELECT COALESCE(MAX(id), 0) + 1 AS n FROM users
	UNION ALL SELECT COALESCE(MAX(id), 0) + 1 FROM retired_user_ids))`

// CreateUser inserts u and returns it with a new ID, never one of a deleted user.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	res, err := s.w.ExecContext(ctx,
		`INSERT INTO users (id, org_id, extension, name, company_number, mobile_number, email, language, department, title, keywords, admin,
		 ha1_md5, ha1_sha256, password_hash, agent, supervisor, operator, terminals, bar_outside, bar_international, emergency_area)
		 VALUES (`+nextUserID+`, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.OrgID, u.Extension, u.Name, nullable(u.CompanyNumber), nullable(u.MobileNumber), u.Email, u.Language,
		u.Department, u.Title, u.Keywords, u.Admin, u.HA1MD5, u.HA1SHA256, u.PasswordHash,
		u.Agent, u.Supervisor, u.Operator, u.Terminals, u.BarOutside, u.BarInternational, u.EmergencyArea)
	if err != nil {
		return store.User{}, mapErr("sqlite: create user", err)
	}
	u.ID, err = res.LastInsertId()
	return u, mapErr("sqlite: create user", err)
}

// UpdateUser replaces every field of the user with u.ID (its organisation stays).
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	res, err := s.w.ExecContext(ctx,
		`UPDATE users SET extension = ?, name = ?, company_number = ?, mobile_number = ?, email = ?, language = ?,
		 department = ?, title = ?, keywords = ?, admin = ?, ha1_md5 = ?, ha1_sha256 = ?, password_hash = ?,
		 agent = ?, supervisor = ?, operator = ?, terminals = ?, bar_outside = ?, bar_international = ?, emergency_area = ?
		 WHERE id = ?`,
		u.Extension, u.Name, nullable(u.CompanyNumber), nullable(u.MobileNumber), u.Email, u.Language,
		u.Department, u.Title, u.Keywords, u.Admin, u.HA1MD5, u.HA1SHA256, u.PasswordHash,
		u.Agent, u.Supervisor, u.Operator, u.Terminals, u.BarOutside, u.BarInternational, u.EmergencyArea, u.ID)
	if err != nil {
		return mapErr("sqlite: update user", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr("sqlite: update user", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: update user %d: %w", u.ID, store.ErrNotFound)
	}
	return nil
}

// UserByID returns the user with the id.
func (s *Store) UserByID(ctx context.Context, id int64) (store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, mapErr("sqlite: user by id", err)
}

// UserByExtension returns the organisation's user with the extension.
func (s *Store) UserByExtension(ctx context.Context, orgID int64, ext string) (store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE org_id = ? AND extension = ?`, orgID, ext))
	return u, mapErr("sqlite: user by extension", err)
}

// UserByNumber returns the organisation's user whose company or mobile number is e164.
func (s *Store) UserByNumber(ctx context.Context, orgID int64, e164 string) (store.User, error) {
	if e164 == "" {
		return store.User{}, fmt.Errorf("sqlite: user by number: %w", store.ErrNotFound)
	}
	u, err := scanUser(s.r.QueryRowContext(ctx,
		`SELECT `+userCols+` FROM users WHERE org_id = ? AND (company_number = ? OR mobile_number = ?) ORDER BY company_number = ? DESC LIMIT 1`,
		orgID, e164, e164, e164))
	return u, mapErr("sqlite: user by number", err)
}

// ListUsers returns the organisation's users ordered by extension.
func (s *Store) ListUsers(ctx context.Context, orgID int64) ([]store.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE org_id = ? ORDER BY extension`, orgID)
	if err != nil {
		return nil, mapErr("sqlite: list users", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, mapErr("sqlite: list users", err)
		}
		out = append(out, u)
	}
	return out, mapErr("sqlite: list users", rows.Err())
}

// ---- registrations ----

const bindingCols = "user_id, contact, source, call_id, cseq, expires, user_agent, instance_id, updated_at"

func scanBinding(row interface{ Scan(...any) error }) (store.Binding, error) {
	var b store.Binding
	var exp, upd int64
	err := row.Scan(&b.UserID, &b.Contact, &b.Source, &b.CallID, &b.CSeq, &exp, &b.UserAgent, &b.InstanceID, &upd)
	b.Expires, b.UpdatedAt = fromNS(exp), fromNS(upd)
	return b, err
}

const putBindingSQL = `INSERT INTO bindings (` + bindingCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (user_id, contact) DO UPDATE SET source = excluded.source, call_id = excluded.call_id,
	cseq = excluded.cseq, expires = excluded.expires, user_agent = excluded.user_agent,
	instance_id = excluded.instance_id, updated_at = excluded.updated_at`

// PutBinding inserts or replaces the binding with the same (UserID, Contact).
func (s *Store) PutBinding(ctx context.Context, b store.Binding) error {
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = time.Now()
	}
	_, err := s.putBinding.ExecContext(ctx, b.UserID, b.Contact, b.Source, b.CallID, b.CSeq, toNS(b.Expires), b.UserAgent, b.InstanceID, toNS(b.UpdatedAt))
	return mapErr("sqlite: put binding", err)
}

// DeleteBinding removes one binding; a missing one is not an error.
func (s *Store) DeleteBinding(ctx context.Context, userID int64, contact string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM bindings WHERE user_id = ? AND contact = ?`, userID, contact)
	return mapErr("sqlite: delete binding", err)
}

// DeleteBindings removes all of a user's bindings.
func (s *Store) DeleteBindings(ctx context.Context, userID int64) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM bindings WHERE user_id = ?`, userID)
	return mapErr("sqlite: delete bindings", err)
}

func (s *Store) queryBindings(ctx context.Context, op, query string, args ...any) ([]store.Binding, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.Binding
	for rows.Next() {
		b, err := scanBinding(rows)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, b)
	}
	return out, mapErr(op, rows.Err())
}

// Bindings returns the user's bindings unexpired at now, oldest first.
func (s *Store) Bindings(ctx context.Context, userID int64, now time.Time) ([]store.Binding, error) {
	return s.queryBindings(ctx, "sqlite: bindings",
		`SELECT `+bindingCols+` FROM bindings WHERE user_id = ? AND expires > ? ORDER BY updated_at, contact`, userID, toNS(now))
}

// AllBindings returns every binding unexpired at now.
func (s *Store) AllBindings(ctx context.Context, now time.Time) ([]store.Binding, error) {
	return s.queryBindings(ctx, "sqlite: all bindings",
		`SELECT `+bindingCols+` FROM bindings WHERE expires > ? ORDER BY user_id, updated_at, contact`, toNS(now))
}

// PurgeExpired deletes bindings expired at now.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM bindings WHERE expires <= ?`, toNS(now))
	if err != nil {
		return 0, mapErr("sqlite: purge expired", err)
	}
	n, err := res.RowsAffected()
	return int(n), mapErr("sqlite: purge expired", err)
}

// ---- call log ----

// AddCall inserts a call-log entry and returns it with its ID.
func (s *Store) AddCall(ctx context.Context, c store.CallRecord) (store.CallRecord, error) {
	res, err := s.w.ExecContext(ctx,
		`INSERT INTO calls (user_id, call_id, direction, peer, peer_name, outcome, started_at, answered_at, ended_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.UserID, c.CallID, string(c.Direction), c.Peer, c.PeerName, string(c.Outcome),
		toNS(c.StartedAt), toNS(c.AnsweredAt), toNS(c.EndedAt))
	if err != nil {
		return store.CallRecord{}, mapErr("sqlite: add call", err)
	}
	c.ID, err = res.LastInsertId()
	return c, mapErr("sqlite: add call", err)
}

// Calls returns the user's newest entries first, at most limit (limit <= 0 means 100).
func (s *Store) Calls(ctx context.Context, userID int64, limit int) ([]store.CallRecord, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT id, user_id, call_id, direction, peer, peer_name, outcome, started_at, answered_at, ended_at
		 FROM calls WHERE user_id = ? ORDER BY started_at DESC, id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, mapErr("sqlite: calls", err)
	}
	defer rows.Close()
	var out []store.CallRecord
	for rows.Next() {
		var c store.CallRecord
		var dir, outcome string
		var st, an, en int64
		if err := rows.Scan(&c.ID, &c.UserID, &c.CallID, &dir, &c.Peer, &c.PeerName, &outcome, &st, &an, &en); err != nil {
			return nil, mapErr("sqlite: calls", err)
		}
		c.Direction, c.Outcome = store.Direction(dir), store.Outcome(outcome)
		c.StartedAt, c.AnsweredAt, c.EndedAt = fromNS(st), fromNS(an), fromNS(en)
		out = append(out, c)
	}
	return out, mapErr("sqlite: calls", rows.Err())
}
