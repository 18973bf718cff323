package mediaapp

import (
	"errors"
	"testing"

	"github.com/vaihde/vaihde/shared/dtmf"
)

func TestParseDTMFInfo(t *testing.T) {
	tests := []struct {
		name, ct, body string
		want           rune
		wantErr        bool
	}{
		{"dtmf-relay", "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', false},
		{"dtmf-relay spaces and case", "Application/DTMF-Relay", "signal = #\nduration=100", '#', false},
		{"dtmf-relay star as 10", "application/dtmf-relay", "Signal=10\r\nDuration=160", '*', false},
		{"dtmf-relay lower-case letter", "application/dtmf-relay", "Signal=b\r\n", 'B', false},
		{"application/dtmf", "application/dtmf", "7", '7', false},
		{"no signal", "application/dtmf-relay", "Duration=160", 0, true},
		{"not a key", "application/dtmf-relay", "Signal=x", 0, true},
		{"two keys", "application/dtmf", "12", 0, true},
		{"other content type", "application/sdp", "5", 0, true},
		{"bad content type", ";;", "5", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDTMFInfo(tc.ct, []byte(tc.body))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseDTMFInfo = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := ParseDTMFInfo("application/dtmf", []byte("z")); !errors.Is(err, dtmf.ErrDigit) {
		t.Errorf("err %v, want dtmf.ErrDigit", err)
	}
}
