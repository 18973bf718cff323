package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/number"
	"github.com/vaihde/vaihde/shared/search"
)

// Length limits of a contact's fields, in characters.
var contactLimits = []struct {
	field string
	get   func(*shared.Contact) string
	max   int
}{
	{"name", func(c *shared.Contact) string { return c.Name }, 200},
	{"company", func(c *shared.Contact) string { return c.Company }, 200},
	{"mobile", func(c *shared.Contact) string { return c.Mobile }, 40},
	{"phone", func(c *shared.Contact) string { return c.Phone }, 40},
	{"email", func(c *shared.Contact) string { return c.Email }, 254},
	{"groups", func(c *shared.Contact) string { return c.Groups }, 500},
	{"note", func(c *shared.Contact) string { return c.Note }, 2000},
}

// badRequest is a validation failure whose text is shown to the user as it is.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

// validContact checks c and returns the record to store: numbers in E.164, an internal
// contact's colleague in the user's organisation.
func (s *Server) validContact(ctx context.Context, u store.User, org store.Org, c shared.Contact) (store.Contact, error) {
	for _, l := range contactLimits {
		v := l.get(&c)
		if !utf8.ValidString(v) {
			return store.Contact{}, badRequest{l.field + " is not valid text"}
		}
		if n := utf8.RuneCountInString(v); n > l.max {
			return store.Contact{}, badRequest{fmt.Sprintf("%s longer than %d characters", l.field, l.max)}
		}
	}
	rec := store.Contact{OrgID: u.OrgID, UserID: c.UserID, Name: strings.TrimSpace(c.Name),
		Company: strings.TrimSpace(c.Company), Email: strings.TrimSpace(c.Email), Favourite: c.Favourite,
		VIP: c.VIP, Groups: strings.TrimSpace(c.Groups), Note: c.Note}
	if !c.Org {
		rec.OwnerID = u.ID
	}
	if c.UserID != 0 {
		col, err := s.st.UserByID(ctx, c.UserID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && col.OrgID != u.OrgID) {
			return store.Contact{}, badRequest{fmt.Sprintf("no colleague with user_id %d", c.UserID)}
		}
		if err != nil {
			return store.Contact{}, err
		}
		if rec.Name == "" {
			rec.Name = col.Name
		}
	}
	if rec.Name == "" {
		return store.Contact{}, badRequest{"name is required"}
	}
	if rec.Email != "" && !strings.Contains(rec.Email, "@") {
		return store.Contact{}, badRequest{"email is not an address"}
	}
	for _, f := range []struct {
		field string
		raw   string
		dst   *string
	}{{"mobile", c.Mobile, &rec.Mobile}, {"phone", c.Phone, &rec.Phone}} {
		if strings.TrimSpace(f.raw) == "" {
			continue
		}
		n, err := number.Parse(f.raw, org.CountryCode)
		if err != nil || n.Kind != number.E164 {
			return store.Contact{}, badRequest{fmt.Sprintf("%s %q is not a phone number", f.field, f.raw)}
		}
		*f.dst = n.Value
	}
	return rec, nil
}

// contactOut converts a record; an internal contact shows the colleague's current name and
// numbers from the directory.
func contactOut(c store.Contact, colleagues map[int64]store.User) shared.Contact {
	out := shared.Contact{ID: c.ID, Org: c.OwnerID == 0, UserID: c.UserID, Name: c.Name, Company: c.Company,
		Mobile: c.Mobile, Phone: c.Phone, Email: c.Email, Favourite: c.Favourite, VIP: c.VIP, Groups: c.Groups, Note: c.Note}
	if col, ok := colleagues[c.UserID]; ok && c.UserID != 0 {
		out.Name, out.Mobile, out.Phone = col.Name, col.MobileNumber, col.CompanyNumber
		if col.Email != "" {
			out.Email = col.Email
		}
	}
	return out
}

// colleagues maps the organisation's users by ID (for internal contacts).
func (s *Server) colleagues(ctx context.Context, orgID int64) (map[int64]store.User, error) {
	users, err := s.st.ListUsers(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list users of org %d: %w", orgID, err)
	}
	m := make(map[int64]store.User, len(users))
	for _, u := range users {
		m[u.ID] = u
	}
	return m, nil
}

// visibleContacts returns the user's personal contacts followed by the organisation's.
func (s *Server) visibleContacts(ctx context.Context, u store.User) ([]store.Contact, error) {
	own, err := s.st.ContactsOf(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, fmt.Errorf("contacts of user %d: %w", u.ID, err)
	}
	org, err := s.st.ContactsOf(ctx, u.OrgID, 0)
	if err != nil {
		return nil, fmt.Errorf("contacts of org %d: %w", u.OrgID, err)
	}
	for _, c := range org {
		if inGroups(u, c.Groups) {
			own = append(own, c)
		}
	}
	return own, nil
}

// inGroups reports whether an organisation contact for groups is visible to u (DIR-4): it is
// for everyone when groups is empty; otherwise a user's group is the department, compared
// case- and accent-insensitively. Admins see every contact, since they manage them.
func inGroups(u store.User, groups string) bool {
	if strings.TrimSpace(groups) == "" || u.Admin {
		return true
	}
	dept := search.Fold(strings.TrimSpace(u.Department))
	if dept == "" {
		return false
	}
	for _, g := range strings.Fields(groups) {
		if search.Fold(g) == dept {
			return true
		}
	}
	return search.Fold(strings.TrimSpace(groups)) == dept // a department name with spaces
}

