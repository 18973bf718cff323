package relay

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// maxDatagram is the receive buffer per socket; larger datagrams are truncated and dropped.
const maxDatagram = 1536

// Stats are a leg's counters since it was opened. "In" is what the party sent to the leg, "Out"
// what the leg sent to the party.
type Stats struct {
	PacketsIn, PacketsOut uint64
	BytesIn, BytesOut     uint64
	Lost                  uint64        // gaps in the party's sequence numbers
	Jitter                time.Duration // interarrival jitter of the party's stream (RFC 3550 A.8)
	Invalid               uint64        // datagrams ignored because they are not RTP
	Unauthenticated       uint64        // datagrams of an SRTP leg that failed authentication (or were plain)
	SRTP                  bool          // the party's media is SRTP (SDES)
	Dropped               uint64        // valid RTP not forwarded: no partner, no destination, unknown payload type
	RTCPIn, RTCPOut       uint64
	Latched               netip.AddrPort // where RTP goes to (the party's observed source); invalid before the first packet
	Remote                netip.AddrPort // RTP address from the party's SDP

	// What the party's RTCP receiver reports say about the stream this leg sends it.
	PeerReported     bool          // false until the first report about our stream arrives
	PeerFractionLost float64       // 0..1, over the party's last report interval
	PeerTotalLost    uint32        // cumulative
	PeerJitter       time.Duration // as measured by the party
	RTT              time.Duration // round-trip time from the party's report on our last SR
}

// remote is what SetRemote learned from the party's SDP; replaced as a whole, read atomically.
type remote struct {
	rtp, rtcp netip.AddrPort // from SDP; invalid when the SDP gives no usable address
	pt        uint8          // negotiated audio payload type number
	kind      uint8          // codec.PCMU or codec.PCMA
	dtmfPT    uint8          // 0 when the party did not negotiate telephone-event
	noRecv    bool           // the party holds the call (sendonly, inactive, c=0.0.0.0): send it nothing
}

// Leg is the server's media endpoint facing one party of a call. Its methods are safe for
// concurrent use.
type Leg struct {
	pool     *Pool
	rtpConn  *net.UDPConn
	rtcpConn *net.UDPConn
	local    netip.AddrPort
	wg       sync.WaitGroup
	closed   atomic.Bool

	remote  atomic.Pointer[remote]
	partner atomic.Pointer[Leg]

	// Where the party's RTP and RTCP are taken from and sent to: armed by SetRemote, learnt by
	// this leg's readers, read by the partner's reader.
	latch, rtcpLatch Latch

	srtp SRTPSession // plain RTP until the party's SDP names a crypto (srtp.go)

	// Owned by the RTP reader goroutine.
	hdr    rtp.Header
	rtpDec []byte
	// Owned by the RTCP reader goroutine.
	rtcpDec []byte

	keys       keyTap              // key presses of the party (WatchKeys)
	tap        atomic.Pointer[Tap] // the application on the leg (tap.go)
	tapPCM     []int16             // decoded audio for the tap; owned by the RTP reader
	out        outStream           // the stream this leg sends to its party
	rx         recvStats           // the stream the party sends to this leg
	peer       peerReports         // what the party's RTCP says
	cname      string
	nextReport time.Time // owned by the pool's RTCP loop

	packetsIn, packetsOut atomic.Uint64
	bytesIn, bytesOut     atomic.Uint64
	lost, invalid         atomic.Uint64
	unauthenticated       atomic.Uint64
	dropped               atomic.Uint64
	rtcpIn, rtcpOut       atomic.Uint64
}

func newLeg(p *Pool, rtpConn, rtcpConn *net.UDPConn, local netip.AddrPort) *Leg {
	l := &Leg{pool: p, rtpConn: rtpConn, rtcpConn: rtcpConn, local: local, cname: cnameFor(local),
		rtpDec: make([]byte, 0, maxDatagram), rtcpDec: make([]byte, 0, maxDatagram)}
	// The first report goes out soon after media starts (RFC 3550 6.2: half an interval).
	l.nextReport = time.Now().Add(p.nextInterval() / 2)
	l.out.ssrc = rand.Uint32()
	l.out.seq = uint16(rand.Uint32())
	l.out.ts = rand.Uint32()
	// Until SetRemote the latches are unarmed: no media is taken before the party's SDP.
	return l
}

