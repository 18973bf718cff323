package mediaapp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestWAVRoundTrip(t *testing.T) {
	want := Tone(440, 300*time.Millisecond).Samples
	path := filepath.Join(t.TempDir(), "t.wav")
	w, err := CreateWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(want); off += 1000 {
		if err := w.WriteSamples(want[off:min(off+1000, len(want))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := w.WriteSamples(want); err == nil {
		t.Error("WriteSamples after Close succeeded")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != wavHeaderSize+2*len(want) {
		t.Fatalf("file of %d bytes, want %d", len(raw), wavHeaderSize+2*len(want))
	}
	// The header was fixed up on Close: RIFF size and data size match the samples.
	if got := binary.LittleEndian.Uint32(raw[4:8]); got != uint32(36+2*len(want)) {
		t.Errorf("RIFF size %d", got)
	}
	if got := binary.LittleEndian.Uint32(raw[40:44]); got != uint32(2*len(want)) {
		t.Errorf("data size %d", got)
	}
	clip, err := LoadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	if clip.Name != "t" || !slices.Equal(clip.Samples, want) {
		t.Errorf("LoadWAV: name %q, %d samples; want t and the samples written", clip.Name, len(clip.Samples))
	}
}

// wavWith builds a WAV with a custom fmt chunk and optional extra chunk before data.
func wavWith(format, channels uint16, rate uint32, bits uint16, extra string, data []byte, dataSize uint32) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(0))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	binary.Write(&b, binary.LittleEndian, format)
	binary.Write(&b, binary.LittleEndian, channels)
	binary.Write(&b, binary.LittleEndian, rate)
	binary.Write(&b, binary.LittleEndian, rate*uint32(channels)*uint32(bits)/8)
	binary.Write(&b, binary.LittleEndian, channels*bits/8)
	binary.Write(&b, binary.LittleEndian, bits)
	if extra != "" {
		b.WriteString("LIST")
		binary.Write(&b, binary.LittleEndian, uint32(len(extra)))
		b.WriteString(extra)
		if len(extra)%2 == 1 {
			b.WriteByte(0)
		}
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, dataSize)
	b.Write(data)
	return b.Bytes()
}

func TestReadWAV(t *testing.T) {
	pcm := []byte{1, 0, 2, 0, 0xff, 0xff}
	tests := []struct {
		name    string
		in      []byte
		want    []int16
		wantErr bool
	}{
		{"canonical", wavWith(1, 1, 8000, 16, "", pcm, 6), []int16{1, 2, -1}, false},
		{"extra chunk skipped (odd size padded)", wavWith(1, 1, 8000, 16, "abc", pcm, 6), []int16{1, 2, -1}, false},
		{"size never fixed up", wavWith(1, 1, 8000, 16, "", pcm, 0xFFFFFFFF), []int16{1, 2, -1}, false},
		{"data shorter than size", wavWith(1, 1, 8000, 16, "", pcm, 4), []int16{1, 2}, false},
		{"16 kHz refused", wavWith(1, 1, 16000, 16, "", pcm, 6), nil, true},
		{"stereo refused", wavWith(1, 2, 8000, 16, "", pcm, 6), nil, true},
		{"8-bit refused", wavWith(1, 1, 8000, 8, "", pcm, 6), nil, true},
		{"µ-law refused", wavWith(7, 1, 8000, 8, "", pcm, 6), nil, true},
		{"not RIFF", []byte("RIFX0000WAVE"), nil, true},
		{"truncated", []byte("RIFF"), nil, true},
		{"no data chunk", wavWith(1, 1, 8000, 16, "", nil, 0)[:36], nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadWAV(bytes.NewReader(tc.in))
			if tc.wantErr {
				if !errors.Is(err, ErrWAV) {
					t.Fatalf("err %v, want ErrWAV", err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("ReadWAV = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestEncodeWAVReadsBack(t *testing.T) {
	want := []int16{0, 100, -100, 32767, -32768}
	got, err := ReadWAV(bytes.NewReader(EncodeWAV(want)))
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ReadWAV(EncodeWAV) = %v, %v", got, err)
	}
}

func TestClipHelpers(t *testing.T) {
	if n := len(Silence(500 * time.Millisecond).Samples); n != 4000 {
		t.Errorf("Silence(500ms) has %d samples, want 4000", n)
	}
	c := Tone(1000, 200*time.Millisecond)
	if len(c.Samples) != 1600 || c.Duration() != 200*time.Millisecond {
		t.Errorf("Tone: %d samples, %v", len(c.Samples), c.Duration())
	}
	if c.Name != "tone/1000/200ms" {
		t.Errorf("Tone name %q", c.Name)
	}
}

func TestWAVWriterAtOffset(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("HEAD"); err != nil {
		t.Fatal(err)
	}
	w, err := NewWAVWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []int16{5, -5, 7}
	if err := w.WriteSamples(want); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write([]byte{1}); err == nil || n != 0 {
		t.Errorf("Write of half a sample = %d, %v; want an error", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadWAV(bytes.NewReader(raw[4:]))
	if string(raw[:4]) != "HEAD" || err != nil || !slices.Equal(got, want) {
		t.Fatalf("prefix %q, samples %v, %v; want HEAD and %v", raw[:4], got, err, want)
	}
}
