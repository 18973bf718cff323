package features

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// ForwardingStore keeps each user's immediate forwarding target (ROUTE-1), set and cleared by
// the 987 codes. The target is normalised: an extension or an E.164 number.
type ForwardingStore interface {
	// SetForwarding sets the user's target; "" clears it.
	SetForwarding(ctx context.Context, userID int64, target string) error
	// Forwarding returns the user's target, "" when none.
	Forwarding(ctx context.Context, userID int64) (string, error)
}

// MemoryForwarding is a ForwardingStore in memory (lost on restart). It is safe for concurrent
// use.
type MemoryForwarding struct {
	mu sync.Mutex
	m  map[int64]string
}

// NewMemoryForwarding returns an empty store.
func NewMemoryForwarding() *MemoryForwarding { return &MemoryForwarding{m: map[int64]string{}} }

// SetForwarding implements ForwardingStore.
func (f *MemoryForwarding) SetForwarding(_ context.Context, userID int64, target string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if target == "" {
		delete(f.m, userID)
	} else {
		f.m[userID] = target
	}
	return nil
}

// Forwarding implements ForwardingStore.
func (f *MemoryForwarding) Forwarding(_ context.Context, userID int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[userID], nil
}

// StoreForwarding keeps the immediate forwarding in the database's personal routing
// (store.Forwarding.Immediate), leaving the user's other forwarding settings as they are.
type StoreForwarding struct {
	Store interface {
		Forwarding(ctx context.Context, userID int64) (store.Forwarding, error)
		PutForwarding(ctx context.Context, f store.Forwarding) error
	}
}

// SetForwarding implements ForwardingStore.
func (s StoreForwarding) SetForwarding(ctx context.Context, userID int64, target string) error {
	f, err := s.Store.Forwarding(ctx, userID)
	if err != nil {
		return fmt.Errorf("set forwarding: %w", err)
	}
	f.Immediate, f.UpdatedAt = target, time.Now().UTC()
	if err := s.Store.PutForwarding(ctx, f); err != nil {
		return fmt.Errorf("set forwarding: %w", err)
	}
	return nil
}

// Forwarding implements ForwardingStore.
func (s StoreForwarding) Forwarding(ctx context.Context, userID int64) (string, error) {
	f, err := s.Store.Forwarding(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("forwarding: %w", err)
	}
	return f.Immediate, nil
}
