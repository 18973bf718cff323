package mediaapp

import (
	"math"
	"strconv"
	"time"
)

// SampleRate is the rate of every clip and recording: 8 kHz, G.711's.
const SampleRate = 8000

// Clip is a piece of audio to play: 8 kHz mono linear PCM.
type Clip struct {
	Name    string // prompt key or file it came from; what Script records as played
	Samples []int16
}

// Duration is the clip's playing time.
func (c Clip) Duration() time.Duration { return samplesDuration(len(c.Samples)) }

// Silence returns a clip of d of silence.
func Silence(d time.Duration) Clip {
	return Clip{Name: "silence/" + d.String(), Samples: make([]int16, durationSamples(d))}
}

// Tone returns a clip of a sine tone at freq Hz lasting d, at -10 dBFS (RMS about 0.22 of full
// scale), which G.711 carries without clipping.
func Tone(freq float64, d time.Duration) Clip {
	n := durationSamples(d)
	s := make([]int16, n)
	const amp = 0.316 * 32767
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/SampleRate))
	}
	return Clip{Name: "tone/" + formatFloat(freq) + "/" + d.String(), Samples: s}
}

func durationSamples(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(d * SampleRate / time.Second)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
