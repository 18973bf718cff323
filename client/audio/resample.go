package audio

import "math"

// firTaps is the length of the anti-aliasing / anti-imaging low-pass filter.
const firTaps = 63

// Resampler converts a mono int16 stream from one rate to another: a windowed-sinc low-pass
// filter (before decimating, after interpolating) and linear interpolation between samples.
// It keeps state between calls, so feed it consecutive blocks of one stream. Not safe for
// concurrent use.
type Resampler struct {
	in, out int
	t       int64 // position of the next output sample in 1/out input samples; -out is the previous block's last sample
	prev    float32
	h       []float32
	hist    []float32 // last firTaps-1 filter inputs
	work    []float32
	mid     []float32
}

// NewResampler returns a resampler from inRate to outRate (Hz).
func NewResampler(inRate, outRate int) *Resampler {
	r := &Resampler{in: inRate, out: outRate}
	if inRate == outRate {
		return r
	}
	// Cut off a little below the lower Nyquist frequency; the filter runs at the higher rate.
	hi, lo := max(inRate, outRate), min(inRate, outRate)
	r.h = lowPass(firTaps, 0.45*float64(lo)/float64(hi))
	r.hist = make([]float32, firTaps-1)
	if inRate < outRate {
		r.t = -int64(outRate) // up: start on the (zero) previous sample so each block yields a whole number
	}
	return r
}

// lowPass designs a Blackman-windowed sinc filter with cutoff fc (fraction of the sample rate)
// and unity gain at DC.
func lowPass(n int, fc float64) []float32 {
	h := make([]float32, n)
	m := float64(n - 1)
	var sum float64
	hs := make([]float64, n)
	for i := range n {
		x := float64(i) - m/2
		v := 2 * fc
		if x != 0 {
			v = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(i)/m) + 0.08*math.Cos(4*math.Pi*float64(i)/m)
		hs[i] = v * w
		sum += hs[i]
	}
	for i := range n {
		h[i] = float32(hs[i] / sum)
	}
	return h
}

// Process resamples in and appends the result to out.
func (r *Resampler) Process(in []int16, out []int16) []int16 {
	if r.in == r.out {
		return append(out, in...)
	}
	if cap(r.mid) < len(in) {
		r.mid = make([]float32, len(in))
	}
	x := r.mid[:len(in)]
	for i, s := range in {
		x[i] = float32(s)
	}
	if r.in > r.out {
		x = r.filter(x)
		return r.interpolate(x, out, true)
	}
	// Up: interpolate into a float buffer, then filter the images away.
	n0 := len(out)
	out = r.interpolate(x, out, false)
	y := r.mid[:0]
	if cap(r.mid) < len(out)-n0 {
		y = make([]float32, 0, len(out)-n0)
	}
	for _, s := range out[n0:] {
		y = append(y, float32(s))
	}
	r.mid = y
	f := r.filter(y)
	for i, v := range f {
		out[n0+i] = clamp16(v)
	}
	return out
}

// filter runs the FIR over x (in place semantics: returns a slice of r.work).
func (r *Resampler) filter(x []float32) []float32 {
	need := len(r.hist) + len(x)
	if cap(r.work) < need+len(x) {
		r.work = make([]float32, need+len(x))
	}
	w := r.work[:need]
	copy(w, r.hist)
	copy(w[len(r.hist):], x)
	y := r.work[need : need+len(x)]
	for n := range x {
		var acc float32
		seg := w[n : n+firTaps]
		for k, c := range r.h {
			acc += c * seg[firTaps-1-k]
		}
		y[n] = acc
	}
	copy(r.hist, w[len(w)-len(r.hist):])
	return y
}

func (r *Resampler) interpolate(x []float32, out []int16, _ bool) []int16 {
	// Exact rational positions: float steps such as 1/6 drift and change the frame count.
	n := int64(len(x))
	o := int64(r.out)
	at := func(i int64) float32 {
		if i < 0 {
			return r.prev
		}
		return x[i]
	}
	for r.t < (n-1)*o {
		i := r.t / o
		if r.t < 0 {
			i = -1
		}
		frac := float32(r.t-i*o) / float32(o)
		v := at(i)*(1-frac) + at(i+1)*frac
		out = append(out, clamp16(v))
		r.t += int64(r.in)
	}
	if len(x) > 0 {
		r.prev = x[len(x)-1]
	}
	r.t -= n * o
	return out
}

func clamp16(v float32) int16 {
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(math.Round(float64(v)))
}
