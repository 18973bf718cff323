// Package vmtransfer sends a caller straight to a colleague's voicemail (OP-1 "transfer to
// voicemail"): the number Prefix+<ext>, dialled by a user of the organisation or used as the
// target of a transfer (REFER, the DTMF transfer code, the Softphone's blind transfer), runs
// <ext>'s voicemail deposit (greeting, beep, recording) on the caller's own leg without
// ringing <ext>.
package vmtransfer

import (
	"context"
	"log/slog"
	"strings"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// Prefix is the feature code; Prefix+<ext> is <ext>'s mailbox.
const Prefix = "981"

// Call is a call to a Prefix number, dialled or transferred there.
type Call struct {
	Org          store.Org
	Caller       store.User // zero for an outside caller
	CallerNumber string
	Dialled      string
	// Internal: dialled by a user of the organisation (not through a DID).
	Internal bool
	// TransferredBy is the user who transferred the caller here; zero when dialled.
	TransferredBy store.User
}

// Users finds the mailbox owner.
type Users interface {
	UserByExtension(ctx context.Context, orgID int64, ext string) (store.User, error)
}

// Deposit returns box's voicemail deposit flow for c; false when voicemail cannot take it.
type Deposit func(ctx context.Context, org store.Org, box store.User, c Call) (mediaapp.Flow, bool)

// Service answers Prefix numbers.
type Service struct {
	users   Users
	deposit Deposit
	log     *slog.Logger
}

// New returns the service; logger nil means slog.Default.
func New(users Users, deposit Deposit, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{users: users, deposit: deposit, log: logger}
}

// Serve returns the deposit flow of the mailbox c.Dialled names. It answers only a user of the
// organisation dialling, or a transfer by one, and only for a mailbox of the organisation;
// otherwise false: the number is no service (a dialled call is then 404, a transfer fails
// and the transferor keeps the call).
func (s *Service) Serve(ctx context.Context, c Call) (mediaapp.Flow, bool) {
	ext, ok := strings.CutPrefix(c.Dialled, Prefix)
	if !ok || ext == "" {
		return nil, false
	}
	byUser := c.Internal && c.Caller.ID != 0 && c.Caller.OrgID == c.Org.ID && c.TransferredBy.ID == 0
	byTransfer := c.TransferredBy.ID != 0 && c.TransferredBy.OrgID == c.Org.ID
	if !byUser && !byTransfer {
		return nil, false
	}
	box, err := s.users.UserByExtension(ctx, c.Org.ID, ext)
	if err != nil || box.OrgID != c.Org.ID {
		s.log.Info("transfer to voicemail: no such mailbox", "org", c.Org.ID, "ext", ext, "error", err)
		return nil, false
	}
	f, ok := s.deposit(ctx, c.Org, box, c)
	if !ok || f == nil {
		return nil, false
	}
	s.log.Info("transfer to voicemail", "org", c.Org.ID, "mailbox", box.Extension, "caller", c.CallerNumber,
		"by", c.TransferredBy.Extension)
	return f, true
}
