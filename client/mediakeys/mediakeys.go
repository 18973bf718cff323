// Package mediakeys owns the headset and keyboard media keys: a USB headset's call button
// reaches desktop apps as a media key (play/pause), and this package turns those keys into
// answer and hang-up. On Linux the keys arrive as MPRIS calls on the D-Bus session bus
// (org.mpris.MediaPlayer2.vaihde, mediakeys_linux.go); on Windows through global hot keys
// registered while a call rings or lasts (mediakeys_windows.go); elsewhere Start returns
// ErrUnsupported.
package mediakeys

import (
	"context"
	"errors"
	"log/slog"
)

// Action is one media key.
type Action int

// Media keys.
const (
	PlayPause Action = iota + 1
	Play
	Pause
	Stop
	Next
	Previous
)

func (a Action) String() string {
	switch a {
	case PlayPause:
		return "PlayPause"
	case Play:
		return "Play"
	case Pause:
		return "Pause"
	case Stop:
		return "Stop"
	case Next:
		return "Next"
	case Previous:
		return "Previous"
	}
	return "unknown"
}

// ErrUnsupported is returned by Start where the platform delivers no media keys to the app.
var ErrUnsupported = errors.New("media keys: not supported on this platform")

// ErrNothingToDo is returned by Dispatch for a key that means nothing in the current call state.
var ErrNothingToDo = errors.New("media key: nothing to do")

// Options configure Start.
type Options struct {
	// OnAction is called for every key, from the listener's own goroutine; it must not block.
	OnAction func(Action)
	Logger   *slog.Logger
}

// Keys listens for media keys until Close.
type Keys struct {
	b backend
}

// backend is one platform's listener.
type backend interface {
	setActive(active bool)
	close() error
}

// Start listens for media keys; the listener ends with ctx or Close.
func Start(ctx context.Context, o Options) (*Keys, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.OnAction == nil {
		o.OnAction = func(Action) {}
	}
	b, err := start(ctx, o)
	if err != nil {
		return nil, err
	}
	k := &Keys{b: b}
	context.AfterFunc(ctx, func() { _ = b.close() })
	return k, nil
}

// SetActive says whether a call rings or lasts: media players report "Playing" then, so the
// desktop sends the keys to the Softphone rather than to a music player, and on Windows the
// global keys are only taken from other apps while there is a call. Safe from any goroutine.
func (k *Keys) SetActive(active bool) {
	if k != nil {
		k.b.setActive(active)
	}
}

// Close stops listening; safe to call more than once.
func (k *Keys) Close() error {
	if k == nil {
		return nil
	}
	return k.b.close()
}

// CallControl is what the keys act on; the UI's Model implements it.
type CallControl interface {
	// Ringing reports whether an incoming call rings (call waiting included).
	Ringing() bool
	// AnswerFirst answers the oldest ringing call.
	AnswerFirst() error
	// HangupFocus hangs up the call in the call panel, or rejects a ringing call when no
	// other call is up.
	HangupFocus() error
}

// Dispatch does what a headset's button means in the current call state:
//   - PlayPause (the usual call button): answers a ringing call, else hangs up the call;
//   - Play and Next: answer a ringing call (some headsets send these for "answer");
//   - Pause: hangs up a call that is up (never rejects a ringing one);
//   - Stop: hangs up the call, or rejects a ringing call when nothing else is up;
//   - Previous: nothing.
func Dispatch(a Action, c CallControl) error {
	ringing := c.Ringing()
	switch a {
	case PlayPause:
		if ringing {
			return c.AnswerFirst()
		}
		return c.HangupFocus()
	case Play, Next:
		if ringing {
			return c.AnswerFirst()
		}
	case Pause:
		if !ringing {
			return c.HangupFocus()
		}
	case Stop:
		return c.HangupFocus()
	}
	return ErrNothingToDo
}
