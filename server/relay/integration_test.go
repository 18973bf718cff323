package relay

import (
	"github.com/vaihde/vaihde/shared/tone"
	"math"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// phone is a fake party: one UDP socket on loopback that sends and records RTP.
type phone struct {
	t     *testing.T
	conn  *net.UDPConn
	codec sdpmedia.Codec
	ssrc  uint32
	seq   uint16
	ts    uint32

	mu   sync.Mutex
	got  []rtp.Packet
	from map[netip.AddrPort]int
	done chan struct{}
}

func newPhone(t *testing.T, c sdpmedia.Codec, ssrc uint32) *phone {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ph := &phone{t: t, conn: conn, codec: c, ssrc: ssrc, seq: uint16(ssrc), ts: ssrc * 7,
		from: make(map[netip.AddrPort]int), done: make(chan struct{})}
	go ph.read()
	t.Cleanup(func() {
		conn.Close()
		<-ph.done
	})
	return ph
}

func (ph *phone) addr() netip.AddrPort { return ph.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (ph *phone) media(dtmfPT uint8) sdpmedia.Media {
	return media(int(ph.addr().Port()), dtmfPT, ph.codec)
}

func (ph *phone) read() {
	defer close(ph.done)
	buf := make([]byte, 2048)
	for {
		n, src, err := ph.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			continue
		}
		ph.mu.Lock()
		ph.got = append(ph.got, p)
		ph.from[src]++
		ph.mu.Unlock()
	}
}

func (ph *phone) send(to netip.AddrPort, pt uint8, payload []byte, marker bool) {
	ph.t.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: ph.seq,
		Timestamp: ph.ts, SSRC: ph.ssrc, Marker: marker}, Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		ph.t.Fatal(err)
	}
	if _, err := ph.conn.WriteToUDPAddrPort(b, to); err != nil {
		ph.t.Fatal(err)
	}
	ph.seq++
}

// sendTone sends frames of a sine tone in the phone's codec, paced at 2 ms per frame.
func (ph *phone) sendTone(to netip.AddrPort, freq float64, frames int) {
	ph.t.Helper()
	pcm := make([]int16, codec.FrameSamples)
	var n int
	for f := 0; f < frames; f++ {
		for i := range pcm {
			pcm[i] = int16(12000 * math.Sin(2*math.Pi*freq*float64(n)/codec.SampleRate))
			n++
		}
		payload, err := codec.Encode(ph.codec.PT, pcm, nil)
		if err != nil {
			ph.t.Fatal(err)
		}
		ph.send(to, ph.codec.PT, payload, f == 0)
		ph.ts += codec.FrameSamples
		time.Sleep(2 * time.Millisecond)
	}
}

func (ph *phone) packets() []rtp.Packet {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return append([]rtp.Packet(nil), ph.got...)
}

