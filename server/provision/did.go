package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/vaihde/vaihde/server/store"
)

// SetDID puts number (any form, ORG-3) in the organisation's number pool, routed to ext (a
// user's extension or a service number; "" = unassigned), as the admin API's PUT
// /api/admin/dids does. A number another organisation owns is refused.
func (s *Service) SetDID(ctx context.Context, domain, number, ext, note string) (store.DID, error) {
	o, err := s.org(ctx, domain)
	if err != nil {
		return store.DID{}, err
	}
	num, err := normalizeNumber("number", number, o.CountryCode)
	if err != nil {
		return store.DID{}, err
	}
	if num == "" {
		return store.DID{}, badInput("number is empty")
	}
	if note, err = validNote(note); err != nil {
		return store.DID{}, err
	}
	old, err := s.St.DIDByNumber(ctx, num)
	switch {
	case err == nil && old.OrgID != o.ID:
		return store.DID{}, badInput("%s belongs to another organisation", num)
	case errors.Is(err, store.ErrNotFound):
		old = store.DID{}
	case err != nil:
		return store.DID{}, fmt.Errorf("provision: number %s: %w", num, err)
	}
	if vm, act := o.ServiceNumbers(); ext != "" && ext != vm && ext != act {
		if _, err := s.user(ctx, o, ext); err != nil {
			return store.DID{}, err
		}
	}
	if gs, ok := s.St.(store.GroupStore); ok && ext != "" {
		if _, _, err := gs.GroupByNumber(ctx, o.ID, num); err == nil {
			return store.DID{}, badInput("%s is a group's number: it cannot reach an extension", num)
		}
	}
	d := store.DID{OrgID: o.ID, Number: num, Extension: ext, Note: note}
	if err := s.St.PutDID(ctx, d); errors.Is(err, store.ErrConflict) {
		return store.DID{}, badInput("%s belongs to another organisation", num)
	} else if err != nil {
		return store.DID{}, fmt.Errorf("provision: number %s: %w", num, err)
	}
	s.audit(ctx, o.ID, "did.put", "did "+num, didText(old), didText(d))
	return d, nil
}

// DeleteDID removes number from the organisation's pool.
func (s *Service) DeleteDID(ctx context.Context, domain, number string) error {
	o, err := s.org(ctx, domain)
	if err != nil {
		return err
	}
	num, err := normalizeNumber("number", number, o.CountryCode)
	if err != nil {
		return err
	}
	old, err := s.St.DIDByNumber(ctx, num)
	if errors.Is(err, store.ErrNotFound) || err == nil && old.OrgID != o.ID {
		return badInput("%s is not in the number pool of %s", num, o.Domain)
	}
	if err != nil {
		return fmt.Errorf("provision: number %s: %w", num, err)
	}
	if err := s.St.DeleteDID(ctx, o.ID, num); errors.Is(err, store.ErrConflict) {
		return badInput("%s is a group's number: give the group another number first", num)
	} else if err != nil {
		return fmt.Errorf("provision: delete number %s: %w", num, err)
	}
	s.audit(ctx, o.ID, "did.delete", "did "+num, didText(old), "")
	return nil
}

// DIDs returns the organisation's number pool.
func (s *Service) DIDs(ctx context.Context, domain string) ([]store.DID, error) {
	o, err := s.org(ctx, domain)
	if err != nil {
		return nil, err
	}
	ds, err := s.St.ListDIDs(ctx, o.ID)
	if err != nil {
		return nil, fmt.Errorf("provision: number pool of %s: %w", domain, err)
	}
	return ds, nil
}

func didText(d store.DID) string {
	if d.Number == "" {
		return ""
	}
	return fmt.Sprintf("extension=%s note=%q", d.Extension, d.Note)
}

func validNote(n string) (string, error) {
	if n == "" {
		return "", nil
	}
	return validName("note", n)
}
