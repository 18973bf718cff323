package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// Forwarding returns the user's call routing, the zero routing when never saved.
func (s *Store) Forwarding(ctx context.Context, userID int64) (store.Forwarding, error) {
	const op = "sqlite: forwarding"
	f := store.Forwarding{UserID: userID}
	var ringMS, updated int64
	var acts, hours string
	err := s.r.QueryRowContext(ctx, `SELECT immediate, busy, no_answer, unreachable, ring_ms, activities, hours, updated_at
		FROM forwarding WHERE user_id = ?`, userID).Scan(&f.Immediate, &f.Busy, &f.NoAnswer, &f.Unreachable, &ringMS, &acts, &hours, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return store.Forwarding{}, mapErr(op, err)
	}
	f.RingTime = time.Duration(ringMS) * time.Millisecond
	f.UpdatedAt = fromNS(updated)
	if hours != "" {
		f.Hours = &store.OfficeHours{}
		if err := json.Unmarshal([]byte(hours), f.Hours); err != nil {
			return store.Forwarding{}, fmt.Errorf("%s: office hours of user %d: %w", op, userID, err)
		}
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(acts), &m); err != nil {
		return store.Forwarding{}, fmt.Errorf("%s: activities of user %d: %w", op, userID, err)
	}
	for k, v := range m {
		n, err := strconv.Atoi(k)
		if err != nil {
			return store.Forwarding{}, fmt.Errorf("%s: activity %q of user %d: %w", op, k, userID, err)
		}
		if f.Activities == nil {
			f.Activities = map[int]string{}
		}
		f.Activities[n] = v
	}
	return f, nil
}

// PutForwarding saves every field of the user's call routing.
func (s *Store) PutForwarding(ctx context.Context, f store.Forwarding) error {
	const op = "sqlite: put forwarding"
	m := make(map[string]string, len(f.Activities))
	for k, v := range f.Activities {
		m[strconv.Itoa(k)] = v
	}
	acts, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	hours := ""
	if f.Hours != nil {
		b, err := json.Marshal(f.Hours)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		hours = string(b)
	}
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = time.Now().UTC()
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO forwarding (user_id, immediate, busy, no_answer, unreachable, ring_ms, activities, hours, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(user_id) DO UPDATE SET immediate = excluded.immediate, busy = excluded.busy,
			no_answer = excluded.no_answer, unreachable = excluded.unreachable, ring_ms = excluded.ring_ms,
			activities = excluded.activities, hours = excluded.hours, updated_at = excluded.updated_at`,
		f.UserID, f.Immediate, f.Busy, f.NoAnswer, f.Unreachable, f.RingTime.Milliseconds(), string(acts), hours, toNS(f.UpdatedAt))
	return mapErr(op, err)
}
