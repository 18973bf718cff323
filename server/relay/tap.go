package relay

import (
	"github.com/vaihde/vaihde/shared/codec"
)

// Tap is what a server-side application (server/mediaapp.LegChannel) takes from a leg's party
// while it owns the leg's outgoing audio: every key press (RFC 4733 or PressKey) and the
// party's audio decoded to 8 kHz linear PCM. Both run on the leg's reader goroutine (or
// PressKey's caller) and must not block. Audio is delivered only while the leg is not bridged
// (then the party talks to its partner, not to the application); keys always, the application
// decides. The pcm slice is reused after the call returns.
type Tap struct {
	Key   func(key rune)
	Audio func(pcm []int16)
}

// SetTap installs t as the leg's application tap, replacing any previous one; nil removes it.
// There is one tap per leg, besides the WatchKeys watcher (the DTMF transfer code's).
func (l *Leg) SetTap(t *Tap) { l.tap.Store(t) }

// ClearTap removes t if it is still the leg's tap (a newer application keeps its own).
func (l *Leg) ClearTap(t *Tap) { l.tap.CompareAndSwap(t, nil) }

// Bridged reports whether the leg forwards to a partner now.
func (l *Leg) Bridged() bool { return l.partner.Load() != nil }

// Closed reports whether the leg was closed.
func (l *Leg) Closed() bool { return l.closed.Load() }

// tapKey hands a key press to the application tap.
func (l *Leg) tapKey(key rune) {
	if t := l.tap.Load(); t != nil && t.Key != nil {
		t.Key(key)
	}
}

// tapAudio decodes one audio payload of payload type pt for the application tap (on the RTP
// reader goroutine). Telephone-events, comfort noise and unknown payloads are not audio.
func (l *Leg) tapAudio(pt uint8, payload []byte) {
	t := l.tap.Load()
	if t == nil || t.Audio == nil || len(payload) == 0 || l.partner.Load() != nil {
		return
	}
	r := l.remote.Load()
	var kind uint8
	switch {
	case r != nil && r.dtmfPT != 0 && pt == r.dtmfPT:
		return
	case r != nil && pt == r.pt:
		kind = r.kind
	case codec.Supported(pt):
		kind = pt
	default:
		return
	}
	pcm, err := codec.Decode(kind, payload, l.tapPCM[:0])
	if err != nil {
		return
	}
	l.tapPCM = pcm[:0]
	t.Audio(pcm)
}
