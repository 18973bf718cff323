package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
)

// ---- presence ----

const presenceCols = "user_id, activity, role, until, note, updated_at"

func scanPresence(row interface{ Scan(...any) error }) (store.Presence, error) {
	var p store.Presence
	var until, upd int64
	err := row.Scan(&p.UserID, &p.Activity, &p.Role, &until, &p.Note, &upd)
	p.Until, p.UpdatedAt = fromNS(until), fromNS(upd)
	return p, err
}

// Presence returns the user's record, or ErrNotFound when it was never set.
func (s *Store) Presence(ctx context.Context, userID int64) (store.Presence, error) {
	p, err := scanPresence(s.r.QueryRowContext(ctx, `SELECT `+presenceCols+` FROM presence WHERE user_id = ?`, userID))
	return p, mapErr("sqlite: presence", err)
}

// PutPresence inserts or replaces the user's record; a zero UpdatedAt becomes now.
func (s *Store) PutPresence(ctx context.Context, p store.Presence) error {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = time.Now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO presence (`+presenceCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET activity = excluded.activity, role = excluded.role,
		until = excluded.until, note = excluded.note, updated_at = excluded.updated_at`,
		p.UserID, p.Activity, p.Role, toNS(p.Until), p.Note, toNS(p.UpdatedAt))
	return mapErr("sqlite: put presence", err)
}

// OrgPresences returns every stored record of the organisation's users, by user ID.
func (s *Store) OrgPresences(ctx context.Context, orgID int64) ([]store.Presence, error) {
	const op = "sqlite: org presences"
	rows, err := s.r.QueryContext(ctx, `SELECT p.user_id, p.activity, p.role, p.until, p.note, p.updated_at
		FROM presence p JOIN users u ON u.id = p.user_id WHERE u.org_id = ? ORDER BY p.user_id`, orgID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.Presence
	for rows.Next() {
		p, err := scanPresence(rows)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, p)
	}
	return out, mapErr(op, rows.Err())
}

// ---- activities ----

// defaultActivities converts shared/presence's defaults to the organisation's records.
func defaultActivities(orgID int64) []store.Activity {
	def := presence.DefaultActivities()
	out := make([]store.Activity, len(def))
	for i, a := range def {
		out[i] = store.Activity{OrgID: orgID, Number: a.Number, NameFI: a.Names.FI, NameSV: a.Names.SV, NameEN: a.Names.EN, Green: a.Green}
	}
	return out
}

// Activities returns the organisation's activities by number; an organisation that never
// changed them gets the defaults (which are not stored until the first PutActivity).
func (s *Store) Activities(ctx context.Context, orgID int64) ([]store.Activity, error) {
	const op = "sqlite: activities"
	rows, err := s.r.QueryContext(ctx,
		`SELECT org_id, number, name_fi, name_sv, name_en, green FROM activities WHERE org_id = ? ORDER BY number`, orgID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.Activity
	for rows.Next() {
		var a store.Activity
		if err := rows.Scan(&a.OrgID, &a.Number, &a.NameFI, &a.NameSV, &a.NameEN, &a.Green); err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(op, err)
	}
	if len(out) == 0 {
		return defaultActivities(orgID), nil
	}
	return out, nil
}

// PutActivity adds or renames the activity (OrgID, Number). The first change of an
// organisation stores the defaults first, so the other default activities stay.
func (s *Store) PutActivity(ctx context.Context, a store.Activity) error {
	const op = "sqlite: put activity"
	if a.Number <= 0 {
		return fmt.Errorf("%s: activity number %d must be positive", op, a.Number)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(op, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM activities WHERE org_id = ?`, a.OrgID).Scan(&n); err != nil {
		return mapErr(op, err)
	}
	const upsert = `INSERT INTO activities (org_id, number, name_fi, name_sv, name_en, green) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, number) DO UPDATE SET name_fi = excluded.name_fi, name_sv = excluded.name_sv,
		name_en = excluded.name_en, green = excluded.green`
	list := []store.Activity{a}
	if n == 0 {
		list = append(defaultActivities(a.OrgID), a)
	}
	for _, x := range list {
		if _, err := tx.ExecContext(ctx, upsert, x.OrgID, x.Number, x.NameFI, x.NameSV, x.NameEN, x.Green); err != nil {
			return mapErr(op, err)
		}
	}
	return mapErr(op, tx.Commit())
}
