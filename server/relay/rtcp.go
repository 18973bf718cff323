package relay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/vaihde/vaihde/shared/codec"
)

// The relay terminates RTCP on each leg (RFC 3550 section 6): it sends its own sender and
// receiver reports about the streams it sends and receives on that leg, and reads the party's
// reports for call-quality statistics. The other party's RTCP is not forwarded, since it
// describes SSRCs this party never sees.

// DefaultRTCPInterval is the mean time between reports on a leg.
const DefaultRTCPInterval = 5 * time.Second

// nanosPerSample is the duration of one 8 kHz timestamp unit.
const nanosPerSample = int64(time.Second) / codec.SampleRate

// recvStats are the reception statistics of the party's current stream (RFC 3550 A.1, A.3, A.8).
type recvStats struct {
	mu       sync.Mutex
	seen     bool
	ssrc     uint32
	baseExt  uint32 // extended sequence number of the first packet, moved on big jumps
	maxExt   uint32 // highest extended sequence number
	received uint32
	jitter   float64 // interarrival jitter in timestamp units
	transit  uint32
	// At the last report, for the fraction lost in between.
	priorExpected, priorReceived uint32
}

// update records one packet of the party's stream and returns the number of packets missing
// just before it (0 for in-order, late and duplicate packets, and for a restarted sender).
func (r *recvStats) update(ssrc uint32, seq uint16, ts uint32, arrival int64) (gap uint32) {
	transit := uint32(arrival/nanosPerSample) - ts
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.seen || ssrc != r.ssrc {
		r.seen, r.ssrc = true, ssrc
		r.baseExt, r.maxExt, r.received = uint32(seq), uint32(seq), 1
		r.jitter, r.transit = 0, transit
		r.priorExpected, r.priorReceived = 0, 0
		return 0
	}
	r.received++
	d := float64(int32(transit - r.transit))
	r.transit = transit
	r.jitter += (math.Abs(d) - r.jitter) / 16
	delta := seq - uint16(r.maxExt)
	if delta == 0 || delta >= 0x8000 {
		return 0 // duplicate or late
	}
	r.maxExt += uint32(delta)
	if delta > 3000 {
		// The sender restarted its numbering: not loss.
		r.baseExt += uint32(delta) - 1
		return 0
	}
	return uint32(delta) - 1
}

// block returns the report block about the party's stream and starts a new interval.
func (r *recvStats) block(lsr uint32, sinceLSR time.Duration) (rtcp.ReceptionReport, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.seen {
		return rtcp.ReceptionReport{}, false
	}
	expected := r.maxExt - r.baseExt + 1
	lost := int64(expected) - int64(r.received)
	lost = max(0, min(lost, 0x7fffff))
	expInt := expected - r.priorExpected
	recvInt := r.received - r.priorReceived
	r.priorExpected, r.priorReceived = expected, r.received
	var fraction uint8
	if expInt > 0 && recvInt < expInt {
		fraction = uint8((uint64(expInt-recvInt) << 8) / uint64(expInt))
	}
	b := rtcp.ReceptionReport{
		SSRC:               r.ssrc,
		FractionLost:       fraction,
		TotalLost:          uint32(lost),
		LastSequenceNumber: r.maxExt,
		Jitter:             uint32(r.jitter),
		LastSenderReport:   lsr,
	}
	if lsr != 0 {
		b.Delay = uint32(sinceLSR.Seconds() * 65536)
	}
	return b, true
}

func (r *recvStats) jitterDuration() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Duration(r.jitter * float64(nanosPerSample))
}

// peerReports is what the party's RTCP told us.
type peerReports struct {
	mu        sync.Mutex
	lsr       uint32 // middle 32 bits of the NTP time of its last SR
	lsrAt     int64
	have      bool // it reported on our stream
	fracLost  uint8
	totalLost uint32
	jitter    uint32
	rtt       time.Duration
}

// ntpTime converts unix nanoseconds to a 64-bit NTP timestamp.
func ntpTime(unixNano int64) uint64 {
	const ntpEpochOffset = 2208988800
	secs := uint64(unixNano/1e9) + ntpEpochOffset
	frac := (uint64(unixNano%1e9) << 32) / 1e9
	return secs<<32 | frac
}

// handleRTCP reads the party's compound RTCP packet.
func (l *Leg) handleRTCP(b []byte, now int64) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		l.invalid.Add(1)
		return
	}
	ours := l.outSSRC()
	pr := &l.peer
	pr.mu.Lock()
	defer pr.mu.Unlock()
	var blocks []rtcp.ReceptionReport
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			pr.lsr, pr.lsrAt = uint32(p.NTPTime>>16), now
			blocks = append(blocks, p.Reports...)
		case *rtcp.ReceiverReport:
			blocks = append(blocks, p.Reports...)
		}
	}
	for _, rb := range blocks {
		if rb.SSRC != ours {
			continue
		}
		pr.have, pr.fracLost, pr.totalLost, pr.jitter = true, rb.FractionLost, rb.TotalLost, rb.Jitter
		if rb.LastSenderReport != 0 {
			// RFC 3550 6.4.1: RTT = A - LSR - DLSR, in 1/65536 s.
			a := uint32(ntpTime(now) >> 16)
			if rtt := int32(a - rb.LastSenderReport - rb.Delay); rtt >= 0 {
				pr.rtt = time.Duration(int64(rtt) * int64(time.Second) / 65536)
			}
		}
	}
}

