// Package relay owns the server's media anchoring: pairs of RTP/RTCP sockets ("legs"), one facing
// each party of a call, and the forwarding of RTP between two bridged legs.
//
//   - Symmetric RTP without "RTP bleed": a leg takes media only from the address in its party's
//     SDP or, for NAT, from the one source it latched onto within the first seconds (Latch),
//     sends to that source, and ignores every other source for the rest of the call. RTCP
//     likewise.
//   - G.711 µ-law/A-law transcoding when the two legs negotiated different codecs, in place.
//   - RFC 4733 telephone-events passed through with the receiving leg's payload type.
//   - Each leg's outgoing stream keeps one SSRC and continuous sequence numbers and timestamps
//     across re-bridging (transfer, hold/resume).
//   - RTCP is terminated per leg: the leg sends its own SR/RR/SDES about the streams it sends and
//     receives and reads its party's reports into Stats.
//   - Key presses: WatchKeys reports each RFC 4733 key the party presses once (events repeat
//     and end with three packets of one timestamp), bridged or not, without ever making the
//     reader wait for the watcher (the DTMF transfer code of CALL-6 listens here).
//   - Generated audio: while a leg is not bridged, WriteFrame, Play and Loop send the party
//     server-made G.711 frames (hold music, tones) in the same outgoing stream, so the party
//     sees one SSRC with continuous sequence numbers and timestamps before, during and after.
//
// Each leg owns two reader goroutines (RTP and RTCP) that stop when the leg is closed; the pool
// owns one goroutine that sends the RTCP reports. Forwarding happens on the reader goroutine of
// the receiving leg, writing from the partner leg's socket, so a packet costs one read and one
// write system call and no allocation. Play and Loop run on their caller's goroutine, which owns
// them.
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Errors returned by the pool and its legs.
var (
	// ErrNoPorts means every port pair of the configured range is in use.
	ErrNoPorts = errors.New("relay: no free RTP ports")
	// ErrClosed means the pool or leg has been closed.
	ErrClosed = errors.New("relay: closed")
	// ErrCodec means SetRemote was given a codec the relay cannot forward.
	ErrCodec = errors.New("relay: unsupported codec")
)

// Config of a Pool.
type Config struct {
	BindIP netip.Addr // IP to bind RTP sockets on, e.g. 127.0.0.1; LocalAddr reports it
	// PortMin and PortMax bound the even-port range: RTP on an even port, RTCP on port+1. Both zero
	// means ephemeral ports chosen by the kernel (for tests that must not clash with others).
	PortMin, PortMax int
	Logger           *slog.Logger
	// LatchWindow is how long after the party's SDP (or the start of media on an unlatched leg)
	// the leg may latch onto a source other than the SDP address, for NAT (see Latch). Zero
	// means DefaultLatchWindow.
	LatchWindow time.Duration
	// Now is the clock of the readers and the latch window; nil means time.Now.
	Now func() time.Time
	// SocketBuffer is SO_RCVBUF/SO_SNDBUF per socket in bytes. Zero means DefaultSocketBuffer.
	SocketBuffer int
	// RTCPInterval is the mean time between the RTCP reports each leg sends its party. Zero
	// means DefaultRTCPInterval; negative disables reports.
	RTCPInterval time.Duration
}

// Defaults used for zero Config fields.
const (
	DefaultLatchWindow  = 2 * time.Second
	DefaultSocketBuffer = 256 << 10
)

// Pool allocates legs from a port range. It is safe for concurrent use.
type Pool struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	closed bool
	next   int          // next even port to try
	used   map[int]bool // RTP ports in use
	legs   map[*Leg]struct{}

	stopRTCP context.CancelFunc
	rtcpDone chan struct{}
}