func (l *Leg) start() {
	l.wg.Add(2)
	go l.readRTP()
	go l.readRTCP()
}

// LocalAddr is the RTP address to put in the SDP sent to this leg's party.
func (l *Leg) LocalAddr() netip.AddrPort { return l.local }

// CodecKind is the G.711 law (codec.PCMU or codec.PCMA) of a negotiated codec: by name, or by
// static payload type when the SDP named none. Anything else is ErrCodec.
func CodecKind(c sdpmedia.Codec) (uint8, error) {
	var kind uint8
	switch {
	case strings.EqualFold(c.Name, "PCMU"):
		kind = codec.PCMU
	case strings.EqualFold(c.Name, "PCMA"):
		kind = codec.PCMA
	case c.Name == "" && codec.Supported(c.PT):
		kind = c.PT
	default:
		return 0, fmt.Errorf("codec %q/%d: %w", c.Name, c.PT, ErrCodec)
	}
	if c.Rate != 0 && c.Rate != codec.SampleRate {
		return 0, fmt.Errorf("codec %s rate %d: %w", c.Name, c.Rate, ErrCodec)
	}
	return kind, nil
}

// SetRemote records the party's SDP and the codec negotiated on this leg (what the party sends
// and expects). Call it again on every re-INVITE: a new SDP address forgets the latched source
// and opens a new learning window (see Latch); the same address keeps it. A usable a=crypto in
// m (m.SelectCrypto) makes the leg speak SRTP with the party (srtp.go); RTP/SAVP without one
// is ErrCrypto.
// While the party's SDP holds the call (sendonly, inactive or c=0.0.0.0), the leg sends it no RTP.
func (l *Leg) SetRemote(m sdpmedia.Media, c sdpmedia.Codec) error {
	kind, err := CodecKind(c)
	if err != nil {
		return fmt.Errorf("set remote: %w", err)
	}
	if err := l.srtp.Set(m); err != nil {
		return fmt.Errorf("set remote: %w", err)
	}
	r := &remote{pt: c.PT, kind: kind, dtmfPT: m.DTMFPT,
		noRecv: m.OnHold()}
	if m.Addr.IsValid() && !m.Addr.IsUnspecified() && m.Port > 0 && m.Port < 65535 {
		a := m.Addr.Unmap()
		r.rtp = netip.AddrPortFrom(a, uint16(m.Port))
		r.rtcp = netip.AddrPortFrom(a, uint16(m.Port+1))
	}
	l.remote.Store(r)
	// c=0.0.0.0 is a hold (RFC 2543): the party has not moved, so its latched source stays.
	if !(m.Addr.IsValid() && m.Addr.IsUnspecified()) {
		now := l.pool.now()
		l.latch.Arm(r.rtp, now, l.pool.cfg.LatchWindow)
		l.rtcpLatch.Arm(r.rtcp, now, l.pool.cfg.LatchWindow)
	}
	return nil
}

// Stats returns a snapshot of the leg's counters.
func (l *Leg) Stats() Stats {
	s := Stats{
		PacketsIn:       l.packetsIn.Load(),
		PacketsOut:      l.packetsOut.Load(),
		BytesIn:         l.bytesIn.Load(),
		BytesOut:        l.bytesOut.Load(),
		Lost:            l.lost.Load(),
		Invalid:         l.invalid.Load(),
		Unauthenticated: l.unauthenticated.Load(),
		SRTP:            l.SRTP(),
		Dropped:         l.dropped.Load(),
		RTCPIn:          l.rtcpIn.Load(),
		RTCPOut:         l.rtcpOut.Load(),
	}
	if a, ok := l.latch.Load(); ok {
		s.Latched = a
	}
	if r := l.remote.Load(); r != nil {
		s.Remote = r.rtp
	}
	s.Jitter = l.rx.jitterDuration()
	l.peer.mu.Lock()
	s.PeerReported = l.peer.have
	s.PeerFractionLost = float64(l.peer.fracLost) / 256
	s.PeerTotalLost = l.peer.totalLost
	s.PeerJitter = time.Duration(int64(l.peer.jitter) * nanosPerSample)
	s.RTT = l.peer.rtt
	l.peer.mu.Unlock()
	return s
}

