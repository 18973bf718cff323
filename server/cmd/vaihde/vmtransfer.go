package main

import (
	"context"
	"log/slog"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/vmtransfer"
	"github.com/vaihde/vaihde/server/voicemail"
)

// vmTransferServices is transfer to voicemail (981<ext>) as a service number and a transfer
// target of the call engine, over the same deposit flow as the groups' "voicemail:<ext>"
// targets (no service until the mailbox exists).
type vmTransferServices struct{ svc *vmtransfer.Service }

func newVMTransfer(st store.Store, vm *groupVoicemail, logger *slog.Logger) vmTransferServices {
	deposit := func(_ context.Context, org store.Org, box store.User, c vmtransfer.Call) (mediaapp.Flow, bool) {
		if vm.deps == nil {
			return nil, false
		}
		return voicemail.Deposit(*vm.deps, org, box, voicemail.Caller{Number: c.CallerNumber, Name: c.Caller.Name, UserID: c.Caller.ID}), true
	}
	return vmTransferServices{vmtransfer.New(st, deposit, logger.With("component", "vmtransfer"))}
}

func (v vmTransferServices) Service(ctx context.Context, c b2bua.ServiceCall) (mediaapp.Flow, bool) {
	return v.svc.Serve(ctx, vmtransfer.Call{Org: c.Org, Caller: c.Caller, CallerNumber: c.CallerNumber, Dialled: c.Dialled,
		Internal: c.Internal, TransferredBy: c.TransferredBy})
}
