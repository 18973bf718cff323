package voicemail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// Users finds mailboxes by the number typed at the access number; store.Store satisfies it.
type Users interface {
	UserByExtension(ctx context.Context, orgID int64, ext string) (store.User, error)
	UserByNumber(ctx context.Context, orgID int64, e164 string) (store.User, error)
}

// AccessDeps is what the access flow needs.
type AccessDeps struct {
	Mailbox *Mailbox
	Store   Store // voicemail settings (PIN)
	Users   Users
	Voice   Voice
	// PINOnOwnPhone makes a known caller enter their PIN too (when they have one set).
	PINOnOwnPhone bool
	// Lang is the language for callers the server does not know; "": English.
	Lang   string
	Logger *slog.Logger
}

// Limits of the access flow.
const (
	loginTries   = 3 // mailbox and PIN attempts before goodbye (VM-1)
	menuTimeouts = 3 // menus repeated without an answer before goodbye
)

// Access is the voicemail access number's flow (VM-1, VM-2). A caller the server knows (caller.ID
// != 0) goes straight to their own mailbox, entering their PIN only with PINOnOwnPhone; anyone
// else enters a mailbox number (extension, or national/E.164 digits) and PIN, with three tries.
// Then "you have N new messages" and the main menu of VM-2: 2 listen (new messages first), 4 play
// own greeting, 5 record own greeting, 6 delete own greeting, * hang up, 0 repeat the menu. While
// a message plays: 1 previous, 2 replay, 3 next, 7 delete, * hang up, 0 main menu. A message is
// marked heard once it has been played; other keys say "invalid choice" and repeat the menu.
func Access(d AccessDeps, org store.Org, caller store.User) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error {
		lang := d.Lang
		if caller.ID != 0 {
			lang = caller.Language
		}
		s := &session{ch: ch, voice: orgVoice(d.Voice, org.ID), lang: lang,
			log: orDefault(d.Logger).With("component", "voicemail", "flow", "access")}
		a := &access{d: d, s: s, org: org}
		return endOf(a.run(ctx, caller))
	}
}

// access is one call to the access number.
type access struct {
	d   AccessDeps
	s   *session
	org store.Org
	box store.User // the mailbox opened
}

func (a *access) run(ctx context.Context, caller store.User) error {
	if err := a.s.say(ctx, "vm_welcome"); err != nil {
		return err
	}
	box, err := a.login(ctx, caller)
	if err != nil {
		return err
	}
	a.box = box
	a.s.lang = box.Language
	a.s.log = a.s.log.With("mailbox", box.ID)
	if err := a.summary(ctx); err != nil {
		return err
	}
	return a.mainMenu(ctx)
}

// login returns the mailbox to open: the caller's own, or one opened by number and PIN.
func (a *access) login(ctx context.Context, caller store.User) (store.User, error) {
	if caller.ID != 0 {
		vs, err := a.d.Store.VoicemailSettings(ctx, caller.ID)
		if err != nil {
			return store.User{}, fmt.Errorf("access: %w", err)
		}
		if !a.d.PINOnOwnPhone || vs.PINHash == "" {
			return caller, nil
		}
		for try := 0; try < loginTries; try++ {
			if err := a.s.say(ctx, "vm_enter_pin"); err != nil {
				return store.User{}, err
			}
			pin, err := a.s.entry(ctx, 8)
			if err != nil && !errors.Is(err, mediaapp.ErrTimeout) {
				return store.User{}, err
			}
			if ok, err := a.d.Mailbox.CheckPIN(ctx, caller.ID, pin); err != nil {
				return store.User{}, fmt.Errorf("access: %w", err)
			} else if ok {
				return caller, nil
			}
			if err := a.s.say(ctx, "vm_login_failed"); err != nil {
				return store.User{}, err
			}
		}
		a.s.log.Warn("voicemail login failed", "user", caller.ID)
		return store.User{}, errors.Join(errDone, a.s.goodbye(ctx))
	}
	for try := 0; try < loginTries; try++ {
		if err := a.s.say(ctx, "vm_enter_mailbox"); err != nil {
			return store.User{}, err
		}
		number, err := a.s.entry(ctx, 15)
		if err != nil && !errors.Is(err, mediaapp.ErrTimeout) {
			return store.User{}, err
		}
		// The PIN is asked for even when no such mailbox exists, so mailboxes cannot be probed.
		if err := a.s.say(ctx, "vm_enter_pin"); err != nil {
			return store.User{}, err
		}
		pin, err := a.s.entry(ctx, 8)
		if err != nil && !errors.Is(err, mediaapp.ErrTimeout) {
			return store.User{}, err
		}
		if u, ok := a.lookup(ctx, number); ok {
			if ok, err := a.d.Mailbox.CheckPIN(ctx, u.ID, pin); err != nil {
				return store.User{}, fmt.Errorf("access: %w", err)
			} else if ok {
				return u, nil
			}
		}
		if err := a.s.say(ctx, "vm_login_failed"); err != nil {
			return store.User{}, err
		}
	}
	a.s.log.Warn("voicemail login failed from another phone", "org", a.org.ID)
	return store.User{}, errors.Join(errDone, a.s.goodbye(ctx))
}

