package relay

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// bleedPayload marks the attacker's packets; the phones send other bytes.
var bleedPayload = bytes.Repeat([]byte{0xAA}, 160)

// listenLoopback binds a UDP socket on a loopback address (127.0.0.0/8 is all loopback on
// Linux; another address stands for another host).
func listenLoopback(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), 0)))
	if err != nil {
		t.Fatalf("bind %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// spray sends n RTP packets with the attacker's payload from conn to every address.
func spray(t *testing.T, conn *net.UDPConn, n int, to ...netip.AddrPort) {
	t.Helper()
	for i := range n {
		pkt := packet(t, 0, uint16(1000+i), uint32(160*i), 0xbad, bleedPayload)
		for _, a := range to {
			if _, err := conn.WriteToUDPAddrPort(pkt, a); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// sendMarked sends n packets with payload byte b from the phone and waits until the receiving
// phone has want packets in all. Packets on one path arrive in order, so anything sent to the
// relay before them has been handled by then.
func sendMarked(t *testing.T, from, to *phone, via netip.AddrPort, b byte, n, want int) {
	t.Helper()
	for range n {
		from.send(via, 0, bytes.Repeat([]byte{b}, 160), false)
		from.ts += 160
	}
	if got := to.waitFor(want); len(got) < want {
		t.Fatalf("%d of %d packets of the real party arrived", len(got), want)
	}
}

// checkNoBleed fails if the phone received any attacker packet, or anything but payload b.
func checkNoBleed(t *testing.T, ph *phone, b byte, want int) {
	t.Helper()
	got := ph.packets()
	for i, p := range got {
		if bytes.Equal(p.Payload, bleedPayload) {
			t.Fatalf("packet %d: the attacker's RTP reached the other party", i)
		}
		if len(p.Payload) == 0 || p.Payload[0] != b {
			t.Fatalf("packet %d: payload %x, want the real party's %02x", i, p.Payload[:1], b)
		}
	}
	if len(got) != want {
		t.Fatalf("received %d packets, want %d", len(got), want)
	}
}

// TestIntegrationRTPBleed: an RTP stream from a third address never reaches the other party,
// before the real party speaks, while it speaks, after it fell silent and after the learning
// window; the real party's audio does. Real sockets on loopback, the relay's clock injected.
func TestIntegrationRTPBleed(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	clk := newFakeClock()
	p, err := NewPool(Config{BindIP: netip.MustParseAddr("127.0.0.1"), Now: clk.Now, RTCPInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := newCall(t, p, sdpmedia.PCMU, sdpmedia.PCMU, 0, 0)
	other := listenLoopback(t, "127.0.0.3")    // another host
	sameHost := listenLoopback(t, "127.0.0.1") // another port of the phones' host

	// 1. The attacker is first, before anyone speaks, within the learning window.
	spray(t, other, 20, c.a.LocalAddr(), c.b.LocalAddr())
	sendMarked(t, c.pa, c.pb, c.a.LocalAddr(), 0x11, 10, 10)
	sendMarked(t, c.pb, c.pa, c.b.LocalAddr(), 0x22, 10, 10)
	// 2. While the parties talk.
	spray(t, other, 20, c.a.LocalAddr(), c.b.LocalAddr())
	spray(t, sameHost, 20, c.a.LocalAddr(), c.b.LocalAddr())
	sendMarked(t, c.pa, c.pb, c.a.LocalAddr(), 0x11, 10, 20)
	// 3. The parties fall silent (hold without RTP, mute) for long: the stream is not taken over.
	clk.Add(time.Minute)
	spray(t, other, 20, c.a.LocalAddr(), c.b.LocalAddr())
	spray(t, sameHost, 20, c.a.LocalAddr(), c.b.LocalAddr())
	sendMarked(t, c.pa, c.pb, c.a.LocalAddr(), 0x11, 10, 30)
	sendMarked(t, c.pb, c.pa, c.b.LocalAddr(), 0x22, 10, 20)
	checkNoBleed(t, c.pb, 0x11, 30)
	checkNoBleed(t, c.pa, 0x22, 20)
	if got := c.a.Stats().Latched; got != c.pa.addr() {
		t.Errorf("leg a latched %v, want phone A at %v", got, c.pa.addr())
	}
	if st := c.a.Stats(); st.Dropped < 80 || st.PacketsIn != 30 {
		t.Errorf("leg a: %d dropped, %d taken; want ≥80 dropped (the attacker's) and 30 taken", st.Dropped, st.PacketsIn)
	}

	// RTCP likewise: the attacker's report about our stream is not read, the party's is.
	ssrcToB := c.pb.packets()[0].SSRC
	rr := func(frac uint8) []byte {
		b, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: c.pb.ssrc,
			Reports: []rtcp.ReceptionReport{{SSRC: ssrcToB, FractionLost: frac}}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rtcpB := netip.AddrPortFrom(c.b.LocalAddr().Addr(), c.b.LocalAddr().Port()+1)
	if _, err := other.WriteToUDPAddrPort(rr(255), rtcpB); err != nil {
		t.Fatal(err)
	}
	rtcpPhoneB, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.pb.addr().Addr(), c.pb.addr().Port()+1)))
	if err != nil {
		t.Skipf("phone B's RTCP port is taken: %v", err)
	}
	defer rtcpPhoneB.Close()
	if _, err := rtcpPhoneB.WriteToUDPAddrPort(rr(64), rtcpB); err != nil {
		t.Fatal(err)
	}
	if _, err := other.WriteToUDPAddrPort(rr(255), rtcpB); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.b.Stats().RTCPIn < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the attacker's last report was sent after the party's
	if st := c.b.Stats(); st.RTCPIn != 1 || !st.PeerReported || st.PeerFractionLost != 0.25 {
		t.Errorf("leg b RTCP: %d taken, reported %v, fraction lost %v; want only the party's report (0.25)",
			st.RTCPIn, st.PeerReported, st.PeerFractionLost)
	}
}

// TestIntegrationRTPBleedNAT: a party behind NAT (its SDP names a private address) is latched
// on its first packet; afterwards a third address never reaches the other party, not even
// once the party has been silent past the learning window.
func TestIntegrationRTPBleedNAT(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	clk := newFakeClock()
	p, err := NewPool(Config{BindIP: netip.MustParseAddr("127.0.0.1"), Now: clk.Now, RTCPInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a, b := newTestLeg(t, p), newTestLeg(t, p)
	pa, pb := newPhone(t, sdpmedia.PCMU, 1), newPhone(t, sdpmedia.PCMU, 2)
	if err := a.SetRemote(pa.media(0), sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	// B's SDP gives its LAN address behind the NAT. B speaks first (it answered), so the relay
	// never sends to that address.
	private := pb.media(0)
	private.Addr = netip.MustParseAddr("192.168.77.7")
	if err := b.SetRemote(private, sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	clk.Add(10 * time.Second) // the call rang: the window opens again when it is answered
	Bridge(a, b)
	other := listenLoopback(t, "127.0.0.3")

	sendMarked(t, pb, pa, b.LocalAddr(), 0x22, 5, 5)
	if got := b.Stats().Latched; got != pb.addr() {
		t.Fatalf("leg b latched %v, want B's NAT address %v", got, pb.addr())
	}
	spray(t, other, 20, b.LocalAddr())
	sendMarked(t, pb, pa, b.LocalAddr(), 0x22, 5, 10)
	clk.Add(time.Minute)
	spray(t, other, 20, b.LocalAddr())
	sendMarked(t, pb, pa, b.LocalAddr(), 0x22, 5, 15)
	checkNoBleed(t, pa, 0x22, 15)
	// And B hears A at its latched address.
	sendMarked(t, pa, pb, a.LocalAddr(), 0x11, 5, 5)
	checkNoBleed(t, pb, 0x11, 5)
}
