package sqlite

import (
	"context"
	"fmt"

	"github.com/vaihde/vaihde/server/store"
)

// ---- number pool ----

// PutDID inserts the DID or updates the extension and note of one the organisation already
// owns. The number is the primary key across organisations, so a number owned by another
// organisation is a conflict (the upsert's WHERE leaves that row alone and changes nothing).
func (s *Store) PutDID(ctx context.Context, d store.DID) error {
	const op = "sqlite: put did"
	if d.Number == "" {
		return fmt.Errorf("%s: empty number", op)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO dids (number, org_id, extension, note) VALUES (?, ?, ?, ?)
		ON CONFLICT (number) DO UPDATE SET extension = excluded.extension, note = excluded.note
		WHERE dids.org_id = excluded.org_id`, d.Number, d.OrgID, d.Extension, d.Note)
	if err != nil {
		return mapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w: owned by another organisation", op, d.Number, store.ErrConflict)
	}
	return nil
}

// DeleteDID removes the organisation's DID; ErrNotFound if it does not own the number.
func (s *Store) DeleteDID(ctx context.Context, orgID int64, number string) error {
	const op = "sqlite: delete did"
	res, err := s.w.ExecContext(ctx, `DELETE FROM dids WHERE org_id = ? AND number = ?`, orgID, number)
	if err != nil {
		return mapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", op, number, store.ErrNotFound)
	}
	return nil
}

// DIDByNumber finds the DID in any organisation.
func (s *Store) DIDByNumber(ctx context.Context, number string) (store.DID, error) {
	var d store.DID
	err := s.r.QueryRowContext(ctx, `SELECT org_id, number, extension, note FROM dids WHERE number = ?`, number).
		Scan(&d.OrgID, &d.Number, &d.Extension, &d.Note)
	return d, mapErr("sqlite: did by number", err)
}

// ListDIDs returns the organisation's DIDs ordered by number.
func (s *Store) ListDIDs(ctx context.Context, orgID int64) ([]store.DID, error) {
	const op = "sqlite: list dids"
	rows, err := s.r.QueryContext(ctx, `SELECT org_id, number, extension, note FROM dids WHERE org_id = ? ORDER BY number`, orgID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.DID
	for rows.Next() {
		var d store.DID
		if err := rows.Scan(&d.OrgID, &d.Number, &d.Extension, &d.Note); err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, d)
	}
	return out, mapErr(op, rows.Err())
}

// ---- provisioning ----

// DeleteUser removes the organisation's user in one transaction. Most of a user's rows go by
// ON DELETE CASCADE; personal contacts (owner_id has no foreign key, 0 means the organisation)
// are deleted here, DIDs that pointed at the extension return to the pool unassigned, and the
// ID is retired so that no later user inherits what is keyed by it (mailbox files, sessions).
func (s *Store) DeleteUser(ctx context.Context, orgID, userID int64) error {
	const op = "sqlite: delete user"
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(op, err)
	}
	defer tx.Rollback()
	var ext string
	if err := tx.QueryRowContext(ctx, `SELECT extension FROM users WHERE id = ? AND org_id = ?`, userID, orgID).Scan(&ext); err != nil {
		return mapErr(fmt.Sprintf("%s %d", op, userID), err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM contacts WHERE org_id = ? AND owner_id = ?`, []any{orgID, userID}},
		{`INSERT OR IGNORE INTO retired_user_ids (id) VALUES (?)`, []any{userID}},
		{`UPDATE dids SET extension = '' WHERE org_id = ? AND extension = ?`, []any{orgID, ext}},
		{`DELETE FROM users WHERE id = ? AND org_id = ?`, []any{userID, orgID}},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
			return mapErr(op, err)
		}
	}
	return mapErr(op, tx.Commit())
}

// ListOrgs returns every organisation ordered by ID.
func (s *Store) ListOrgs(ctx context.Context) ([]store.Org, error) {
	const op = "sqlite: list orgs"
	rows, err := s.r.QueryContext(ctx, `SELECT `+orgCols+` FROM orgs ORDER BY id`)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, o)
	}
	return out, mapErr(op, rows.Err())
}

// ---- audit log ----

// AddAudit appends an entry; a zero At is an error so that every entry carries the injected
// clock's time rather than the wall clock's.
func (s *Store) AddAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	const op = "sqlite: add audit"
	if e.At.IsZero() {
		return store.AuditEntry{}, fmt.Errorf("%s: zero time", op)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO audit (org_id, actor_id, actor, at, action, target, old, new)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.OrgID, e.ActorID, e.Actor, toNS(e.At), e.Action, e.Target, e.Old, e.New)
	if err != nil {
		return store.AuditEntry{}, mapErr(op, err)
	}
	e.ID, err = res.LastInsertId()
	e.At = e.At.UTC()
	return e, mapErr(op, err)
}

// ListAudit returns the organisation's entries newest first (by time, then by insertion).
func (s *Store) ListAudit(ctx context.Context, orgID int64, limit int) ([]store.AuditEntry, error) {
	const op = "sqlite: list audit"
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, org_id, actor_id, actor, at, action, target, old, new
		FROM audit WHERE org_id = ? ORDER BY at DESC, id DESC LIMIT ?`, orgID, limit)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.OrgID, &e.ActorID, &e.Actor, &at, &e.Action, &e.Target, &e.Old, &e.New); err != nil {
			return nil, mapErr(op, err)
		}
		e.At = fromNS(at)
		out = append(out, e)
	}
	return out, mapErr(op, rows.Err())
}
