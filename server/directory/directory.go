// Package directory owns the company directory's search on the server (DIR-1, DIR-2): an index
// of each organisation's users over name, extension, numbers, email, department, title and
// keywords, rebuilt when users change.
package directory

import (
	"context"

	"github.com/vaihde/vaihde/server/store"
)

// Service searches organisations' users. (Contract stub: the implementer fills it in.)
type Service struct{ st store.Users }

// New returns a directory over st.
func New(st store.Users) *Service { return &Service{st: st} }

// Search returns the organisation's users matching q (shared/search rules), sorted by name,
// at most limit (limit <= 0: all).
func (s *Service) Search(ctx context.Context, orgID int64, q string, limit int) ([]store.User, error) {
	return s.st.ListUsers(ctx, orgID)
}

// Invalidate drops the organisation's index after a user was added or changed.
func (s *Service) Invalidate(orgID int64) {}
