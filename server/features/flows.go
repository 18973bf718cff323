package features

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/shared/number"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// ivrTries is how many times the activity IVR asks before it gives up.
const ivrTries = 3

// ivrDigitTimeout is how long the activity IVR waits for a choice after its menu.
const ivrDigitTimeout = 8 * time.Second

// Pauses around a flow's speech: the phone's media path settles before the first word, and the
// jitter buffer plays out the last word before our BYE stops it.
const (
	leadIn  = 250 * time.Millisecond
	tailOut = 600 * time.Millisecond
)

// play plays clips; a key typed over a prompt (barge-in) is not an error here: it stays queued
// for the next Collect. Only hangup and a cancelled context are returned.
func play(ctx context.Context, ch mediaapp.Channel, clips []mediaapp.Clip) error {
	if err := ch.Play(ctx, clips...); err != nil && !errors.Is(err, mediaapp.ErrBargeIn) {
		return err
	}
	return nil
}

// finish plays the last words of a flow and hangs up.
func finish(ctx context.Context, ch mediaapp.Channel, clips []mediaapp.Clip) error {
	if err := play(ctx, ch, append(clips, mediaapp.Silence(tailOut))); err != nil {
		return err
	}
	if err := ch.Hangup(ctx); err != nil {
		return fmt.Errorf("feature flow hangup: %w", err)
	}
	return nil
}

// codeFlow applies a feature code at once (so that colleagues see the change while the caller
// still listens) and then tells the caller the outcome.
func (s *Service) codeFlow(c callCtx, code Code) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error {
		var keys []string
		switch code.Kind {
		case SetActivity:
			keys = s.setActivity(ctx, c, code.Arg)
		case SetRole:
			keys = s.setRole(ctx, c, code.Arg)
		case SetForwarding:
			keys = s.setForwarding(ctx, c, code.Arg)
		}
		return finish(ctx, ch, append([]mediaapp.Clip{mediaapp.Silence(leadIn)}, s.prompts.get(c.org.ID, c.lang, keys...)...))
	}
}

// setActivity sets activity arg and returns the prompt keys of the answer.
func (s *Service) setActivity(ctx context.Context, c callCtx, arg string) []string {
	n, err := strconv.Atoi(arg)
	if err != nil {
		return []string{keyInvalid}
	}
	if _, err := s.deps.Presence.Set(ctx, c.user.ID, presence.Change{Activity: &n}); err != nil {
		s.logSetError("activity", c, n, err, sharedpresence.ErrUnknownActivity)
		return []string{keyInvalid}
	}
	s.log.Info("activity set by feature code", "user_id", c.user.ID, "activity", n)
	return []string{keyActivated}
}

// setRole sets role arg and returns the prompt keys of the answer.
func (s *Service) setRole(ctx context.Context, c callCtx, arg string) []string {
	n, err := strconv.Atoi(arg)
	if err != nil {
		return []string{keyInvalid}
	}
	r := sharedpresence.Role(n)
	if _, err := s.deps.Presence.Set(ctx, c.user.ID, presence.Change{Role: &r}); err != nil {
		s.logSetError("role", c, n, err, sharedpresence.ErrUnknownRole)
		return []string{keyInvalid}
	}
	s.log.Info("role set by feature code", "user_id", c.user.ID, "role", n)
	return []string{keyActivated}
}

func (s *Service) logSetError(what string, c callCtx, n int, err, expected error) {
	if errors.Is(err, expected) {
		s.log.Info("feature code with unknown "+what, "user_id", c.user.ID, what, n)
		return
	}
	s.log.Error("feature code: set "+what, "user_id", c.user.ID, what, n, "error", err)
}