func (l *Leg) outSSRC() uint32 {
	l.out.mu.Lock()
	defer l.out.mu.Unlock()
	return l.out.ssrc
}

// report builds this leg's compound RTCP packet: SR if it has sent media, else RR, with a
// report block about the party's stream, then SDES CNAME, then BYE if bye is set.
func (l *Leg) report(now int64, bye bool) ([]byte, bool) {
	packets := l.packetsOut.Load()
	l.out.mu.Lock()
	ssrc, ts, lastSent, started := l.out.ssrc, l.out.ts, l.out.lastSent, l.out.started
	l.out.mu.Unlock()
	if packets == 0 && !l.rx.seenAny() {
		return nil, false
	}
	l.peer.mu.Lock()
	lsr, lsrAt := l.peer.lsr, l.peer.lsrAt
	l.peer.mu.Unlock()
	block, haveBlock := l.rx.block(lsr, time.Duration(now-lsrAt))
	var first rtcp.Packet
	if packets > 0 && started {
		sr := &rtcp.SenderReport{
			SSRC:        ssrc,
			NTPTime:     ntpTime(now),
			RTPTime:     ts + uint32((now-lastSent)/nanosPerSample),
			PacketCount: uint32(packets),
			OctetCount:  uint32(l.bytesOut.Load() - 12*packets),
		}
		if haveBlock {
			sr.Reports = []rtcp.ReceptionReport{block}
		}
		first = sr
	} else {
		rr := &rtcp.ReceiverReport{SSRC: ssrc}
		if haveBlock {
			rr.Reports = []rtcp.ReceptionReport{block}
		}
		first = rr
	}
	pkts := []rtcp.Packet{first, rtcp.NewCNAMESourceDescription(ssrc, l.cname)}
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{ssrc}})
	}
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return nil, false
	}
	return b, true
}

func (r *recvStats) seenAny() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen
}

// sendReport sends the leg's report to the party's RTCP address, if it is known.
func (l *Leg) sendReport(now int64, bye bool) {
	dst, ok := l.rtcpDest()
	if !ok {
		return
	}
	b, ok := l.report(now, bye)
	if !ok {
		return
	}
	if err := l.writeRTCP(b, dst); err == nil {
		l.rtcpOut.Add(1)
	}
}

// nextInterval is the randomised report interval (RFC 3550 6.3.1: 0.5 to 1.5 times the mean).
func (p *Pool) nextInterval() time.Duration {
	iv := p.cfg.RTCPInterval
	if iv <= 0 {
		return 0
	}
	return iv/2 + time.Duration(rand.Int64N(int64(iv)))
}

// rtcpLoop sends each leg's reports when they are due, until ctx ends.
func (p *Pool) rtcpLoop(ctx context.Context) {
	defer close(p.rtcpDone)
	tick := time.NewTicker(max(p.cfg.RTCPInterval/20, 10*time.Millisecond))
	defer tick.Stop()
	var legs []*Leg
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		legs = legs[:0]
		p.mu.Lock()
		for l := range p.legs {
			legs = append(legs, l)
		}
		p.mu.Unlock()
		now := time.Now()
		for _, l := range legs {
			if l.closed.Load() || now.Before(l.nextReport) {
				continue
			}
			l.nextReport = now.Add(p.nextInterval())
			l.sendReport(now.UnixNano(), false)
		}
		clear(legs)
	}
}

func (l *Leg) readRTCP() {
	defer l.wg.Done()
	buf := make([]byte, maxDatagram)
	for {
		n, src, err := l.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.closed.Load() {
				return
			}
			continue
		}
		// RTCP: version 2, packet type 200..207 (SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR).
		if n < 8 || n >= maxDatagram || buf[0]>>6 != 2 || buf[1] < 200 || buf[1] > 207 {
			l.invalid.Add(1)
			continue
		}
		pkt, ok := l.srtp.OpenRTCP(l.rtcpDec[:0], buf[:n])
		if !ok {
			l.unauthenticated.Add(1)
			continue
		}
		now := l.pool.now()
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if ok, _ := l.rtcpLatch.Learn(src, now); !ok {
			l.dropped.Add(1)
			continue
		}
		l.rtcpIn.Add(1)
		l.handleRTCP(pkt, now)
	}
}

func cnameFor(local netip.AddrPort) string { return fmt.Sprintf("vaihde-relay@%v", local) }