// Close unbridges the leg, closes its sockets, waits for its readers and returns the ports to
// the pool. Closing twice is harmless.
func (l *Leg) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.Unbridge()
	if l.pool.cfg.RTCPInterval > 0 {
		l.sendReport(time.Now().UnixNano(), true) // RTCP BYE: our stream ends
	}
	err := errors.Join(l.rtpConn.Close(), l.rtcpConn.Close())
	l.wg.Wait()
	l.keys.stop()
	l.tap.Store(nil)
	l.pool.release(l)
	if err != nil {
		return fmt.Errorf("close relay leg %v: %w", l.local, err)
	}
	return nil
}

// dest is where RTP for this leg's party goes: the latched source, else the SDP address; none
// while the party holds the call (sendonly or inactive).
func (l *Leg) dest() (netip.AddrPort, bool) {
	r := l.remote.Load()
	if r != nil && r.noRecv {
		return netip.AddrPort{}, false
	}
	if a, ok := l.latch.Load(); ok {
		return a, true
	}
	if r != nil && r.rtp.IsValid() {
		return r.rtp, true
	}
	return netip.AddrPort{}, false
}

func (l *Leg) rtcpDest() (netip.AddrPort, bool) {
	if a, ok := l.rtcpLatch.Load(); ok {
		return a, true
	}
	if r := l.remote.Load(); r != nil && r.rtcp.IsValid() {
		return r.rtcp, true
	}
	return netip.AddrPort{}, false
}

func (l *Leg) readRTP() {
	defer l.wg.Done()
	buf := make([]byte, maxDatagram)
	for {
		n, src, err := l.rtpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.closed.Load() {
				return
			}
			l.pool.log.Debug("rtp read failed", "local", l.local, "err", err)
			continue
		}
		if n >= maxDatagram {
			l.invalid.Add(1)
			continue
		}
		pkt, ok := l.srtp.OpenRTP(l.rtpDec[:0], buf[:n], &l.hdr)
		if !ok {
			l.unauthenticated.Add(1)
			continue
		}
		l.handleRTP(pkt, src, l.pool.now())
	}
}

// handleRTP takes one datagram received from the party and forwards it to the partner's party.
func (l *Leg) handleRTP(pkt []byte, src netip.AddrPort, now int64) {
	hlen, end, ok := ParseRTP(pkt, &l.hdr)
	if !ok {
		l.invalid.Add(1)
		return
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if !l.learnSource(src, now) {
		// Not the party's address: someone else's packets (RTP bleed) or a stray stream.
		l.dropped.Add(1)
		return
	}
	l.packetsIn.Add(1)
	l.bytesIn.Add(uint64(len(pkt)))
	if gap := l.rx.update(l.hdr.SSRC, l.hdr.SequenceNumber, l.hdr.Timestamp, now); gap > 0 {
		l.lost.Add(uint64(gap))
	}
	l.keys.observe(l, l.hdr.PayloadType, l.hdr.SSRC, l.hdr.Timestamp, pkt[hlen:end])
	l.tapAudio(l.hdr.PayloadType, pkt[hlen:end])

	to := l.partner.Load()
	if to == nil {
		l.dropped.Add(1)
		return
	}
	if !l.rewrite(to, pkt, hlen, end, now) {
		l.dropped.Add(1)
		return
	}
	dst, ok := to.dest()
	if !ok {
		l.dropped.Add(1)
		return
	}
	if err := to.writeRTP(pkt, dst); err != nil {
		l.dropped.Add(1)
		return
	}
	to.packetsOut.Add(1)
	to.bytesOut.Add(uint64(len(pkt)))
}

// learnSource reports whether a packet from src is the party's (see Latch).
func (l *Leg) learnSource(src netip.AddrPort, now int64) bool {
	ok, moved := l.latch.Learn(src, now)
	if moved.IsValid() {
		l.pool.log.Info("rtp source moved", "local", l.local, "from", moved, "to", src)
	}
	return ok
}
