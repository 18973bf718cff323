package voicemail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// awayWait is how long the away notice waits for the caller's choice after it was said.
const awayWait = 5 * time.Second

// AwayNotice is the flow of a caller who meets box's away notice (AWAY-1): the owner's red
// activity and its end time, "press 2 to be connected to the person" and, when the owner set a
// customer-service number, "press 1 for customer service". Without a choice the caller may
// leave a message (when the owner has voicemail), else hears goodbye. VIP callers never get
// here: personal routing lets them ring through.
func AwayNotice(d DepositDeps, org store.Org, box store.User, caller Caller) mediaapp.Flow {
	return boxFlow(d, "away-notice", box, func(ctx context.Context, s *session) error {
		return awayNotice(ctx, d, s, org, box, caller)
	})
}

func awayNotice(ctx context.Context, d DepositDeps, s *session, org store.Org, box store.User, caller Caller) error {
	settings, err := d.Store.VoicemailSettings(ctx, box.ID)
	if err != nil {
		return fmt.Errorf("away notice: %w", err)
	}
	keys := []string{"person_unavailable"}
	if d.Presence != nil {
		if k, ok := activityKeys(ctx, d, s.lang, org, box.ID); ok {
			keys = k
		}
	}
	connect := d.connector(s.ch, box)
	offerCS := connect != nil && settings.CustomerService != ""
	if offerCS {
		keys = append(keys, "press1_customer_service")
	}
	if connect != nil {
		keys = append(keys, "press2_reach_person")
	}
	if settings.Enabled {
		keys = append(keys, "leave_message")
	}
	for round := 0; round < 2; round++ {
		perr := s.say(ctx, keys...)
		if perr != nil && !errors.Is(perr, mediaapp.ErrBargeIn) {
			return perr
		}
		to, k, err := s.choose(ctx, awayWait, offerCS, settings.CustomerService, connect != nil)
		if err != nil {
			return err
		}
		switch {
		case to != nil:
		case k == "" || k == "#":
			// No choice (or "#": skip to the message).
			if !settings.Enabled {
				return s.goodbye(ctx)
			}
			return recordMessage(ctx, d, s, org, box, caller)
		default:
			if err := s.say(ctx, "invalid_choice"); err != nil {
				return err
			}
			continue
		}
		if s.connectTo(ctx, connect, *to, "away notice") {
			return nil
		}
		if !settings.Enabled {
			if err := s.say(ctx, "transfer_failed"); err != nil {
				return err
			}
			return s.goodbye(ctx)
		}
		if err := s.say(ctx, "transfer_failed", "leave_message"); err != nil && !errors.Is(err, mediaapp.ErrBargeIn) {
			return err
		}
		return recordMessage(ctx, d, s, org, box, caller)
	}
	return s.goodbye(ctx)
}
