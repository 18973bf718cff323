// Package tone owns measuring audio: the RMS level of a signal and, with the Goertzel algorithm,
// how much of it is a tone at a given frequency. The Softphone's audio checks and every test that
// proves audio by content (a known tone sent, energy at that frequency received) use it.
package tone

import "math"

// RMS returns the root-mean-square level of samples as a fraction of full scale (0..1).
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, s := range samples {
		v := float64(s) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// Level estimates the RMS amplitude (fraction of full scale) of the component of samples at
// freq Hz, for a signal sampled at rate Hz. For a pure tone at freq it is about equal to RMS.
func Level(samples []int16, freq float64, rate int) float64 {
	n := len(samples)
	if n == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	amp := 2 * math.Sqrt(math.Max(power, 0)) / float64(n) // peak amplitude of the component
	return amp / math.Sqrt2
}

// Share returns the fraction of the signal's power at freq: about 1 for a pure tone at freq,
// about 0 for silence, noise or a tone elsewhere.
func Share(samples []int16, freq float64, rate int) float64 {
	r := RMS(samples)
	if r == 0 {
		return 0
	}
	l := Level(samples, freq, rate) / r
	return l * l
}

// WindowedShare is Share for samples already scaled to ±1, with a Hann window so that a
// recording cut at arbitrary points (a WAV frame of a call) does not smear the tone.
func WindowedShare(x []float64, freq float64, rate int) float64 {
	n := len(x)
	if n < 2 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2, energy, wsum, winSum float64
	for i, v := range x {
		win := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		v *= win
		winSum += win
		wsum += win * win
		energy += v * v
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	if energy == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	// A windowed sine of amplitude A has power ≈ (A·Σwin/2)² at its bin and energy A²·Σwin²/2.
	share := power / (energy * winSum * winSum / (2 * wsum))
	return math.Min(share, 1.5)
}
