package mediaapp

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"
)

// readBack is a small call flow of the kind voicemail and the activity IVR are made of: ask for
// a number, read it back, "1" confirms, anything else asks again; three tries.
func readBack(ctx context.Context, ch Channel, lang Lang) (int, error) {
	clip := func(key string) Clip { return Clip{Name: key} }
	for range 3 {
		if err := ch.Play(ctx, clip("prompt/enter-number")); err != nil && !errors.Is(err, ErrBargeIn) {
			return 0, err
		}
		digits, err := ch.Collect(ctx, CollectOptions{Max: 4})
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			continue
		}
		keys, err := SayNumber(lang, n)
		if err != nil {
			return 0, err
		}
		clips := []Clip{clip("prompt/you-entered")}
		for _, k := range keys {
			clips = append(clips, clip(k))
		}
		if err := ch.Play(ctx, append(clips, clip("prompt/press-1-to-confirm"))...); err != nil && !errors.Is(err, ErrBargeIn) {
			return 0, err
		}
		if k, err := ch.Collect(ctx, CollectOptions{Max: 1}); err == nil && k == "1" {
			return n, ch.Play(ctx, clip("prompt/feature-activated"))
		} else if errors.Is(err, ErrHangup) {
			return 0, err
		}
	}
	return 0, ch.Hangup(ctx)
}

func TestScriptRunsFlow(t *testing.T) {
	tests := []struct {
		name   string
		inputs []string
		want   int
		err    error
		log    []string
	}{
		{"confirmed", []string{"2024#", "1"}, 2024, nil, []string{
			"play prompt/enter-number", "collect 2024",
			"play prompt/you-entered", "play num/2000", "play num/24", "play prompt/press-1-to-confirm",
			"collect 1", "play prompt/feature-activated"}},
		{"timeout then retry", []string{"", "7", "1"}, 7, nil, []string{
			"play prompt/enter-number", "collect timeout",
			"play prompt/enter-number", "collect 7",
			"play prompt/you-entered", "play num/7", "play prompt/press-1-to-confirm",
			"collect 1", "play prompt/feature-activated"}},
		{"type-ahead skips prompts", []string{"51#1"}, 51, nil, []string{
			"play prompt/enter-number", "collect 51", "barge-in 1", "collect 1", "play prompt/feature-activated"}},
		{"caller hangs up", []string{"12#"}, 0, ErrHangup, []string{
			"play prompt/enter-number", "collect 12",
			"play prompt/you-entered", "play num/12", "play prompt/press-1-to-confirm", "caller hangup"}},
		{"three failures", []string{"", "", ""}, 0, nil, []string{
			"play prompt/enter-number", "collect timeout", "play prompt/enter-number", "collect timeout",
			"play prompt/enter-number", "collect timeout", "hangup"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewScript(tc.inputs...)
			got, err := readBack(context.Background(), s, English)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("readBack = %d, %v; want %d, %v", got, err, tc.want, tc.err)
			}
			if !slices.Equal(s.Log(), tc.log) {
				t.Errorf("log\n got %q\nwant %q", s.Log(), tc.log)
			}
		})
	}
}

func TestScriptRecord(t *testing.T) {
	tests := []struct {
		name   string
		inputs []string
		o      RecordOptions
		reason StopReason
		err    error
		n      int
	}{
		{"hash", []string{"#"}, RecordOptions{}, StopDigit, nil, 8000},
		{"silence", []string{""}, RecordOptions{}, StopSilence, nil, 8000},
		{"max length", []string{""}, RecordOptions{Max: 500 * time.Millisecond}, StopMaxLength, nil, 4000},
		{"caller hangs up after speaking", nil, RecordOptions{}, StopHangup, ErrHangup, 8000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewScript(tc.inputs...)
			var buf bytes.Buffer
			rec, err := s.Record(context.Background(), &buf, tc.o)
			if rec.Reason != tc.reason || !errors.Is(err, tc.err) || rec.Samples != tc.n {
				t.Fatalf("Record = %+v, %v; want %s, %v, %d samples", rec, err, tc.reason, tc.err, tc.n)
			}
			got, err := ReadWAV(&buf)
			if err != nil || len(got) != tc.n {
				t.Fatalf("WAV written: %d samples, %v", len(got), err)
			}
		})
	}
}

func TestCollect(t *testing.T) {
	tests := []struct {
		name string
		keys string
		o    CollectOptions
		want string
		err  error
	}{
		{"max digits", "12345", CollectOptions{Max: 3}, "123", nil},
		{"terminator", "12#3", CollectOptions{Max: 5}, "12", nil},
		{"terminator alone is an empty entry", "#", CollectOptions{Max: 5}, "", nil},
		{"star as terminator", "9*", CollectOptions{Max: 5, Terminator: '*'}, "9", nil},
		{"no terminator", "1#2", CollectOptions{Max: 3, Terminator: NoTerminator}, "1#2", nil},
		{"inter-digit timeout", "12", CollectOptions{Max: 5, InterTimeout: 50 * time.Millisecond}, "12", nil},
		{"first-digit timeout", "", CollectOptions{Max: 5, FirstTimeout: 50 * time.Millisecond}, "", ErrTimeout},
		{"terminator after a full entry is consumed", "1234#", CollectOptions{Max: 4}, "1234", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := newDigitQueue()
			for _, k := range tc.keys {
				q.push(k)
			}
			got, err := collect(context.Background(), q, make(chan struct{}), tc.o)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("collect = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
			if tc.name == "terminator after a full entry is consumed" && q.pending() {
				t.Error("the terminator after a full entry stayed queued")
			}
		})
	}
}

func TestCollectHangupAndCancel(t *testing.T) {
	q := newDigitQueue()
	done := make(chan struct{})
	close(done)
	if _, err := collect(context.Background(), q, done, CollectOptions{}); !errors.Is(err, ErrHangup) {
		t.Errorf("collect after hangup: %v, want ErrHangup", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := collect(ctx, q, make(chan struct{}), CollectOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("collect with cancelled ctx: %v, want context.Canceled", err)
	}
}

func TestDigitQueueBounded(t *testing.T) {
	q := newDigitQueue()
	for range 2 * maxQueuedDigits {
		q.push('1')
	}
	n := 0
	for {
		if _, ok := q.pop(); !ok {
			break
		}
		n++
	}
	if n != maxQueuedDigits {
		t.Errorf("queued %d keys, want at most %d", n, maxQueuedDigits)
	}
}
