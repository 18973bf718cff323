package interop

import (
	"encoding/binary"
	"fmt"
	"github.com/vaihde/vaihde/shared/tone"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// writeToneWAV writes a mono 16-bit 8 kHz WAV of a sine tone (amplitude 0.5 of full scale), the
// format baresip's aufile source and linphonec's play command accept.
func writeToneWAV(t *testing.T, path string, freq float64, seconds int) {
	t.Helper()
	const rate = 8000
	n := rate * seconds
	data := make([]byte, 44+2*n)
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], rate)
	binary.LittleEndian.PutUint32(data[28:], rate*2)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*n))
	for i := range n {
		s := 0.5 * math.Sin(2*math.Pi*freq*float64(i)/rate)
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(int16(s*32767)))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// pcm is decoded audio: samples in [-1, 1) at rate Hz.
type pcm struct {
	rate    int
	samples []float64
}

func (p pcm) seconds() float64 { return float64(len(p.samples)) / float64(p.rate) }

// readWAV reads a 16-bit PCM WAV (mono, or the first channel). A data chunk whose size was never
// fixed up (a writer still open, or killed) is read to the end of the file.
func readWAV(path string) (pcm, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return pcm{}, fmt.Errorf("read wav: %w", err)
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return pcm{}, fmt.Errorf("read wav %s: not a RIFF/WAVE file (%d bytes)", path, len(b))
	}
	var rate, channels, bits int
	off := 12
	for off+8 <= len(b) {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4:]))
		body := off + 8
		switch id {
		case "fmt ":
			if body+16 > len(b) {
				return pcm{}, fmt.Errorf("read wav %s: short fmt chunk", path)
			}
			if f := binary.LittleEndian.Uint16(b[body:]); f != 1 && f != 0xfffe {
				return pcm{}, fmt.Errorf("read wav %s: format %d is not PCM", path, f)
			}
			channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits = int(binary.LittleEndian.Uint16(b[body+14:]))
		case "data":
			if bits != 16 || channels < 1 || rate <= 0 {
				return pcm{}, fmt.Errorf("read wav %s: want 16-bit PCM, got %d bits, %d channels, %d Hz", path, bits, channels, rate)
			}
			end := body + size
			if size == 0 || size == 0xffffffff || end > len(b) {
				end = len(b)
			}
			frame := 2 * channels
			n := (end - body) / frame
			out := pcm{rate: rate, samples: make([]float64, n)}
			for i := range n {
				out.samples[i] = float64(int16(binary.LittleEndian.Uint16(b[body+i*frame:]))) / 32768
			}
			return out, nil
		}
		off = body + size + size%2
	}
	return pcm{}, fmt.Errorf("read wav %s: no data chunk", path)
}

// rms returns the root mean square of x.
func rms(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

// toneReport describes a stretch of received audio against an expected and an unexpected tone.
type toneReport struct {
	Seconds      float64 // length of the audio analysed
	Voiced       float64 // seconds of 100 ms frames with RMS above the voice threshold
	RMS          float64 // RMS over voiced frames
	Share        float64 // median share of energy at the expected frequency over voiced 100 ms frames
	OtherShare   float64 // median share at the unexpected frequency
	ExpectedFreq float64
	OtherFreq    float64
}

func (r toneReport) String() string {
	return fmt.Sprintf("%.1fs analysed, %.1fs voiced, RMS %.3f, %.0f Hz share %.2f, %.0f Hz share %.2f",
		r.Seconds, r.Voiced, r.RMS, r.ExpectedFreq, r.Share, r.OtherFreq, r.OtherShare)
}

const voicedRMS = 0.02

// analyseTone splits x into 100 ms frames and measures the voiced ones.
func analyseTone(p pcm, want, other float64) toneReport {
	frame := p.rate / 10
	r := toneReport{Seconds: p.seconds(), ExpectedFreq: want, OtherFreq: other}
	var shares, others []float64
	var sq float64
	var voicedN int
	for off := 0; off+frame <= len(p.samples); off += frame {
		f := p.samples[off : off+frame]
		if rms(f) < voicedRMS {
			continue
		}
		voicedN += frame
		for _, v := range f {
			sq += v * v
		}
		shares = append(shares, tone.WindowedShare(f, want, p.rate))
		others = append(others, tone.WindowedShare(f, other, p.rate))
	}
	r.Voiced = float64(voicedN) / float64(p.rate)
	if voicedN > 0 {
		r.RMS = math.Sqrt(sq / float64(voicedN))
	}
	r.Share = median(shares)
	r.OtherShare = median(others)
	return r
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// tail returns the last d seconds of p.
func (p pcm) tail(seconds float64) pcm {
	n := int(seconds * float64(p.rate))
	if n >= len(p.samples) {
		return p
	}
	return pcm{rate: p.rate, samples: p.samples[len(p.samples)-n:]}
}

// slice returns p between two sample offsets (clamped).
func (p pcm) slice(from, to int) pcm {
	from = max(0, min(from, len(p.samples)))
	to = max(from, min(to, len(p.samples)))
	return pcm{rate: p.rate, samples: p.samples[from:to]}
}

// checkTone fails the test unless p carries at least minVoiced seconds of the tone want, clearly
// dominant over other.
func checkTone(t *testing.T, what string, p pcm, want, other, minVoiced float64) toneReport {
	t.Helper()
	r := analyseTone(p, want, other)
	t.Logf("%s: %v", what, r)
	var problems []string
	if r.Voiced < minVoiced {
		problems = append(problems, fmt.Sprintf("only %.1fs of audio above RMS %.2f, want ≥ %.1fs", r.Voiced, voicedRMS, minVoiced))
	}
	if r.Share < 0.6 {
		problems = append(problems, fmt.Sprintf("%.0f Hz carries %.2f of the energy, want ≥ 0.6", want, r.Share))
	}
	if r.OtherShare > 0.1 {
		problems = append(problems, fmt.Sprintf("%.0f Hz (the other direction's tone) carries %.2f, want ≤ 0.1", other, r.OtherShare))
	}
	if len(problems) > 0 {
		t.Errorf("%s: %s", what, strings.Join(problems, "; "))
	}
	return r
}

func TestToneAnalysis(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name        string
		freq, other float64
	}{
		{"440", 440, 1000},
		{"1000", 1000, 440},
		{"700", 700, 440},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".wav")
			writeToneWAV(t, path, tc.freq, 2)
			p, err := readWAV(path)
			if err != nil {
				t.Fatal(err)
			}
			if p.rate != 8000 || len(p.samples) != 16000 {
				t.Fatalf("read %d Hz, %d samples; want 8000 Hz, 16000", p.rate, len(p.samples))
			}
			r := analyseTone(p, tc.freq, tc.other)
			if r.Share < 0.9 || r.OtherShare > 0.01 || math.Abs(r.RMS-0.354) > 0.01 || r.Voiced < 1.9 {
				t.Errorf("pure %v Hz tone: %v", tc.freq, r)
			}
		})
	}
	t.Run("silence", func(t *testing.T) {
		r := analyseTone(pcm{rate: 8000, samples: make([]float64, 8000)}, 440, 1000)
		if r.Voiced != 0 || r.Share != 0 {
			t.Errorf("silence: %v", r)
		}
	})
}