// setForwarding sets (arg not empty) or clears immediate forwarding and returns the prompt keys
// of the answer: "forwarding set to" and the target's digits, or "forwarding cleared".
func (s *Service) setForwarding(ctx context.Context, c callCtx, arg string) []string {
	target := ""
	if arg != "" {
		n, err := number.Parse(arg, c.org.CountryCode)
		if err != nil || (n.Kind != number.Extension && n.Kind != number.E164) || n.Value == c.user.Extension {
			return []string{keyInvalidNumber}
		}
		target = n.Value
	}
	if err := s.deps.Forwarding.SetForwarding(ctx, c.user.ID, target); err != nil {
		s.log.Error("feature code: set forwarding", "user_id", c.user.ID, "error", err)
		return []string{keyInvalid}
	}
	s.log.Info("forwarding set by feature code", "user_id", c.user.ID, "target", target)
	if target == "" {
		return []string{keyForwardingCleared}
	}
	return append([]string{keyForwardingSetTo}, digitKeys(target)...)
}

// digitKeys speaks a number digit by digit ("+" is not spoken).
func digitKeys(num string) []string {
	var keys []string
	for _, r := range num {
		if r >= '0' && r <= '9' {
			keys = append(keys, "num/"+string(r))
		}
	}
	return keys
}

// activityIVR reads the current activity and the choices, takes one key and sets that
// activity; after ivrTries failed attempts it says goodbye.
func (s *Service) activityIVR(c callCtx) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error {
		acts, err := s.deps.Presence.Activities(ctx, c.org.ID)
		if err != nil {
			s.log.Error("activity ivr: activities", "org_id", c.org.ID, "error", err)
			return finish(ctx, ch, s.prompts.get(c.org.ID, c.lang, keyInvalid))
		}
		intro := []string{keyIVRWelcome}
		if st, err := s.deps.Presence.Get(ctx, c.user.ID); err == nil {
			intro = append(intro, keyActivityCurrent)
			intro = append(intro, s.activityKeys(c, st.Activity)...)
		}
		if err := play(ctx, ch, append([]mediaapp.Clip{mediaapp.Silence(leadIn)}, s.prompts.get(c.org.ID, c.lang, intro...)...)); err != nil {
			return err
		}
		menu := []string{keyActivityChoose}
		for _, a := range acts {
			if a.Number < 1 || a.Number > 9 { // one key per choice
				continue
			}
			menu = append(menu, s.activityKeys(c, a.Number)...)
			menu = append(menu, keyPress, "num/"+strconv.Itoa(a.Number))
		}
		for try := 0; try < ivrTries; try++ {
			if err := play(ctx, ch, s.prompts.get(c.org.ID, c.lang, menu...)); err != nil {
				return err
			}
			d, err := ch.Collect(ctx, mediaapp.CollectOptions{Max: 1, Terminator: mediaapp.NoTerminator, FirstTimeout: ivrDigitTimeout})
			switch {
			case errors.Is(err, mediaapp.ErrTimeout):
				if err := play(ctx, ch, s.prompts.get(c.org.ID, c.lang, keyNoInput)); err != nil {
					return err
				}
				continue
			case err != nil:
				return err
			}
			n, _ := strconv.Atoi(d)
			if _, ok := sharedpresence.Find(acts, n); !ok || n < 1 {
				if err := play(ctx, ch, s.prompts.get(c.org.ID, c.lang, keyInvalidChoice)); err != nil {
					return err
				}
				continue
			}
			if _, err := s.deps.Presence.Set(ctx, c.user.ID, presence.Change{Activity: &n}); err != nil {
				s.log.Error("activity ivr: set activity", "user_id", c.user.ID, "activity", n, "error", err)
				return finish(ctx, ch, s.prompts.get(c.org.ID, c.lang, keyInvalid))
			}
			s.log.Info("activity set by ivr", "user_id", c.user.ID, "activity", n)
			keys := append([]string{keyActivated, keyActivityCurrent}, s.activityKeys(c, n)...)
			return finish(ctx, ch, s.prompts.get(c.org.ID, c.lang, keys...))
		}
		return finish(ctx, ch, s.prompts.get(c.org.ID, c.lang, keyGoodbye))
	}
}

// activityKeys names activity n: its prompt, or its number when the organisation's own
// activity has no prompt.
func (s *Service) activityKeys(c callCtx, n int) []string {
	if k := "activity/" + strconv.Itoa(n); s.prompts.has(c.org.ID, c.lang, k) {
		return []string{k}
	}
	keys, err := mediaapp.SayNumber(c.lang, n)
	if err != nil {
		return nil
	}
	return keys
}
