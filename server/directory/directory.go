// Package directory owns the company directory's search on the server (DIR-1, DIR-2): an index
// of each organisation's users over name, extension, numbers, email, department, title and
// keywords, rebuilt when users change.
package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
	"github.com/vaihde/vaihde/shared/search"
)

// DefaultCountry is the E.164 country code used for national number forms when the store
// cannot say which country an organisation is in.
const DefaultCountry = "358"

// Service searches organisations' users. Each organisation's index is built on first use
// from ListUsers and kept until Invalidate; it is safe for concurrent use.
type Service struct {
	st   store.Users
	orgs store.Orgs // nil when st does not store organisations: DefaultCountry then

	mu    sync.Mutex
	cache map[int64]*orgIndex
}

// orgIndex is one organisation's users sorted by name and their search index. ready is
// closed when the build finished; users/ix/err are read only after that.
type orgIndex struct {
	ready chan struct{}
	users []store.User
	ix    *search.Index
	err   error
}

// New returns a directory over st. When st also implements store.Orgs (as the SQLite store
// does), each organisation's country code decides the national number forms.
func New(st store.Users) *Service {
	s := &Service{st: st, cache: make(map[int64]*orgIndex)}
	s.orgs, _ = st.(store.Orgs)
	return s
}

// Search returns the organisation's users matching q (shared/search rules), sorted by name,
// at most limit (limit <= 0: all). The returned slice is the caller's. The users carry no
// credentials (HA1 and password hashes are empty): load a user from the store to check one.
func (s *Service) Search(ctx context.Context, orgID int64, q string, limit int) ([]store.User, error) {
	oi, err := s.index(ctx, orgID)
	if err != nil {
		return nil, err
	}
	hits := oi.ix.Search(q, limit)
	out := make([]store.User, len(hits))
	for i, h := range hits {
		out[i] = oi.users[h]
	}
	return out, nil
}

// Invalidate drops the organisation's index after a user was added or changed; the next
// Search rebuilds it.
func (s *Service) Invalidate(orgID int64) {
	s.mu.Lock()
	delete(s.cache, orgID)
	s.mu.Unlock()
}

// index returns the organisation's index, building it once however many searches wait.
func (s *Service) index(ctx context.Context, orgID int64) (*orgIndex, error) {
	s.mu.Lock()
	oi, ok := s.cache[orgID]
	if !ok {
		oi = &orgIndex{ready: make(chan struct{})}
		s.cache[orgID] = oi
	}
	s.mu.Unlock()
	if !ok {
		// Build without the caller's cancellation so waiters are not failed by it; the store's
		// own timeouts bound it.
		oi.users, oi.ix, oi.err = s.build(context.WithoutCancel(ctx), orgID)
		if oi.err != nil {
			s.mu.Lock()
			if s.cache[orgID] == oi {
				delete(s.cache, orgID) // retry on the next search
			}
			s.mu.Unlock()
		}
		close(oi.ready)
	}
	select {
	case <-oi.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("directory: search org %d: %w", orgID, ctx.Err())
	}
	if oi.err != nil {
		return nil, oi.err
	}
	return oi, nil
}

func (s *Service) build(ctx context.Context, orgID int64) ([]store.User, *search.Index, error) {
	users, err := s.st.ListUsers(ctx, orgID)
	if err != nil {
		return nil, nil, fmt.Errorf("directory: list users of org %d: %w", orgID, err)
	}
	country := DefaultCountry
	if s.orgs != nil {
		if o, err := s.orgs.OrgByID(ctx, orgID); err == nil && o.CountryCode != "" {
			country = o.CountryCode
		}
	}
	keys := make(map[int64]string, len(users))
	for _, u := range users {
		keys[u.ID] = SortKey(u.Name)
	}
	slices.SortStableFunc(users, func(a, b store.User) int {
		if c := strings.Compare(keys[a.ID], keys[b.ID]); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Extension, b.Extension)
	})
	docs := make([][]string, len(users))
	for i, u := range users {
		docs[i] = Fields(u, country)
		// A directory lists people; credentials never leave the store through it.
		users[i].HA1MD5, users[i].HA1SHA256, users[i].PasswordHash = "", "", ""
	}
	return users, search.NewIndex(docs), nil
}

// Fields returns what a user is found by: name, extension, company and mobile numbers in
// E.164 and national form, email, department, title and keywords.
func Fields(u store.User, country string) []string {
	f := make([]string, 0, 10)
	f = append(f, u.Name, u.Extension)
	for _, n := range []string{u.CompanyNumber, u.MobileNumber} {
		if n == "" {
			continue
		}
		f = append(f, n)
		if p, err := number.Parse(n, country); err == nil {
			if nat := p.National(country); nat != n {
				f = append(f, nat)
			}
		}
	}
	return append(f, u.Email, u.Department, u.Title, u.Keywords)
}

// SortKey orders names as Finnish and Swedish readers expect: case-insensitive, accents
// ignored (é = e), but Å, Ä and Ö after Z in that order (Æ with Ä, Ø with Ö).
func SortKey(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch unicode.ToLower(r) {
		case 'å':
			b.WriteRune('{') // '{', '|', '}' follow 'z' in ASCII
		case 'ä', 'æ':
			b.WriteRune('|')
		case 'ö', 'ø':
			b.WriteRune('}')
		default:
			b.WriteString(search.Fold(string(r)))
		}
	}
	return b.String()
}
