package mediaapp

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Script is a fake Channel for call-flow tests: no network, no clock. The caller's side is a list
// of inputs; each is what the caller types the next time the flow waits for input (Collect or
// Record), and the log tells what the flow did.
//
//   - Collect with no queued keys takes the next input and queues its keys. Keys beyond what
//     the entry uses stay queued (type-ahead). An input "" is the caller saying nothing: the
//     first-digit timeout (ErrTimeout). Keys that run out without a terminator behave as the
//     inter-digit timeout.
//   - Record takes the next input: it "hears" RecordAudio, then stops on the input's first key
//     if that is a stop digit, else on silence.
//   - Play returns ErrBargeIn while keys are queued, like Endpoint.
//   - When the inputs are used up the caller hangs up: every call returns ErrHangup (Record still
//     writes RecordAudio first, as a caller who speaks and hangs up).
//
// It is safe for concurrent use, though flows use a Channel from one goroutine.
type Script struct {
	// RecordAudio is what the caller says into every Record; NewScript sets 1 s of 440 Hz.
	RecordAudio Clip

	mu     sync.Mutex
	inputs []string
	queue  []rune
	gone   bool // the caller hung up
	hungUp bool // the flow hung up
	log    []string
	played []string
}

// NewScript returns a Script whose caller types inputs in order.
func NewScript(inputs ...string) *Script {
	return &Script{RecordAudio: Tone(440, time.Second), inputs: inputs}
}

// Log returns what happened, in order: "play <clip>", "barge-in <key>", "collect <digits>",
// "collect timeout", "record <duration> <reason>", "hangup" (flow) and "caller hangup".
func (s *Script) Log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// Played returns the names of the clips played, in order.
func (s *Script) Played() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.played...)
}

// HungUp reports whether the flow called Hangup.
func (s *Script) HungUp() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hungUp
}

// Remaining returns the inputs not yet consumed.
func (s *Script) Remaining() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.inputs...)
}

// next takes the next input; false means the caller is gone. s.mu is held.
func (s *Script) next() (string, bool) {
	if s.gone || s.hungUp {
		return "", false
	}
	if len(s.inputs) == 0 {
		s.gone = true
		s.log = append(s.log, "caller hangup")
		return "", false
	}
	in := s.inputs[0]
	s.inputs = s.inputs[1:]
	return in, true
}

// Play implements Channel.
func (s *Script) Play(ctx context.Context, clips ...Clip) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("play: %w", err)
	}
	if s.gone || s.hungUp {
		return ErrHangup
	}
	if len(s.queue) > 0 {
		s.log = append(s.log, "barge-in "+string(s.queue[0]))
		return ErrBargeIn
	}
	for _, c := range clips {
		s.log = append(s.log, "play "+c.Name)
		s.played = append(s.played, c.Name)
	}
	return nil
}

// Collect implements Channel.
func (s *Script) Collect(ctx context.Context, o CollectOptions) (string, error) {
	o = o.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("collect: %w", err)
	}
	if len(s.queue) == 0 {
		in, ok := s.next()
		if !ok {
			return "", ErrHangup
		}
		s.queue = append(s.queue, []rune(in)...)
	}
	var got []rune
	term := false
	for len(s.queue) > 0 {
		r := s.queue[0]
		s.queue = s.queue[1:]
		if r == o.Terminator {
			term = true
			break
		}
		got = append(got, r)
		if len(got) >= o.Max {
			if len(s.queue) > 0 && s.queue[0] == o.Terminator {
				s.queue = s.queue[1:]
			}
			break
		}
	}
	if len(got) == 0 && !term {
		s.log = append(s.log, "collect timeout")
		return "", ErrTimeout
	}
	s.log = append(s.log, "collect "+string(got))
	return string(got), nil
}

// Record implements Channel.
func (s *Script) Record(ctx context.Context, w io.Writer, o RecordOptions) (Recording, error) {
	o = o.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Recording{Reason: StopCanceled}, fmt.Errorf("record: %w", err)
	}
	if s.gone || s.hungUp {
		return Recording{Reason: StopHangup}, ErrHangup
	}
	in, ok := s.next()
	audio := s.RecordAudio.Samples
	if max := durationSamples(o.Max); len(audio) > max {
		audio = audio[:max]
	}
	sink, err := newSampleSink(w)
	if err != nil {
		return Recording{}, fmt.Errorf("record: %w", err)
	}
	werr := sink.write(audio)
	if ferr := sink.finish(); werr == nil {
		werr = ferr
	}
	rec := Recording{Samples: len(audio), Duration: samplesDuration(len(audio))}
	switch {
	case werr != nil:
		return rec, fmt.Errorf("record: %w", werr)
	case !ok:
		rec.Reason = StopHangup
	case len(audio) < len(s.RecordAudio.Samples):
		rec.Reason = StopMaxLength
	case in != "" && strings.ContainsRune(o.StopDigits, []rune(in)[0]):
		rec.Reason, rec.Digit = StopDigit, []rune(in)[0]
	default:
		rec.Reason = StopSilence
	}
	s.log = append(s.log, fmt.Sprintf("record %v %s", rec.Duration, rec.Reason))
	if !ok {
		return rec, ErrHangup
	}
	return rec, nil
}

// Hangup implements Channel.
func (s *Script) Hangup(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hungUp {
		s.hungUp = true
		s.log = append(s.log, "hangup")
	}
	return nil
}

var _ Channel = (*Script)(nil)