// lookup finds a mailbox by extension, national number (0…) or international digits (00…/358…).
func (a *access) lookup(ctx context.Context, number string) (store.User, bool) {
	if number == "" {
		return store.User{}, false
	}
	if u, err := a.d.Users.UserByExtension(ctx, a.org.ID, number); err == nil {
		return u, true
	}
	var e164 string
	switch {
	case strings.HasPrefix(number, "00"):
		e164 = "+" + number[2:]
	case strings.HasPrefix(number, "0") && a.org.CountryCode != "":
		e164 = "+" + a.org.CountryCode + number[1:]
	default:
		e164 = "+" + number
	}
	if u, err := a.d.Users.UserByNumber(ctx, a.org.ID, e164); err == nil {
		return u, true
	}
	return store.User{}, false
}

// summary says how many new messages there are ("you have no messages" when the box is empty).
func (a *access) summary(ctx context.Context) error {
	n, o, err := a.d.Mailbox.Counts(ctx, a.box.ID)
	if err != nil {
		return fmt.Errorf("access: %w", err)
	}
	if n == 0 && o == 0 {
		return a.s.say(ctx, "vm_no_messages")
	}
	keys, err := countKeys(a.s.lang, n, "vm_new_message", "vm_new_messages")
	if err != nil {
		return err
	}
	return a.s.say(ctx, append([]string{"vm_you_have"}, keys...)...)
}

// countKeys speaks "<n> <singular|plural>".
func countKeys(lang string, n int, one, many string) ([]string, error) {
	keys, err := mediaapp.SayNumber(sayLang(lang), min(n, 9999))
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	if n == 1 {
		return append(keys, one), nil
	}
	return append(keys, many), nil
}

