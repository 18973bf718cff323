package relay

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// ParseRTP parses one received datagram as RTP into hdr and returns where its payload is,
// without padding: pkt[start:end]; ok is false for anything that is not an RTP packet (too short, another version,
// RTCP multiplexed on the RTP port (RFC 5761: second byte 192..223), bad padding). Cheap checks
// come first so garbage never reaches the parser's error path, which allocates. Any bytes are
// safe here.
func ParseRTP(pkt []byte, hdr *rtp.Header) (start, end int, ok bool) {
	if len(pkt) < 12 || pkt[0]>>6 != 2 || (pkt[1] >= 192 && pkt[1] <= 223) {
		return 0, 0, false
	}
	start, err := hdr.Unmarshal(pkt)
	if err != nil || start > len(pkt) {
		return 0, 0, false
	}
	end = len(pkt)
	if hdr.Padding {
		pad := int(pkt[end-1])
		if pad == 0 || start+pad > end {
			return 0, 0, false
		}
		end -= pad
	}
	return start, end, true
}

// Latch is symmetric RTP's remote address (RFC 4961, the "latching" of NAT traversal): media
// goes back to where the party's packets come from. It latches onto the first source and moves
// only when the latched source has been silent for a while, so a stray packet cannot steal the
// stream. Load and Reset are safe from any goroutine; Learn must be called from one reader.
type Latch struct {
	addr atomic.Pointer[netip.AddrPort]
	last int64 // unix nanos of the last packet from the latched source (reader only)
}

// Load returns the latched address, if any.
func (l *Latch) Load() (netip.AddrPort, bool) {
	if a := l.addr.Load(); a != nil {
		return *a, true
	}
	return netip.AddrPort{}, false
}

// Reset forgets the latched address (a new SDP: the party may move).
func (l *Latch) Reset() { l.addr.Store(nil) }

// Learn reports whether a packet from src at now (unix nanos) is to be taken: from the latched
// source, or from a new one when nothing is latched or the latched source has been silent
// longer than relatchAfter. moved is the source given up for src, when that happened.
func (l *Latch) Learn(src netip.AddrPort, now int64, relatchAfter time.Duration) (ok bool, moved netip.AddrPort) {
	cur := l.addr.Load()
	switch {
	case cur != nil && *cur == src:
		l.last = now
		return true, netip.AddrPort{}
	case cur == nil || now-l.last > int64(relatchAfter):
		if cur != nil {
			moved = *cur
		}
		s := src
		l.addr.Store(&s)
		l.last = now
		return true, moved
	}
	return false, netip.AddrPort{}
}
