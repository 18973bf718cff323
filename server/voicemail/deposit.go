package voicemail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// Presence tells the generated greeting whether the mailbox owner is in a red activity
// (VM-3, PRES-6). The lead wires the presence hub to it.
type Presence interface {
	// Red returns the user's activity number and when it ends (zero: not set) if the activity
	// is red (unavailable); ok is false when the user is available or unknown.
	Red(ctx context.Context, userID int64) (activity int, until time.Time, ok bool)
}

// DepositDeps is what the deposit flow needs.
type DepositDeps struct {
	Mailbox  *Mailbox
	Store    Store    // voicemail settings (enabled, announce activity)
	Voice    Voice    // prompts
	Presence Presence // optional: nil never announces an activity
	Now      func() time.Time
	Location *time.Location // for speaking an activity's end time; nil: the organisation's (Org.Location)
	Logger   *slog.Logger
	// Connect hands the call over when the caller takes an option of the greeting (VM-3): press 1
	// for customer service, press 2 to reach the person anyway. Nil uses the channel when it is a
	// mediaapp.Connector (the call engine's), else offers neither. On success the flow returns
	// nil at once: the call belongs to the new leg.
	Connect func(ctx context.Context, to Handover) error
}

// Handover is where a caller asked to be connected from the greeting.
type Handover struct {
	Number string // customer service's number (press 1); "" with Bypass
	Bypass bool   // ring the mailbox owner, ignoring the routing rule that sent the call here (press 2)
}

// optionWait is how long the greeting waits for a key when it offers options.
const optionWait = 2 * time.Second

// Caller is who is leaving the message.
type Caller struct {
	Number string // as the mailbox owner should see it; "" if withheld
	Name   string
	UserID int64 // a colleague's user ID, 0 for an outside caller
	// Diverted: a routing rule sent the call straight to voicemail, so the greeting may offer
	// "press 2 to reach the person anyway" (VM-3, with the owner's OfferBypass setting).
	Diverted bool
	// OnCall: the owner was busy on another call; the default greeting says so (PRES-6).
	OnCall bool
}

// connector returns how the flow hands a caller over to box's person or customer service,
// nil when it cannot.
func (d DepositDeps) connector(ch mediaapp.Channel, box store.User) func(context.Context, Handover) error {
	if d.Connect != nil {
		return d.Connect
	}
	c, ok := ch.(mediaapp.Connector)
	if !ok {
		return nil
	}
	return func(ctx context.Context, h Handover) error {
		if h.Bypass {
			return c.Connect(ctx, box.Extension, true)
		}
		// The owner set the number: an outside number is called on the owner's authority.
		if ca, ok := ch.(mediaapp.ConnectorAs); ok {
			return ca.ConnectAs(ctx, box.ID, h.Number, false)
		}
		return c.Connect(ctx, h.Number, false)
	}
}

// Deposit is the flow of a caller who reached box's voicemail (VM-3): the owner's own greeting
// or the generated default (with the red activity and its end time when the owner's settings
// ask for it), a beep, then a recording of at most MaxMessage that ends on '#', RecordSilence of
// silence or hangup. A recording longer than MinRecording is saved with Mailbox.Save, also when
// the caller hung up during it; "message saved" is said only after Save returned (file and record
// durable). The caller hears the owner's language.
func Deposit(d DepositDeps, org store.Org, box store.User, caller Caller) mediaapp.Flow {
	return boxFlow(d, "deposit", box, func(ctx context.Context, s *session) error {
		return deposit(ctx, d, s, org, box, caller)
	})
}

// boxFlow runs a caller-facing flow of box's mailbox in the owner's language.
func boxFlow(d DepositDeps, name string, box store.User, run func(ctx context.Context, s *session) error) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error {
		s := &session{ch: ch, voice: orgVoice(d.Voice, box.OrgID), lang: box.Language,
			log: orDefault(d.Logger).With("component", "voicemail", "flow", name, "mailbox", box.ID)}
		return endOf(run(ctx, s))
	}
}

