package groups

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
)

// Menu defaults (store.Menu).
const (
	DefaultMenuTimeout = 5 * time.Second
	DefaultMenuRepeats = 2
)

// menuKeys is the order a generated menu names its keys in.
const menuKeys = "1234567890*#"

// NamePromptPrefix names an organisation's recording of a target's name for generated menus:
// "name/8000" is said for number 8000 ("press 1 for <name/8000>").
const NamePromptPrefix = "name/"

// menu runs IVR menu m (GRP-10): it plays the menu, takes one key and sends the caller to that
// key's number; a group's number runs here as the next flow. A timeout or an invalid key
// replays the menu up to Repeats times, then the call goes to TimeoutTarget or InvalidTarget.
func (s *Service) menu(ctx context.Context, ch mediaapp.Channel, cl call, m store.Menu, depth int) error {
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = DefaultMenuTimeout
	}
	repeats := m.Repeats
	if repeats <= 0 {
		repeats = DefaultMenuRepeats
	}
	prompt := s.menuPrompt(ctx, cl, m)
	if err := s.play(ctx, ch, []mediaapp.Clip{mediaapp.Silence(leadIn)}); err != nil {
		return err
	}
	for fails := 0; ; {
		if err := s.play(ctx, ch, prompt); err != nil {
			return err
		}
		key, err := ch.Collect(ctx, mediaapp.CollectOptions{Max: 1, Terminator: mediaapp.NoTerminator, FirstTimeout: timeout})
		var next string
		switch {
		case errors.Is(err, mediaapp.ErrTimeout):
			if fails++; fails > repeats {
				s.log.Info("menu timeout", "org_id", cl.org.ID, "menu", m.Number, "target", m.TimeoutTarget)
				return s.target(ctx, ch, cl, m.TimeoutTarget, keyBusy, depth+1)
			}
			next = keyNoInput
		case err != nil:
			return err
		default:
			to, ok := m.Options[key]
			if !ok {
				if fails++; fails > repeats {
					s.log.Info("menu invalid key", "org_id", cl.org.ID, "menu", m.Number, "key", key, "target", m.InvalidTarget)
					return s.target(ctx, ch, cl, m.InvalidTarget, keyBusy, depth+1)
				}
				next = keyInvalidChoice
				break
			}
			if to = strings.TrimSpace(to); to == "" || to == m.Number {
				continue // the key replays the menu
			}
			s.log.Info("menu choice", "org_id", cl.org.ID, "menu", m.Number, "key", key, "target", to)
			return s.target(ctx, ch, cl, to, keyBusy, depth+1)
		}
		if err := s.play(ctx, ch, s.clips.get(cl.org.ID, cl.lang, next)); err != nil {
			return err
		}
	}
}

// menuPrompt is the menu's own prompt or, without one, a generated "choose: <name>, press 1,
// …" from the options' targets.
func (s *Service) menuPrompt(ctx context.Context, cl call, m store.Menu) []mediaapp.Clip {
	if m.Prompt != "" {
		if cs := s.clips.get(cl.org.ID, cl.lang, m.Prompt); len(cs) > 0 {
			return cs
		}
	}
	keys := []string{keyMenuChoose}
	for _, k := range menuKeys {
		to, ok := m.Options[string(k)]
		if !ok || strings.TrimSpace(to) == "" {
			continue
		}
		keys = append(keys, s.targetName(ctx, cl, strings.TrimSpace(to))...)
		keys = append(keys, keyPress)
		switch k {
		case '*':
			keys = append(keys, keyStar)
		case '#':
			keys = append(keys, keyHash)
		default:
			keys = append(keys, "num/"+string(k))
		}
	}
	return s.clips.get(cl.org.ID, cl.lang, keys...)
}

// targetName is how a generated menu names a key's target: the organisation's recording
// name/<number> if it has one, else what kind of target it is and its number.
func (s *Service) targetName(ctx context.Context, cl call, to string) []string {
	to = strings.TrimPrefix(to, VoicemailPrefix)
	digits := strings.TrimPrefix(to, "+")
	if s.clips.cat != nil && digits != "" && number.AllDigits(digits) && s.clips.has(cl.org.ID, cl.lang, NamePromptPrefix+digits) {
		return []string{NamePromptPrefix + digits}
	}
	if g, ok := s.lookup(ctx, cl.org, to); ok {
		switch g.kind {
		case store.KindQueue:
			return []string{keyOptionQueue}
		case store.KindMenu:
			return []string{keyOptionMenu}
		case store.KindHunt:
			return append([]string{keyOptionHunt}, digitKeys(to)...)
		}
	}
	return append([]string{keyOptionNumber}, digitKeys(to)...)
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
