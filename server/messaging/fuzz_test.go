package messaging

import (
	"testing"
	"unicode/utf8"
)

// FuzzTextBody feeds arbitrary bodies and charsets through the checks an incoming MESSAGE
// meets: no panic, and what is accepted is valid UTF-8 within the size limit.
func FuzzTextBody(f *testing.F) {
	f.Add([]byte("Hei, ääkköset"), "utf-8")
	f.Add([]byte{0xe4, 0xe4, 0x6b}, "ISO-8859-1")
	f.Add([]byte{0xff, 0xfe, 0x00}, "")
	f.Add([]byte("   "), "us-ascii")
	f.Fuzz(func(t *testing.T, body []byte, charset string) {
		text, _, ok := textBody(body, charset, TextPlain)
		if !ok {
			return
		}
		if err := checkBody(text); err == nil && (!utf8.Valid(text) || len(text) > MaxBody) {
			t.Fatalf("accepted %q (%d bytes)", text, len(text))
		}
	})
}
