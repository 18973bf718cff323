package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// ---- instant messages ----

const messageCols = "id, org_id, from_user_id, to_user_id, body, content_type, sent_at, delivered_at, read_at"

func scanMessage(row interface{ Scan(...any) error }) (store.Message, error) {
	var m store.Message
	var sent, delivered, read int64
	err := row.Scan(&m.ID, &m.OrgID, &m.FromUserID, &m.ToUserID, &m.Body, &m.ContentType, &sent, &delivered, &read)
	m.SentAt, m.DeliveredAt, m.ReadAt = fromNS(sent), fromNS(delivered), fromNS(read)
	return m, err
}

func (s *Store) queryMessages(ctx context.Context, op, query string, args ...any) ([]store.Message, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, m)
	}
	return out, mapErr(op, rows.Err())
}

// AddMessage stores m and returns it with its ID; an empty ContentType becomes text/plain
// and a zero SentAt now. Unknown sender or recipient: ErrNotFound.
func (s *Store) AddMessage(ctx context.Context, m store.Message) (store.Message, error) {
	const op = "sqlite: add message"
	if m.ContentType == "" {
		m.ContentType = "text/plain"
	}
	if m.SentAt.IsZero() {
		m.SentAt = time.Now().UTC()
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO messages (org_id, from_user_id, to_user_id, body, content_type, sent_at,
		delivered_at, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.OrgID, m.FromUserID, m.ToUserID, m.Body, m.ContentType, toNS(m.SentAt), toNS(m.DeliveredAt), toNS(m.ReadAt))
	if err != nil {
		return store.Message{}, mapErr(op, err)
	}
	m.ID, err = res.LastInsertId()
	return m, mapErr(op, err)
}

// MarkDelivered records the first delivery of message id (a later call keeps the first time).
func (s *Store) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	const op = "sqlite: mark delivered"
	res, err := s.w.ExecContext(ctx,
		`UPDATE messages SET delivered_at = CASE WHEN delivered_at = 0 THEN ? ELSE delivered_at END WHERE id = ?`, toNS(at), id)
	if err != nil {
		return mapErr(op, err)
	}
	return affected(op, id, res)
}

// Undelivered returns the messages waiting for the user, oldest first.
func (s *Store) Undelivered(ctx context.Context, toUserID int64) ([]store.Message, error) {
	return s.queryMessages(ctx, "sqlite: undelivered",
		`SELECT `+messageCols+` FROM messages WHERE to_user_id = ? AND delivered_at = 0 ORDER BY id`, toUserID)
}

// History returns messages between two users, newest first, with ID < beforeID when
// beforeID > 0, at most limit (limit <= 0 means 100).
func (s *Store) History(ctx context.Context, userA, userB, beforeID int64, limit int) ([]store.Message, error) {
	if limit <= 0 {
		limit = 100
	}
	if beforeID <= 0 {
		beforeID = 1<<63 - 1
	}
	// Two index range scans (one per direction) merged by the UNION's ORDER BY.
	return s.queryMessages(ctx, "sqlite: history",
		`SELECT `+messageCols+` FROM messages WHERE from_user_id = ?1 AND to_user_id = ?2 AND id < ?3
		 UNION ALL
		 SELECT `+messageCols+` FROM messages WHERE from_user_id = ?2 AND to_user_id = ?1 AND id < ?3 AND ?1 != ?2
		 ORDER BY id DESC LIMIT ?4`, userA, userB, beforeID, limit)
}

// Conversations returns one entry per peer the user exchanged messages with: the last
// message and how many of the peer's messages are unread, most recent first.
func (s *Store) Conversations(ctx context.Context, userID int64) ([]store.Conversation, error) {
	const op = "sqlite: conversations"
	rows, err := s.r.QueryContext(ctx, `WITH last AS (
			SELECT peer, MAX(id) AS id FROM (
				SELECT to_user_id AS peer, id FROM messages WHERE from_user_id = ?1
				UNION ALL
				SELECT from_user_id AS peer, id FROM messages WHERE to_user_id = ?1
			) GROUP BY peer
		)
		SELECT last.peer, (SELECT COUNT(*) FROM messages u WHERE u.from_user_id = last.peer AND u.to_user_id = ?1
			AND u.read_at = 0 AND last.peer != ?1),
			`+prefixed("m.", messageCols)+`
		FROM last JOIN messages m ON m.id = last.id
		ORDER BY m.sent_at DESC, m.id DESC`, userID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.Conversation
	for rows.Next() {
		var c store.Conversation
		var sent, delivered, read int64
		m := &c.Last
		if err := rows.Scan(&c.PeerID, &c.Unread, &m.ID, &m.OrgID, &m.FromUserID, &m.ToUserID, &m.Body, &m.ContentType,
			&sent, &delivered, &read); err != nil {
			return nil, mapErr(op, err)
		}
		m.SentAt, m.DeliveredAt, m.ReadAt = fromNS(sent), fromNS(delivered), fromNS(read)
		out = append(out, c)
	}
	return out, mapErr(op, rows.Err())
}

// MarkRead marks every unread message from peer to user as read at at. A message read in
// the Softphone has reached the user, so it also counts as delivered and is not sent again.
func (s *Store) MarkRead(ctx context.Context, userID, peerID int64, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE messages SET read_at = ?1,
		delivered_at = CASE WHEN delivered_at = 0 THEN ?1 ELSE delivered_at END
		WHERE from_user_id = ?2 AND to_user_id = ?3 AND read_at = 0`, toNS(at), peerID, userID)
	return mapErr("sqlite: mark read", err)
}

// prefixed qualifies each comma-separated column with p.
func prefixed(p, cols string) string {
	list := strings.Split(cols, ", ")
	for i := range list {
		list[i] = p + list[i]
	}
	return strings.Join(list, ", ")
}
