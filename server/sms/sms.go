// Package sms owns sending SMS (SMS-1): the Gateway interface, an HTTP provider configured by
// URL, credentials and a body template, a development provider that writes to an outbox
// directory, and the Service that validates, sends, records and counts every SMS per
// organisation.
package sms

import (
	"context"
	"errors"
	"log/slog"

	"github.com/vaihde/vaihde/server/store"
)

// Message is one SMS handed to a gateway.
type Message struct {
	From string // sender: E.164 number or up to 11 alphanumerics
	To   string // E.164
	Text string
}

// Gateway sends SMS. Send returns the provider's message ID, if any.
type Gateway interface {
	Send(ctx context.Context, m Message) (providerID string, err error)
}

// Service sends SMS for users. (Contract stub: the implementer fills it in.)
type Service struct {
	st  store.SMSLog
	gw  Gateway
	log *slog.Logger
}

// NewService returns a service sending through gw (nil: every send fails with ErrNoGateway).
func NewService(st store.SMSLog, gw Gateway, logger *slog.Logger) *Service {
	return &Service{st: st, gw: gw, log: logger}
}

// ErrNoGateway is returned when no SMS gateway is configured.
var ErrNoGateway = errors.New("sms: no gateway configured")

// Send validates to (any form, normalised with the organisation's country code; must be a
// mobile or other E.164 number) and text (not empty, at most 10 parts), picks the sender (the
// user's mobile number, else the organisation's SMSSender, else its switchboard number), sends,
// records and returns the stored SMS. Validation errors are ErrBadNumber / ErrBadText wrapped.
func (s *Service) Send(ctx context.Context, org store.Org, from store.User, to, text string) (store.SMS, error) {
	return store.SMS{}, ErrNoGateway
}

// Validation errors of Send.
var (
	ErrBadNumber = errors.New("sms: not a valid phone number")
	ErrBadText   = errors.New("sms: text is empty or too long")
)
