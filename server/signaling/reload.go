package signaling

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/vaihde/vaihde/server/store"
)

// Reload makes the server see what another process changed in the store (the `vaihde user`
// commands): cached users and organisations are dropped, so a new password or a new user
// counts on the next request, and the registrations of users that no longer exist end — their
// bindings leave memory and the store, and the OnBindingsChanged hooks (presence, BLF) hear of
// it. It returns the users whose registrations ended.
func (s *Server) Reload(ctx context.Context) ([]int64, error) {
	s.InvalidateUsers()
	var gone []int64
	for _, id := range s.reg.userIDs() {
		_, err := s.st.UserByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			gone = append(gone, id)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("signaling: reload: user %d: %w", id, err)
		}
	}
	for _, id := range gone {
		n := s.reg.drop(id)
		// Deleting a user deletes its bindings too; this covers a store that does not cascade.
		if err := s.st.DeleteBindings(ctx, id); err != nil {
			s.log.Warn("reload: delete bindings of a removed user", "user", id, "error", err)
		}
		s.log.Info("registrations ended: user removed", "user", id, "bindings", n)
		s.bindingsChanged(id)
	}
	return gone, nil
}

// userIDs returns the users with an entry, in ID order.
func (r *registry) userIDs() []int64 {
	r.mu.RLock()
	ids := make([]int64, 0, len(r.users))
	for id := range r.users {
		ids = append(ids, id)
	}
	r.mu.RUnlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// drop removes the user's entry and returns how many bindings it had.
func (r *registry) drop(id int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	ub := r.users[id]
	if ub == nil {
		return 0
	}
	ub.mu.Lock()
	n := len(ub.list)
	ub.list, ub.dead = nil, true
	ub.mu.Unlock()
	delete(r.users, id)
	return n
}
