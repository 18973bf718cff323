package signaling

import (
	"sort"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// maxBindingsPerUser bounds how many contacts one user may register; the binding that expires
// first gives way to a new one.
const maxBindingsPerUser = 20

// registry is the in-memory copy of all unexpired bindings, written through to the store by
// the registrar. Each user's list has its own lock so REGISTERs of different users don't wait
// for each other.
type registry struct {
	mu    sync.RWMutex
	users map[int64]*userBindings
}

type userBindings struct {
	mu   sync.Mutex
	list []store.Binding
	// persisted is the expiry last written to the store per contact: a refresh that would move
	// it by less than persistSlack (a retransmission, a client re-registering every second) is
	// kept in memory only.
	persisted map[string]time.Time
	// dead is set when purge removed this entry from the registry; whoever locks it afterwards
	// must look the user up again.
	dead bool
}

// persistSlack is how far the stored expiry of an otherwise unchanged binding may lag the
// real one. After a restart such a binding may expire this much early.
const persistSlack = 5 * time.Second

func newRegistry() *registry { return &registry{users: make(map[int64]*userBindings)} }

// user returns the user's entry, creating it.
func (r *registry) user(id int64) *userBindings {
	r.mu.RLock()
	ub := r.users[id]
	r.mu.RUnlock()
	if ub != nil {
		return ub
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ub = r.users[id]; ub == nil {
		ub = &userBindings{persisted: make(map[string]time.Time)}
		r.users[id] = ub
	}
	return ub
}

// lockUser returns the user's live entry, locked.
func (r *registry) lockUser(id int64) *userBindings {
	for {
		ub := r.user(id)
		ub.mu.Lock()
		if !ub.dead {
			return ub
		}
		ub.mu.Unlock()
	}
}

func (r *registry) load(bs []store.Binding) {
	for _, b := range bs {
		ub := r.lockUser(b.UserID)
		ub.list = append(ub.list, b)
		ub.persisted[b.Contact] = b.Expires
		ub.mu.Unlock()
	}
}

// current returns copies of the user's bindings unexpired at now.
func (r *registry) current(id int64, now time.Time) []store.Binding {
	r.mu.RLock()
	ub := r.users[id]
	r.mu.RUnlock()
	if ub == nil {
		return nil
	}
	ub.mu.Lock()
	defer ub.mu.Unlock()
	return unexpired(ub.list, now)
}

func unexpired(list []store.Binding, now time.Time) []store.Binding {
	out := make([]store.Binding, 0, len(list))
	for _, b := range list {
		if b.Expires.After(now) {
			out = append(out, b)
		}
	}
	return out
}

// purge drops expired bindings and empty users, returning the users that lost a binding.
func (r *registry) purge(now time.Time) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var changed []int64
	for id, ub := range r.users {
		ub.mu.Lock()
		kept := unexpired(ub.list, now)
		if len(kept) != len(ub.list) {
			changed = append(changed, id)
			ub.list = kept
			live := make(map[string]time.Time, len(kept))
			for _, b := range kept {
				live[b.Contact] = ub.persisted[b.Contact]
			}
			ub.persisted = live
		}
		if len(kept) == 0 {
			delete(r.users, id)
			ub.dead = true
		}
		ub.mu.Unlock()
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i] < changed[j] })
	return changed
}
