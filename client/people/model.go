// Package people owns the Softphone's live view of the organisation: colleagues from the company
// directory with their presence, the user's own presence, personal and organisation contacts,
// chat conversations and SMS. It talks to the server's HTTP API (shared/api), follows the
// /api/events stream to stay current, and takes instant messages from the phone engine. It never
// imports Fyne: tests and the UI drive it the same way.
package people

import (
	"context"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

// Colleague is one directory entry as the Softphone shows it.
type Colleague struct {
	api.DirectoryEntry
	// Fold is the accent- and case-folded search text of the entry (shared/search).
	Fold string
}

// Chat is one conversation as the chat list shows it.
type Chat struct {
	With     string // the peer's extension
	WithName string
	Last     api.Message
	Unread   int
	Messages []api.Message // loaded history, oldest first (empty until opened)
}

// Snapshot is everything the UI renders from this package. It is a value: Book never mutates a
// snapshot it has handed out.
type Snapshot struct {
	Loaded     bool   // the first load from the server finished
	Live       bool   // the event stream is connected
	Error      string // the last load/stream error in plain words, "" when fine
	Me         api.Presence
	Activities []api.Activity
	Colleagues []Colleague // sorted by name, the user included
	Contacts   []api.Contact
	Chats      []Chat // most recent first
	Unread     int    // sum of Chats' Unread
	// LastIncoming is the newest received message, for the UI's notification.
	LastIncoming *api.Message
}

// Model is what the UI calls. *Book implements it; UI tests may use a fake.
type Model interface {
	Subscribe(fn func(Snapshot)) (cancel func())
	Snapshot() Snapshot

	// Filter returns the colleagues matching the search (DIR-2: each space-separated term
	// matches the beginning of a word of some field; case- and accent-insensitive).
	Filter(query string) []Colleague

	SetPresence(ctx context.Context, u api.PresenceUpdate) error
	// SetIdle reports whether the computer is idle; sent to the server only on change.
	SetIdle(idle bool)

	SaveContact(ctx context.Context, c api.Contact) (api.Contact, error) // create when ID is 0
	DeleteContact(ctx context.Context, id int64) error

	// OpenChat loads the conversation's history and marks it read.
	OpenChat(ctx context.Context, with string) error
	SendChat(ctx context.Context, to, body string) error
	SendSMS(ctx context.Context, to, text string) (api.SMS, error)
}

// Now is the clock; tests replace it.
type Now func() time.Time