func deposit(ctx context.Context, d DepositDeps, s *session, org store.Org, box store.User, caller Caller) error {
	settings, err := d.Store.VoicemailSettings(ctx, box.ID)
	if err != nil {
		return fmt.Errorf("deposit: %w", err)
	}
	if !settings.Enabled { // VM-5: routing should not send calls here; say so if it did.
		if err := s.say(ctx, "no_voicemail"); err != nil {
			return err
		}
		return s.ch.Hangup(ctx)
	}
	greeting, err := depositGreeting(ctx, d, s, org, box, settings, caller)
	if err != nil {
		return err
	}
	connect := d.connector(s.ch, box)
	offerCS := connect != nil && settings.CustomerService != ""
	offerBypass := connect != nil && settings.OfferBypass && caller.Diverted
	var options []string
	if offerCS {
		options = append(options, "press1_customer_service")
	}
	if offerBypass {
		options = append(options, "press2_reach_person")
	}
	if len(options) > 0 {
		clips, err := s.voice.Clips(s.lang, options...)
		if err != nil {
			return fmt.Errorf("deposit: %w", err)
		}
		greeting = append(greeting, clips...)
	}
	// A key during the greeting chooses an option or skips to the beep; it is taken here so it
	// does not end the recording.
	perr := s.ch.Play(ctx, greeting...)
	switch {
	case errors.Is(perr, mediaapp.ErrBargeIn) || (perr == nil && len(options) > 0):
		to, _, err := s.choose(ctx, optionWait, offerCS, settings.CustomerService, offerBypass)
		if err != nil {
			return err
		}
		if to != nil {
			if s.connectTo(ctx, connect, *to, "greeting") {
				return nil
			}
			if err := s.say(ctx, "transfer_failed", "leave_message"); err != nil {
				return err
			}
		}
	case perr != nil:
		return perr
	}
	return recordMessage(ctx, d, s, org, box, caller)
}

// choose waits up to wait for one key and returns the hand-over it asks for: 1 customer service
// (cs, when offered), 2 the person anyway (when offered); nil for any other key or none. key is
// what was pressed, "" for nothing.
func (s *session) choose(ctx context.Context, wait time.Duration, offerCS bool, cs string, offerBypass bool) (to *Handover, key string, err error) {
	key, err = s.ch.Collect(ctx, mediaapp.CollectOptions{Max: 1, Terminator: mediaapp.NoTerminator, FirstTimeout: wait})
	if err != nil && !errors.Is(err, mediaapp.ErrTimeout) {
		return nil, "", err
	}
	switch {
	case key == "1" && offerCS:
		return &Handover{Number: cs}, key, nil
	case key == "2" && offerBypass:
		return &Handover{Bypass: true}, key, nil
	}
	return nil, key, nil
}

// connectTo hands the caller over to; true when the call now belongs to the new leg, false
// (logged) when the caller is still here. from names the menu, for the log.
func (s *session) connectTo(ctx context.Context, connect func(context.Context, Handover) error, to Handover, from string) bool {
	if err := connect(ctx, to); err != nil {
		s.log.Warn("connect from the "+from+" failed", "error", err)
		return false
	}
	s.log.Info("caller connected from the "+from, "customer_service", to.Number != "", "bypass", to.Bypass)
	return true
}

// recordMessage records after a beep and saves what was said (VM-3): at most MaxMessage, ended
// by '#', RecordSilence of silence or hangup; "message saved" only once it is durable.
func recordMessage(ctx context.Context, d DepositDeps, s *session, org store.Org, box store.User, caller Caller) error {
	if err := s.play(ctx, beep); err != nil {
		return err
	}
	var buf bytes.Buffer
	rec, recErr := s.ch.Record(ctx, &buf, mediaapp.RecordOptions{Max: MaxMessage, Silence: RecordSilence, StopDigits: "#"})
	// Whatever ended the recording (hangup included), what was said is kept if it is long
	// enough: a voicemail is never lost.
	if rec.Duration <= MinRecording || buf.Len() == 0 {
		s.log.Info("recording too short, not saved", "duration", rec.Duration, "reason", rec.Reason)
		if recErr != nil {
			return recErr
		}
		return s.goodbye(ctx)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	// The call may be gone and its context cancelled: the save must still finish.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	v, err := d.Mailbox.Save(saveCtx, Message{
		OrgID: org.ID, UserID: box.ID, Caller: caller.Number, CallerName: caller.Name, ReceivedAt: now(),
	}, &buf)
	if err != nil {
		s.log.Error("voicemail not saved", "duration", rec.Duration, "error", err)
		if recErr == nil {
			s.goodbye(ctx)
		}
		return fmt.Errorf("deposit: %w", err)
	}
	s.log.Info("voicemail deposited", "id", v.ID, "duration", rec.Duration, "reason", rec.Reason)
	if recErr != nil {
		return recErr
	}
	if err := s.say(ctx, "message_saved"); err != nil {
		return err
	}
	return s.goodbye(ctx)
}

