package mediaapp

import (
	"bufio"
	"bytes"
	"fmt"
	"mime"
	"strings"

	"github.com/vaihde/vaihde/shared/dtmf"
)

// ParseDTMFInfo returns the key of a SIP INFO DTMF body, the fallback for phones that do not
// send RFC 4733: application/dtmf-relay ("Signal=5\r\nDuration=160") or application/dtmf ("5").
// Feed the result to LegChannel.InjectDigit (or relay.Leg.PressKey).
func ParseDTMFInfo(contentType string, body []byte) (rune, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, fmt.Errorf("parse dtmf info content type %q: %w", contentType, err)
	}
	var signal string
	switch strings.ToLower(mt) {
	case "application/dtmf-relay":
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				signal = strings.TrimSpace(v)
				break
			}
		}
	case "application/dtmf":
		signal = strings.TrimSpace(string(body))
	default:
		return 0, fmt.Errorf("parse dtmf info: content type %s: %w", mt, dtmf.ErrDigit)
	}
	// Some phones send the event number ("10" for '*', "11" for '#') instead of the key.
	switch signal {
	case "10":
		signal = "*"
	case "11":
		signal = "#"
	}
	if len(signal) != 1 {
		return 0, fmt.Errorf("parse dtmf info signal %q: %w", signal, dtmf.ErrDigit)
	}
	code, err := dtmf.CodeOf(rune(signal[0]))
	if err != nil {
		return 0, fmt.Errorf("parse dtmf info: %w", err)
	}
	return dtmf.Event{Code: code}.Key(), nil
}
