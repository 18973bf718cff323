package relay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/vaihde/vaihde/shared/codec"
)

// Errors of generated audio.
var (
	// ErrBridged means the leg is bridged: generated audio would be mixed into its partner's
	// stream, so it is not sent.
	ErrBridged = errors.New("relay: leg is bridged")
	// ErrNoCodec means the leg has no negotiated codec yet (SetRemote was not called).
	ErrNoCodec = errors.New("relay: no codec negotiated")
)

// FrameInterval is the duration of one frame of generated audio (codec.FrameSamples samples).
const FrameInterval = 20 * time.Millisecond

// maxFrameSamples bounds one generated frame (60 ms), so that its packet fits a small buffer.
const maxFrameSamples = 3 * codec.FrameSamples

// restartAfter is the pause after which generated audio starts a new talkspurt (marker bit,
// timestamp moved on by the real gap) rather than continuing the previous frames.
//
// The leg only numbers and sends frames; pacing them is the application's (mediaapp.LegChannel,
// the one player of a call's stream).
const restartAfter = 100 * time.Millisecond

// WriteFrame sends one frame of generated audio (8 kHz linear PCM, normally codec.FrameSamples
// samples) to the leg's party, encoded with the leg's codec, in the leg's outgoing stream: the
// party sees one SSRC with continuous sequence numbers and timestamps across relayed and
// generated audio. The caller paces the frames (mediaapp.LegChannel). While the party holds the call the
// frame is dropped silently. It fails with ErrBridged while the leg is bridged, ErrClosed once
// closed, ErrNoCodec before SetRemote.
func (l *Leg) WriteFrame(pcm []int16) error {
	if l.closed.Load() {
		return ErrClosed
	}
	if len(pcm) == 0 || len(pcm) > maxFrameSamples {
		return fmt.Errorf("relay: write frame of %d samples: want 1..%d", len(pcm), maxFrameSamples)
	}
	if l.partner.Load() != nil {
		return ErrBridged
	}
	r := l.remote.Load()
	if r == nil {
		return ErrNoCodec
	}
	dst, ok := l.dest()
	if !ok {
		l.dropped.Add(1)
		return nil
	}
	var buf [12 + maxFrameSamples]byte
	pkt, err := codec.Encode(r.kind, pcm, buf[:12])
	if err != nil {
		return fmt.Errorf("relay: write frame: %w", err)
	}
	seq, ts, ssrc, marker := l.out.generated(time.Now().UnixNano(), len(pcm))
	pkt[0] = 0x80
	pkt[1] = r.pt & 0x7f
	if marker {
		pkt[1] |= 0x80
	}
	binary.BigEndian.PutUint16(pkt[2:4], seq)
	binary.BigEndian.PutUint32(pkt[4:8], ts)
	binary.BigEndian.PutUint32(pkt[8:12], ssrc)
	if err := l.writeRTP(pkt, dst); err != nil {
		l.dropped.Add(1)
		if l.closed.Load() {
			return ErrClosed
		}
		return fmt.Errorf("relay: write frame to %v: %w", dst, err)
	}
	l.packetsOut.Add(1)
	l.bytesOut.Add(uint64(len(pkt)))
	return nil
}

// generated numbers the next generated frame of n samples, sent at now (unix nanos): it follows
// the previous generated frame, or after a relayed stream or a pause starts a talkspurt where
// the stream left off.
func (o *outStream) generated(now int64, n int) (seq uint16, ts uint32, ssrc uint32, marker bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.started && o.gen && now-o.lastSent <= int64(restartAfter) {
		o.seq++
		o.ts += o.genLen
	} else {
		nextTS := o.ts + codec.FrameSamples
		if o.started {
			if gap := (now - o.lastSent) / (1e9 / codec.SampleRate); gap > codec.FrameSamples {
				nextTS = o.ts + uint32(gap)
			}
		}
		o.seq++
		o.ts = nextTS
		marker = true
	}
	o.started, o.gen, o.genLen, o.src = true, true, uint32(n), nil
	o.lastSent = now
	return o.seq, o.ts, o.ssrc, marker
}
