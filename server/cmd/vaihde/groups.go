package main

import (
	"context"
	"log/slog"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/groups"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/voicemail"
)

// groupVoicemail serves the "voicemail:<ext>" targets of groups with the deposit flow, once the
// mailbox exists (deps set before the SIP server serves); until then, and without prompts, the
// extension is connected instead.
type groupVoicemail struct {
	st   store.Store
	deps *voicemail.DepositDeps
}

func (g *groupVoicemail) flow(ctx context.Context, org store.Org, ext string, c b2bua.ServiceCall) (mediaapp.Flow, bool) {
	if g.deps == nil {
		return nil, false
	}
	box, err := g.st.UserByExtension(ctx, org.ID, ext)
	if err != nil {
		return nil, false
	}
	return voicemail.Deposit(*g.deps, org, box, voicemail.Caller{Number: c.CallerNumber, Name: c.Caller.Name, UserID: c.Caller.ID}), true
}

// newGroups answers the organisations' group numbers (hunt groups, IVR menus; queues once a
// queue engine is given) in front of the queue agents' codes, then the feature codes and voicemail of feat.
func newGroups(st store.Store, feat b2bua.Services, queues groups.QueueFlows, agentCodes b2bua.Services, hub *presence.Hub, cat *prompt.Catalog, vm *groupVoicemail, logger *slog.Logger) *groups.Service {
	return groups.New(groups.Deps{Groups: st, Queues: queues, AgentCodes: agentCodes, Features: feat, Presence: hub,
		Prompts: cat, Voicemail: vm.flow, Logger: logger.With("component", "groups")})
}
