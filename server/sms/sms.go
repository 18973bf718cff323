// Package sms owns sending SMS (SMS-1): the Gateway interface, an HTTP provider configured by
// URL, credentials and a body template, a development provider that writes to an outbox
// directory, and the Service that validates, sends, records and counts every SMS per
// organisation.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
)

// Message is one SMS handed to a gateway.
type Message struct {
	From string // sender: E.164 number or up to 11 alphanumerics
	To   string // E.164
	Text string
	// Parts is the number of SMS the text takes (Parts); OrgID the sending organisation.
	Parts int
	OrgID int64
}

// Gateway sends SMS. Send returns the provider's message ID, if any.
type Gateway interface {
	Send(ctx context.Context, m Message) (providerID string, err error)
}

// Service sends SMS for users. It is safe for concurrent use.
type Service struct {
	st  store.SMSLog
	gw  Gateway
	log *slog.Logger
}

// NewService returns a service sending through gw (nil: every send fails with ErrNoGateway).
func NewService(st store.SMSLog, gw Gateway, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{st: st, gw: gw, log: logger}
}

// ErrNoGateway is returned when no SMS gateway is configured.
var ErrNoGateway = errors.New("sms: no gateway configured")

// ErrNoSender is returned when neither the user nor the organisation has a sender number.
var ErrNoSender = errors.New("sms: no sender number (user mobile, organisation SMS sender or switchboard)")

// Send validates to (any form, normalised with the organisation's country code; must be a
// mobile or other E.164 number) and text (not empty, at most 10 parts), picks the sender (the
// user's mobile number, else the organisation's SMSSender, else its switchboard number), sends,
// records and returns the stored SMS. Validation errors are ErrBadNumber / ErrBadText wrapped.
// Every attempt that reaches the gateway is recorded, a failed one with Status "failed: …";
// the gateway's error is returned wrapped.
func (s *Service) Send(ctx context.Context, org store.Org, from store.User, to, text string) (store.SMS, error) {
	if strings.TrimSpace(text) == "" {
		return store.SMS{}, fmt.Errorf("sms: text is empty: %w", ErrBadText)
	}
	parts, enc := Parts(text)
	if parts > MaxParts {
		return store.SMS{}, fmt.Errorf("sms: text needs %d %s parts, at most %d: %w", parts, enc, MaxParts, ErrBadText)
	}
	n, err := number.Parse(to, org.CountryCode)
	if err != nil {
		return store.SMS{}, fmt.Errorf("sms: recipient %q: %v: %w", to, err, ErrBadNumber)
	}
	if n.Kind != number.E164 {
		return store.SMS{}, fmt.Errorf("sms: recipient %q is a %s, not a phone number: %w", to, n.Kind, ErrBadNumber)
	}
	sender := from.MobileNumber
	if sender == "" {
		sender = org.SMSSender
	}
	if sender == "" {
		sender = org.Switchboard
	}
	if sender == "" {
		return store.SMS{}, ErrNoSender
	}
	rec := store.SMS{OrgID: org.ID, UserID: from.ID, From: sender, To: n.Value, Body: text, Parts: parts, SentAt: time.Now().UTC()}
	var sendErr error
	if s.gw == nil {
		sendErr = ErrNoGateway
	} else {
		rec.ProviderID, sendErr = s.gw.Send(ctx, Message{From: sender, To: n.Value, Text: text, Parts: parts, OrgID: org.ID})
	}
	rec.Status = "sent"
	if sendErr != nil {
		rec.Status = "failed: " + excerpt([]byte(sendErr.Error()), 300)
	}
	// Record even when the caller has gone: the SMS may have left.
	saved, err := s.st.AddSMS(context.WithoutCancel(ctx), rec)
	if err != nil {
		s.log.Error("record sms", "org", org.ID, "user", from.ID, "error", err)
		saved = rec
		if sendErr == nil {
			return saved, fmt.Errorf("sms: record: %w", err)
		}
	}
	if sendErr != nil {
		s.log.Warn("sms failed", "org", org.ID, "user", from.ID, "parts", parts, "error", sendErr)
		if errors.Is(sendErr, ErrNoGateway) {
			return saved, sendErr
		}
		return saved, fmt.Errorf("sms: send to %s: %w", n.Value, sendErr)
	}
	s.log.Info("sms sent", "org", org.ID, "user", from.ID, "parts", parts, "encoding", enc.String(), "id", saved.ID)
	return saved, nil
}

// Validation errors of Send.
var (
	ErrBadNumber = errors.New("sms: not a valid phone number")
	ErrBadText   = errors.New("sms: text is empty or too long")
)