// waitFor polls until the phone has at least n packets or the deadline passes.
func (ph *phone) waitFor(n int) []rtp.Packet {
	ph.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := ph.packets()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// decodeAll decodes the payloads of packets of the given PT, in order received.
func decodeAll(t *testing.T, pkts []rtp.Packet, pt uint8) []int16 {
	t.Helper()
	var pcm []int16
	for _, p := range pkts {
		if p.PayloadType != pt {
			continue
		}
		var err error
		if pcm, err = codec.Decode(pt, p.Payload, pcm); err != nil {
			t.Fatal(err)
		}
	}
	return pcm
}

type call struct {
	a, b     *Leg
	pa, pb   *phone
	relayLog *Pool
}

func newCall(t *testing.T, p *Pool, ca, cb sdpmedia.Codec, dtmfA, dtmfB uint8) call {
	t.Helper()
	c := call{a: newTestLeg(t, p), b: newTestLeg(t, p), pa: newPhone(t, ca, 0x1000a), pb: newPhone(t, cb, 0x2000b)}
	if err := c.a.SetRemote(c.pa.media(dtmfA), ca); err != nil {
		t.Fatal(err)
	}
	if err := c.b.SetRemote(c.pb.media(dtmfB), cb); err != nil {
		t.Fatal(err)
	}
	Bridge(c.a, c.b)
	return c
}

// TestIntegrationToneTranscoded sends a 1 kHz tone from a PCMU phone and a 440 Hz tone from a
// PCMA phone through the relay over real sockets and checks what each hears by content.
func TestIntegrationToneTranscoded(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	c := newCall(t, p, sdpmedia.PCMU, sdpmedia.PCMA, 101, 101)
	const frames = 50
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.pa.sendTone(c.a.LocalAddr(), 1000, frames) }()
	go func() { defer wg.Done(); c.pb.sendTone(c.b.LocalAddr(), 440, frames) }()
	wg.Wait()

	for _, dir := range []struct {
		name     string
		rx       *phone
		leg      *Leg
		pt       uint8
		freq     float64
		otherHz  float64
		sentFrom *phone
	}{
		{"PCMU caller heard by PCMA callee", c.pb, c.b, codec.PCMA, 1000, 440, c.pa},
		{"PCMA callee heard by PCMU caller", c.pa, c.a, codec.PCMU, 440, 1000, c.pb},
	} {
		got := dir.rx.waitFor(frames * 99 / 100)
		if len(got) < frames*99/100 {
			t.Fatalf("%s: received %d of %d packets", dir.name, len(got), frames)
		}
		pcm := decodeAll(t, got, dir.pt)
		if len(pcm) < codec.FrameSamples*frames*9/10 {
			t.Fatalf("%s: %d samples in PT %d, want ~%d", dir.name, len(pcm), dir.pt, codec.FrameSamples*frames)
		}
		on, off := tone.Share(pcm, dir.freq, codec.SampleRate), tone.Share(pcm, dir.otherHz, codec.SampleRate)
		t.Logf("%s: goertzel %.0f Hz = %.3f, %.0f Hz = %.5f", dir.name, dir.freq, on, dir.otherHz, off)
		if on < 0.5 || off > 0.01 {
			t.Errorf("%s: tone not recognised: on=%.3f off=%.5f", dir.name, on, off)
		}
		dir.rx.mu.Lock()
		from := dir.rx.from
		dir.rx.mu.Unlock()
		if len(from) != 1 || from[dir.leg.LocalAddr()] == 0 {
			t.Errorf("%s: packets came from %v, want only the leg's address %v (symmetric RTP)", dir.name, from, dir.leg.LocalAddr())
		}
		// The sender's leg latched onto its real source.
		var sender *Leg = c.a
		if dir.sentFrom == c.pb {
			sender = c.b
		}
		if got := sender.Stats().Latched; got != dir.sentFrom.addr() {
			t.Errorf("%s: latched %v, want %v", dir.name, got, dir.sentFrom.addr())
		}
	}
	if s := c.b.Stats(); s.PacketsOut < frames*99/100 || s.Lost != 0 {
		t.Errorf("callee leg stats %+v", s)
	}
}

