package voicemail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
)

// Voice turns prompt keys into clips in a language; prompt.Catalog satisfies it. Keys are
// those of packaging/prompts.tsv and mediaapp.PromptKeys.
type Voice interface {
	Clips(lang string, keys ...string) ([]mediaapp.Clip, error)
}

// orgVoices is a Voice that keeps recordings per organisation (prompt.Catalog, ORG-1).
type orgVoices interface {
	OrgClips(orgID int64, lang string, keys ...string) ([]mediaapp.Clip, error)
}

// orgVoice is v as organisation orgID's callers hear it: with its administrators' recordings
// when v keeps them per organisation; any other Voice sounds the same for everyone.
func orgVoice(v Voice, orgID int64) Voice {
	if ov, ok := v.(orgVoices); ok && orgID != 0 {
		return orgVoiceOf{ov, orgID}
	}
	return v
}

type orgVoiceOf struct {
	v   orgVoices
	org int64
}

func (o orgVoiceOf) Clips(lang string, keys ...string) ([]mediaapp.Clip, error) {
	return o.v.OrgClips(o.org, lang, keys...)
}

// Limits of the call flows.
const (
	// MaxMessage is the longest voice message a caller can leave.
	MaxMessage = 3 * time.Minute
	// MaxGreeting is the longest own greeting.
	MaxGreeting = time.Minute
	// RecordSilence ends a recording after this much silence.
	RecordSilence = 5 * time.Second
	// MinRecording: a recording must be longer than this to be kept (a caller who hangs up at
	// the beep leaves nothing).
	MinRecording = time.Second
	// saveTimeout bounds the save of a message once the call is gone.
	saveTimeout = 30 * time.Second
)

// beep is the tone before a recording starts.
var beep = mediaapp.Tone(1000, 250*time.Millisecond)

// errDone ends a flow early after the caller chose to hang up or ran out of tries.
var errDone = errors.New("voicemail: flow done")

// session is one call flow's state shared by its steps.
type session struct {
	ch    mediaapp.Channel
	voice Voice
	lang  string
	log   *slog.Logger
}

// say plays prompt keys. A digit pressed during the prompt is not an error: it stays queued
// for the next collect (type-ahead), so say returns nil.
func (s *session) say(ctx context.Context, keys ...string) error {
	clips, err := s.voice.Clips(s.lang, keys...)
	if err != nil {
		return fmt.Errorf("prompts %v: %w", keys, err)
	}
	return s.play(ctx, clips...)
}

// play plays clips; ErrBargeIn is swallowed as in say.
func (s *session) play(ctx context.Context, clips ...mediaapp.Clip) error {
	err := s.ch.Play(ctx, clips...)
	if errors.Is(err, mediaapp.ErrBargeIn) {
		return nil
	}
	return err
}

// key waits for one menu key ('#' is a key too). ErrTimeout when nothing was pressed.
func (s *session) key(ctx context.Context) (rune, error) {
	d, err := s.ch.Collect(ctx, mediaapp.CollectOptions{Max: 1, Terminator: mediaapp.NoTerminator})
	if err != nil {
		return 0, err
	}
	if d == "" {
		return 0, mediaapp.ErrTimeout
	}
	return []rune(d)[0], nil
}

// entry collects a number ended by '#' (mailbox, PIN).
func (s *session) entry(ctx context.Context, max int) (string, error) {
	return s.ch.Collect(ctx, mediaapp.CollectOptions{Max: max, Terminator: '#', FirstTimeout: 10 * time.Second})
}

// goodbye says goodbye and hangs up; the caller may already be gone.
func (s *session) goodbye(ctx context.Context) error {
	if err := s.say(ctx, "goodbye"); err != nil && !errors.Is(err, mediaapp.ErrHangup) {
		return err
	}
	return s.ch.Hangup(ctx)
}

// digitKeys speaks a number digit by digit ("+358 40 1" → num/3 num/5 num/8 …); characters
// other than digits are skipped.
func digitKeys(number string) []string {
	var keys []string
	for _, c := range number {
		if c >= '0' && c <= '9' {
			keys = append(keys, "num/"+string(c))
		}
	}
	return keys
}

// endOf maps how a flow stopped to what the flow returns: the caller hanging up or the flow
// finishing on purpose is a normal end.
func endOf(err error) error {
	if err == nil || errors.Is(err, errDone) || errors.Is(err, mediaapp.ErrHangup) {
		return nil
	}
	return err
}

func orDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
