package main

import (
	"context"
	"log/slog"

	"github.com/vaihde/vaihde/server/api"
	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/personal"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/voicemail"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/features"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/prompt"
)

// voicemailAccess is the voicemail access number's flow (VM-1, VM-2), set once the mailbox
// exists and before the SIP server serves; until then (and without prompts) 9000 is no service.
type voicemailAccess struct {
	deps *voicemail.AccessDeps
}

func (v *voicemailAccess) flow(org store.Org, caller store.User) (mediaapp.Flow, bool) {
	if v.deps == nil || v.deps.Voice == nil {
		return nil, false
	}
	return voicemail.Access(*v.deps, org, caller), true
}

// newFeatures builds the service numbers (feature codes, activity IVR, voicemail access) over
// the presence hub. Without a prompt catalog the server still answers feature codes, with tones.
func newFeatures(cfg config.Config, st store.Store, hub *presence.Hub, vm *voicemailAccess, logger *slog.Logger) (*features.Service, *prompt.Catalog) {
	log := logger.With("component", "features")
	var cat *prompt.Catalog
	if cfg.PromptsDir != "" {
		c, err := prompt.Open(cfg.PromptsDir)
		if err != nil {
			log.Warn("voice prompts unavailable, service numbers answer with tones (run make prompts)",
				"dir", cfg.PromptsDir, "error", err)
		} else {
			cat = c
		}
	}
	return features.New(features.Deps{Presence: hub, Prompts: cat, Voicemail: vm.flow, Logger: log,
		Forwarding: features.StoreForwarding{Store: st}}), cat
}

// personalRouting is the call engine's personal routing, set once the mailbox exists and before
// the SIP server serves; until then calls simply ring.
type personalRouting struct {
	r *personal.Router
}

// Divert implements b2bua.Personal.
func (p *personalRouting) Divert(ctx context.Context, c b2bua.PersonalCall) b2bua.Diversion {
	if p.r == nil {
		return b2bua.Diversion{}
	}
	return p.r.Divert(ctx, c)
}

// promptsAPI is the catalog for the HTTP API, nil (no prompt routes) without one.
func promptsAPI(c *prompt.Catalog) api.Prompts {
	if c == nil {
		return nil
	}
	return c
}
