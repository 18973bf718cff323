package queue

import (
	"context"
	"errors"
	"strings"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// Agent feature codes (see the package doc).
const (
	CodeLogin  = "985"
	CodeLogout = "986"
)

// ParseFeature recognises an agent feature code: 985 / 986 alone (every queue of the agent)
// or followed by a queue's number. ok is false for anything else.
func ParseFeature(dialled string) (in bool, queueNumber string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(dialled, CodeLogin):
		in, rest = true, dialled[len(CodeLogin):]
	case strings.HasPrefix(dialled, CodeLogout):
		rest = dialled[len(CodeLogout):]
	default:
		return false, "", false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false, "", false
		}
	}
	return in, rest, true
}

// FeatureFlow returns the flow of an agent feature code dialled by userID, or false when
// dialled is not one: it logs the user in to or out of the queue (or all their queues) and
// says so.
func (e *Engine) FeatureFlow(orgID, userID int64, dialled string) (mediaapp.Flow, bool) {
	in, number, ok := ParseFeature(dialled)
	if !ok {
		return nil, false
	}
	return func(ctx context.Context, ch mediaapp.Channel) error {
		err := e.featureLogin(ctx, orgID, userID, in, number)
		lang := e.userLang(ctx, userID)
		key := keyAgentLoggedOut
		switch {
		case err != nil:
			e.log.Info("queue: agent feature code refused", "org", orgID, "user", userID, "code", dialled, "error", err)
			key = keyAgentNotMember
		case in:
			key = keyAgentLoggedIn
		}
		_ = e.play(ctx, ch, e.clips(orgID, lang, key)...)
		return ch.Hangup(ctx)
	}, true
}

func (e *Engine) featureLogin(ctx context.Context, orgID, userID int64, in bool, number string) error {
	if number == "" {
		_, err := e.LoginAll(ctx, orgID, userID, in)
		return err
	}
	o, err := e.ensureOrg(ctx, orgID)
	if err != nil {
		return err
	}
	e.mu.Lock()
	q := o.byNumber[number]
	e.mu.Unlock()
	if q == nil {
		return errors.Join(ErrNoSuchQueue, store.ErrNotFound)
	}
	_, err = e.Login(ctx, orgID, userID, q.cfg.ID, in)
	return err
}

func (e *Engine) userLang(ctx context.Context, userID int64) string {
	e.mu.Lock()
	a := e.agents[userID]
	var l string
	if a != nil {
		l = a.lang
	}
	e.mu.Unlock()
	return langOr(l)
}
