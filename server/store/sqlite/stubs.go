package sqlite

// Contract stubs: the store implementer replaces this file with real tables.

import (
	"context"
	"errors"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

var errTodo = errors.New("sqlite: not implemented yet")

func (s *Store) Presence(ctx context.Context, userID int64) (store.Presence, error) {
	return store.Presence{}, store.ErrNotFound
}
func (s *Store) PutPresence(ctx context.Context, p store.Presence) error { return errTodo }
func (s *Store) OrgPresences(ctx context.Context, orgID int64) ([]store.Presence, error) {
	return nil, nil
}
func (s *Store) Activities(ctx context.Context, orgID int64) ([]store.Activity, error) {
	return nil, errTodo
}
func (s *Store) PutActivity(ctx context.Context, a store.Activity) error { return errTodo }
func (s *Store) CreateContact(ctx context.Context, c store.Contact) (store.Contact, error) {
	return c, errTodo
}
func (s *Store) UpdateContact(ctx context.Context, c store.Contact) error   { return errTodo }
func (s *Store) DeleteContact(ctx context.Context, ownerID, id int64) error { return errTodo }
func (s *Store) ContactsOf(ctx context.Context, orgID, ownerID int64) ([]store.Contact, error) {
	return nil, errTodo
}
func (s *Store) AddMessage(ctx context.Context, m store.Message) (store.Message, error) {
	return m, errTodo
}
func (s *Store) MarkDelivered(ctx context.Context, id int64, at time.Time) error { return errTodo }
func (s *Store) Undelivered(ctx context.Context, toUserID int64) ([]store.Message, error) {
	return nil, errTodo
}
func (s *Store) History(ctx context.Context, a, b, beforeID int64, limit int) ([]store.Message, error) {
	return nil, errTodo
}
func (s *Store) Conversations(ctx context.Context, userID int64) ([]store.Conversation, error) {
	return nil, errTodo
}
func (s *Store) MarkRead(ctx context.Context, userID, peerID int64, at time.Time) error {
	return errTodo
}
func (s *Store) AddSMS(ctx context.Context, m store.SMS) (store.SMS, error) { return m, errTodo }
func (s *Store) SMSCount(ctx context.Context, orgID int64, since time.Time) (int, error) {
	return 0, errTodo
}
