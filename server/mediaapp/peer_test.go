package mediaapp

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// peer is the phone side of integration tests: a plain pion/rtp sender and receiver on loopback.
type peer struct {
	t    *testing.T
	conn *net.UDPConn
	ssrc uint32
	seq  uint16
	ts   uint32
	mu   sync.Mutex // serialises senders
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("peer listen: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{t: t, conn: c, ssrc: 0x1234, seq: 100, ts: 5000}
}

func (p *peer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *peer) write(to netip.AddrPort, pkt *rtp.Packet) {
	b, err := pkt.Marshal()
	if err != nil {
		p.t.Errorf("peer marshal: %v", err)
		return
	}
	if _, err := p.conn.WriteToUDPAddrPort(b, to); err != nil {
		p.t.Errorf("peer send: %v", err)
	}
}

// sendAudio sends pcm as PCMU in 20 ms packets, paced in real time.
func (p *peer) sendAudio(to netip.AddrPort, pcm []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tick := time.NewTicker(FrameInterval)
	defer tick.Stop()
	for off := 0; off+FrameSamples <= len(pcm); off += FrameSamples {
		payload, _ := codec.Encode(codec.PCMU, pcm[off:off+FrameSamples], nil)
		p.write(to, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: p.seq,
			Timestamp: p.ts, SSRC: p.ssrc}, Payload: payload})
		p.seq++
		p.ts += FrameSamples
		<-tick.C
	}
}

// sendDigit sends one RFC 4733 event the way phones do: three packets during the key press and
// the end packet three times, all with the event's start timestamp.
func (p *peer) sendDigit(to netip.AddrPort, key rune) {
	p.mu.Lock()
	defer p.mu.Unlock()
	code, err := dtmf.CodeOf(key)
	if err != nil {
		p.t.Fatalf("digit %q: %v", key, err)
	}
	start := p.ts
	for i := range 6 {
		end := i >= 3
		ev := dtmf.Event{Code: code, End: end, Volume: 10, Duration: uint16(min(i+1, 4) * FrameSamples)}
		p.write(to, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: sdpmedia.DefaultDTMFPT,
			Marker: i == 0, SequenceNumber: p.seq, Timestamp: start, SSRC: p.ssrc},
			Payload: ev.Marshal(make([]byte, 4))})
		p.seq++
		time.Sleep(5 * time.Millisecond)
	}
	p.ts += 4 * FrameSamples
}

// received is one packet the peer got.
type received struct {
	hdr rtp.Header
	pcm []int16
}

// receive collects packets until n arrived or the deadline passes.
func (p *peer) receive(n int, within time.Duration) []received {
	var out []received
	buf := make([]byte, 2048)
	deadline := time.Now().Add(within)
	for len(out) < n {
		if err := p.conn.SetReadDeadline(deadline); err != nil {
			p.t.Fatalf("deadline: %v", err)
		}
		k, _, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return out
			}
			p.t.Fatalf("peer read: %v", err)
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(buf[:k]); err != nil {
			p.t.Errorf("endpoint sent bad RTP: %v", err)
			continue
		}
		pcm, err := codec.Decode(pkt.PayloadType, pkt.Payload, nil)
		if err != nil {
			p.t.Errorf("endpoint sent payload type %d: %v", pkt.PayloadType, err)
			continue
		}
		out = append(out, received{hdr: pkt.Header, pcm: pcm})
	}
	return out
}

// goSend runs a sender in the background; the test waits for it before closing sockets.
func goSend(t *testing.T, f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	t.Cleanup(func() { <-done })
}
