// Package audio owns the Softphone's sound devices: listing and re-scanning them, capture and
// playback through PortAudio resampled to 8 kHz 20 ms frames, and the ring and call-waiting tones.
// The engine depends only on the Backend interface, so tests inject fakes.
package audio

import (
	"errors"
)

// SampleRate is the rate of the frames this package hands out and accepts (G.711's clock).
const SampleRate = 8000

// FrameSamples is the number of samples in one 20 ms frame at SampleRate.
const FrameSamples = 160

// ErrClosed is returned by Read and Write after Close.
var ErrClosed = errors.New("audio: stream closed")

// ErrNoDevice is returned when neither the named device nor a default device exists.
var ErrNoDevice = errors.New("audio: no such device")

// Device is one sound device as the user picks it.
type Device struct {
	Name            string // unique within one listing; pass it to OpenSource/OpenSink
	Inputs          int    // maximum input channels; 0 for an output-only device
	Outputs         int    // maximum output channels; 0 for an input-only device
	IsDefaultInput  bool
	IsDefaultOutput bool
	SampleRate      float64 // the device's native rate
}

// Source delivers captured audio. Read blocks until one frame of len(frame) samples
// (normally FrameSamples) at SampleRate is available, so it paces the caller in real time.
type Source interface {
	Read(frame []int16) error
	Close() error
}

// Sink plays audio. Write queues one frame at SampleRate and returns without waiting for the
// device; when the queue is too long the oldest audio is dropped to bound latency.
type Sink interface {
	Write(frame []int16) error
	Close() error
}

// Backend opens sources and sinks by device name; "" means the system default device.
// A name that no longer exists falls back to the default (and the backend reports it).
type Backend interface {
	OpenSource(device string) (Source, error)
	OpenSink(device string) (Sink, error)
}

// Notice reports something the user should know about the devices.
type Notice struct {
	Requested string // device the user chose
	Used      string // device actually opened ("" = default)
	Err       error  // why the requested device was not used
	// Returned is set when the requested device came back and is used again (Err is nil).
	Returned bool
}