func (s *Server) contacts(w http.ResponseWriter, r *http.Request, u store.User) {
	ctx := r.Context()
	list, err := s.visibleContacts(ctx, u)
	if err != nil {
		s.internal(w, "contacts", err)
		return
	}
	cols, err := s.colleagues(ctx, u.OrgID)
	if err != nil {
		s.internal(w, "contacts", err)
		return
	}
	out := shared.ContactList{Contacts: make([]shared.Contact, 0, len(list))}
	for _, c := range list {
		out.Contacts = append(out.Contacts, contactOut(c, cols))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, u store.User) {
	var req shared.Contact
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Org && !u.Admin {
		writeError(w, http.StatusForbidden, "only an administrator may manage organisation contacts")
		return
	}
	ctx := r.Context()
	rec, ok := s.contactRecord(w, r, u, req)
	if !ok {
		return
	}
	rec, err := s.st.CreateContact(ctx, rec)
	if err != nil {
		s.internal(w, "create contact", err)
		return
	}
	if rec.OwnerID == 0 { // an organisation contact is an admin change
		s.audit(ctx, u.OrgID, u, "contact.create", contactTarget(rec), "", summary(contactFields(rec)))
	}
	s.contactSaved(w, r, u, rec)
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, u store.User) {
	old, ok := s.findContact(w, r, u)
	if !ok {
		return
	}
	var req shared.Contact
	if !decodeBody(w, r, &req) {
		return
	}
	req.Org = old.OwnerID == 0 // a contact stays personal or organisation-wide
	rec, ok := s.contactRecord(w, r, u, req)
	if !ok {
		return
	}
	rec.ID, rec.OwnerID = old.ID, old.OwnerID
	if err := s.st.UpdateContact(r.Context(), rec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "no such contact")
			return
		}
		s.internal(w, "update contact", err)
		return
	}
	if rec.OwnerID == 0 {
		o, n := diff(contactFields(old), contactFields(rec))
		s.audit(r.Context(), u.OrgID, u, "contact.update", contactTarget(rec), o, n)
	}
	s.contactSaved(w, r, u, rec)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, u store.User) {
	old, ok := s.findContact(w, r, u)
	if !ok {
		return
	}
	if err := s.st.DeleteContact(r.Context(), old.OwnerID, old.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internal(w, "delete contact", err)
		return
	}
	if old.OwnerID == 0 {
		s.audit(r.Context(), u.OrgID, u, "contact.delete", contactTarget(old), summary(contactFields(old)), "")
	}
	s.contactsChanged(u.OrgID, old.OwnerID)
	w.WriteHeader(http.StatusNoContent)
}

// findContact returns the contact {id} the user may change: a personal one of the user's, or
// an organisation contact when the user is an admin (403 otherwise, 404 when not visible).
func (s *Server) findContact(w http.ResponseWriter, r *http.Request, u store.User) (store.Contact, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "contact id must be a positive number")
		return store.Contact{}, false
	}
	list, err := s.visibleContacts(r.Context(), u)
	if err != nil {
		s.internal(w, "find contact", err)
		return store.Contact{}, false
	}
	for _, c := range list {
		if c.ID != id {
			continue
		}
		if c.OwnerID == 0 && !u.Admin {
			writeError(w, http.StatusForbidden, "only an administrator may manage organisation contacts")
			return store.Contact{}, false
		}
		return c, true
	}
	writeError(w, http.StatusNotFound, "no such contact")
	return store.Contact{}, false
}

// contactRecord validates req; on failure it has answered.
func (s *Server) contactRecord(w http.ResponseWriter, r *http.Request, u store.User, req shared.Contact) (store.Contact, bool) {
	org, err := s.st.OrgByID(r.Context(), u.OrgID)
	if err != nil {
		s.internal(w, "contact: load org", err)
		return store.Contact{}, false
	}
	rec, err := s.validContact(r.Context(), u, org, req)
	var bad badRequest
	if errors.As(err, &bad) {
		writeError(w, http.StatusBadRequest, bad.msg)
		return store.Contact{}, false
	}
	if err != nil {
		s.internal(w, "contact", err)
		return store.Contact{}, false
	}
	return rec, true
}

func (s *Server) contactSaved(w http.ResponseWriter, r *http.Request, u store.User, rec store.Contact) {
	s.contactsChanged(u.OrgID, rec.OwnerID)
	cols := map[int64]store.User{}
	if rec.UserID != 0 {
		if col, err := s.st.UserByID(r.Context(), rec.UserID); err == nil {
			cols[col.ID] = col
		}
	}
	writeJSON(w, http.StatusOK, contactOut(rec, cols))
}

// contactsChanged tells the owner's streams (every colleague's, for an organisation contact).
func (s *Server) contactsChanged(orgID, ownerID int64) {
	s.streams.publish(orgID, ownerID, shared.Event{Type: shared.EventContacts})
}

// contactTarget and contactFields describe an organisation contact in the audit log.
func contactTarget(c store.Contact) string { return "contact " + strconv.FormatInt(c.ID, 10) }

func contactFields(c store.Contact) []field {
	return []field{{"name", c.Name}, {"company", c.Company}, {"mobile", c.Mobile}, {"phone", c.Phone},
		{"email", c.Email}, {"user_id", strconv.FormatInt(c.UserID, 10)}, {"vip", strconv.FormatBool(c.VIP)},
		{"groups", c.Groups}, {"note", c.Note}}
}
