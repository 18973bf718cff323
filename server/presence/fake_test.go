package presence

import (
	"context"
	"sort"
	"sync"

	"github.com/vaihde/vaihde/server/store"
)

// fakeStore is the part of store.Store the hub uses, in memory (unit tests of the hub's logic;
// the integration tests use SQLite). Calling any other method panics via the nil interface.
type fakeStore struct {
	store.Store
	mu    sync.Mutex
	users map[int64]store.User
	pres  map[int64]store.Presence
	acts  map[int64][]store.Activity
	puts  int
}

func newFakeStore(users ...store.User) *fakeStore {
	f := &fakeStore{users: map[int64]store.User{}, pres: map[int64]store.Presence{}, acts: map[int64][]store.Activity{}}
	for _, u := range users {
		f.users[u.ID] = u
	}
	return f
}

func (f *fakeStore) UserByID(_ context.Context, id int64) (store.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func (f *fakeStore) ListUsers(_ context.Context, orgID int64) ([]store.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.User
	for _, u := range f.users {
		if u.OrgID == orgID {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (f *fakeStore) Presence(_ context.Context, id int64) (store.Presence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pres[id]
	if !ok {
		return store.Presence{}, store.ErrNotFound
	}
	return p, nil
}

func (f *fakeStore) PutPresence(_ context.Context, p store.Presence) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pres[p.UserID] = p
	f.puts++
	return nil
}

func (f *fakeStore) OrgPresences(_ context.Context, orgID int64) ([]store.Presence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Presence
	for id, p := range f.pres {
		if f.users[id].OrgID == orgID {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeStore) Activities(_ context.Context, orgID int64) ([]store.Activity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acts[orgID], nil
}
