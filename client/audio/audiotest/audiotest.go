// Package audiotest provides in-memory audio sources and sinks for tests of code that uses
// audio.Backend: a source that plays a tone in real time and a sink that records.
package audiotest

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/vaihde/vaihde/client/audio"
)

// ToneSource produces a sine tone in 20 ms frames, paced in real time like a microphone.
type ToneSource struct {
	Freq, Amp float64 // Hz, fraction of full scale

	mu     sync.Mutex
	n      int
	next   time.Time
	closed bool
}

// Read implements audio.Source.
func (s *ToneSource) Read(frame []int16) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return audio.ErrClosed
	}
	if s.next.IsZero() {
		s.next = time.Now()
	}
	s.next = s.next.Add(time.Duration(len(frame)) * time.Second / audio.SampleRate)
	wait := time.Until(s.next)
	for i := range frame {
		frame[i] = int16(s.Amp * 32767 * math.Sin(2*math.Pi*s.Freq*float64(s.n)/audio.SampleRate))
		s.n++
	}
	s.mu.Unlock()
	if wait > 0 {
		time.Sleep(wait)
	}
	return nil
}

// Close implements audio.Source.
func (s *ToneSource) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// RecordSink keeps everything written to it.
type RecordSink struct {
	mu      sync.Mutex
	samples []int16
	closed  bool
}

// Write implements audio.Sink.
func (s *RecordSink) Write(frame []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return audio.ErrClosed
	}
	s.samples = append(s.samples, frame...)
	return nil
}

// Close implements audio.Sink.
func (s *RecordSink) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// Samples returns a copy of what was written.
func (s *RecordSink) Samples() []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.samples)
}

// Last returns a copy of the last n samples written (fewer if not as many were written).
func (s *RecordSink) Last(n int) []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.samples[max(0, len(s.samples)-n):])
}

// Backend is an audio.Backend whose sources play a tone and whose sinks record. Every opened
// sink is kept, by device name, for inspection.
type Backend struct {
	Freq float64 // tone of the sources

	mu    sync.Mutex
	sinks map[string][]*RecordSink
	srcs  int
}

// OpenSource implements audio.Backend.
func (b *Backend) OpenSource(device string) (audio.Source, error) {
	b.mu.Lock()
	b.srcs++
	b.mu.Unlock()
	return &ToneSource{Freq: b.Freq, Amp: 0.5}, nil
}

// OpenSink implements audio.Backend.
func (b *Backend) OpenSink(device string) (audio.Sink, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sinks == nil {
		b.sinks = map[string][]*RecordSink{}
	}
	s := &RecordSink{}
	b.sinks[device] = append(b.sinks[device], s)
	return s, nil
}

// Sinks returns the sinks opened on device, oldest first.
func (b *Backend) Sinks(device string) []*RecordSink {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sinks[device])
}
