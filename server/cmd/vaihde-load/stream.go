package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/vaihde/vaihde/shared/codec"
)

// Each payload starts with a tag naming the sending endpoint, so a receiver can tell its own
// call's media from media that was crossed over from another call. The tag is written with
// bytes that survive µ-law↔A-law transcoding unchanged after converting back, so a receiver
// can read it whichever codec the relay delivered.
const tagLen = 4 + 8 // magic, then the sender id as 8 nibbles

var (
	tagAlphabet [16]byte // byte for each nibble value
	tagMagic    [4]byte
	tagNibble   [256]int8 // inverse of tagAlphabet, -1 if not a tag byte
)

func init() {
	// Bytes that come back unchanged after µ→A→µ and after A→µ→A.
	var safe []byte
	for v := 0; v < 256 && len(safe) < 20; v++ {
		b := []byte{byte(v)}
		if codec.Transcode(codec.PCMU, codec.PCMA, b) != nil || codec.Transcode(codec.PCMA, codec.PCMU, b) != nil || b[0] != byte(v) {
			continue
		}
		b[0] = byte(v)
		if codec.Transcode(codec.PCMA, codec.PCMU, b) != nil || codec.Transcode(codec.PCMU, codec.PCMA, b) != nil || b[0] != byte(v) {
			continue
		}
		safe = append(safe, byte(v))
	}
	if len(safe) < 20 {
		panic("vaihde-load: too few transcoding-safe bytes for the media tag")
	}
	for i := range tagNibble {
		tagNibble[i] = -1
	}
	for i := range 16 {
		tagAlphabet[i] = safe[i]
		tagNibble[safe[i]] = int8(i)
	}
	copy(tagMagic[:], []byte{safe[16], safe[17], safe[18], safe[19]})
}

// putTag writes the tag of sender id into payload (at least tagLen bytes).
func putTag(payload []byte, id uint32) {
	copy(payload, tagMagic[:])
	for i := range 8 {
		payload[4+i] = tagAlphabet[(id>>(28-4*i))&0xf]
	}
}

// readTag returns the sender id of a tagged payload, as sent or after one G.711 transcoding.
func readTag(payload []byte) (uint32, bool) {
	if len(payload) < tagLen {
		return 0, false
	}
	var b [tagLen]byte
	for _, conv := range [][2]uint8{{codec.PCMU, codec.PCMU}, {codec.PCMA, codec.PCMU}, {codec.PCMU, codec.PCMA}} {
		copy(b[:], payload)
		if codec.Transcode(conv[0], conv[1], b[:]) != nil || [4]byte(b[:4]) != tagMagic {
			continue
		}
		var id uint32
		ok := true
		for i := range 8 {
			n := tagNibble[b[4+i]]
			if n < 0 {
				ok = false
				break
			}
			id = id<<4 | uint32(n)
		}
		if ok {
			return id, true
		}
	}
	return 0, false
}

// rxCounter counts the distinct packets of one RTP stream by extended sequence number, so
// duplicates are not counted twice and reordering is not loss. It also learns which sender
// (tag) the stream comes from and counts packets of any other sender as foreign.
type rxCounter struct {
	mu       sync.Mutex
	started  bool
	ssrc     uint32
	maxExt   int64
	window   [16]uint64 // seen bits of the last 1024 extended sequence numbers
	sender   uint32
	tagged   bool
	received uint64 // distinct packets of the stream
	dups     uint64
	reorder  uint64
	foreign  uint64 // packets tagged with another sender than the first one seen
	ssrcs    uint64 // SSRC changes (the relay should keep one SSRC)
	invalid  uint64
	rtcp     uint64
	// Arrival gaps of RTP packets: the longest since resetGap, and how many exceeded 100 ms
	// (a stream that stalls without losing sequence numbers, e.g. between two prompts).
	lastAt time.Time
	maxGap time.Duration
	gaps   uint64
	now    func() time.Time // nil: time.Now (tests set it)
}

// gapOver is the arrival gap counted as a stall: five 20 ms frames.
const gapOver = 100 * time.Millisecond

// resetGap starts a new gap measurement.
func (c *rxCounter) resetGap() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxGap, c.gaps = 0, 0
}

const windowBits = 1024

func (c *rxCounter) bit(ext int64) (word int, mask uint64) {
	i := int(uint64(ext) % windowBits)
	return i / 64, 1 << (i % 64)
}

// add counts one received datagram.
func (c *rxCounter) add(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(b) >= 2 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223 {
		c.rtcp++ // RTCP (RFC 5761 demultiplexing): a relay may send reports to port+1
		return
	}
	var p rtp.Packet
	if len(b) < 12 || b[0]>>6 != 2 || p.Unmarshal(b) != nil {
		c.invalid++
		return
	}
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	if !c.lastAt.IsZero() {
		if g := now.Sub(c.lastAt); g > c.maxGap {
			c.maxGap = g
		}
		if now.Sub(c.lastAt) > gapOver {
			c.gaps++
		}
	}
	c.lastAt = now
	if id, ok := readTag(p.Payload); ok {
		if !c.tagged {
			c.tagged, c.sender = true, id
		} else if id != c.sender {
			c.foreign++
			return
		}
	}
	seq := p.SequenceNumber
	if !c.started || p.SSRC != c.ssrc {
		if c.started {
			c.ssrcs++
		}
		c.started, c.ssrc = true, p.SSRC
		c.maxExt = int64(seq) + 1<<16 // room below for late packets
		c.window = [16]uint64{}
		w, m := c.bit(c.maxExt)
		c.window[w] |= m
		c.received++
		return
	}
	ext := c.maxExt + int64(int16(seq-uint16(c.maxExt)))
	switch {
	case ext > c.maxExt:
		if ext-c.maxExt >= windowBits {
			c.window = [16]uint64{}
		} else {
			for e := c.maxExt + 1; e < ext; e++ {
				w, m := c.bit(e)
				c.window[w] &^= m
			}
		}
		c.maxExt = ext
		w, m := c.bit(ext)
		c.window[w] |= m
		c.received++
	case c.maxExt-ext >= windowBits:
		c.reorder++ // too old to tell: count it, as a late packet
		c.received++
	default:
		w, m := c.bit(ext)
		if c.window[w]&m != 0 {
			c.dups++
			return
		}
		c.window[w] |= m
		c.reorder++
		c.received++
	}
}

