package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/groups"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/voicemail"
)

// groupVoicemail serves the "voicemail:<ext>" targets of groups (a queue's no-agents overflow,
// say). Its deps are set once the mailbox exists and before the SIP server serves; until then
// (and without prompts) the target's extension is rung instead.
type groupVoicemail struct {
	st   store.Store
	deps *voicemail.DepositDeps
}

func (g *groupVoicemail) flow(org store.Org, ext string, caller b2bua.ServiceCall) (mediaapp.Flow, bool) {
	if g.deps == nil || g.deps.Voice == nil {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	box, err := g.st.UserByExtension(ctx, org.ID, ext)
	if err != nil {
		return nil, false
	}
	return voicemail.Deposit(*g.deps, org, box, voicemail.Caller{Number: caller.CallerNumber,
		UserID: caller.Caller.ID, Name: caller.Caller.Name}), true
}

// newGroups is the dispatcher of group numbers (queues, hunt groups, IVR menus) in front of the
// feature codes: the call engine's b2bua.Services. queues and agentCodes may be nil (no queue
// engine: queue numbers fall through to the features).
func newGroups(st store.Store, feat b2bua.Services, queues groups.QueueFlows, agentCodes b2bua.Services,
	hub *presence.Hub, prompts *prompt.Catalog, vm *groupVoicemail, logger *slog.Logger) *groups.Service {
	return groups.New(groups.Deps{Groups: st, Queues: queues, AgentCodes: agentCodes, Features: feat,
		Presence: hub, Voicemail: vm.flow, Prompts: prompts, Logger: logger.With("component", "groups")})
}
