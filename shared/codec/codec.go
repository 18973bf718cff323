// Package codec owns the G.711 payload formats both the server relay and the Softphone use:
// encoding, decoding and transcoding of PCMU (µ-law, PT 0) and PCMA (A-law, PT 8) without
// allocation on the hot path.
package codec

import (
	"fmt"

	"github.com/zaf/g711"
)

// Static RTP payload types of the codecs Vaihde speaks (RFC 3551).
const (
	PCMU uint8 = 0
	PCMA uint8 = 8
)

// SampleRate is the clock rate of G.711 and of the audio Vaihde moves internally.
const SampleRate = 8000

// FrameSamples is the number of samples in the 20 ms frames Vaihde sends.
const FrameSamples = 160

// ErrUnsupported is returned for a payload type this package does not handle.
var ErrUnsupported = fmt.Errorf("codec: unsupported payload type")

// Supported reports whether pt is a payload type this package can encode and decode.
func Supported(pt uint8) bool { return pt == PCMU || pt == PCMA }

// Decode appends the linear samples of a G.711 payload to out and returns it.
func Decode(pt uint8, payload []byte, out []int16) ([]int16, error) {
	switch pt {
	case PCMU:
		for _, b := range payload {
			out = append(out, g711.DecodeUlawFrame(b))
		}
	case PCMA:
		for _, b := range payload {
			out = append(out, g711.DecodeAlawFrame(b))
		}
	default:
		return out, fmt.Errorf("decode pt %d: %w", pt, ErrUnsupported)
	}
	return out, nil
}

// Encode appends the G.711 encoding of pcm to out and returns it.
func Encode(pt uint8, pcm []int16, out []byte) ([]byte, error) {
	switch pt {
	case PCMU:
		for _, s := range pcm {
			out = append(out, g711.EncodeUlawFrame(s))
		}
	case PCMA:
		for _, s := range pcm {
			out = append(out, g711.EncodeAlawFrame(s))
		}
	default:
		return out, fmt.Errorf("encode pt %d: %w", pt, ErrUnsupported)
	}
	return out, nil
}

// Transcode converts a payload between µ-law and A-law in place (the formats have one byte per
// sample, so the length never changes). from == to leaves it untouched.
func Transcode(from, to uint8, payload []byte) error {
	switch {
	case from == to && Supported(from):
		return nil
	case from == PCMU && to == PCMA:
		for i, b := range payload {
			payload[i] = g711.Ulaw2AlawFrame(b)
		}
	case from == PCMA && to == PCMU:
		for i, b := range payload {
			payload[i] = g711.Alaw2UlawFrame(b)
		}
	default:
		return fmt.Errorf("transcode %d to %d: %w", from, to, ErrUnsupported)
	}
	return nil
}
