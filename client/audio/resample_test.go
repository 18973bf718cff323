package audio

import (
	"github.com/vaihde/vaihde/shared/tone"
	"math"
	"testing"
)

func sine(n int, freq, rate, amp float64, phase int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i+phase)/rate))
	}
	return out
}

// run feeds a resampler block by block and returns the output after a settling period.
func run(r *Resampler, freq float64, inRate, block, blocks int) []int16 {
	var out []int16
	for b := range blocks {
		out = r.Process(sine(block, freq, float64(inRate), 0.5, b*block), out)
	}
	return out
}

func TestResampler(t *testing.T) {
	tests := []struct {
		name           string
		in, out, block int
		freq           float64
		wantRMS        float64 // expected output RMS (fraction of full scale)
	}{
		{"down 48k to 8k passes 1 kHz", 48000, 8000, 960, 1000, 0.354},
		{"down 48k to 8k passes 300 Hz", 48000, 8000, 960, 300, 0.354},
		{"down 48k to 8k rejects 6 kHz", 48000, 8000, 960, 6000, 0},
		{"down 48k to 8k rejects 9 kHz alias", 48000, 8000, 960, 9000, 0},
		{"up 8k to 48k passes 1 kHz", 8000, 48000, 160, 1000, 0.354},
		{"down 44.1k to 8k passes 1 kHz", 44100, 8000, 882, 1000, 0.354},
		{"identity", 8000, 8000, 160, 1000, 0.354},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewResampler(tc.in, tc.out)
			out := run(r, tc.freq, tc.in, tc.block, 50)
			wantLen := 50 * tc.block * tc.out / tc.in
			if d := len(out) - wantLen; d < -2 || d > 2 {
				t.Fatalf("got %d samples, want %d", len(out), wantLen)
			}
			tail := out[len(out)/2:]
			rms := tone.RMS(tail)
			if math.Abs(rms-tc.wantRMS) > 0.03 {
				t.Fatalf("rms %.3f, want %.3f", rms, tc.wantRMS)
			}
			if tc.wantRMS > 0 && tc.freq < float64(tc.out)/2 {
				if tone := tone.Level(tail, tc.freq, tc.out); tone < 0.9*rms {
					t.Fatalf("tone component %.3f of rms %.3f: distorted", tone, rms)
				}
			}
		})
	}
}

func TestResamplerExactFrameCounts(t *testing.T) {
	down := NewResampler(48000, 8000)
	up := NewResampler(8000, 48000)
	for i := range 20 {
		if n := len(down.Process(make([]int16, 960), nil)); n != 160 {
			t.Fatalf("block %d: down gave %d samples, want 160", i, n)
		}
		if n := len(up.Process(make([]int16, 160), nil)); n != 960 {
			t.Fatalf("block %d: up gave %d samples, want 960", i, n)
		}
	}
}

func TestToneGenerator(t *testing.T) {
	g := NewToneGenerator(WaitingTone, 1)
	frame := make([]int16, FrameSamples)
	var all []int16
	for g.Next(frame) {
		all = append(all, frame...)
		if len(all) > SampleRate*5 {
			t.Fatal("finite tone never ended")
		}
	}
	if want := 2 * int(0.3*SampleRate); len(all) < want || len(all) > want+FrameSamples {
		t.Fatalf("beep lasted %d samples, want about %d", len(all), want)
	}
	burst := all[100:1100]
	if tone := tone.Level(burst, 425, SampleRate); tone < 0.4 {
		t.Fatalf("425 Hz component %.3f too weak", tone)
	}
}

func TestRing(t *testing.T) {
	r := newRing(10)
	r.write([]int16{1, 2, 3, 4, 5, 6, 7, 8}, true)
	r.write([]int16{9, 10, 11, 12}, true) // drops 1, 2
	got := make([]int16, 12)
	n := r.read(got)
	want := []int16{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if n != len(want) {
		t.Fatalf("read %d, want %d", n, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got[:n], want)
		}
	}
}
