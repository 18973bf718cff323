package dtmf

import (
	"errors"
	"testing"
)

func TestRFC4733EventRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		key  rune
		code uint8
	}{{'0', 0}, {'9', 9}, {'*', 10}, {'#', 11}, {'A', 12}, {'d', 15}} {
		code, err := CodeOf(tc.key)
		if err != nil || code != tc.code {
			t.Fatalf("CodeOf(%q) = %d, %v", tc.key, code, err)
		}
		e := Event{Code: code, End: true, Volume: 10, Duration: 1280}
		b := e.Marshal(make([]byte, 4))
		got, err := Unmarshal(b)
		if err != nil || got != e {
			t.Fatalf("round trip %+v → %x → %+v, %v", e, b, got, err)
		}
	}
	if _, err := CodeOf('x'); !errors.Is(err, ErrDigit) {
		t.Fatalf("want ErrDigit, got %v", err)
	}
	if _, err := Unmarshal([]byte{1, 2}); !errors.Is(err, ErrShort) {
		t.Fatalf("want ErrShort, got %v", err)
	}
	// RFC 4733 figure: event 5, E bit, volume 10, duration 0x0320.
	e, _ := Unmarshal([]byte{5, 0x8a, 0x03, 0x20})
	if e.Key() != '5' || !e.End || e.Volume != 10 || e.Duration != 800 {
		t.Fatalf("decoded %+v", e)
	}
}
