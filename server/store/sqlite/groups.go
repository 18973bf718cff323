package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// Groups (migration 7): queues, hunt groups and menus share the groups table, so that the
// unique (org_id, number) index makes a number one group's only; each kind's settings are a
// JSON object of its store struct without the columns (ID, OrgID, Name, Number) and the rows of
// group_members and group_supervisors. Durations are JSON integers of nanoseconds, readable
// with json_extract(settings, '$.RingTime'). The keys are the Go field names: renaming a field
// of store.Queue, HuntGroup or Menu needs a migration that renames its key (an unknown key is
// ignored on reading, so the setting would silently fall back to its zero value).

var _ store.GroupStore = (*Store)(nil)

// kindNames are the kinds as an administrator reads them in a refusal.
var kindNames = map[store.GroupKind]string{store.KindQueue: "the queue", store.KindHunt: "the hunt group", store.KindMenu: "the menu"}

// settingsJSON marshals v without the fields stored elsewhere.
func settingsJSON(v any, drop ...string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	for _, k := range append(drop, "ID", "OrgID", "Name", "Number") {
		delete(m, k)
	}
	b, err = json.Marshal(m)
	return string(b), err
}

// checkNumber refuses number for group self (0: a new one) of orgID unless it is a test
// number or an unassigned DID of the organisation's pool, and no user, other group or menu
// of the organisation has it. It runs in the writing transaction, so the answer holds.
func checkNumber(ctx context.Context, tx *sql.Tx, orgID, self int64, num string) error {
	if num == "" {
		return &store.NumberError{Number: `""`, Reason: "is empty: give a test number 8000–8099 or a DID of the number pool"}
	}
	var kind, name string
	err := tx.QueryRowContext(ctx, `SELECT kind, name FROM groups WHERE org_id = ? AND number = ? AND id != ?`, orgID, num, self).Scan(&kind, &name)
	if err == nil {
		return &store.NumberError{Number: num, Reason: fmt.Sprintf("is already %s %q", kindNames[store.GroupKind(kind)], name)}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var ext, company, mobile sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT name, extension, company_number, mobile_number FROM users
		WHERE org_id = ? AND (extension = ? OR company_number = ? OR mobile_number = ?) LIMIT 1`, orgID, num, num, num).
		Scan(&name, &ext, &company, &mobile)
	if err == nil {
		what := "extension"
		switch num {
		case company.String:
			what = "company number"
		case mobile.String:
			what = "mobile number"
		}
		return &store.NumberError{Number: num, Reason: fmt.Sprintf("is the %s of %s", what, name)}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if !strings.HasPrefix(num, "+") {
		if !store.IsTestNumber(num) {
			return &store.NumberError{Number: num, Reason: "is neither a test number 8000–8099 nor a DID of the number pool"}
		}
		return nil
	}
	var didOrg int64
	err = tx.QueryRowContext(ctx, `SELECT org_id, extension FROM dids WHERE number = ?`, num).Scan(&didOrg, &ext)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &store.NumberError{Number: num, Reason: "is not in the organisation's number pool"}
	case err != nil:
		return err
	case didOrg != orgID:
		return &store.NumberError{Number: num, Reason: "belongs to another organisation"}
	case ext.String != "":
		return &store.NumberError{Number: num, Reason: fmt.Sprintf("is routed to extension %s in the number pool", ext.String)}
	}
	return nil
}

// checkUsers refuses user IDs that are not users of orgID or are listed twice.
func checkUsers(ctx context.Context, tx *sql.Tx, orgID int64, what string, ids []int64) error {
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return fmt.Errorf("%s: user %d is listed twice", what, id)
		}
		seen[id] = true
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ? AND org_id = ?`, id, orgID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s: user %d is not in the organisation: %w", what, id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// groupWrite is one group row with its members and supervisors, for writeGroup.
type groupWrite struct {
	kind         store.GroupKind
	id, orgID    int64 // id 0: create
	name, number string
	settings     string
	members      []store.QueueMember
	supervisors  []int64
}

// writeGroup creates (g.id == 0) or replaces a group in one transaction and returns its ID.
func (s *Store) writeGroup(ctx context.Context, op string, g groupWrite) (int64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, mapErr(op, err)
	}
	defer tx.Rollback()
	if g.id != 0 {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM groups WHERE id = ? AND org_id = ? AND kind = ?`, g.id, g.orgID, string(g.kind)).Scan(&one)
		if err != nil {
			return 0, mapErr(fmt.Sprintf("%s %d", op, g.id), err)
		}
	}
	if err := checkNumber(ctx, tx, g.orgID, g.id, g.number); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	ids := make([]int64, len(g.members))
	for i, m := range g.members {
		ids[i] = m.UserID
	}
	if err := checkUsers(ctx, tx, g.orgID, "members", ids); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkUsers(ctx, tx, g.orgID, "supervisors", g.supervisors); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	id := g.id
	if id == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO groups (org_id, kind, name, number, settings) VALUES (?, ?, ?, ?, ?)`,
			g.orgID, string(g.kind), g.name, g.number, g.settings)
		if err != nil {
			return 0, mapErr(op, err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return 0, mapErr(op, err)
		}
	} else {
		if _, err := tx.ExecContext(ctx, `UPDATE groups SET name = ?, number = ?, settings = ? WHERE id = ?`,
			g.name, g.number, g.settings, id); err != nil {
			return 0, mapErr(op, err)
		}
		for _, q := range []string{`DELETE FROM group_members WHERE group_id = ?`, `DELETE FROM group_supervisors WHERE group_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return 0, mapErr(op, err)
			}
		}
	}
	for i, m := range g.members {
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, position, ord, skill) VALUES (?, ?, ?, ?, ?)`,
			id, m.UserID, i, m.Order, m.Skill); err != nil {
			return 0, mapErr(op, err)
		}
	}
	for _, u := range g.supervisors {
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_supervisors (group_id, user_id) VALUES (?, ?)`, id, u); err != nil {
			return 0, mapErr(op, err)
		}
	}
	// A user who is no member any more is no longer logged in to the queue.
	if _, err := tx.ExecContext(ctx, `DELETE FROM agent_logins WHERE queue_id = ?
		AND user_id NOT IN (SELECT user_id FROM group_members WHERE group_id = ?)`, id, id); err != nil {
		return 0, mapErr(op, err)
	}
	return id, mapErr(op, tx.Commit())
}

type groupRow struct {
	id, orgID    int64
	name, number string
	settings     string
}

// groupRows returns the organisation's groups of kind ordered by name, or only the one with
// id when id != 0 (ErrNotFound when it is not of the organisation and kind).
func (s *Store) groupRows(ctx context.Context, op string, orgID int64, kind store.GroupKind, id int64) ([]groupRow, error) {
	q := `SELECT id, org_id, name, number, settings FROM groups WHERE org_id = ? AND kind = ?`
	args := []any{orgID, string(kind)}
	if id != 0 {
		q += ` AND id = ?`
		args = append(args, id)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY name, id`, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []groupRow
	for rows.Next() {
		var g groupRow
		if err := rows.Scan(&g.id, &g.orgID, &g.name, &g.number, &g.settings); err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(op, err)
	}
	if id != 0 && len(out) == 0 {
		return nil, fmt.Errorf("%s %d: %w", op, id, store.ErrNotFound)
	}
	return out, nil
}

// groupUsers returns the members (table group_members) or supervisors (group_supervisors) of
// the organisation's groups of kind, by group, in order.
func (s *Store) groupMembers(ctx context.Context, op string, orgID int64, kind store.GroupKind, id int64) (map[int64][]store.QueueMember, error) {
	q := `SELECT m.group_id, m.user_id, m.ord, m.skill FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND g.kind = ?`
	args := []any{orgID, string(kind)}
	if id != 0 {
		q += ` AND g.id = ?`
		args = append(args, id)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY m.group_id, m.position`, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	out := map[int64][]store.QueueMember{}
	for rows.Next() {
		var gid int64
		var m store.QueueMember
		if err := rows.Scan(&gid, &m.UserID, &m.Order, &m.Skill); err != nil {
			return nil, mapErr(op, err)
		}
		out[gid] = append(out[gid], m)
	}
	return out, mapErr(op, rows.Err())
}

func (s *Store) groupSupervisors(ctx context.Context, op string, orgID, id int64) (map[int64][]int64, error) {
	q := `SELECT m.group_id, m.user_id FROM group_supervisors m JOIN groups g ON g.id = m.group_id WHERE g.org_id = ?`
	args := []any{orgID}
	if id != 0 {
		q += ` AND g.id = ?`
		args = append(args, id)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY m.group_id, m.user_id`, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var gid, uid int64
		if err := rows.Scan(&gid, &uid); err != nil {
			return nil, mapErr(op, err)
		}
		out[gid] = append(out[gid], uid)
	}
	return out, mapErr(op, rows.Err())
}

// deleteGroup removes the organisation's group of kind; ErrNotFound if there is none.
func (s *Store) deleteGroup(ctx context.Context, op string, kind store.GroupKind, orgID, id int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM groups WHERE id = ? AND org_id = ? AND kind = ?`, id, orgID, string(kind))
	if err != nil {
		return mapErr(op, err)
	}
	return affected(op, id, res)
}

// ---- queues ----

func queueWrite(q store.Queue) (groupWrite, error) {
	settings, err := settingsJSON(q, "Members", "Supervisors")
	return groupWrite{kind: store.KindQueue, id: q.ID, orgID: q.OrgID, name: q.Name, number: q.Number,
		settings: settings, members: q.Members, supervisors: q.Supervisors}, err
}

// CreateQueue stores a new queue with its members and supervisors and returns it with its ID.
// The number must be free in the organisation (a *store.NumberError otherwise) and every
// member and supervisor a user of the organisation (ErrNotFound otherwise).
func (s *Store) CreateQueue(ctx context.Context, q store.Queue) (store.Queue, error) {
	const op = "sqlite: create queue"
	q.ID = 0
	g, err := queueWrite(q)
	if err != nil {
		return store.Queue{}, fmt.Errorf("%s: %w", op, err)
	}
	q.ID, err = s.writeGroup(ctx, op, g)
	if err != nil {
		return store.Queue{}, err
	}
	return q, nil
}

// UpdateQueue replaces every setting, member and supervisor of the queue with q.ID; agents
// no longer members lose their login.
func (s *Store) UpdateQueue(ctx context.Context, q store.Queue) error {
	const op = "sqlite: update queue"
	if q.ID == 0 {
		return fmt.Errorf("%s: no id: %w", op, store.ErrNotFound)
	}
	g, err := queueWrite(q)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = s.writeGroup(ctx, op, g)
	return err
}

func (s *Store) queues(ctx context.Context, op string, orgID, id int64) ([]store.Queue, error) {
	rows, err := s.groupRows(ctx, op, orgID, store.KindQueue, id)
	if err != nil {
		return nil, err
	}
	members, err := s.groupMembers(ctx, op, orgID, store.KindQueue, id)
	if err != nil {
		return nil, err
	}
	sups, err := s.groupSupervisors(ctx, op, orgID, id)
	if err != nil {
		return nil, err
	}
	out := make([]store.Queue, 0, len(rows))
	for _, g := range rows {
		var q store.Queue
		if err := json.Unmarshal([]byte(g.settings), &q); err != nil {
			return nil, fmt.Errorf("%s: settings of queue %d: %w", op, g.id, err)
		}
		q.ID, q.OrgID, q.Name, q.Number = g.id, g.orgID, g.name, g.number
		q.Members, q.Supervisors = members[g.id], sups[g.id]
		out = append(out, q)
	}
	return out, nil
}

// Queue returns the organisation's queue; ErrNotFound for another organisation's.
func (s *Store) Queue(ctx context.Context, orgID, id int64) (store.Queue, error) {
	qs, err := s.queues(ctx, "sqlite: queue", orgID, id)
	if err != nil {
		return store.Queue{}, err
	}
	return qs[0], nil
}

// Queues returns the organisation's queues ordered by name.
func (s *Store) Queues(ctx context.Context, orgID int64) ([]store.Queue, error) {
	return s.queues(ctx, "sqlite: queues", orgID, 0)
}

// DeleteQueue removes the queue with its members, logins, callbacks and statistics.
func (s *Store) DeleteQueue(ctx context.Context, orgID, id int64) error {
	return s.deleteGroup(ctx, "sqlite: delete queue", store.KindQueue, orgID, id)
}

// ---- hunt groups ----

func huntWrite(h store.HuntGroup) (groupWrite, error) {
	settings, err := settingsJSON(h, "Members")
	members := make([]store.QueueMember, len(h.Members))
	for i, u := range h.Members {
		members[i] = store.QueueMember{UserID: u, Order: i + 1}
	}
	return groupWrite{kind: store.KindHunt, id: h.ID, orgID: h.OrgID, name: h.Name, number: h.Number,
		settings: settings, members: members}, err
}

// CreateHuntGroup stores a new hunt group and returns it with its ID (rules as CreateQueue).
func (s *Store) CreateHuntGroup(ctx context.Context, h store.HuntGroup) (store.HuntGroup, error) {
	const op = "sqlite: create hunt group"
	h.ID = 0
	g, err := huntWrite(h)
	if err != nil {
		return store.HuntGroup{}, fmt.Errorf("%s: %w", op, err)
	}
	h.ID, err = s.writeGroup(ctx, op, g)
	if err != nil {
		return store.HuntGroup{}, err
	}
	return h, nil
}

// UpdateHuntGroup replaces every setting and member of the hunt group with h.ID.
func (s *Store) UpdateHuntGroup(ctx context.Context, h store.HuntGroup) error {
	const op = "sqlite: update hunt group"
	if h.ID == 0 {
		return fmt.Errorf("%s: no id: %w", op, store.ErrNotFound)
	}
	g, err := huntWrite(h)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = s.writeGroup(ctx, op, g)
	return err
}

func (s *Store) huntGroups(ctx context.Context, op string, orgID, id int64) ([]store.HuntGroup, error) {
	rows, err := s.groupRows(ctx, op, orgID, store.KindHunt, id)
	if err != nil {
		return nil, err
	}
	members, err := s.groupMembers(ctx, op, orgID, store.KindHunt, id)
	if err != nil {
		return nil, err
	}
	out := make([]store.HuntGroup, 0, len(rows))
	for _, g := range rows {
		var h store.HuntGroup
		if err := json.Unmarshal([]byte(g.settings), &h); err != nil {
			return nil, fmt.Errorf("%s: settings of hunt group %d: %w", op, g.id, err)
		}
		h.ID, h.OrgID, h.Name, h.Number = g.id, g.orgID, g.name, g.number
		h.Members = nil
		for _, m := range members[g.id] {
			h.Members = append(h.Members, m.UserID)
		}
		out = append(out, h)
	}
	return out, nil
}

// HuntGroup returns the organisation's hunt group; ErrNotFound for another organisation's.
func (s *Store) HuntGroup(ctx context.Context, orgID, id int64) (store.HuntGroup, error) {
	hs, err := s.huntGroups(ctx, "sqlite: hunt group", orgID, id)
	if err != nil {
		return store.HuntGroup{}, err
	}
	return hs[0], nil
}

// HuntGroups returns the organisation's hunt groups ordered by name.
func (s *Store) HuntGroups(ctx context.Context, orgID int64) ([]store.HuntGroup, error) {
	return s.huntGroups(ctx, "sqlite: hunt groups", orgID, 0)
}

// DeleteHuntGroup removes the hunt group.
func (s *Store) DeleteHuntGroup(ctx context.Context, orgID, id int64) error {
	return s.deleteGroup(ctx, "sqlite: delete hunt group", store.KindHunt, orgID, id)
}

// ---- menus ----

// CreateMenu stores a new IVR menu and returns it with its ID (number rules as CreateQueue).
func (s *Store) CreateMenu(ctx context.Context, m store.Menu) (store.Menu, error) {
	const op = "sqlite: create menu"
	m.ID = 0
	settings, err := settingsJSON(m)
	if err != nil {
		return store.Menu{}, fmt.Errorf("%s: %w", op, err)
	}
	m.ID, err = s.writeGroup(ctx, op, groupWrite{kind: store.KindMenu, orgID: m.OrgID, name: m.Name, number: m.Number, settings: settings})
	if err != nil {
		return store.Menu{}, err
	}
	return m, nil
}

// UpdateMenu replaces every setting of the menu with m.ID.
func (s *Store) UpdateMenu(ctx context.Context, m store.Menu) error {
	const op = "sqlite: update menu"
	if m.ID == 0 {
		return fmt.Errorf("%s: no id: %w", op, store.ErrNotFound)
	}
	settings, err := settingsJSON(m)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = s.writeGroup(ctx, op, groupWrite{kind: store.KindMenu, id: m.ID, orgID: m.OrgID, name: m.Name, number: m.Number, settings: settings})
	return err
}

func (s *Store) menus(ctx context.Context, op string, orgID, id int64) ([]store.Menu, error) {
	rows, err := s.groupRows(ctx, op, orgID, store.KindMenu, id)
	if err != nil {
		return nil, err
	}
	out := make([]store.Menu, 0, len(rows))
	for _, g := range rows {
		var m store.Menu
		if err := json.Unmarshal([]byte(g.settings), &m); err != nil {
			return nil, fmt.Errorf("%s: settings of menu %d: %w", op, g.id, err)
		}
		m.ID, m.OrgID, m.Name, m.Number = g.id, g.orgID, g.name, g.number
		out = append(out, m)
	}
	return out, nil
}

// Menu returns the organisation's menu; ErrNotFound for another organisation's.
func (s *Store) Menu(ctx context.Context, orgID, id int64) (store.Menu, error) {
	ms, err := s.menus(ctx, "sqlite: menu", orgID, id)
	if err != nil {
		return store.Menu{}, err
	}
	return ms[0], nil
}

// Menus returns the organisation's menus ordered by name.
func (s *Store) Menus(ctx context.Context, orgID int64) ([]store.Menu, error) {
	return s.menus(ctx, "sqlite: menus", orgID, 0)
}

// DeleteMenu removes the menu.
func (s *Store) DeleteMenu(ctx context.Context, orgID, id int64) error {
	return s.deleteGroup(ctx, "sqlite: delete menu", store.KindMenu, orgID, id)
}

// GroupByNumber finds the queue, hunt group or menu answering number in the organisation.
func (s *Store) GroupByNumber(ctx context.Context, orgID int64, number string) (store.GroupKind, int64, error) {
	var kind string
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT kind, id FROM groups WHERE org_id = ? AND number = ?`, orgID, number).Scan(&kind, &id)
	if err != nil {
		return "", 0, mapErr("sqlite: group by number "+number, err)
	}
	return store.GroupKind(kind), id, nil
}

// ---- agent logins ----

// PutAgentLogin records that the agent logged in to or out of the queue. ErrNotFound unless
// the queue is the organisation's and the user a member of it.
func (s *Store) PutAgentLogin(ctx context.Context, orgID int64, l store.AgentLogin) error {
	const op = "sqlite: put agent login"
	if l.At.IsZero() {
		l.At = time.Now()
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO agent_logins (queue_id, user_id, org_id, logged_in, at)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM group_members m JOIN groups g ON g.id = m.group_id
			WHERE g.id = ? AND g.org_id = ? AND g.kind = 'queue' AND m.user_id = ?)
		ON CONFLICT (queue_id, user_id) DO UPDATE SET logged_in = excluded.logged_in, at = excluded.at`,
		l.QueueID, l.UserID, orgID, l.LoggedIn, toNS(l.At), l.QueueID, orgID, l.UserID)
	if err != nil {
		return mapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: user %d in queue %d: %w", op, l.UserID, l.QueueID, store.ErrNotFound)
	}
	return nil
}

// AgentLogins returns every login record of the organisation's queues.
func (s *Store) AgentLogins(ctx context.Context, orgID int64) ([]store.AgentLogin, error) {
	const op = "sqlite: agent logins"
	rows, err := s.r.QueryContext(ctx, `SELECT queue_id, user_id, logged_in, at FROM agent_logins WHERE org_id = ?
		ORDER BY queue_id, user_id`, orgID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.AgentLogin
	for rows.Next() {
		var l store.AgentLogin
		var at int64
		if err := rows.Scan(&l.QueueID, &l.UserID, &l.LoggedIn, &at); err != nil {
			return nil, mapErr(op, err)
		}
		l.At = fromNS(at)
		out = append(out, l)
	}
	return out, mapErr(op, rows.Err())
}

// ---- callbacks ----

// AddCallback stores a callback request of the organisation's queue and returns it with its
// ID; ErrNotFound for another organisation's queue. An empty State is CallbackWaiting.
func (s *Store) AddCallback(ctx context.Context, c store.Callback) (store.Callback, error) {
	const op = "sqlite: add callback"
	if c.State == "" {
		c.State = store.CallbackWaiting
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Now()
	}
	if c.Number == "" {
		return store.Callback{}, fmt.Errorf("%s: empty number", op)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO callbacks (org_id, queue_id, number, name, queued, expires, attempts, state, updated_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM groups WHERE id = ? AND org_id = ? AND kind = 'queue')`,
		c.OrgID, c.QueueID, c.Number, c.Name, toNS(c.Queued), toNS(c.Expires), c.Attempts, string(c.State), toNS(c.UpdatedAt),
		c.QueueID, c.OrgID)
	if err != nil {
		return store.Callback{}, mapErr(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return store.Callback{}, mapErr(op, err)
	} else if n == 0 {
		return store.Callback{}, fmt.Errorf("%s: queue %d: %w", op, c.QueueID, store.ErrNotFound)
	}
	c.ID, err = res.LastInsertId()
	return c, mapErr(op, err)
}

// UpdateCallback saves the number, name, times, attempts and state of the organisation's
// callback with c.ID (its queue stays).
func (s *Store) UpdateCallback(ctx context.Context, c store.Callback) error {
	const op = "sqlite: update callback"
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Now()
	}
	res, err := s.w.ExecContext(ctx, `UPDATE callbacks SET number = ?, name = ?, queued = ?, expires = ?, attempts = ?,
		state = ?, updated_at = ? WHERE id = ? AND org_id = ?`,
		c.Number, c.Name, toNS(c.Queued), toNS(c.Expires), c.Attempts, string(c.State), toNS(c.UpdatedAt), c.ID, c.OrgID)
	if err != nil {
		return mapErr(op, err)
	}
	return affected(op, c.ID, res)
}

