package main

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/park"
	shared "github.com/vaihde/vaihde/shared/api"
)

// newPark builds call park (CALL-7): its codes come before the other service numbers, and it
// is the call engine's transfer target for parking.
func newPark(cfg config.Config, logger *slog.Logger) parkServices {
	return parkServices{park.New(park.Config{RingBack: time.Duration(cfg.ParkRingBack) * time.Second,
		Logger: logger.With("component", "park")})}
}

// parkServices is call park as the call engine's b2bua.Services.
type parkServices struct{ park *park.Service }

func (p parkServices) Service(ctx context.Context, c b2bua.ServiceCall) (mediaapp.Flow, bool) {
	return p.park.Serve(ctx, park.Call{Org: c.Org, Caller: c.Caller, CallerNumber: c.CallerNumber, Dialled: c.Dialled,
		Internal: c.Internal, TransferredBy: c.TransferredBy})
}

// servicesChain asks each Services in turn; the first that answers serves the call.
type servicesChain []b2bua.Services

func (c servicesChain) Service(ctx context.Context, call b2bua.ServiceCall) (mediaapp.Flow, bool) {
	for _, s := range c {
		if f, ok := s.Service(ctx, call); ok {
			return f, true
		}
	}
	return nil, false
}

// Parked implements api.Parked: the organisation's parked calls for the console.
func (p parkServices) Parked(orgID int64) []shared.ParkedCall {
	var out []shared.ParkedCall
	for _, c := range p.park.Parked(orgID) {
		out = append(out, shared.ParkedCall{Slot: c.Slot, Number: c.Number, Name: c.Name, ParkedBy: c.ParkedByExt,
			ParkedByName: c.ParkedByName, Since: c.Since, RingingBack: c.RingingBack,
			Retrieve: park.PrefixRetrieve + strconv.Itoa(c.Slot)})
	}
	return out
}
