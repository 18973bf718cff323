// Package messaging owns instant messages between users (IM-1): SIP MESSAGE requests from any
// device are authenticated, stored, and forwarded to every registered device of the recipient;
// messages for users with no reachable device wait in the store and go out when one registers.
package messaging

import (
	"context"
	"errors"
	"log/slog"

	"github.com/emiago/sipgo"

	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store"
)

// Deps are the parts messaging uses.
type Deps struct {
	Store     store.Store
	Directory signaling.Directory
	Client    *sipgo.Client
	Logger    *slog.Logger
	// ContactHost/ContactPort: the server's SIP address for From of forwarded messages.
	ContactHost string
	ContactPort int
}

// Service routes instant messages. (Contract stub: the implementer fills it in.)
type Service struct{ deps Deps }

// New returns a messaging service; Close stops its goroutines.
func New(deps Deps) *Service { return &Service{deps: deps} }

// Attach registers the SIP MESSAGE handler on srv (before the server starts).
func (s *Service) Attach(srv *sipgo.Server) {}

// Send stores a message from a user to a colleague (extension or number) and delivers it to
// the recipient's devices (for the HTTP API). ErrUnknownRecipient, ErrEmpty and ErrTooLong
// are returned wrapped for bad input.
func (s *Service) Send(ctx context.Context, from store.User, to, body string) (store.Message, error) {
	return store.Message{}, errors.New("messaging: not implemented")
}

// Deliver sends the user's waiting messages to the user's devices; wire it to the registrar's
// OnBindingsChanged. It must not block.
func (s *Service) Deliver(userID int64) {}

// Close stops delivery goroutines.
func (s *Service) Close() error { return nil }

// Errors for bad input.
var (
	ErrUnknownRecipient = errors.New("messaging: no such user")
	ErrEmpty            = errors.New("messaging: empty message")
	ErrTooLong          = errors.New("messaging: message too long")
)
