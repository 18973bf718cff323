package relay

import (
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// BenchmarkRelayRewrite is the per-packet CPU cost without system calls: header parse, latching,
// loss counting, PCMU→PCMA transcoding of 160 bytes and the stream rewrite.
func BenchmarkRelayRewrite(b *testing.B) {
	p := newTestPool(b)
	in, out := newTestLeg(b, p), newTestLeg(b, p)
	if err := in.SetRemote(media(40000, 101, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
		b.Fatal(err)
	}
	if err := out.SetRemote(media(40002, 101, sdpmedia.PCMA), sdpmedia.PCMA); err != nil {
		b.Fatal(err)
	}
	pkt := packet(b, 0, 1, 160, 5, make([]byte, 160))
	buf := make([]byte, len(pkt))
	src := netip.MustParseAddrPort("127.0.0.1:40000")
	now := time.Now().UnixNano()
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for i := 0; b.Loop(); i++ {
		copy(buf, pkt)
		buf[2], buf[3] = byte(i>>8), byte(i)
		buf[1] = 0 // PCMU
		hlen, _ := in.hdr.Unmarshal(buf)
		in.learnSource(src, now)
		in.rx.update(in.hdr.SSRC, in.hdr.SequenceNumber, in.hdr.Timestamp, now)
		if !in.rewrite(out, buf, hlen, len(buf), now) {
			b.Fatal("dropped")
		}
	}
}

// BenchmarkRelayHandle adds the sendto system call of a relayed packet.
func BenchmarkRelayHandle(b *testing.B) {
	p := newTestPool(b)
	in, out := newTestLeg(b, p), newTestLeg(b, p)
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := sink.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	if err := in.SetRemote(media(40000, 101, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
		b.Fatal(err)
	}
	if err := out.SetRemote(media(int(sink.LocalAddr().(*net.UDPAddr).Port), 101, sdpmedia.PCMA), sdpmedia.PCMA); err != nil {
		b.Fatal(err)
	}
	Bridge(in, out)
	pkt := packet(b, 0, 1, 160, 5, make([]byte, 160))
	buf := make([]byte, len(pkt))
	src := netip.MustParseAddrPort("127.0.0.1:40000")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		copy(buf, pkt)
		buf[2], buf[3] = byte(i>>8), byte(i)
		in.handleRTP(buf, src, time.Now().UnixNano())
	}
	if out.Stats().PacketsOut == 0 {
		b.Fatal("nothing sent")
	}
}

// BenchmarkRelayUDP is the full path over loopback: a phone's sendto, the leg's read, rewrite and
// sendto, and the other phone's read. ns/op is per relayed packet, including the phones' cost.
func BenchmarkRelayUDP(b *testing.B) {
	p := newTestPool(b)
	in, out := newTestLeg(b, p), newTestLeg(b, p)
	tx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	_ = rx.SetReadBuffer(4 << 20)
	if err := in.SetRemote(media(int(tx.LocalAddr().(*net.UDPAddr).Port), 0, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
		b.Fatal(err)
	}
	if err := out.SetRemote(media(int(rx.LocalAddr().(*net.UDPAddr).Port), 0, sdpmedia.PCMA), sdpmedia.PCMA); err != nil {
		b.Fatal(err)
	}
	Bridge(in, out)
	pkt := packet(b, 0, 1, 160, 5, make([]byte, 160))
	var received atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := rx.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
			received.Add(1)
		}
	}()
	b.ReportAllocs()
	sent := 0
	for i := 0; b.Loop(); i++ {
		pkt[2], pkt[3] = byte(i>>8), byte(i)
		if _, err := tx.WriteToUDPAddrPort(pkt, in.LocalAddr()); err != nil {
			b.Fatal(err)
		}
		sent++
		// Pace a little so the benchmark measures relaying rather than socket-buffer overflow.
		if i%32 == 31 {
			for in.packetsIn.Load()+32 < uint64(sent) || received.Load()+64 < int64(sent) {
				time.Sleep(10 * time.Microsecond)
			}
		}
	}
	b.StopTimer()
	// Wait until nothing more arrives.
	for last := int64(-1); received.Load() != last; time.Sleep(100 * time.Millisecond) {
		last = received.Load()
	}
	b.ReportMetric(100*float64(int64(sent)-received.Load())/float64(sent), "%loss")
}
