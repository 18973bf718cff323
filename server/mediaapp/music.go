package mediaapp

import (
	"math"
	"sync"
	"time"
)

// holdNotes is the melody of the hold music: a slow phrase in C major pentatonic, one note per
// beat (0 = a rest), over a bass note per bar. Made up here from plain tones, so nobody holds a
// copyright on it.
var holdNotes = []struct {
	melody [4]float64 // Hz
	bass   float64    // Hz
}{
	{[4]float64{523.25, 659.25, 783.99, 659.25}, 130.81},  // C
	{[4]float64{587.33, 698.46, 880.00, 698.46}, 146.83},  // Dm
	{[4]float64{523.25, 659.25, 783.99, 1046.50}, 174.61}, // F
	{[4]float64{783.99, 659.25, 587.33, 0}, 196.00},       // G
}

// holdBeat is the length of one melody note; the loop is 16 beats (6.4 s).
const holdBeat = 400 * time.Millisecond

var holdMusic = sync.OnceValue(func() Clip {
	beat := durationSamples(holdBeat)
	s := make([]float64, beat*4*len(holdNotes))
	// A soft mallet: quick attack, exponential decay, a little second harmonic.
	note := func(at, n int, freq, amp, decay float64) {
		attack := float64(durationSamples(15 * time.Millisecond))
		for i := 0; i < n && at+i < len(s); i++ {
			t := float64(i) / SampleRate
			env := math.Exp(-t / decay)
			if fi := float64(i); fi < attack {
				env *= fi / attack
			}
			// Fade the last 10 ms so that the note never ends on a click.
			if tail := n - i; tail < 80 {
				env *= float64(tail) / 80
			}
			ph := 2 * math.Pi * freq * t
			s[at+i] += amp * env * (math.Sin(ph) + 0.25*math.Sin(2*ph))
		}
	}
	for bar, b := range holdNotes {
		at := bar * 4 * beat
		note(at, 4*beat, b.bass, 0.22, 0.9)
		for i, f := range b.melody {
			if f > 0 {
				note(at+i*beat, beat, f, 0.28, 0.25)
			}
		}
	}
	out := make([]int16, len(s))
	for i, v := range s {
		out[i] = int16(max(-1, min(1, v)) * 32767)
	}
	return Clip{Name: "music/hold", Samples: out}
})

// HoldMusic returns the server's music on hold: a 6.4 s loop of a gentle melody made from
// tones (no recording, no copyright), at about -18 dBFS RMS, to be played with Loop.
func HoldMusic() Clip { return holdMusic() }

// ErrorTone returns a short "that did not work" signal: three falling beeps, 0.6 s in all.
func ErrorTone() Clip {
	var s []int16
	for _, f := range []float64{950, 700, 480} {
		s = append(s, Tone(f, 150*time.Millisecond).Samples...)
		s = append(s, Silence(50*time.Millisecond).Samples...)
	}
	return Clip{Name: "tone/error", Samples: s}
}
