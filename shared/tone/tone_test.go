package tone

import (
	"math"
	"testing"
)

func sine(freq float64, rate, n int, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

func TestToneMeasures(t *testing.T) {
	x := sine(1000, 8000, 1600, 0.5)
	if r := RMS(x); math.Abs(r-0.354) > 0.01 {
		t.Errorf("RMS %.3f, want 0.354", r)
	}
	if l := Level(x, 1000, 8000); math.Abs(l-0.354) > 0.02 {
		t.Errorf("Level at 1000 Hz %.3f, want ≈0.354", l)
	}
	if l := Level(x, 440, 8000); l > 0.02 {
		t.Errorf("Level at 440 Hz %.3f, want ≈0", l)
	}
	if s := Share(x, 1000, 8000); s < 0.95 || s > 1.05 {
		t.Errorf("Share at 1000 Hz %.3f, want ≈1", s)
	}
	if s := Share(x, 440, 8000); s > 0.01 {
		t.Errorf("Share at 440 Hz %.3f, want ≈0", s)
	}
	f := make([]float64, 1000) // 1000 samples: not a whole number of periods
	for i, v := range sine(440, 8000, 1000, 0.5) {
		f[i] = float64(v) / 32768
	}
	if s := WindowedShare(f, 440, 8000); s < 0.9 {
		t.Errorf("WindowedShare at 440 Hz %.3f, want ≈1", s)
	}
	if s := WindowedShare(f, 1000, 8000); s > 0.05 {
		t.Errorf("WindowedShare at 1000 Hz %.3f, want ≈0", s)
	}
	if RMS(nil) != 0 || Level(nil, 1, 8000) != 0 || Share(make([]int16, 10), 1, 8000) != 0 || WindowedShare(nil, 1, 8000) != 0 {
		t.Error("empty or silent input must measure 0")
	}
}
