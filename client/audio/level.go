package audio

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

// ToneRMS estimates, with the Goertzel algorithm, the RMS amplitude (fraction of full scale) of
// the component of samples at freq Hz, for a signal sampled at rate Hz. Comparing it with RMS
// tells whether a tone dominates: for a pure tone at freq both are about equal.
func ToneRMS(samples []int16, freq float64, rate int) float64 {
	n := len(samples)
	if n == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	amp := 2 * math.Sqrt(math.Max(power, 0)) / float64(n) // peak amplitude of the component
	return amp / math.Sqrt2
}