// NewPool checks cfg and returns an empty pool.
func NewPool(cfg Config) (*Pool, error) {
	if !cfg.BindIP.IsValid() {
		return nil, fmt.Errorf("new relay pool: bind IP %v: invalid", cfg.BindIP)
	}
	if cfg.PortMin != 0 || cfg.PortMax != 0 {
		if cfg.PortMin%2 == 1 {
			cfg.PortMin++
		}
		if cfg.PortMin <= 0 || cfg.PortMax > 65535 || cfg.PortMin+1 > cfg.PortMax {
			return nil, fmt.Errorf("new relay pool: port range %d-%d: invalid", cfg.PortMin, cfg.PortMax)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.LatchWindow <= 0 {
		cfg.LatchWindow = DefaultLatchWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SocketBuffer <= 0 {
		cfg.SocketBuffer = DefaultSocketBuffer
	}
	if cfg.RTCPInterval == 0 {
		cfg.RTCPInterval = DefaultRTCPInterval
	}
	p := &Pool{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "relay"),
		next:     cfg.PortMin,
		used:     make(map[int]bool),
		legs:     make(map[*Leg]struct{}),
		rtcpDone: make(chan struct{}),
	}
	var ctx context.Context
	ctx, p.stopRTCP = context.WithCancel(context.Background())
	if cfg.RTCPInterval > 0 {
		go p.rtcpLoop(ctx)
	} else {
		close(p.rtcpDone)
	}
	return p, nil
}

// NewLeg allocates an RTP/RTCP socket pair and starts its readers. It returns ErrNoPorts when the
// range is exhausted.
func (p *Pool) NewLeg() (*Leg, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	var (
		rtpConn, rtcpConn *net.UDPConn
		port              int
		err               error
	)
	if p.cfg.PortMin == 0 && p.cfg.PortMax == 0 {
		rtpConn, rtcpConn, port, err = BindEvenPair(p.cfg.BindIP)
	} else {
		rtpConn, rtcpConn, port, err = p.bindRange()
	}
	if err != nil {
		return nil, err
	}
	for _, c := range []*net.UDPConn{rtpConn, rtcpConn} {
		// Best effort: the kernel caps these at net.core.rmem_max/wmem_max.
		_ = c.SetReadBuffer(p.cfg.SocketBuffer)
		_ = c.SetWriteBuffer(p.cfg.SocketBuffer)
	}
	l := newLeg(p, rtpConn, rtcpConn, netip.AddrPortFrom(p.cfg.BindIP, uint16(port)))
	p.used[port] = true
	p.legs[l] = struct{}{}
	l.start()
	return l, nil
}

// bindRange binds the next free pair of the configured range; p.mu is held.
func (p *Pool) bindRange() (*net.UDPConn, *net.UDPConn, int, error) {
	pairs := (p.cfg.PortMax - p.cfg.PortMin + 1) / 2
	for range pairs {
		port := p.next
		p.next += 2
		if p.next+1 > p.cfg.PortMax {
			p.next = p.cfg.PortMin
		}
		if p.used[port] {
			continue
		}
		rtpConn, rtcpConn, err := p.bindPair(port)
		if err != nil {
			// Taken by another process: try the next pair.
			continue
		}
		return rtpConn, rtcpConn, port, nil
	}
	return nil, nil, 0, ErrNoPorts
}

// BindEvenPair binds an RTP socket on an even port the kernel picks on ip and the RTCP socket
// on the odd port above it (RFC 3550 section 11). Odd ports met on the way stay bound until it
// returns, so the kernel moves on; ErrNoPorts after 64 tries.
func BindEvenPair(ip netip.Addr) (rtpConn, rtcpConn *net.UDPConn, port int, err error) {
	var held []*net.UDPConn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	var lastErr error
	for range 64 {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, nil, 0, fmt.Errorf("bind rtp: %w", err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		if port%2 == 1 || port == 65534 {
			held = append(held, c)
			continue
		}
		rc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port+1))))
		if err != nil {
			lastErr = err
			held = append(held, c)
			continue
		}
		return c, rc, port, nil
	}
	return nil, nil, 0, fmt.Errorf("bind ephemeral rtp pair: %w (last: %v)", ErrNoPorts, lastErr)
}

func (p *Pool) bindPair(port int) (*net.UDPConn, *net.UDPConn, error) {
	rtpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.cfg.BindIP, uint16(port))))
	if err != nil {
		return nil, nil, fmt.Errorf("bind rtp %d: %w", port, err)
	}
	rtcpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.cfg.BindIP, uint16(port+1))))
	if err != nil {
		rtpConn.Close()
		return nil, nil, fmt.Errorf("bind rtcp %d: %w", port+1, err)
	}
	return rtpConn, rtcpConn, nil
}

// now is the pool's clock in unix nanos.
func (p *Pool) now() int64 { return p.cfg.Now().UnixNano() }

// BindIP is the address the pool's sockets bind on.
func (p *Pool) BindIP() netip.Addr { return p.cfg.BindIP }

// BindPair allocates an RTP/RTCP socket pair from the pool's range for a media endpoint that is
// not a relay leg (the call engine's service calls), so that every RTP port the server uses is
// in the configured range. release returns the ports to the pool after the sockets are closed.
func (p *Pool) BindPair() (rtpConn, rtcpConn *net.UDPConn, release func(), err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, nil, ErrClosed
	}
	var port int
	if p.cfg.PortMin == 0 && p.cfg.PortMax == 0 {
		rtpConn, rtcpConn, port, err = BindEvenPair(p.cfg.BindIP)
	} else {
		rtpConn, rtcpConn, port, err = p.bindRange()
	}
	if err != nil {
		return nil, nil, nil, err
	}
	p.used[port] = true
	var once sync.Once
	release = func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.used, port)
			p.mu.Unlock()
		})
	}
	return rtpConn, rtcpConn, release, nil
}

// release forgets a closed leg.
func (p *Pool) release(l *Leg) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.legs[l]; !ok {
		return
	}
	delete(p.legs, l)
	delete(p.used, int(l.local.Port()))
}

// Close closes every leg and stops the RTCP reports; NewLeg fails afterwards.
func (p *Pool) Close() error {
	p.stopRTCP()
	<-p.rtcpDone
	p.mu.Lock()
	p.closed = true
	legs := make([]*Leg, 0, len(p.legs))
	for l := range p.legs {
		legs = append(legs, l)
	}
	p.mu.Unlock()
	var errs []error
	for _, l := range legs {
		if err := l.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Active returns the number of open legs.
func (p *Pool) Active() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.legs)
}