// menuKey says a menu and waits for a key; ok is false when none came this round (say the
// menu again). After menuTimeouts silent rounds in a row it says goodbye and returns errDone.
func (a *access) menuKey(ctx context.Context, menu string, timeouts *int) (k rune, ok bool, err error) {
	if err := a.s.say(ctx, menu); err != nil {
		return 0, false, err
	}
	k, err = a.s.key(ctx)
	if errors.Is(err, mediaapp.ErrTimeout) {
		if *timeouts++; *timeouts >= menuTimeouts {
			return 0, false, errors.Join(errDone, a.s.goodbye(ctx))
		}
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	*timeouts = 0
	return k, true, nil
}

// mainMenu runs VM-2's main menu until the caller hangs up or chooses to.
func (a *access) mainMenu(ctx context.Context) error {
	timeouts := 0
	for {
		k, ok, err := a.menuKey(ctx, "vm_main_menu", &timeouts)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		switch k {
		case '2':
			err = a.listen(ctx)
		case '4':
			err = a.playGreeting(ctx)
		case '5':
			err = a.recordGreeting(ctx)
		case '6':
			err = a.deleteGreeting(ctx)
		case '*':
			return errors.Join(errDone, a.s.goodbye(ctx))
		case '0':
			// repeat the menu
		default:
			err = a.s.say(ctx, "invalid_choice")
		}
		if err != nil {
			return err
		}
	}
}

// playlist is the order messages are listened in: new ones first, then old ones, each oldest
// first so a conversation is heard in order.
func playlist(vs []store.Voicemail) []store.Voicemail {
	var fresh, old []store.Voicemail
	for i := len(vs) - 1; i >= 0; i-- { // List is newest first
		if vs[i].Kind != store.VoiceMessage && vs[i].Kind != "" {
			continue // faxes are not played on the phone
		}
		if vs[i].Heard {
			old = append(old, vs[i])
		} else {
			fresh = append(fresh, vs[i])
		}
	}
	return append(fresh, old...)
}

// listen plays the messages with VM-2's message menu. It returns nil to go back to the main menu.
func (a *access) listen(ctx context.Context) error {
	all, err := a.d.Mailbox.List(ctx, a.box.ID)
	if err != nil {
		return fmt.Errorf("access: %w", err)
	}
	msgs := playlist(all)
	if len(msgs) == 0 {
		return a.s.say(ctx, "vm_no_messages")
	}
	i, timeouts, replay := 0, 0, true
	for {
		if replay {
			if err := a.playMessage(ctx, i, msgs[i]); err != nil {
				return err
			}
		}
		replay = false
		k, ok, err := a.menuKey(ctx, "vm_message_menu", &timeouts)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		switch k {
		case '1':
			if i == 0 {
				if err := a.s.say(ctx, "vm_first_message"); err != nil {
					return err
				}
			} else {
				i--
			}
			replay = true
		case '2':
			replay = true
		case '3':
			if i+1 >= len(msgs) {
				return a.s.say(ctx, "vm_no_more_messages")
			}
			i++
			replay = true
		case '7':
			if err := a.d.Mailbox.Delete(ctx, a.box.ID, msgs[i].ID); err != nil {
				return fmt.Errorf("access: %w", err)
			}
			a.s.log.Info("voicemail deleted by phone", "id", msgs[i].ID)
			msgs = append(msgs[:i], msgs[i+1:]...)
			if err := a.s.say(ctx, "vm_message_deleted"); err != nil {
				return err
			}
			if i >= len(msgs) {
				return a.s.say(ctx, "vm_no_more_messages")
			}
			replay = true // the next message moved into place
		case '*':
			return errors.Join(errDone, a.s.goodbye(ctx))
		case '0':
			return nil
		default:
			if err := a.s.say(ctx, "invalid_choice"); err != nil {
				return err
			}
		}
	}
}

// playMessage says "message <n> from <number>", plays it and marks it heard.
func (a *access) playMessage(ctx context.Context, i int, v store.Voicemail) error {
	keys := []string{"vm_message"}
	n, err := mediaapp.SayNumber(sayLang(a.s.lang), min(i+1, 9999))
	if err != nil {
		return fmt.Errorf("access: %w", err)
	}
	keys = append(keys, n...)
	if dk := digitKeys(v.Caller); len(dk) > 0 {
		keys = append(append(keys, "vm_from"), dk...)
	} else {
		keys = append(keys, "vm_unknown_caller")
	}
	intro, err := a.s.voice.Clips(a.s.lang, keys...)
	if err != nil {
		return fmt.Errorf("access: %w", err)
	}
	clips := intro
	if samples, err := a.messageAudio(ctx, v); err != nil {
		// A record whose file is gone or broken is an admin's problem (Recover reports it);
		// the caller still gets the menu and the other messages.
		a.s.log.Error("voicemail message unplayable", "id", v.ID, "error", err)
	} else {
		clips = append(clips, mediaapp.Clip{Name: fmt.Sprintf("message/%d", v.ID), Samples: samples})
	}
	err = a.s.ch.Play(ctx, clips...)
	if err != nil && !errors.Is(err, mediaapp.ErrBargeIn) {
		return err
	}
	// Heard once played; a key pressed during it means the caller has heard enough of it too.
	if !v.Heard {
		if err := a.d.Mailbox.MarkHeard(ctx, a.box.ID, v.ID, true); err != nil {
			return fmt.Errorf("access: %w", err)
		}
	}
	return nil
}

func (a *access) messageAudio(ctx context.Context, v store.Voicemail) ([]int16, error) {
	f, _, err := a.d.Mailbox.Open(ctx, a.box.ID, v.ID)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	samples, err := mediaapp.ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("message %d: %w", v.ID, err)
	}
	return samples, nil
}

func (a *access) playGreeting(ctx context.Context) error {
	path, err := a.d.Mailbox.Greeting(ctx, a.box.ID)
	if err != nil {
		return fmt.Errorf("access: %w", err)
	}
	if path == "" {
		return a.s.say(ctx, "vm_no_greeting")
	}
	c, err := mediaapp.LoadWAV(path)
	if err != nil {
		return fmt.Errorf("access: own greeting: %w", err)
	}
	c.Name = "greeting/own"
	return a.s.play(ctx, c)
}

func (a *access) recordGreeting(ctx context.Context) error {
	if err := a.s.say(ctx, "vm_record_greeting"); err != nil {
		return err
	}
	if err := a.s.play(ctx, beep); err != nil {
		return err
	}
	var buf bytes.Buffer
	rec, err := a.s.ch.Record(ctx, &buf, mediaapp.RecordOptions{Max: MaxGreeting, Silence: RecordSilence, StopDigits: "#"})
	if err != nil {
		return err // a greeting cut off by hanging up is not kept: the owner hears nothing back
	}
	if rec.Duration <= MinRecording {
		return a.s.say(ctx, "try_again")
	}
	if err := a.d.Mailbox.SaveGreeting(ctx, a.box.ID, &buf); err != nil {
		return fmt.Errorf("access: %w", err)
	}
	return a.s.say(ctx, "vm_greeting_saved")
}

func (a *access) deleteGreeting(ctx context.Context) error {
	path, err := a.d.Mailbox.Greeting(ctx, a.box.ID)
	if err != nil {
		return fmt.Errorf("access: %w", err)
	}
	if path == "" {
		return a.s.say(ctx, "vm_no_greeting")
	}
	if err := a.d.Mailbox.DeleteGreeting(ctx, a.box.ID); err != nil {
		return fmt.Errorf("access: %w", err)
	}
	return a.s.say(ctx, "vm_greeting_deleted")
}
