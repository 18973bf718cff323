package sms

import (
	"strings"
	"testing"
)

func TestParts(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		parts int
		enc   Encoding
	}{
		{"empty", "", 0, GSM7},
		{"short", "Hei!", 1, GSM7},
		{"gsm 160", strings.Repeat("a", 160), 1, GSM7},
		{"gsm 161", strings.Repeat("a", 161), 2, GSM7},
		{"gsm 306", strings.Repeat("a", 306), 2, GSM7},
		{"gsm 307", strings.Repeat("a", 307), 3, GSM7},
		{"scandinavian letters are gsm", strings.Repeat("äöåÄÖÅ", 26) + "éü", 1, GSM7},
		{"euro costs two septets", strings.Repeat("€", 80), 1, GSM7},
		{"euro 81 overflows", strings.Repeat("€", 81), 2, GSM7},
		// 152 septets then a two-septet character: it moves whole to the next part.
		{"escape not split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), 2, GSM7},
		{"escape at part end", strings.Repeat("a", 151) + "€" + strings.Repeat("a", 154), 3, GSM7},
		{"ucs2 70", strings.Repeat("ж", 70), 1, UCS2},
		{"ucs2 71", strings.Repeat("ж", 71), 2, UCS2},
		{"ucs2 134", strings.Repeat("ж", 134), 2, UCS2},
		{"ucs2 135", strings.Repeat("ж", 135), 3, UCS2},
		{"one non-gsm char", strings.Repeat("a", 69) + "ł", 1, UCS2},
		{"one non-gsm char long", strings.Repeat("a", 70) + "ł", 2, UCS2},
		{"emoji is a surrogate pair", strings.Repeat("😀", 35), 1, UCS2},
		{"emoji 36", strings.Repeat("😀", 36), 2, UCS2},
		{"gsm 1530 is ten parts", strings.Repeat("a", 1530), 10, GSM7},
		{"gsm 1531 is eleven", strings.Repeat("a", 1531), 11, GSM7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parts, enc := Parts(tc.text)
			if parts != tc.parts || enc != tc.enc {
				t.Fatalf("Parts = %d %v, want %d %v", parts, enc, tc.parts, tc.enc)
			}
		})
	}
}
