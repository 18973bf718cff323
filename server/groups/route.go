package groups

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
)

// MaxDepth bounds how many groups one call passes through in-process (menu → menu → …), so a
// menu that leads back to itself ends instead of looping forever.
const MaxDepth = 10

// ErrLoop is returned when a call passed through more than MaxDepth groups.
var ErrLoop = errors.New("groups: too many nested groups (menu loop?)")

// Pauses around the flows' speech: the media path settles before the first word, and the last
// word plays out before our BYE.
const (
	leadIn  = 250 * time.Millisecond
	tailOut = 600 * time.Millisecond
)

// call is who a group flow serves.
type call struct {
	c    b2bua.ServiceCall
	org  store.Org
	lang mediaapp.Lang
}

func (s *Service) newCall(c b2bua.ServiceCall) call {
	// An outside caller hears the organisation's language; Finnish until organisations have one.
	lang := mediaapp.Finnish
	if c.Internal && c.Caller.Language != "" {
		lang = mediaapp.Lang(prompt.Lang(c.Caller.Language))
	}
	return call{c: c, org: c.Org, lang: lang}
}

// run runs group g's flow on ch; depth is how many groups the call went through before.
func (s *Service) run(ctx context.Context, ch mediaapp.Channel, cl call, g group, depth int) error {
	if depth >= MaxDepth {
		s.log.Warn("group loop stopped", "org_id", cl.org.ID, "number", g.number(), "depth", depth)
		if err := s.finish(ctx, ch, cl, keyBusy); err != nil {
			return err
		}
		return fmt.Errorf("group %s: %w", g.number(), ErrLoop)
	}
	switch g.kind {
	case store.KindQueue:
		q := g.queue
		if s.closed(cl.org, q.Hours, q.NightManual) {
			s.log.Info("queue closed", "org_id", cl.org.ID, "queue", q.Number, "target", q.NightTarget)
			return s.target(ctx, ch, cl, q.NightTarget, keyClosed, depth+1)
		}
		if s.deps.Queues == nil {
			return s.finish(ctx, ch, cl, keyBusy)
		}
		// The queue's overflow targets that are groups or mailboxes run here too.
		return s.deps.Queues.Flow(cl.org, q, cl.c)(ctx, s.wrapTargets(ch, cl, depth))
	case store.KindHunt:
		h := g.hunt
		if s.closed(cl.org, h.Hours, false) {
			s.log.Info("hunt group closed", "org_id", cl.org.ID, "group", h.Number, "target", h.NightTarget)
			return s.target(ctx, ch, cl, h.NightTarget, keyClosed, depth+1)
		}
		return s.hunt(ctx, ch, cl, h, depth)
	case store.KindMenu:
		m := g.menu
		if s.closed(cl.org, m.Hours, false) {
			s.log.Info("menu closed", "org_id", cl.org.ID, "menu", m.Number, "target", m.NightTarget)
			return s.target(ctx, ch, cl, m.NightTarget, keyClosed, depth+1)
		}
		return s.menu(ctx, ch, cl, m, depth)
	}
	return fmt.Errorf("group %s: unknown kind %q", g.number(), g.kind)
}

// VoicemailPrefix starts an overflow target that is a mailbox: "voicemail:1004".
const VoicemailPrefix = "voicemail:"

// target sends the caller to number: a group's number runs that group here (depth counts the
// hop), "voicemail:<ext>" the mailbox, "" plays emptyKey and hangs up, anything else is
// connected (a user rings by their own routing, an outside number on the trunk).
func (s *Service) target(ctx context.Context, ch mediaapp.Channel, cl call, number, emptyKey string, depth int) error {
	number = strings.TrimSpace(number)
	if number == "" {
		return s.finish(ctx, ch, cl, emptyKey)
	}
	if ext, ok := strings.CutPrefix(number, VoicemailPrefix); ok {
		if s.deps.Voicemail != nil {
			if f, ok := s.deps.Voicemail(ctx, cl.org, ext, cl.c); ok {
				return f(ctx, ch)
			}
		}
		number = ext
	}
	if g, ok := s.lookup(ctx, cl.org, number); ok {
		return s.run(ctx, ch, cl, g, depth)
	}
	return s.connect(ctx, ch, cl, number)
}

// connect hands the caller over to number; if that fails the caller hears so and the call ends.
func (s *Service) connect(ctx context.Context, ch mediaapp.Channel, cl call, number string) error {
	conn, ok := ch.(mediaapp.Connector)
	if !ok {
		s.log.Error("group target: channel cannot connect", "org_id", cl.org.ID, "target", number)
		return s.finish(ctx, ch, cl, keyTransferFailed)
	}
	if err := s.play(ctx, ch, s.clips.get(cl.org.ID, cl.lang, keyPleaseHold)); err != nil {
		return err
	}
	if err := conn.Connect(ctx, number, false); err != nil {
		if errors.Is(err, mediaapp.ErrHangup) || ctx.Err() != nil {
			return err
		}
		s.log.Warn("group target: connect failed", "org_id", cl.org.ID, "target", number, "error", err)
		return s.finish(ctx, ch, cl, keyTransferFailed)
	}
	return nil
}

// play plays clips; a key typed over a prompt (barge-in) stays queued for the next Collect.
func (s *Service) play(ctx context.Context, ch mediaapp.Channel, clips []mediaapp.Clip) error {
	if len(clips) == 0 {
		return nil
	}
	if err := ch.Play(ctx, clips...); err != nil && !errors.Is(err, mediaapp.ErrBargeIn) {
		return err
	}
	return nil
}

// finish plays the prompts of keys and hangs up.
func (s *Service) finish(ctx context.Context, ch mediaapp.Channel, cl call, keys ...string) error {
	clips := append([]mediaapp.Clip{mediaapp.Silence(leadIn)}, s.clips.get(cl.org.ID, cl.lang, keys...)...)
	if err := s.play(ctx, ch, append(clips, mediaapp.Silence(tailOut))); err != nil {
		return err
	}
	if err := ch.Hangup(ctx); err != nil {
		return fmt.Errorf("group flow hangup: %w", err)
	}
	return nil
}