// rxStats is a snapshot of an rxCounter.
type rxStats struct {
	Received, Dups, Reorder, Foreign, SSRCChanges, Invalid uint64
	Sender                                                 uint32
	Tagged                                                 bool
	// MaxExt is the highest extended sequence number seen (0 before the first packet): its
	// growth over a window is what the sender sent in it.
	MaxExt int64
	MaxGap time.Duration // longest arrival gap since resetGap
	Gaps   uint64        // arrival gaps over gapOver since resetGap
}

func (c *rxCounter) stats() rxStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return rxStats{Received: c.received, Dups: c.dups, Reorder: c.reorder, Foreign: c.foreign,
		SSRCChanges: c.ssrcs, Invalid: c.invalid, Sender: c.sender, Tagged: c.tagged, MaxExt: c.maxExt, MaxGap: c.maxGap, Gaps: c.gaps}
}

// endpoint is one end of a call's media, like a phone's: an RTP socket on an even port that
// sends a 20 ms G.711 stream to the server and counts what comes back, and an RTCP socket on
// the next port that counts the server's reports.
type endpoint struct {
	id       uint32 // sender id written into the tag
	conn     *net.UDPConn
	rtcpConn *net.UDPConn
	local    netip.AddrPort
	remote   atomic.Pointer[netip.AddrPort]
	pt       atomic.Uint32 // payload type to send

	// Owned by the sending goroutine.
	pkt  []byte
	seq  uint16
	ts   uint32
	ssrc uint32

	stopped atomic.Bool // set when the call ends: nothing more is sent
	sent    atomic.Uint64
	sendEr  atomic.Uint64
	rx      rxCounter
	rtcpIn  atomic.Uint64
	readers sync.WaitGroup
}

// bindPair binds an even RTP port on ip and the RTCP port above it.
func bindPair(ip netip.Addr) (*net.UDPConn, *net.UDPConn, error) {
	var held []*net.UDPConn // odd ports kept bound while retrying, so the kernel moves on
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 64 {
		rtpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, nil, fmt.Errorf("bind media socket: %w", err)
		}
		port := rtpConn.LocalAddr().(*net.UDPAddr).Port
		if port%2 == 1 {
			held = append(held, rtpConn)
			continue
		}
		rtcpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port+1))))
		if err != nil {
			held = append(held, rtpConn)
			continue
		}
		return rtpConn, rtcpConn, nil
	}
	return nil, nil, fmt.Errorf("bind media socket pair: no free even/odd ports")
}

// newEndpoint binds a socket pair on ip and starts counting what it receives.
func newEndpoint(ip netip.Addr, id uint32) (*endpoint, error) {
	conn, rtcpConn, err := bindPair(ip)
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(256 << 10)
	_ = conn.SetWriteBuffer(256 << 10)
	e := &endpoint{
		id: id, conn: conn, rtcpConn: rtcpConn, local: conn.LocalAddr().(*net.UDPAddr).AddrPort(),
		seq: uint16(rand.Uint32()), ts: rand.Uint32(), ssrc: rand.Uint32(),
	}
	e.pkt = make([]byte, 12+codec.FrameSamples)
	for i := 12; i < len(e.pkt); i++ {
		e.pkt[i] = 0xff // µ-law silence; A-law 0xff is also near silence
	}
	putTag(e.pkt[12:], id)
	e.readers.Add(2)
	go e.read()
	go e.readRTCP()
	return e, nil
}

// readRTCP counts the RTCP packets the server sends; it stops when close closes the socket.
func (e *endpoint) readRTCP() {
	defer e.readers.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := e.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if n >= 8 && buf[0]>>6 == 2 && buf[1] >= 200 && buf[1] <= 207 {
			e.rtcpIn.Add(1)
		}
	}
}

func (e *endpoint) read() {
	defer e.readers.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := e.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		e.rx.add(buf[:n])
	}
}

// setRemote sets where to send and in which payload type.
func (e *endpoint) setRemote(to netip.AddrPort, pt uint8) {
	e.remote.Store(&to)
	e.pt.Store(uint32(pt))
}

// sendFrame sends the next 20 ms frame; only one goroutine may call it.
func (e *endpoint) sendFrame() {
	to := e.remote.Load()
	if to == nil || e.stopped.Load() {
		return
	}
	h := rtp.Header{Version: 2, PayloadType: uint8(e.pt.Load()), SequenceNumber: e.seq,
		Timestamp: e.ts, SSRC: e.ssrc, Marker: e.sent.Load() == 0}
	if _, err := h.MarshalTo(e.pkt[:12]); err != nil {
		e.sendEr.Add(1)
		return
	}
	e.seq++
	e.ts += codec.FrameSamples
	if _, err := e.conn.WriteToUDPAddrPort(e.pkt, *to); err != nil {
		e.sendEr.Add(1)
		return
	}
	e.sent.Add(1)
}

func (e *endpoint) close() {
	e.conn.Close()
	e.rtcpConn.Close()
	e.readers.Wait()
}