// TestIntegrationLatchNAT: the party's SDP names an address it does not send from (NAT); media
// still reaches it at the observed source.
func TestIntegrationLatchNAT(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	a, b := newTestLeg(t, p), newTestLeg(t, p)
	pa, pb := newPhone(t, sdpmedia.PCMU, 1), newPhone(t, sdpmedia.PCMU, 2)
	// Phone B claims a private address that does not exist here.
	if err := b.SetRemote(media(9, 0, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	if err := a.SetRemote(pa.media(0), sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	Bridge(a, b)
	pb.sendTone(b.LocalAddr(), 800, 3) // B speaks first: the relay learns where B really is
	if got := pa.waitFor(3); len(got) < 3 {
		t.Fatalf("A received %d packets", len(got))
	}
	pa.sendTone(a.LocalAddr(), 800, 5)
	if got := pb.waitFor(5); len(got) < 5 {
		t.Fatalf("B behind NAT received %d of 5 packets", len(got))
	}
}

// TestIntegrationTransferContinuity: phone X hears A, then (after re-bridging) C, as one stream.
func TestIntegrationTransferContinuity(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	x, a, c := newTestLeg(t, p), newTestLeg(t, p), newTestLeg(t, p)
	px, pa, pc := newPhone(t, sdpmedia.PCMA, 10), newPhone(t, sdpmedia.PCMU, 20), newPhone(t, sdpmedia.PCMA, 30)
	for _, lp := range []struct {
		l  *Leg
		ph *phone
	}{{x, px}, {a, pa}, {c, pc}} {
		if err := lp.l.SetRemote(lp.ph.media(101), lp.ph.codec); err != nil {
			t.Fatal(err)
		}
	}
	Bridge(x, a)
	pa.sendTone(a.LocalAddr(), 500, 10)
	px.waitFor(10)
	x.Unbridge() // hold during the transfer: A's media is dropped
	pa.sendTone(a.LocalAddr(), 500, 3)
	Bridge(x, c)
	pc.sendTone(c.LocalAddr(), 500, 10)
	got := px.waitFor(20)
	if len(got) != 20 {
		t.Fatalf("X received %d packets, want 20 (10 from A, 10 from C, none during hold)", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].SSRC != got[0].SSRC {
			t.Fatalf("packet %d SSRC %x, want stable %x", i, got[i].SSRC, got[0].SSRC)
		}
		if got[i].SequenceNumber != got[i-1].SequenceNumber+1 {
			t.Fatalf("packet %d seq %d after %d", i, got[i].SequenceNumber, got[i-1].SequenceNumber)
		}
		if d := got[i].Timestamp - got[i-1].Timestamp; d < codec.FrameSamples || d > 10*codec.SampleRate {
			t.Fatalf("packet %d timestamp step %d", i, d)
		}
		if got[i].PayloadType != codec.PCMA {
			t.Fatalf("packet %d PT %d, want PCMA", i, got[i].PayloadType)
		}
	}
	if !got[10].Marker {
		t.Error("no marker bit on the first packet from the new source")
	}
	if a.Stats().Dropped != 3 {
		t.Errorf("A's leg dropped %d packets during hold, want 3", a.Stats().Dropped)
	}
}

// TestIntegrationDTMFMapped: RFC 4733 events reach the other side with its payload type, or not
// at all if it did not negotiate telephone-event.
func TestIntegrationDTMFMapped(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	c := newCall(t, p, sdpmedia.PCMU, sdpmedia.PCMA, 101, 96)
	ev := dtmf.Event{Code: 5, End: true, Volume: 10, Duration: 800}
	c.pa.send(c.a.LocalAddr(), 101, ev.Marshal(make([]byte, 4)), true)
	got := c.pb.waitFor(1)
	if len(got) != 1 || got[0].PayloadType != 96 {
		t.Fatalf("B got %+v, want one packet with PT 96", got)
	}
	if e, err := dtmf.Unmarshal(got[0].Payload); err != nil || e.Code != 5 || !e.End {
		t.Fatalf("event = %+v, %v", e, err)
	}
	// Back from B, whose leg now gets re-negotiated without telephone-event: dropped.
	if err := c.a.SetRemote(c.pa.media(0), sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	c.pb.send(c.b.LocalAddr(), 96, ev.Marshal(make([]byte, 4)), true)
	c.pb.sendTone(c.b.LocalAddr(), 440, 1)
	c.pa.waitFor(1)
	time.Sleep(50 * time.Millisecond) // anything else in flight arrives
	got = c.pa.packets()
	if len(got) != 1 || got[0].PayloadType != codec.PCMU {
		t.Fatalf("A got %d packets (first PT %v), want only the audio frame", len(got), got)
	}
}

// TestIntegrationGarbageAndRTCP: garbage on both sockets is ignored; each leg sends its party
// RTCP reports about the streams it relays and reads the party's reports.
func TestIntegrationGarbageAndRTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p, err := NewPool(Config{BindIP: netip.MustParseAddr("127.0.0.1"), RTCPInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := newCall(t, p, sdpmedia.PCMU, sdpmedia.PCMA, 0, 0)
	rtcpA, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.pa.addr().Addr(), c.pa.addr().Port()+1)))
	if err != nil {
		t.Skipf("phone A's RTCP port is taken: %v", err)
	}
	defer rtcpA.Close()
	rtcpB, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.pb.addr().Addr(), c.pb.addr().Port()+1)))
	if err != nil {
		t.Skipf("phone B's RTCP port is taken: %v", err)
	}
	defer rtcpB.Close()

	rtcpLocal := func(l *Leg) netip.AddrPort {
		return netip.AddrPortFrom(l.LocalAddr().Addr(), l.LocalAddr().Port()+1)
	}
	for _, g := range [][]byte{{}, {0xff}, []byte("hello world, not rtp at all"), make([]byte, 1400)} {
		c.pa.conn.WriteToUDPAddrPort(g, c.a.LocalAddr())
		rtcpA.WriteToUDPAddrPort(g, rtcpLocal(c.a))
	}
	// Media both ways, so both legs have something to report.
	c.pa.sendTone(c.a.LocalAddr(), 1000, 20)
	c.pb.sendTone(c.b.LocalAddr(), 1000, 20)
	gotB := c.pb.waitFor(20)
	if len(gotB) != 20 {
		t.Fatalf("B received %d packets after garbage", len(gotB))
	}

	// B gets a sender report for the stream it hears, with a block about its own stream.
	rtcpB.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	var sr *rtcp.SenderReport
	for sr == nil {
		n, from, err := rtcpB.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no RTCP from the relay: %v", err)
		}
		if from != rtcpLocal(c.b) {
			t.Fatalf("RTCP came from %v, want %v", from, rtcpLocal(c.b))
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			t.Fatalf("relay RTCP unparsable: %v", err)
		}
		// Wait for a report that covers all of both streams.
		if s, ok := pkts[0].(*rtcp.SenderReport); ok && s.PacketCount >= 20 && len(s.Reports) == 1 &&
			s.Reports[0].LastSequenceNumber&0xffff == uint32(c.pb.seq-1) {
			sr = s
		}
	}
	if sr.SSRC != gotB[0].SSRC {
		t.Errorf("SR SSRC %x, want the RTP stream's %x", sr.SSRC, gotB[0].SSRC)
	}
	if sr.OctetCount != 20*160 {
		t.Errorf("SR octets %d, want %d", sr.OctetCount, 20*160)
	}
	if rb := sr.Reports[0]; rb.SSRC != c.pb.ssrc || rb.TotalLost != 0 || rb.LastSequenceNumber&0xffff != uint32(c.pb.seq-1) {
		t.Errorf("report block %+v, want B's SSRC %x, no loss, last seq %d", rb, c.pb.ssrc, c.pb.seq-1)
	}

	// A reports 25 % loss of what leg a sends it, answering a's last SR: a reads it.
	var lsr uint32
	rtcpA.SetReadDeadline(time.Now().Add(10 * time.Second))
	for lsr == 0 {
		n, _, err := rtcpA.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no RTCP from the relay to A: %v", err)
		}
		if pkts, err := rtcp.Unmarshal(buf[:n]); err == nil {
			if s, ok := pkts[0].(*rtcp.SenderReport); ok {
				lsr = uint32(s.NTPTime >> 16)
			}
		}
	}
	ssrcToA := c.pa.packets()[0].SSRC
	rr, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: c.pa.ssrc, Reports: []rtcp.ReceptionReport{{
		SSRC: ssrcToA, FractionLost: 64, TotalLost: 5, Jitter: 80, LastSenderReport: lsr, Delay: 0,
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rtcpA.WriteToUDPAddrPort(rr, rtcpLocal(c.a)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !c.a.Stats().PeerReported && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s := c.a.Stats()
	if !s.PeerReported || s.PeerFractionLost != 0.25 || s.PeerTotalLost != 5 || s.PeerJitter != 10*time.Millisecond {
		t.Errorf("leg a's view of A's report: %+v", s)
	}
	if s.RTT <= 0 || s.RTT > 5*time.Second {
		t.Errorf("RTT %v, want a positive round trip", s.RTT)
	}
	if s.Invalid < 7 || s.RTCPIn != 1 {
		t.Errorf("stats after garbage: %+v", s)
	}
	// Closing the leg says goodbye.
	c.b.Close()
	rtcpB.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, _, err := rtcpB.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no RTCP BYE on close: %v", err)
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err == nil && len(pkts) == 3 {
			if bye, ok := pkts[2].(*rtcp.Goodbye); ok && len(bye.Sources) == 1 && bye.Sources[0] == sr.SSRC {
				break
			}
		}
	}
}

// TestIntegrationHoldResumeContinuity: after Unbridge (hold) and Bridge back to the same partner,
// the party's stream continues with the next sequence number and a timestamp that covers the
// pause.
func TestIntegrationHoldResumeContinuity(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	c := newCall(t, p, sdpmedia.PCMU, sdpmedia.PCMU, 0, 0)
	c.pa.sendTone(c.a.LocalAddr(), 500, 5)
	c.pb.waitFor(5)
	c.a.Unbridge()
	c.pa.sendTone(c.a.LocalAddr(), 500, 50) // ~100 ms of dropped media
	Bridge(c.a, c.b)
	c.pa.sendTone(c.a.LocalAddr(), 500, 5)
	got := c.pb.waitFor(10)
	if len(got) != 10 {
		t.Fatalf("B received %d packets, want 10", len(got))
	}
	if got[5].SequenceNumber != got[4].SequenceNumber+1 || got[5].SSRC != got[4].SSRC {
		t.Errorf("after resume: seq %d after %d, SSRC %x after %x", got[5].SequenceNumber, got[4].SequenceNumber, got[5].SSRC, got[4].SSRC)
	}
	if d := got[5].Timestamp - got[4].Timestamp; d < 5*codec.FrameSamples {
		t.Errorf("timestamp step over the pause = %d, want at least the ~100 ms that passed", d)
	}
}

// TestIntegrationRebridgeUnderTraffic re-bridges, unbridges, re-negotiates and closes legs while
// phones keep sending; run with -race it checks the hot path's synchronisation.
func TestIntegrationRebridgeUnderTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	legs := make([]*Leg, 4)
	phones := make([]*phone, 4)
	for i := range legs {
		legs[i] = newTestLeg(t, p)
		cd := sdpmedia.PCMU
		if i%2 == 1 {
			cd = sdpmedia.PCMA
		}
		phones[i] = newPhone(t, cd, uint32(100+i))
		if err := legs[i].SetRemote(phones[i].media(101), cd); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				phones[i].sendTone(legs[i].LocalAddr(), 700, 1)
			}
		}()
	}
	for round := 0; round < 200; round++ {
		a, b := legs[round%4], legs[(round+1+round/4)%4]
		switch round % 5 {
		case 0, 1, 2:
			Bridge(a, b)
		case 3:
			a.Unbridge()
		case 4:
			if err := a.SetRemote(phones[round%4].media(0), phones[round%4].codec); err != nil {
				t.Fatal(err)
			}
		}
		_ = a.Stats()
		time.Sleep(time.Millisecond)
	}
	legs[3].Close() // mid-traffic
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	var out uint64
	for _, l := range legs {
		out += l.Stats().PacketsOut
	}
	if out == 0 {
		t.Fatal("nothing was relayed")
	}
	if p.Active() != 3 {
		t.Fatalf("Active = %d, want 3", p.Active())
	}
}
