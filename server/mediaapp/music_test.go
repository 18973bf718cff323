package mediaapp

import (
	"testing"

	"github.com/vaihde/vaihde/shared/tone"
)

func TestHoldMusic(t *testing.T) {
	m := HoldMusic()
	if d := m.Duration(); d != 16*holdBeat {
		t.Fatalf("duration %v, want %v", d, 16*holdBeat)
	}
	if r := tone.RMS(m.Samples); r < 0.05 || r > 0.3 {
		t.Fatalf("RMS %.3f, want a comfortable level", r)
	}
	var peak int16
	for _, v := range m.Samples {
		peak = max(peak, v, -v)
	}
	if peak >= 32767 {
		t.Fatal("music clips")
	}
	// Every beat has sound (no long gaps a caller would take for a dropped call), and the
	// first beat is its melody note.
	beat := durationSamples(holdBeat)
	for i := 0; i+beat <= len(m.Samples); i += beat {
		if r := tone.RMS(m.Samples[i : i+beat]); r < 0.02 {
			t.Fatalf("beat %d RMS %.3f: silent", i/beat, r)
		}
	}
	if l := tone.Level(m.Samples[:beat], 523.25, SampleRate); l < 0.05 {
		t.Fatalf("first beat level at C5 %.3f", l)
	}
	// The loop wraps without a click: both ends are quiet.
	if m.Samples[0] != 0 || abs16(m.Samples[len(m.Samples)-1]) > 300 {
		t.Fatalf("ends %d … %d", m.Samples[0], m.Samples[len(m.Samples)-1])
	}
	if &HoldMusic().Samples[0] != &m.Samples[0] {
		t.Fatal("music generated again")
	}
}

func abs16(v int16) int16 { return max(v, -v) }

func TestErrorTone(t *testing.T) {
	e := ErrorTone()
	if d := e.Duration().Milliseconds(); d != 600 {
		t.Fatalf("duration %d ms", d)
	}
	if s := tone.Share(e.Samples[:1200], 950, SampleRate); s < 0.9 {
		t.Fatalf("first beep share at 950 Hz %.2f", s)
	}
}
