package groups

import (
	"context"
	"errors"
	"strings"

	"github.com/vaihde/vaihde/server/mediaapp"
)

// Looper is mediaapp.Looper, kept under this name for the package's callers.
type Looper = mediaapp.Looper

// targetChannel is the channel a queue flow runs on. Its Connect sends the queue's overflow and
// night targets that are groups ("8001") or mailboxes ("voicemail:1005") to their flows here on
// the same call, as the dispatcher does with its own targets; users and outside numbers go to
// the call engine's Connect. Ringing, looping and the rest are the call's channel's.
type targetChannel struct {
	mediaapp.Channel
	s     *Service
	cl    call
	depth int
}

// wrapTargets returns ch as a targetChannel for a flow running at depth.
func (s *Service) wrapTargets(ch mediaapp.Channel, cl call, depth int) *targetChannel {
	if t, ok := ch.(*targetChannel); ok {
		ch = t.Channel
	}
	return &targetChannel{Channel: ch, s: s, cl: cl, depth: depth}
}

// inProcess runs number's flow when it is a group or a mailbox; false when it is neither.
func (t *targetChannel) inProcess(ctx context.Context, number string) (string, bool, error) {
	number = strings.TrimSpace(number)
	if ext, ok := strings.CutPrefix(number, VoicemailPrefix); ok {
		if t.s.deps.Voicemail != nil {
			if f, ok := t.s.deps.Voicemail(ctx, t.cl.org, ext, t.cl.c); ok {
				t.s.log.Info("queue target: voicemail", "org_id", t.cl.org.ID, "mailbox", ext)
				return number, true, f(ctx, t.Channel)
			}
		}
		number = ext
	}
	if g, ok := t.s.lookup(ctx, t.cl.org, number); ok {
		t.s.log.Info("queue target: group", "org_id", t.cl.org.ID, "number", number, "kind", string(g.kind))
		return number, true, t.s.run(ctx, t.Channel, t.cl, g, t.depth+1)
	}
	return number, false, nil
}

// Connect implements mediaapp.Connector.
func (t *targetChannel) Connect(ctx context.Context, number string, bypass bool) error {
	number, done, err := t.inProcess(ctx, number)
	if done {
		return err
	}
	c, ok := t.Channel.(mediaapp.Connector)
	if !ok {
		return errors.New("groups: the call cannot be connected")
	}
	return c.Connect(ctx, number, bypass)
}

// ConnectAs implements mediaapp.ConnectorAs.
func (t *targetChannel) ConnectAs(ctx context.Context, by int64, number string, bypass bool) error {
	number, done, err := t.inProcess(ctx, number)
	if done {
		return err
	}
	if c, ok := t.Channel.(mediaapp.ConnectorAs); ok {
		return c.ConnectAs(ctx, by, number, bypass)
	}
	return t.Connect(ctx, number, bypass)
}

// RingOut implements mediaapp.Ringer.
func (t *targetChannel) RingOut(ctx context.Context, r mediaapp.Ring) (mediaapp.Answered, error) {
	if rr, ok := t.Channel.(mediaapp.Ringer); ok {
		return rr.RingOut(ctx, r)
	}
	return mediaapp.Answered{}, mediaapp.ErrUnreachable
}

// Loop implements Looper: the channel's own loop, or the clip played over and over (keys
// typed meanwhile are dropped) until ctx ends.
func (t *targetChannel) Loop(ctx context.Context, clip mediaapp.Clip) error {
	if l, ok := t.Channel.(Looper); ok {
		return l.Loop(ctx, clip)
	}
	for {
		err := t.Channel.Play(ctx, clip)
		switch {
		case errors.Is(err, mediaapp.ErrBargeIn):
			_, _ = t.Channel.Collect(ctx, mediaapp.CollectOptions{Max: 1, Terminator: mediaapp.NoTerminator})
		case err != nil:
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		}
	}
}

var (
	_ mediaapp.Connector   = (*targetChannel)(nil)
	_ mediaapp.ConnectorAs = (*targetChannel)(nil)
	_ mediaapp.Ringer      = (*targetChannel)(nil)
	_ Looper               = (*targetChannel)(nil)
)
