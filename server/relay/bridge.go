package relay

import (
	"encoding/binary"
	"sync"

	"github.com/vaihde/vaihde/shared/codec"
)

// bridgeMu serialises changes of partners so that a pair is always linked both ways.
var bridgeMu sync.Mutex

// Bridge forwards a→b and b→a from now on. A leg that was bridged to a third leg leaves that
// partnership (the third leg stops forwarding to it), as in a transfer. Bridging a leg to itself
// echoes its party's media back. Closed legs are not bridged.
func Bridge(a, b *Leg) {
	if a == nil || b == nil || a.closed.Load() || b.closed.Load() {
		return
	}
	bridgeMu.Lock()
	defer bridgeMu.Unlock()
	for _, l := range []*Leg{a, b} {
		if old := l.partner.Load(); old != nil && old != a && old != b {
			old.partner.CompareAndSwap(l, nil)
		}
	}
	a.partner.Store(b)
	b.partner.Store(a)
	// A party that sent nothing while the call rang may latch (NAT) now that media starts.
	now := a.pool.now()
	for _, l := range []*Leg{a, b} {
		l.latch.Reopen(now, l.pool.cfg.LatchWindow)
		l.rtcpLatch.Reopen(now, l.pool.cfg.LatchWindow)
	}
	// Re-base both outgoing streams on the next packet, even from the same source after a hold,
	// so the parties see consecutive sequence numbers rather than a jump.
	a.out.resync()
	b.out.resync()
}

// Unbridge stops forwarding in both directions between the leg and its partner (for hold or
// before a transfer). Packets are still read, counted and dropped.
func (l *Leg) Unbridge() {
	bridgeMu.Lock()
	defer bridgeMu.Unlock()
	if old := l.partner.Swap(nil); old != nil {
		old.partner.CompareAndSwap(l, nil)
	}
}

// outStream is the RTP stream a leg sends to its party. Sources come and go (transfer) but the
// party sees one SSRC with continuous sequence numbers and timestamps.
type outStream struct {
	mu       sync.Mutex
	ssrc     uint32
	seq      uint16 // last sequence number sent
	ts       uint32 // last timestamp sent
	lastSent int64  // unix nanos of the last packet sent
	started  bool

	src      *Leg   // leg whose packets are being sent
	srcSSRC  uint32 // SSRC of the party behind src
	gen      bool   // the last packet sent was generated audio (WriteFrame)
	genLen   uint32 // samples in that packet
	seqDelta uint16
	tsDelta  uint32
}

func (o *outStream) resync() {
	o.mu.Lock()
	o.src = nil
	o.mu.Unlock()
}

// Payload types with fixed meaning (RFC 3551).
const ptCN = 13

// rewrite turns a packet received on l (header length hlen, payload pkt[hlen:end]) into one for
// to's party, in place: payload type mapped, G.711 transcoded if needed, SSRC, sequence number
// and timestamp of to's outgoing stream. It returns false if the packet must be dropped.
func (l *Leg) rewrite(to *Leg, pkt []byte, hlen, end int, now int64) bool {
	pt := pkt[1] & 0x7f
	in, out := l.remote.Load(), to.remote.Load()

	var (
		outPT    = pt
		fromKind uint8
		audio    bool
	)
	switch {
	case in != nil && in.dtmfPT != 0 && pt == in.dtmfPT:
		if out != nil {
			if out.dtmfPT == 0 {
				return false
			}
			outPT = out.dtmfPT
		}
	case in != nil && pt == in.pt:
		audio, fromKind = true, in.kind
	case codec.Supported(pt):
		audio, fromKind = true, pt
	case pt == ptCN:
		// Comfort noise is codec independent.
	default:
		return false
	}
	if audio && out != nil {
		outPT = out.pt
		if out.kind != fromKind {
			if err := codec.Transcode(fromKind, out.kind, pkt[hlen:end]); err != nil {
				return false
			}
		}
	}

	seq := binary.BigEndian.Uint16(pkt[2:4])
	ts := binary.BigEndian.Uint32(pkt[4:8])
	ssrc := binary.BigEndian.Uint32(pkt[8:12])
	marker := pkt[1] & 0x80

	o := &to.out
	o.mu.Lock()
	if !o.started || o.src != l || o.srcSSRC != ssrc {
		// A new source: continue our stream where it left off, one frame or the real gap later.
		nextSeq, nextTS := o.seq+1, o.ts+codec.FrameSamples
		if o.started {
			if gap := (now - o.lastSent) / (1e9 / codec.SampleRate); gap > codec.FrameSamples {
				nextTS = o.ts + uint32(gap)
			}
		}
		o.seqDelta = nextSeq - seq
		o.tsDelta = nextTS - ts
		o.src, o.srcSSRC, o.started, o.gen = l, ssrc, true, false
		marker = 0x80
	}
	outSeq := seq + o.seqDelta
	outTS := ts + o.tsDelta
	// Only move forward: a late packet keeps its own numbers but does not rewind ours.
	if int16(outSeq-o.seq) > 0 {
		o.seq = outSeq
		o.ts = outTS
	}
	o.lastSent = now
	outSSRC := o.ssrc
	o.mu.Unlock()

	pkt[1] = marker | outPT
	binary.BigEndian.PutUint16(pkt[2:4], outSeq)
	binary.BigEndian.PutUint32(pkt[4:8], outTS)
	binary.BigEndian.PutUint32(pkt[8:12], outSSRC)
	return true
}
