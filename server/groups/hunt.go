package groups

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// DefaultRingTime is a hunt group's ring time when it set none.
const DefaultRingTime = 20 * time.Second

// hunt rings the members of h (GRP-11): BeforePrompt, then Attempts rounds of ringing in
// parallel (everyone at once), serially (in order, RingTime each) or at random (a fresh random
// order each round); members the presence rule stops or who are in a call are skipped. When
// nobody answered: AfterPrompt and AfterTarget.
func (s *Service) hunt(ctx context.Context, ch mediaapp.Channel, cl call, h store.HuntGroup, depth int) error {
	ringer, ok := ch.(mediaapp.Ringer)
	if !ok {
		return fmt.Errorf("hunt group %s: channel cannot ring out", h.Number)
	}
	if err := s.play(ctx, ch, append([]mediaapp.Clip{mediaapp.Silence(leadIn)}, s.clips.get(cl.org.ID, cl.lang, h.BeforePrompt)...)); err != nil {
		return err
	}
	ringTime := h.RingTime
	if ringTime <= 0 {
		ringTime = DefaultRingTime
	}
	attempts := max(h.Attempts, 1)
	base := mediaapp.Ring{
		Devices: devices(h.Devices),
		Timeout: ringTime,
		Group: mediaapp.GroupInfo{Kind: string(store.KindHunt), ID: h.ID, Name: h.Name,
			Number: h.Number, Shown: cl.c.CallerNumber},
	}
	for round := 0; round < attempts; round++ {
		var rang bool
		var err error
		switch h.Mode {
		case store.HuntParallel:
			rang, err = s.ringAll(ctx, ringer, cl, h, base)
		case store.HuntRandom:
			order := slices.Clone(h.Members)
			s.shuffle(order)
			rang, err = s.ringEach(ctx, ringer, cl, h, base, order)
		default: // serial, and a mode this version does not know
			rang, err = s.ringEach(ctx, ringer, cl, h, base, h.Members)
		}
		if errors.Is(err, errAnswered) {
			return nil
		}
		if err != nil {
			return err
		}
		if !rang {
			s.log.Info("hunt group: no member can take calls", "org_id", cl.org.ID, "group", h.Number)
			break // nobody will become available by ringing again
		}
	}
	if err := s.play(ctx, ch, s.clips.get(cl.org.ID, cl.lang, h.AfterPrompt)); err != nil {
		return err
	}
	return s.target(ctx, ch, cl, h.AfterTarget, keyBusy, depth+1)
}

// errAnswered ends the ringing: a member answered and the caller talks to them.
var errAnswered = errors.New("answered")

// ringAll rings every available member at once; rang false when nobody was available.
func (s *Service) ringAll(ctx context.Context, ringer mediaapp.Ringer, cl call, h store.HuntGroup, base mediaapp.Ring) (bool, error) {
	var users []int64
	for _, m := range h.Members {
		if s.available(ctx, cl, h, m) {
			users = append(users, m)
		}
	}
	if len(users) == 0 {
		return false, nil
	}
	r := base
	r.Users = users
	return true, s.ring(ctx, ringer, cl, h, r)
}

// ringEach rings the available members of order one after the other.
func (s *Service) ringEach(ctx context.Context, ringer mediaapp.Ringer, cl call, h store.HuntGroup, base mediaapp.Ring, order []int64) (bool, error) {
	rang := false
	for _, m := range order {
		// Presence is read just before each member rings: it may change while others ring.
		if !s.available(ctx, cl, h, m) {
			continue
		}
		rang = true
		r := base
		r.Users = []int64{m}
		if err := s.ring(ctx, ringer, cl, h, r); err != nil {
			return rang, err
		}
	}
	return rang, nil
}

// ring is one RingOut: errAnswered when someone answered, nil when nobody did (the caller is
// still here), else the caller's hangup or the context's end.
func (s *Service) ring(ctx context.Context, ringer mediaapp.Ringer, cl call, h store.HuntGroup, r mediaapp.Ring) error {
	a, err := ringer.RingOut(ctx, r)
	switch {
	case err == nil:
		s.log.Info("hunt group call answered", "org_id", cl.org.ID, "group", h.Number, "user_id", a.UserID)
		return errAnswered
	case errors.Is(err, mediaapp.ErrNoAnswer), errors.Is(err, mediaapp.ErrBusy), errors.Is(err, mediaapp.ErrUnreachable):
		s.log.Debug("hunt group ring", "org_id", cl.org.ID, "group", h.Number, "users", r.Users, "result", err)
		return nil
	case errors.Is(err, mediaapp.ErrHangup) || ctx.Err() != nil:
		return err
	}
	// Any other failure of one ring is that member's: the group goes on with the others.
	s.log.Warn("hunt group ring failed", "org_id", cl.org.ID, "group", h.Number, "users", r.Users, "error", err)
	return nil
}

// available applies the presence rule (GRP-11): a member with one of StopActivities, with a red
// activity when StopRed, or in a call is skipped, and so is the caller. Without presence (or when it cannot be read)
// the member rings: a group call rather rings once too often than never.
func (s *Service) available(ctx context.Context, cl call, h store.HuntGroup, userID int64) bool {
	if cl.c.Internal && userID == cl.c.Caller.ID {
		return false // a member calling the group does not ring themselves
	}
	if s.deps.Presence == nil {
		return true
	}
	st, err := s.deps.Presence.Get(ctx, userID)
	if err != nil {
		s.log.Warn("hunt group: presence", "org_id", cl.org.ID, "user_id", userID, "error", err)
		return true
	}
	switch {
	case st.Phone == sharedpresence.PhoneOnCall:
		return false
	case slices.Contains(h.StopActivities, st.Activity):
		return false
	case h.StopRed && !st.Green:
		return false
	}
	return true
}

// shuffle puts ids in random order (Fisher–Yates with the injected source).
func (s *Service) shuffle(ids []int64) {
	for i := len(ids) - 1; i > 0; i-- {
		j := s.deps.IntN(i + 1)
		ids[i], ids[j] = ids[j], ids[i]
	}
}

// devices names the devices of d for mediaapp.Ring; nil rings all.
func devices(d store.Devices) []string {
	if d.All() {
		return nil
	}
	var out []string
	if d.Softphone {
		out = append(out, "softphone")
	}
	if d.Desk {
		out = append(out, "desk")
	}
	if d.Mobile {
		out = append(out, "mobile")
	}
	return out
}
