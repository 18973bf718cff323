// Package dtmf owns RFC 4733 telephone-event payloads: the named events 0-9, *, #, A-D and
// their 4-byte wire format; and TransferCode, the key-by-key recogniser of the DTMF transfer
// code *#*1<number># (CALL-6) that the call engine feeds with each party's keys.
package dtmf

import (
	"errors"
	"fmt"
)

// ErrShort is returned when a payload is shorter than the 4 bytes of an event.
var ErrShort = errors.New("dtmf: payload shorter than 4 bytes")

// ErrDigit is returned for a character that is not a DTMF key.
var ErrDigit = errors.New("dtmf: not a DTMF key")

// Event is one RFC 4733 telephone-event payload.
type Event struct {
	Code     uint8  // 0-9 digits, 10 '*', 11 '#', 12-15 A-D
	End      bool   // E bit: the last packets of an event carry it
	Volume   uint8  // 0-63, power level in -dBm0
	Duration uint16 // in timestamp units (8 kHz)
}

const keys = "0123456789*#ABCD"

// CodeOf returns the event code of a key such as '5', '*' or '#'.
func CodeOf(key rune) (uint8, error) {
	if key >= 'a' && key <= 'd' {
		key -= 'a' - 'A'
	}
	for i, k := range keys {
		if k == key {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("key %q: %w", key, ErrDigit)
}

// Key returns the keypad character of the event, or '?' for codes above 15.
func (e Event) Key() rune {
	if int(e.Code) < len(keys) {
		return rune(keys[e.Code])
	}
	return '?'
}

// Marshal writes the event's 4-byte payload into b, which must hold 4 bytes, and returns b[:4].
func (e Event) Marshal(b []byte) []byte {
	b = b[:4]
	b[0] = e.Code
	b[1] = e.Volume & 0x3f
	if e.End {
		b[1] |= 0x80
	}
	b[2] = byte(e.Duration >> 8)
	b[3] = byte(e.Duration)
	return b
}

// Unmarshal parses a telephone-event payload.
func Unmarshal(b []byte) (Event, error) {
	if len(b) < 4 {
		return Event{}, ErrShort
	}
	return Event{
		Code:     b[0],
		End:      b[1]&0x80 != 0,
		Volume:   b[1] & 0x3f,
		Duration: uint16(b[2])<<8 | uint16(b[3]),
	}, nil
}
