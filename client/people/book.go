package people

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

// Options configure a Book.
type Options struct {
	HTTPClient *http.Client // nil: a client with sensible timeouts (the event stream has none)
	Logger     *slog.Logger
	Now        Now
}

// Book is the live model of the organisation for one login. (Contract stub: the implementer
// replaces this file.)
type Book struct {
	ctrl phone.Controller
	o    Options
}

var _ Model = (*Book)(nil)

// NewBook returns a book that reaches the server through ctrl's login (Controller.Session)
// and receives instant messages through ctrl.OnMessage. Call Start after a successful login.
func NewBook(ctrl phone.Controller, o Options) *Book { return &Book{ctrl: ctrl, o: o} }

// Start loads everything from the server and follows the event stream until ctx ends or Close;
// it returns at once. Starting again (after a new login) reloads.
func (b *Book) Start(ctx context.Context) {}

// Close stops the stream and waits for the book's goroutines.
func (b *Book) Close() {}

var errTodo = errors.New("people: not implemented yet")

func (b *Book) Subscribe(fn func(Snapshot)) (cancel func()) { fn(Snapshot{}); return func() {} }
func (b *Book) Snapshot() Snapshot                          { return Snapshot{} }
func (b *Book) Filter(query string) []Colleague             { return nil }
func (b *Book) SetPresence(ctx context.Context, u api.PresenceUpdate) error {
	return errTodo
}
func (b *Book) SetIdle(idle bool) {}
func (b *Book) SaveContact(ctx context.Context, c api.Contact) (api.Contact, error) {
	return c, errTodo
}
func (b *Book) DeleteContact(ctx context.Context, id int64) error   { return errTodo }
func (b *Book) OpenChat(ctx context.Context, with string) error     { return errTodo }
func (b *Book) SendChat(ctx context.Context, to, body string) error { return errTodo }
func (b *Book) SendSMS(ctx context.Context, to, text string) (api.SMS, error) {
	return api.SMS{}, errTodo
}