// depositGreeting returns the clips before the beep: the owner's own greeting, or the default.
func depositGreeting(ctx context.Context, d DepositDeps, s *session, org store.Org, box store.User, settings store.VoicemailSettings, caller Caller) ([]mediaapp.Clip, error) {
	if settings.GreetingPath != "" {
		path, err := d.Mailbox.Greeting(ctx, box.ID)
		if err == nil && path != "" {
			c, err := mediaapp.LoadWAV(path)
			if err == nil {
				c.Name = "greeting/own"
				return []mediaapp.Clip{c}, nil
			}
			s.log.Warn("own greeting unreadable, playing the default", "error", err)
		}
	}
	if settings.AnnounceActivity && d.Presence != nil {
		if keys, ok := activityKeys(ctx, d, s.lang, org, box.ID); ok {
			if clips, err := s.voice.Clips(s.lang, append(keys, "leave_message")...); err == nil {
				return clips, nil
			}
			// A custom activity has no prompt: fall back to the plain default.
		}
	}
	if caller.OnCall {
		if clips, err := s.voice.Clips(s.lang, "person_is", "on_call", "leave_message"); err == nil {
			return clips, nil
		}
	}
	number := box.Extension
	if number == "" {
		number = box.CompanyNumber
	}
	keys := []string{}
	if dk := digitKeys(number); len(dk) > 0 {
		keys = append(append(keys, "greeting_reached"), dk...)
	}
	keys = append(keys, "greeting_default", "leave_message")
	clips, err := s.voice.Clips(s.lang, keys...)
	if err != nil {
		return nil, fmt.Errorf("deposit greeting: %w", err)
	}
	return clips, nil
}

// activityKeys speaks "the person you are calling is currently <activity> [until <time>]".
func activityKeys(ctx context.Context, d DepositDeps, lang string, org store.Org, userID int64) ([]string, bool) {
	act, until, red := d.Presence.Red(ctx, userID)
	if !red {
		return nil, false
	}
	keys := []string{"person_is", fmt.Sprintf("activity/%d", act)}
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	if until.IsZero() || !until.After(now) {
		return keys, true
	}
	loc := d.Location
	if loc == nil {
		loc = org.Location() // the end time as the organisation's people read their clocks
	}
	u, n := until.In(loc), now.In(loc)
	l := sayLang(lang)
	var when []string
	if y1, m1, d1 := u.Date(); y1 != n.Year() || m1 != n.Month() || d1 != n.Day() {
		date, err := mediaapp.SayDate(l, u)
		if err != nil {
			return keys, true
		}
		when = date
	}
	t, err := mediaapp.SayTime(l, u.Hour(), u.Minute())
	if err != nil {
		return keys, true
	}
	when = append(when, t...)
	if l == mediaapp.Finnish { // "… kello neljätoista asti"
		return append(append(keys, when...), "time/until"), true
	}
	return append(append(keys, "time/until"), when...), true
}

// sayLang maps a user's language to a mediaapp language, English if it has no prompts.
func sayLang(lang string) mediaapp.Lang {
	for _, l := range mediaapp.Langs {
		if string(l) == lang || (len(lang) > 2 && string(l) == lang[:2]) {
			return l
		}
	}
	return mediaapp.English
}
