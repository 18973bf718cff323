package voicemail

import (
	"context"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/client/audio"
)

// Player plays a decoded message. Play blocks until the samples (mono, audio.SampleRate) have
// been played or ctx ends; it returns nil in both cases and an error only when the sound
// device failed.
type Player interface {
	Play(ctx context.Context, samples []int16) error
}

// DevicePlayer plays through the audio backend on the output device the user chose for
// talking (Settings → Audio → Speaker), read at each Play so a change applies to the next
// message.
type DevicePlayer struct {
	Backend audio.Backend
	// Device returns the output device's name; nil or "" is the system default.
	Device func() string
}

// Play implements Player: 20 ms frames at real-time pace, so that Stop is immediate and the
// sink's queue stays short.
func (p DevicePlayer) Play(ctx context.Context, samples []int16) error {
	dev := ""
	if p.Device != nil {
		dev = p.Device()
	}
	sink, err := p.Backend.OpenSink(dev)
	if err != nil {
		return fmt.Errorf("open output %q: %w", dev, err)
	}
	defer sink.Close()
	frame := make([]int16, audio.FrameSamples)
	start := time.Now()
	for i := 0; i < len(samples); i += audio.FrameSamples {
		n := copy(frame, samples[i:])
		clear(frame[n:])
		if err := sink.Write(frame); err != nil {
			return fmt.Errorf("play: %w", err)
		}
		// Keep ~60 ms queued ahead of the device: pace by the wall clock, not by tick count.
		due := start.Add(time.Duration(i+audio.FrameSamples)*time.Second/audio.SampleRate - 60*time.Millisecond)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
		} else if ctx.Err() != nil {
			return nil
		}
	}
	// Let the queued tail play out before the device closes.
	select {
	case <-ctx.Done():
	case <-time.After(100 * time.Millisecond):
	}
	return nil
}
