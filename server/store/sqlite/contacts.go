package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vaihde/vaihde/server/store"
)

// ---- contacts ----

const contactCols = "id, org_id, owner_id, user_id, name, company, mobile, phone, email, favourite, vip, groups, note"

func scanContact(row interface{ Scan(...any) error }) (store.Contact, error) {
	var c store.Contact
	var userID sql.NullInt64
	err := row.Scan(&c.ID, &c.OrgID, &c.OwnerID, &userID, &c.Name, &c.Company, &c.Mobile, &c.Phone, &c.Email,
		&c.Favourite, &c.VIP, &c.Groups, &c.Note)
	c.UserID = userID.Int64
	return c, err
}

// An external contact stores NULL as its user so the foreign key does not apply.
func nullableID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// CreateContact inserts c and returns it with its ID. An internal contact's UserID must exist
// (else ErrNotFound).
func (s *Store) CreateContact(ctx context.Context, c store.Contact) (store.Contact, error) {
	const op = "sqlite: create contact"
	res, err := s.w.ExecContext(ctx, `INSERT INTO contacts (org_id, owner_id, user_id, name, company, mobile, phone, email,
		favourite, vip, groups, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.OrgID, c.OwnerID, nullableID(c.UserID), c.Name, c.Company, c.Mobile, c.Phone, c.Email, c.Favourite, c.VIP, c.Groups, c.Note)
	if err != nil {
		return store.Contact{}, mapErr(op, err)
	}
	c.ID, err = res.LastInsertId()
	return c, mapErr(op, err)
}

// UpdateContact replaces the contact with c.ID. It is ErrNotFound unless the stored contact
// has the same owner and, when c.OrgID is set, the same organisation; an organisation
// contact (OwnerID 0) always needs c.OrgID, so no organisation can change another's.
func (s *Store) UpdateContact(ctx context.Context, c store.Contact) error {
	const op = "sqlite: update contact"
	if c.OwnerID == 0 && c.OrgID == 0 {
		return fmt.Errorf("%s %d: organisation contact without organisation: %w", op, c.ID, store.ErrNotFound)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE contacts SET user_id = ?, name = ?, company = ?, mobile = ?, phone = ?,
		email = ?, favourite = ?, vip = ?, groups = ?, note = ?
		WHERE id = ? AND owner_id = ? AND (? = 0 OR org_id = ?)`,
		nullableID(c.UserID), c.Name, c.Company, c.Mobile, c.Phone, c.Email, c.Favourite, c.VIP, c.Groups, c.Note,
		c.ID, c.OwnerID, c.OrgID, c.OrgID)
	if err != nil {
		return mapErr(op, err)
	}
	return affected(op, c.ID, res)
}

// DeleteContact removes the owner's contact id; ErrNotFound if it has another owner. For
// organisation contacts (ownerID 0) the caller checks the organisation first (ContactsOf).
func (s *Store) DeleteContact(ctx context.Context, ownerID, id int64) error {
	const op = "sqlite: delete contact"
	res, err := s.w.ExecContext(ctx, `DELETE FROM contacts WHERE id = ? AND owner_id = ?`, id, ownerID)
	if err != nil {
		return mapErr(op, err)
	}
	return affected(op, id, res)
}

// ContactsOf returns the user's personal contacts (ownerID > 0) or, with ownerID 0, the
// organisation's contacts, favourites first, then by name.
func (s *Store) ContactsOf(ctx context.Context, orgID, ownerID int64) ([]store.Contact, error) {
	const op = "sqlite: contacts"
	rows, err := s.r.QueryContext(ctx, `SELECT `+contactCols+` FROM contacts WHERE org_id = ? AND owner_id = ?
		ORDER BY favourite DESC, name COLLATE NOCASE, id`, orgID, ownerID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []store.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, c)
	}
	return out, mapErr(op, rows.Err())
}

// affected turns "no row changed" into ErrNotFound.
func affected(op string, id int64, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %d: %w", op, id, store.ErrNotFound)
	}
	return nil
}
