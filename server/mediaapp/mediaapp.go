// Package mediaapp owns the engine that server-side call applications (feature-code answers,
// voicemail, the activity IVR, later queues and conferences) run on.
//
// An application is plain Go code that talks to a Channel: it plays clips, collects DTMF and
// records to WAV. LegChannel is the real Channel, on the call's relay leg (server/relay): the one
// RTP endpoint a call leg has from answer to hang-up, which the relay also bridges to a person
// when the application hands the call over, with no re-INVITE. The leg speaks G.711 (PCMU/PCMA),
// SRTP when the party's SDP asks for it, latches for NAT, and turns RFC 4733 telephone-events
// (and SIP INFO keys, relay.Leg.PressKey / InjectDigit with ParseDTMFInfo) into keys; the
// channel paces 20 ms frames of its clips (silence in between) into the leg's outgoing stream,
// so the party sees one SSRC with continuous sequence numbers across prompts and people;
// LegChannel.Loop plays music on hold. Script is a fake Channel that lets call
// flows run in tests without a network. The Say functions turn numbers, clock times and dates into
// prompt keys in Finnish, Swedish and English; PromptKeys lists every key they can produce and
// PromptText the words to synthesise for it. Loading prompt clips is server/prompt's job
// (prompt.Catalog.Clips).
//
// Channel methods are meant to be called from one goroutine, the call flow's; LegChannel's other
// methods (InjectDigit, Stats, Close) are safe from any goroutine.
package mediaapp

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors returned by channels.
var (
	// ErrBargeIn is returned by Play when a digit interrupted the prompt. The digit stays queued
	// for the next Collect.
	ErrBargeIn = errors.New("mediaapp: prompt interrupted by a digit")
	// ErrTimeout is returned by Collect when no digit arrived before the first-digit timeout.
	ErrTimeout = errors.New("mediaapp: no digit before timeout")
	// ErrHangup is returned once the call is gone: the channel was closed or hung up.
	ErrHangup = errors.New("mediaapp: call hung up")
	// ErrCodec means a codec the channel cannot speak.
	ErrCodec = errors.New("mediaapp: unsupported codec")
	// ErrWAV means a WAV file is malformed or not 8 kHz mono 16-bit PCM.
	ErrWAV = errors.New("mediaapp: not an 8 kHz mono 16-bit PCM WAV")
)

// Channel is what a call application sees of its call.
type Channel interface {
	// Play plays clips one after the other. It returns nil when all were played, ErrBargeIn as
	// soon as a digit arrives (also when one was already queued: type-ahead skips the prompt),
	// ErrHangup when the call ends, or the context's error.
	Play(ctx context.Context, clips ...Clip) error
	// Collect waits for up to o.Max digits. It returns the digits (without the terminator) when
	// the terminator is pressed, Max digits arrived (a terminator queued right after them is
	// consumed too), or the inter-digit timeout passed after at least one digit; with no digit
	// before the first-digit timeout it returns "" and ErrTimeout. Keys typed beyond the entry
	// stay queued (type-ahead).
	Collect(ctx context.Context, o CollectOptions) (string, error)
	// Record writes what the caller says to w as a WAV (8 kHz mono 16-bit) until the maximum
	// length, a silence of o.Silence, a stop digit, hangup or ctx ends it. A *WAVWriter is written
	// to and left open; any other io.WriteSeeker gets a WAV whose header is fixed up (and synced,
	// when it can Sync) before Record returns; a plain io.Writer gets the whole WAV at the end.
	// The Recording is valid (and w complete) also when the error is ErrHangup.
	Record(ctx context.Context, w io.Writer, o RecordOptions) (Recording, error)
	// Hangup ends the call.
	Hangup(ctx context.Context) error
}

// CollectOptions tell Collect when an entry is complete.
type CollectOptions struct {
	Max          int           // digits at most; 0 means 1
	Terminator   rune          // ends the entry and is not returned; 0 means '#', NoTerminator none
	FirstTimeout time.Duration // wait for the first digit; 0 means DefaultFirstTimeout
	InterTimeout time.Duration // wait between digits; 0 means DefaultInterTimeout
}

// NoTerminator as CollectOptions.Terminator means no key ends the entry early.
const NoTerminator rune = -1

// Defaults of CollectOptions and RecordOptions.
const (
	DefaultFirstTimeout = 5 * time.Second
	DefaultInterTimeout = 3 * time.Second
	DefaultMaxRecord    = 2 * time.Minute
	// DefaultSilenceLevel is the RMS (fraction of full scale, about -46 dBFS) below which a
	// 20 ms frame counts as silence.
	DefaultSilenceLevel = 0.005
)

func (o CollectOptions) withDefaults() CollectOptions {
	if o.Max <= 0 {
		o.Max = 1
	}
	if o.Terminator == 0 {
		o.Terminator = '#'
	}
	if o.FirstTimeout <= 0 {
		o.FirstTimeout = DefaultFirstTimeout
	}
	if o.InterTimeout <= 0 {
		o.InterTimeout = DefaultInterTimeout
	}
	return o
}

// RecordOptions tell Record when to stop.
type RecordOptions struct {
	Max          time.Duration // longest recording; 0 means DefaultMaxRecord
	Silence      time.Duration // stop after this much continuous silence; 0 never
	SilenceLevel float64       // RMS below which audio is silence; 0 means DefaultSilenceLevel
	StopDigits   string        // keys that end the recording; "" means "#". Other keys are dropped.
}

func (o RecordOptions) withDefaults() RecordOptions {
	if o.Max <= 0 {
		o.Max = DefaultMaxRecord
	}
	if o.SilenceLevel <= 0 {
		o.SilenceLevel = DefaultSilenceLevel
	}
	if o.StopDigits == "" {
		o.StopDigits = "#"
	}
	return o
}

// StopReason says why a recording ended.
type StopReason string

// Reasons a recording ends.
const (
	StopMaxLength StopReason = "max-length"
	StopSilence   StopReason = "silence"
	StopDigit     StopReason = "digit"
	StopHangup    StopReason = "hangup"
	StopCanceled  StopReason = "canceled"
)

// Recording describes a finished recording.
type Recording struct {
	Samples  int           // 8 kHz samples written
	Duration time.Duration // Samples as time
	Reason   StopReason
	Digit    rune // the stop digit when Reason is StopDigit
}

func samplesDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / SampleRate
}

// Flow is a call application: it runs on the call's channel until it returns or the caller
// hangs up (then every Channel method returns ErrHangup). The call's owner runs it on a
// goroutine of its own and hangs up when it returns.
type Flow func(ctx context.Context, ch Channel) error

// Connector is implemented by channels whose call can leave the application for a person (the
// call engine's service calls): the caller is connected to number and the application ends.
// bypass rings a user even if their routing rules sent the call to the application (VM-3
// "press 2 to reach the person anyway"). On error the caller is still in the application.
type Connector interface {
	Connect(ctx context.Context, number string, bypass bool) error
}

// ConnectorAs is a Connector that is also told which user set the number (e.g. the mailbox
// owner's customer-service number): a number outside the organisation is then called on that
// user's authority (NF-1), even for an outside caller. Connect alone uses the caller's.
type ConnectorAs interface {
	ConnectAs(ctx context.Context, by int64, number string, bypass bool) error
}

// Looper is implemented by channels that loop a clip until ctx ends (LegChannel): music on
// hold without gaps. Flows that wait (queues, camp-on) assert it and otherwise replay the clip.
type Looper interface {
	Loop(ctx context.Context, clip Clip) error
}