// OpenCallbacks returns the waiting and calling callbacks of every organisation in queue
// order (the time the caller entered the queue).
func (s *Store) OpenCallbacks(ctx context.Context) ([]store.Callback, error) {
	const op = "sqlite: open callbacks"
	rows, err := s.r.QueryContext(ctx, `SELECT id, org_id, queue_id, number, name, queued, expires, attempts, state, updated_at
		FROM callbacks WHERE state IN ('waiting', 'calling') ORDER BY queued, id`)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.Callback
	for rows.Next() {
		var c store.Callback
		var queued, expires, updated int64
		var state string
		if err := rows.Scan(&c.ID, &c.OrgID, &c.QueueID, &c.Number, &c.Name, &queued, &expires, &c.Attempts, &state, &updated); err != nil {
			return nil, mapErr(op, err)
		}
		c.Queued, c.Expires, c.UpdatedAt, c.State = fromNS(queued), fromNS(expires), fromNS(updated), store.CallbackState(state)
		out = append(out, c)
	}
	return out, mapErr(op, rows.Err())
}

// ---- queue calls ----

// AddQueueCall stores a finished call of the organisation's queue; ErrNotFound for another
// organisation's queue.
func (s *Store) AddQueueCall(ctx context.Context, c store.QueueCall) (store.QueueCall, error) {
	const op = "sqlite: add queue call"
	res, err := s.w.ExecContext(ctx, `INSERT INTO queue_calls (org_id, queue_id, caller, agent_id, entered, answered, ended, outcome)
		SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM groups WHERE id = ? AND org_id = ? AND kind = 'queue')`,
		c.OrgID, c.QueueID, c.Caller, c.AgentID, toNS(c.Entered), toNS(c.Answered), toNS(c.Ended), c.Outcome, c.QueueID, c.OrgID)
	if err != nil {
		return store.QueueCall{}, mapErr(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return store.QueueCall{}, mapErr(op, err)
	} else if n == 0 {
		return store.QueueCall{}, fmt.Errorf("%s: queue %d: %w", op, c.QueueID, store.ErrNotFound)
	}
	c.ID, err = res.LastInsertId()
	return c, mapErr(op, err)
}

// QueueCalls returns the queue's finished calls that entered at or after since, oldest first;
// ErrNotFound for another organisation's queue.
func (s *Store) QueueCalls(ctx context.Context, orgID, queueID int64, since time.Time) ([]store.QueueCall, error) {
	const op = "sqlite: queue calls"
	if _, err := s.groupRows(ctx, op, orgID, store.KindQueue, queueID); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, org_id, queue_id, caller, agent_id, entered, answered, ended, outcome
		FROM queue_calls WHERE org_id = ? AND queue_id = ? AND entered >= ? ORDER BY entered, id`, orgID, queueID, toNS(since))
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.QueueCall
	for rows.Next() {
		var c store.QueueCall
		var entered, answered, ended int64
		if err := rows.Scan(&c.ID, &c.OrgID, &c.QueueID, &c.Caller, &c.AgentID, &entered, &answered, &ended, &c.Outcome); err != nil {
			return nil, mapErr(op, err)
		}
		c.Entered, c.Answered, c.Ended = fromNS(entered), fromNS(answered), fromNS(ended)
		out = append(out, c)
	}
	return out, mapErr(op, rows.Err())
}
