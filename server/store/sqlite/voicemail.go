package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// ---- voicemail ----

const voicemailCols = `id, org_id, user_id, kind, caller, caller_name, received_at, duration_ms, path, heard_at, urgent`

func scanVoicemail(sc interface{ Scan(...any) error }) (store.Voicemail, error) {
	var v store.Voicemail
	var kind string
	var received, durMS, heard int64
	if err := sc.Scan(&v.ID, &v.OrgID, &v.UserID, &kind, &v.Caller, &v.CallerName, &received, &durMS, &v.Path, &heard, &v.Urgent); err != nil {
		return store.Voicemail{}, err
	}
	v.Kind = store.VoicemailKind(kind)
	v.ReceivedAt = fromNS(received)
	v.Duration = time.Duration(durMS) * time.Millisecond
	v.HeardAt = fromNS(heard)
	v.Heard = heard != 0
	return v, nil
}

// AddVoicemail records a mailbox item; Path must be unique (one record per file).
func (s *Store) AddVoicemail(ctx context.Context, v store.Voicemail) (store.Voicemail, error) {
	const op = "sqlite: add voicemail"
	if v.Path == "" {
		return store.Voicemail{}, fmt.Errorf("%s: empty path", op)
	}
	if v.Kind == "" {
		v.Kind = store.VoiceMessage
	}
	if v.ReceivedAt.IsZero() {
		v.ReceivedAt = time.Now().UTC()
	}
	heard := int64(0)
	if v.Heard {
		if v.HeardAt.IsZero() {
			v.HeardAt = v.ReceivedAt
		}
		heard = toNS(v.HeardAt)
	} else {
		v.HeardAt = time.Time{}
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO voicemails (org_id, user_id, kind, caller, caller_name, received_at, duration_ms, path, heard_at, urgent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.OrgID, v.UserID, string(v.Kind), v.Caller, v.CallerName, toNS(v.ReceivedAt), v.Duration.Milliseconds(), v.Path, heard, v.Urgent)
	if err != nil {
		return store.Voicemail{}, mapErr(op, err)
	}
	v.ID, err = res.LastInsertId()
	return v, mapErr(op, err)
}

// Voicemail returns one of the user's items.
func (s *Store) Voicemail(ctx context.Context, userID, id int64) (store.Voicemail, error) {
	v, err := scanVoicemail(s.r.QueryRowContext(ctx, `SELECT `+voicemailCols+` FROM voicemails WHERE id = ? AND user_id = ?`, id, userID))
	return v, mapErr("sqlite: voicemail", err)
}

// Voicemails returns the user's items, newest first (ties by ID, so the order is stable).
func (s *Store) Voicemails(ctx context.Context, userID int64) ([]store.Voicemail, error) {
	const op = "sqlite: voicemails"
	rows, err := s.r.QueryContext(ctx, `SELECT `+voicemailCols+` FROM voicemails WHERE user_id = ?
		ORDER BY received_at DESC, id DESC`, userID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.Voicemail
	for rows.Next() {
		v, err := scanVoicemail(rows)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, v)
	}
	return out, mapErr(op, rows.Err())
}

// MarkHeard sets (heard) or clears the heard time of the user's item.
func (s *Store) MarkHeard(ctx context.Context, userID, id int64, heard bool, at time.Time) error {
	const op = "sqlite: mark voicemail heard"
	var ns int64
	if heard {
		if at.IsZero() {
			at = time.Now()
		}
		ns = toNS(at)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE voicemails SET heard_at = ? WHERE id = ? AND user_id = ?`, ns, id, userID)
	if err != nil {
		return mapErr(op, err)
	}
	return affectedOne(op, res)
}

// DeleteVoicemail removes the user's item and returns its file path.
func (s *Store) DeleteVoicemail(ctx context.Context, userID, id int64) (string, error) {
	const op = "sqlite: delete voicemail"
	var path string
	err := s.w.QueryRowContext(ctx, `DELETE FROM voicemails WHERE id = ? AND user_id = ? RETURNING path`, id, userID).Scan(&path)
	return path, mapErr(op, err)
}

// VoicemailCounts counts the user's voice messages (not recorded calls or faxes, which RFC 3842
// would class differently): new = not heard.
func (s *Store) VoicemailCounts(ctx context.Context, userID int64) (int, int, error) {
	var n, o int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(heard_at = 0), 0), COALESCE(SUM(heard_at <> 0), 0)
		FROM voicemails WHERE user_id = ? AND kind = ?`, userID, string(store.VoiceMessage)).Scan(&n, &o)
	return n, o, mapErr("sqlite: voicemail counts", err)
}

// VoicemailPaths returns every record's path.
func (s *Store) VoicemailPaths(ctx context.Context) ([]string, error) {
	const op = "sqlite: voicemail paths"
	rows, err := s.r.QueryContext(ctx, `SELECT path FROM voicemails`)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, p)
	}
	return out, mapErr(op, rows.Err())
}

// VoicemailSettings returns the user's settings or the defaults.
func (s *Store) VoicemailSettings(ctx context.Context, userID int64) (store.VoicemailSettings, error) {
	vs := store.VoicemailSettings{UserID: userID}
	var notify string
	var updated int64
	err := s.r.QueryRowContext(ctx, `SELECT enabled, pin_hash, greeting_path, notify, announce_activity, customer_service, offer_bypass, updated_at
		FROM voicemail_settings WHERE user_id = ?`, userID).Scan(&vs.Enabled, &vs.PINHash, &vs.GreetingPath, &notify,
		&vs.AnnounceActivity, &vs.CustomerService, &vs.OfferBypass, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.DefaultVoicemailSettings(userID), nil
	}
	if err != nil {
		return store.VoicemailSettings{}, mapErr("sqlite: voicemail settings", err)
	}
	vs.Notify = store.VoicemailNotify(notify)
	vs.UpdatedAt = fromNS(updated)
	return vs, nil
}

// PutVoicemailSettings saves the user's settings; an empty Notify is stored as SMS, the default.
func (s *Store) PutVoicemailSettings(ctx context.Context, vs store.VoicemailSettings) error {
	const op = "sqlite: put voicemail settings"
	switch vs.Notify {
	case "":
		vs.Notify = store.NotifySMS
	case store.NotifySMS, store.NotifyEmail, store.NotifyBoth:
	default:
		return fmt.Errorf("%s: unknown notify %q", op, vs.Notify)
	}
	if vs.UpdatedAt.IsZero() {
		vs.UpdatedAt = time.Now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO voicemail_settings
		(user_id, enabled, pin_hash, greeting_path, notify, announce_activity, customer_service, offer_bypass, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled, pin_hash = excluded.pin_hash,
			greeting_path = excluded.greeting_path, notify = excluded.notify, announce_activity = excluded.announce_activity,
			customer_service = excluded.customer_service, offer_bypass = excluded.offer_bypass, updated_at = excluded.updated_at`,
		vs.UserID, vs.Enabled, vs.PINHash, vs.GreetingPath, string(vs.Notify), vs.AnnounceActivity, vs.CustomerService,
		vs.OfferBypass, toNS(vs.UpdatedAt))
	return mapErr(op, err)
}

// affectedOne turns an update that matched no row into ErrNotFound.
func affectedOne(op string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}
