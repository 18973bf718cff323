package main

import (
	"context"
	"log/slog"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/campon"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
)

// camponServices is camp-on (OP-1) as a transfer target of the call engine: an operator
// transfers a caller to 982<ext>. The phone states come with the queue engine's feed.
type camponServices struct {
	svc   *campon.Service
	users campon.Users
}

func newCampon(st store.Store, qs *queues, cat *prompt.Catalog, logger *slog.Logger) camponServices {
	cfg := campon.Config{Logger: logger.With("component", "campon")}
	if cat != nil { // a typed nil must not reach the interface
		cfg.Prompts = cat
	}
	c := camponServices{svc: campon.New(cfg), users: st}
	qs.alsoPhone = c.svc.PhoneState
	return c
}

func (c camponServices) Service(ctx context.Context, call b2bua.ServiceCall) (mediaapp.Flow, bool) {
	return c.svc.Serve(ctx, c.users, campon.Transfer{Org: call.Org, Dialled: call.Dialled, CallerNumber: call.CallerNumber,
		Caller: call.Caller, TransferredBy: call.TransferredBy})
}

// WaitingCount implements api.CampOns: how many callers wait for userID now.
func (c camponServices) WaitingCount(userID int64) int { return len(c.svc.Waiting(userID)) }
