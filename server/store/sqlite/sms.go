package sqlite

import (
	"context"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// ---- SMS ----

// AddSMS records a sent (or failed) SMS and returns it with its ID; Parts below 1 is stored
// as 1 (every message costs at least one part) and a zero SentAt as now.
func (s *Store) AddSMS(ctx context.Context, m store.SMS) (store.SMS, error) {
	const op = "sqlite: add sms"
	if m.Parts < 1 {
		m.Parts = 1
	}
	if m.SentAt.IsZero() {
		m.SentAt = time.Now().UTC()
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO sms (org_id, user_id, sender, recipient, body, parts, status, provider_id, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.OrgID, m.UserID, m.From, m.To, m.Body, m.Parts, m.Status, m.ProviderID, toNS(m.SentAt))
	if err != nil {
		return store.SMS{}, mapErr(op, err)
	}
	m.ID, err = res.LastInsertId()
	return m, mapErr(op, err)
}

// SMSCount returns how many parts the organisation sent since (inclusive); failed sends
// ("failed: …") are not counted, the carrier does not bill them.
func (s *Store) SMSCount(ctx context.Context, orgID int64, since time.Time) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(parts), 0) FROM sms
		WHERE org_id = ? AND sent_at >= ? AND status NOT LIKE 'failed%'`, orgID, toNS(since)).Scan(&n)
	return n, mapErr("sqlite: sms count", err)
}
