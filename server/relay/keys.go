package relay

import (
	"sync"
	"sync/atomic"

	"github.com/vaihde/vaihde/shared/dtmf"
)

// KeyPress is one key pressed by a leg's party, seen as an RFC 4733 telephone-event.
type KeyPress struct {
	Leg *Leg
	Key rune // '0'-'9', '*', '#', 'A'-'D'
}

// keyBuffer is how many key presses a watcher may fall behind before presses are dropped.
const keyBuffer = 32

// keyTap reports each key press of the party once. An event is sent as many packets with one
// RTP timestamp (repeated while the key is held, the end packet three times), and a new press
// has a later timestamp (RFC 4733 section 2.5.1): the first packet of each timestamp is the key.
type keyTap struct {
	watch atomic.Pointer[keyWatch]
	// Owned by the leg's RTP reader goroutine.
	have    bool
	ssrc    uint32
	ts      uint32
	dropped atomic.Uint64
}

// keyWatch is one watcher's channel; closing it and sending on it are serialised by mu.
type keyWatch struct {
	mu     sync.Mutex
	ch     chan KeyPress
	closed bool
}

func (w *keyWatch) send(k KeyPress) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return true
	}
	select {
	case w.ch <- k:
		return true
	default:
		return false
	}
}

func (w *keyWatch) close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
}

// WatchKeys returns a channel that receives every key the leg's party presses from now on
// (RFC 4733 telephone-events of the negotiated payload type, once per press, whether or not the
// leg is bridged). The leg's reader never waits for the watcher: presses that find the channel
// full are dropped. The channel is closed when the leg closes or when WatchKeys is called again
// (one watcher per leg: the newest).
func (l *Leg) WatchKeys() <-chan KeyPress {
	w := &keyWatch{ch: make(chan KeyPress, keyBuffer)}
	if l.closed.Load() {
		w.close()
		return w.ch
	}
	l.keys.watch.Swap(w).close()
	if l.closed.Load() { // Close may have run between the check and the swap
		l.keys.watch.Swap(nil).close()
	}
	return w.ch
}

// PressKey reports a key the leg's party pressed that arrived by signalling (SIP INFO) instead
// of RTP, to the leg's tap and watcher; nothing when nobody watches. It never blocks.
func (l *Leg) PressKey(key rune) {
	l.tapKey(key)
	if w := l.keys.watch.Load(); w != nil && !w.send(KeyPress{Leg: l, Key: key}) {
		l.keys.dropped.Add(1)
	}
}

// observe looks at one packet received from the party (on the reader goroutine).
func (t *keyTap) observe(l *Leg, pt uint8, ssrc, ts uint32, payload []byte) {
	r := l.remote.Load()
	if r == nil || r.dtmfPT == 0 || pt != r.dtmfPT {
		return
	}
	ev, err := dtmf.Unmarshal(payload)
	if err != nil || ev.Code > 15 {
		return
	}
	// Same press (or an old one arriving late): already reported.
	if t.have && ssrc == t.ssrc && int32(ts-t.ts) <= 0 {
		return
	}
	t.have, t.ssrc, t.ts = true, ssrc, ts
	l.tapKey(ev.Key())
	if w := t.watch.Load(); w != nil && !w.send(KeyPress{Leg: l, Key: ev.Key()}) {
		t.dropped.Add(1)
	}
}

// stop closes the watcher's channel (the leg is closed; its reader has ended).
func (t *keyTap) stop() { t.watch.Swap(nil).close() }
