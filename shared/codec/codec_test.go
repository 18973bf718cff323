package codec

import (
	"errors"
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	pcm := make([]int16, FrameSamples)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/SampleRate))
	}
	for _, pt := range []uint8{PCMU, PCMA} {
		enc, err := Encode(pt, pcm, nil)
		if err != nil || len(enc) != len(pcm) {
			t.Fatalf("pt %d encode: %v len %d", pt, err, len(enc))
		}
		dec, err := Decode(pt, enc, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range pcm {
			// G.711 keeps about 3% relative error at this level.
			if d := math.Abs(float64(dec[i] - pcm[i])); d > 0.04*8000+16 {
				t.Fatalf("pt %d sample %d: %d vs %d", pt, i, dec[i], pcm[i])
			}
		}
	}
}

func TestTranscodeKeepsSignal(t *testing.T) {
	pcm := []int16{0, 100, -100, 1000, -1000, 8000, -8000, 32000, -32000}
	u, _ := Encode(PCMU, pcm, nil)
	if err := Transcode(PCMU, PCMA, u); err != nil {
		t.Fatal(err)
	}
	got, _ := Decode(PCMA, u, nil)
	for i := range pcm {
		if d := math.Abs(float64(got[i]) - float64(pcm[i])); d > 0.07*math.Abs(float64(pcm[i]))+40 {
			t.Errorf("sample %d: %d vs %d", i, got[i], pcm[i])
		}
	}
	if err := Transcode(PCMU, 9, u); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("want ErrUnsupported, got %v", err)
	}
	if _, err := Decode(18, u, nil); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("want ErrUnsupported, got %v", err)
	}
}

func BenchmarkTranscode(b *testing.B) {
	buf := make([]byte, FrameSamples)
	for i := 0; i < b.N; i++ {
		_ = Transcode(PCMU, PCMA, buf)
	}
}
