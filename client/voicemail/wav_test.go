package voicemail

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/vaihde/vaihde/client/voicemail/voicemailtest"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/tone"
)

// g711WAV is an 8 kHz A-law or µ-law WAV of samples.
func g711WAV(t *testing.T, pt uint8, samples []int16) []byte {
	t.Helper()
	payload, err := codec.Encode(pt, samples, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := voicemailtest.WAV(nil, 8000)
	tag := uint16(wavALaw)
	if pt == codec.PCMU {
		tag = wavMuLaw
	}
	binary.LittleEndian.PutUint16(b[20:], tag)
	binary.LittleEndian.PutUint32(b[28:], 8000)
	binary.LittleEndian.PutUint16(b[32:], 1)
	binary.LittleEndian.PutUint16(b[34:], 8)
	binary.LittleEndian.PutUint32(b[40:], uint32(len(payload)))
	return append(b, payload...)
}

func TestDecodeWAV(t *testing.T) {
	tone8k := voicemailtest.Tone(440, 1, 8000)
	unsized := voicemailtest.WAV(tone8k, 8000)
	binary.LittleEndian.PutUint32(unsized[40:], 0) // a recorder cut off before writing the size
	stereo := voicemailtest.WAV(voicemailtest.Tone(440, 1, 8000), 8000)
	binary.LittleEndian.PutUint16(stereo[22:], 2)
	binary.LittleEndian.PutUint16(stereo[32:], 4)
	tests := map[string]struct {
		in      []byte
		samples int // want this many samples, ±1 %
		freq    float64
	}{
		"pcm 8 kHz":        {voicemailtest.WAV(tone8k, 8000), 8000, 440},
		"pcm 16 kHz":       {voicemailtest.WAV(voicemailtest.Tone(440, 1, 16000), 16000), 8000, 440},
		"pcm 48 kHz":       {voicemailtest.WAV(voicemailtest.Tone(1000, 1, 48000), 48000), 8000, 1000},
		"a-law":            {g711WAV(t, codec.PCMA, tone8k), 8000, 440},
		"µ-law":            {g711WAV(t, codec.PCMU, tone8k), 8000, 440},
		"size not written": {unsized, 8000, 440},
		"stereo mixed":     {stereo, 4000, 880}, // the mono tone read as two channels: half the frames, twice the pitch
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeWAV(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if d := len(got) - tc.samples; d < -tc.samples/100 || d > tc.samples/100 {
				t.Fatalf("%d samples, want about %d", len(got), tc.samples)
			}
			mid := got[len(got)/4 : 3*len(got)/4]
			if rms := tone.RMS(mid); rms < 0.2 {
				t.Errorf("RMS %.3f: the tone was lost", rms)
			}
			if sh := tone.Share(mid, tc.freq, 8000); sh < 0.8 {
				t.Errorf("only %.2f of the power at %.0f Hz", sh, tc.freq)
			}
		})
	}
}

func TestDecodeWAVRejectsMalformed(t *testing.T) {
	good := voicemailtest.WAV(voicemailtest.Tone(440, 0.1, 8000), 8000)
	eightBit := slices.Clone(good)
	binary.LittleEndian.PutUint16(eightBit[34:], 8)
	noData := slices.Clone(good[:36])
	hugeChunk := slices.Clone(good)
	binary.LittleEndian.PutUint32(hugeChunk[16:], 0xFFFFFFF0)
	for name, in := range map[string][]byte{
		"empty":          nil,
		"not riff":       []byte("ID3\x04 some mp3 data here"),
		"8-bit pcm":      eightBit,
		"no data chunk":  noData,
		"huge fmt chunk": hugeChunk,
		"short fmt":      good[:30],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeWAV(in); !errors.Is(err, ErrNotWAV) {
				t.Fatalf("err %v, want ErrNotWAV", err)
			}
		})
	}
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(voicemailtest.WAV(voicemailtest.Tone(440, 0.05, 8000), 8000))
	f.Add(voicemailtest.WAV(voicemailtest.Tone(440, 0.05, 16000), 16000))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeWAV(b) // must not panic
	})
}
