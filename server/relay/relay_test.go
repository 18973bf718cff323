package relay

import (
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// newTestPool returns a pool on ephemeral loopback ports, closed when the test ends.
func newTestPool(t testing.TB) *Pool {
	t.Helper()
	p, err := NewPool(Config{BindIP: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func newTestLeg(t testing.TB, p *Pool) *Leg {
	t.Helper()
	l, err := p.NewLeg()
	if err != nil {
		t.Fatalf("NewLeg: %v", err)
	}
	return l
}

// media is an SDP description of a party at 127.0.0.1:port.
func media(port int, dtmfPT uint8, codecs ...sdpmedia.Codec) sdpmedia.Media {
	return sdpmedia.Media{
		Addr: netip.MustParseAddr("127.0.0.1"), Port: port, Codecs: codecs,
		DTMFPT: dtmfPT, Direction: sdpmedia.SendRecv,
	}
}

func packet(t testing.TB, pt uint8, seq uint16, ts, ssrc uint32, payload []byte) []byte {
	t.Helper()
	p := rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc},
		Payload: payload,
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatalf("marshal rtp: %v", err)
	}
	return b
}

func parse(t testing.TB, b []byte) rtp.Packet {
	t.Helper()
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		t.Fatalf("unmarshal rtp: %v", err)
	}
	return p
}

func TestRewriteCodecAndDTMF(t *testing.T) {
	pcmuOdd := sdpmedia.Codec{PT: 0, Name: "pcmu", Rate: 8000}
	tests := []struct {
		name           string
		inCodec        sdpmedia.Codec
		inDTMF         uint8
		outCodec       sdpmedia.Codec
		outDTMF        uint8
		outUnset       bool
		pt             uint8
		payload        []byte
		wantOK         bool
		wantPT         uint8
		wantTranscoded func(in []byte) []byte
	}{
		{name: "PCMU to PCMA transcodes", inCodec: sdpmedia.PCMU, outCodec: sdpmedia.PCMA, pt: 0,
			payload: []byte{0xff, 0x80, 0x00, 0x7f, 0x12}, wantOK: true, wantPT: 8, wantTranscoded: transcoded(codec.PCMU, codec.PCMA)},
		{name: "PCMA to PCMU transcodes", inCodec: sdpmedia.PCMA, outCodec: sdpmedia.PCMU, pt: 8,
			payload: []byte{0xd5, 0x55, 0x2a, 0xaa, 0x01}, wantOK: true, wantPT: 0, wantTranscoded: transcoded(codec.PCMA, codec.PCMU)},
		{name: "same codec untouched", inCodec: sdpmedia.PCMU, outCodec: pcmuOdd, pt: 0,
			payload: []byte{1, 2, 3}, wantOK: true, wantPT: 0, wantTranscoded: same},
		{name: "receiver without SDP keeps payload", inCodec: sdpmedia.PCMA, outUnset: true, pt: 8,
			payload: []byte{1, 2, 3}, wantOK: true, wantPT: 8, wantTranscoded: same},
		{name: "DTMF PT mapped", inCodec: sdpmedia.PCMU, inDTMF: 101, outCodec: sdpmedia.PCMA, outDTMF: 96, pt: 101,
			payload: []byte{5, 0x8a, 0, 160}, wantOK: true, wantPT: 96, wantTranscoded: same},
		{name: "DTMF same PT", inCodec: sdpmedia.PCMU, inDTMF: 101, outCodec: sdpmedia.PCMU, outDTMF: 101, pt: 101,
			payload: []byte{5, 0x8a, 0, 160}, wantOK: true, wantPT: 101, wantTranscoded: same},
		{name: "DTMF dropped when receiver has none", inCodec: sdpmedia.PCMU, inDTMF: 101, outCodec: sdpmedia.PCMA, pt: 101,
			payload: []byte{5, 0x8a, 0, 160}, wantOK: false},
		{name: "unknown dynamic PT dropped", inCodec: sdpmedia.PCMU, inDTMF: 101, outCodec: sdpmedia.PCMU, outDTMF: 101, pt: 97,
			payload: []byte{1, 2}, wantOK: false},
		{name: "comfort noise passed", inCodec: sdpmedia.PCMU, outCodec: sdpmedia.PCMA, pt: 13,
			payload: []byte{40}, wantOK: true, wantPT: 13, wantTranscoded: same},
	}
	p := newTestPool(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newTestLeg(t, p), newTestLeg(t, p)
			defer a.Close()
			defer b.Close()
			if err := a.SetRemote(media(40000, tc.inDTMF, tc.inCodec), tc.inCodec); err != nil {
				t.Fatal(err)
			}
			if !tc.outUnset {
				if err := b.SetRemote(media(40002, tc.outDTMF, tc.outCodec), tc.outCodec); err != nil {
					t.Fatal(err)
				}
			}
			pkt := packet(t, tc.pt, 100, 1000, 0xabc, tc.payload)
			ok := a.rewrite(b, pkt, 12, len(pkt), time.Now().UnixNano())
			if ok != tc.wantOK {
				t.Fatalf("rewrite ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			got := parse(t, pkt)
			if got.PayloadType != tc.wantPT {
				t.Errorf("PT = %d, want %d", got.PayloadType, tc.wantPT)
			}
			if want := tc.wantTranscoded(tc.payload); string(got.Payload) != string(want) {
				t.Errorf("payload = %x, want %x", got.Payload, want)
			}
			if got.SSRC != b.out.ssrc {
				t.Errorf("SSRC = %x, want the receiving leg's %x", got.SSRC, b.out.ssrc)
			}
		})
	}
}

func transcoded(from, to uint8) func([]byte) []byte {
	return func(in []byte) []byte {
		out := append([]byte(nil), in...)
		if err := codec.Transcode(from, to, out); err != nil {
			panic(err)
		}
		return out
	}
}

func same(in []byte) []byte { return in }

func TestSetRemoteRejectsUnsupportedCodec(t *testing.T) {
	p := newTestPool(t)
	l := newTestLeg(t, p)
	err := l.SetRemote(media(40000, 0), sdpmedia.Codec{PT: 9, Name: "G722", Rate: 8000})
	if !errors.Is(err, ErrCodec) {
		t.Fatalf("SetRemote(G722) = %v, want ErrCodec", err)
	}
}

// TestRewriteContinuityAcrossRebridge checks that a party keeps seeing one SSRC with
// consecutive sequence numbers and forward-moving timestamps when its partner changes.
func TestRewriteContinuityAcrossRebridge(t *testing.T) {
	p := newTestPool(t)
	x, a, c := newTestLeg(t, p), newTestLeg(t, p), newTestLeg(t, p)
	for _, l := range []*Leg{x, a, c} {
		if err := l.SetRemote(media(40000, 101, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UnixNano()
	var (
		lastSeq  uint16
		lastTS   uint32
		ssrc     uint32
		received int
	)
	check := func(from *Leg, seq uint16, ts, srcSSRC uint32, wantMarker bool) {
		t.Helper()
		pkt := packet(t, 0, seq, ts, srcSSRC, make([]byte, 160))
		now += 20e6
		if !from.rewrite(x, pkt, 12, len(pkt), now) {
			t.Fatalf("rewrite dropped packet seq %d", seq)
		}
		got := parse(t, pkt)
		if received > 0 {
			if got.SSRC != ssrc {
				t.Errorf("SSRC changed from %x to %x", ssrc, got.SSRC)
			}
			if got.SequenceNumber != lastSeq+1 {
				t.Errorf("seq = %d after %d, want consecutive", got.SequenceNumber, lastSeq)
			}
			if d := got.Timestamp - lastTS; d == 0 || d > 8000 {
				t.Errorf("timestamp step = %d, want forward by about a frame", d)
			}
		}
		if got.Marker != wantMarker {
			t.Errorf("marker = %v, want %v", got.Marker, wantMarker)
		}
		ssrc, lastSeq, lastTS = got.SSRC, got.SequenceNumber, got.Timestamp
		received++
	}
	Bridge(x, a)
	check(a, 65534, 4294967000, 0x1111, true)
	check(a, 65535, 4294967160, 0x1111, false)
	check(a, 0, 24, 0x1111, false) // wraps
	// Transfer: x now talks to c, whose phone uses wholly different numbers.
	Bridge(x, c)
	if a.partner.Load() != nil {
		t.Errorf("old partner still bridged after re-bridge")
	}
	check(c, 31000, 123456, 0x2222, true)
	check(c, 31001, 123616, 0x2222, false)
	// The same leg restarting its stream (new SSRC) is also smoothed over.
	check(c, 5, 99, 0x3333, true)
	check(c, 6, 259, 0x3333, false)
}

func TestBridgeAndUnbridge(t *testing.T) {
	p := newTestPool(t)
	a, b, c := newTestLeg(t, p), newTestLeg(t, p), newTestLeg(t, p)
	Bridge(a, b)
	if a.partner.Load() != b || b.partner.Load() != a {
		t.Fatal("Bridge did not link both ways")
	}
	Bridge(b, c)
	if a.partner.Load() != nil || b.partner.Load() != c || c.partner.Load() != b {
		t.Fatal("re-bridge did not replace the old partner")
	}
	c.Unbridge()
	if b.partner.Load() != nil || c.partner.Load() != nil {
		t.Fatal("Unbridge left a direction forwarding")
	}
	Bridge(nil, a) // must not panic
	c.Close()
	Bridge(a, c)
	if a.partner.Load() != nil {
		t.Fatal("bridged to a closed leg")
	}
}

func TestHandleGarbage(t *testing.T) {
	p := newTestPool(t)
	a, b := newTestLeg(t, p), newTestLeg(t, p)
	Bridge(a, b)
	src := netip.MustParseAddrPort("127.0.0.1:40000")
	tests := []struct {
		name string
		pkt  []byte
	}{
		{"empty", nil},
		{"short", []byte{0x80, 0, 0, 1}},
		{"version 1", append([]byte{0x40, 0}, make([]byte, 20)...)},
		{"version 0 (STUN-like)", append([]byte{0x00, 0x01}, make([]byte, 30)...)},
		{"CSRC count beyond end", append([]byte{0x8f, 0}, make([]byte, 14)...)},
		{"extension beyond end", append([]byte{0x90, 0}, make([]byte, 12)...)},
		{"padding beyond end", append([]byte{0xa0, 0}, append(make([]byte, 10), 200)...)},
		{"padding zero", append([]byte{0xa0, 0}, append(make([]byte, 12), 0)...)},
		{"RTCP on the RTP port", append([]byte{0x80, 200}, make([]byte, 26)...)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a.handleRTP(tc.pkt, src, time.Now().UnixNano())
			if got := a.Stats().Invalid; got != uint64(i+1) {
				t.Fatalf("Invalid = %d, want %d", got, i+1)
			}
			if a.Stats().PacketsIn != 0 || func() bool { _, ok := a.latch.Load(); return ok }() {
				t.Fatal("garbage counted as RTP or latched")
			}
		})
	}
}

func FuzzHandleRTP(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff})
	f.Add([]byte{0xbf, 0x65, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4})
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0})
	p := newTestPool(f)
	a, b := newTestLeg(f, p), newTestLeg(f, p)
	if err := a.SetRemote(media(9, 101, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
		f.Fatal(err)
	}
	if err := b.SetRemote(media(9, 0, sdpmedia.PCMA), sdpmedia.PCMA); err != nil {
		f.Fatal(err)
	}
	Bridge(a, b)
	_ = a.WatchKeys() // key presses are parsed and reported too (dropped once the buffer is full)
	src := netip.MustParseAddrPort("127.0.0.1:9")
	f.Fuzz(func(t *testing.T, pkt []byte) {
		a.handleRTP(pkt, src, time.Now().UnixNano())
	})
}

// fakeClock is an injected clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestLatching(t *testing.T) {
	clk := newFakeClock()
	p, err := NewPool(Config{BindIP: netip.MustParseAddr("127.0.0.1"), LatchWindow: time.Second, Now: clk.Now, RTCPInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a := newTestLeg(t, p)
	if err := a.SetRemote(media(40000, 0, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	sdpAddr := netip.MustParseAddrPort("127.0.0.1:40000")
	if d, _ := a.dest(); d != sdpAddr {
		t.Fatalf("dest before any packet = %v, want SDP address %v", d, sdpAddr)
	}
	nat1 := netip.MustParseAddrPort("127.0.0.1:6000") // the party's NAT: same IP, another port
	nat2 := netip.MustParseAddrPort("127.0.0.1:7000")
	stranger := netip.MustParseAddrPort("127.0.0.6:7000")
	send := func(src netip.AddrPort, at time.Duration) {
		now := clk.Now().Add(at).UnixNano()
		a.handleRTP(packet(t, 0, uint16(now/20e6), 0, 1, make([]byte, 160)), src, now)
	}
	steps := []struct {
		name  string
		src   netip.AddrPort
		at    time.Duration
		do    func()
		taken bool
		want  netip.AddrPort
	}{
		{name: "a stranger is never latched", src: stranger, at: 0, want: sdpAddr},
		{name: "first packet from the NAT latches", src: nat1, at: 100 * time.Millisecond, taken: true, want: nat1},
		{name: "other port ignored", src: nat2, at: 500 * time.Millisecond, want: nat1},
		{name: "latched keeps talking", src: nat1, at: 900 * time.Millisecond, taken: true, want: nat1},
		{name: "no relatch after silence", src: nat2, at: 5 * time.Second, want: nat1},
		{name: "re-INVITE with the same address keeps the latch", src: nat2, at: 0, want: nat1, do: func() {
			clk.Add(10 * time.Second)
			if err := a.SetRemote(media(40000, 0, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "re-INVITE moving the party lets it latch again", src: nat2, at: 10 * time.Millisecond, taken: true, want: nat2, do: func() {
			if err := a.SetRemote(media(40010, 0, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
				t.Fatal(err)
			}
		}},
	}
	taken := 0
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		before := a.Stats().PacketsIn
		send(s.src, s.at)
		if got := a.Stats().PacketsIn - before; (got == 1) != s.taken {
			t.Errorf("%s: packet taken = %v, want %v", s.name, got == 1, s.taken)
		}
		if s.taken {
			taken++
		}
		if got, _ := a.latch.Load(); s.want != sdpAddr && got != s.want {
			t.Errorf("%s: latched %v, want %v", s.name, got, s.want)
		}
		if d, _ := a.dest(); d != s.want {
			t.Errorf("%s: dest %v, want %v", s.name, d, s.want)
		}
	}
	if st := a.Stats(); st.PacketsIn != uint64(taken) {
		t.Errorf("PacketsIn = %d, want %d", st.PacketsIn, taken)
	}
}

func TestLossCounting(t *testing.T) {
	p := newTestPool(t)
	a := newTestLeg(t, p)
	src := netip.MustParseAddrPort("127.0.0.1:40000")
	now := time.Now().UnixNano()
	for _, seq := range []uint16{65530, 65531, 65533, 65534 /* late: */, 65532, 2, 3 /* dup: */, 3} {
		a.handleRTP(packet(t, 0, seq, 0, 7, []byte{1}), src, now)
	}
	// Missing: 65532 (arrives late, still counted once), 65535, 0, 1.
	if got := a.Stats().Lost; got != 4 {
		t.Fatalf("Lost = %d, want 4", got)
	}
	if got := a.Stats().PacketsIn; got != 8 {
		t.Fatalf("PacketsIn = %d, want 8", got)
	}
	// A new SSRC starts a new sequence without loss.
	a.handleRTP(packet(t, 0, 9000, 0, 8, []byte{1}), src, now)
	if got := a.Stats().Lost; got != 4 {
		t.Fatalf("Lost after new SSRC = %d, want 4", got)
	}
}

func TestPoolPortRange(t *testing.T) {
	// A private range far from the usual RTP ranges; skip if some other process holds it.
	base := 47000 + (time.Now().Nanosecond()/1000%400)*2
	p, err := NewPool(Config{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var legs []*Leg
	for {
		l, err := p.NewLeg()
		if errors.Is(err, ErrNoPorts) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if port := int(l.LocalAddr().Port()); port%2 != 0 || port < base || port+1 > base+5 {
			t.Fatalf("port %d outside even range %d-%d", port, base, base+5)
		}
		legs = append(legs, l)
		if len(legs) > 3 {
			t.Fatal("allocated more pairs than the range holds")
		}
	}
	if len(legs) == 0 {
		t.Skip("port range busy on this machine")
	}
	if p.Active() != len(legs) {
		t.Fatalf("Active = %d, want %d", p.Active(), len(legs))
	}
	legs[0].Close()
	if p.Active() != len(legs)-1 {
		t.Fatalf("Active after Close = %d, want %d", p.Active(), len(legs)-1)
	}
	l, err := p.NewLeg()
	if err != nil {
		t.Fatalf("NewLeg after release: %v", err)
	}
	// The released pair is the only one this pool can hand out again (another process could
	// take it meanwhile, but not within this instant on a test machine).
	if port := int(l.LocalAddr().Port()); port < base || port+1 > base+5 {
		t.Fatalf("port %d outside the range after release", port)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if p.Active() != 0 {
		t.Fatalf("Active after pool Close = %d", p.Active())
	}
	if _, err := p.NewLeg(); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewLeg after Close = %v, want ErrClosed", err)
	}
}

func TestNewPoolRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 10000, PortMax: 10000},
		{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 10000, PortMax: 70000},
	} {
		if _, err := NewPool(cfg); err == nil {
			t.Errorf("NewPool(%+v) succeeded", cfg)
		}
	}
}

func TestRelayAllocations(t *testing.T) {
	p := newTestPool(t)
	a, b := newTestLeg(t, p), newTestLeg(t, p)
	if err := a.SetRemote(media(40000, 101, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	// The receiving party is nowhere: the write goes to a closed port on loopback, still a real send.
	if err := b.SetRemote(media(9, 101, sdpmedia.PCMA), sdpmedia.PCMA); err != nil {
		t.Fatal(err)
	}
	Bridge(a, b)
	src := netip.MustParseAddrPort("127.0.0.1:40000")
	pkt := packet(t, 0, 1, 160, 5, make([]byte, 160))
	buf := make([]byte, len(pkt))
	seq := uint16(1)
	allocs := testing.AllocsPerRun(200, func() {
		copy(buf, pkt)
		seq++
		buf[2], buf[3] = byte(seq>>8), byte(seq)
		a.handleRTP(buf, src, time.Now().UnixNano())
	})
	if allocs != 0 {
		t.Fatalf("allocations per relayed packet = %v, want 0", allocs)
	}
	if b.Stats().PacketsOut == 0 {
		t.Fatal("nothing was sent")
	}
}

func TestNoMediaToPartyHoldingTheCall(t *testing.T) {
	p := newTestPool(t)
	l := newTestLeg(t, p)
	tests := []struct {
		dir  sdpmedia.Direction
		zero bool // c=0.0.0.0 (RFC 2543 hold)
		want bool
	}{
		{sdpmedia.SendRecv, false, true},
		{"", false, true},
		{sdpmedia.RecvOnly, false, true},
		{sdpmedia.SendOnly, false, false},
		{sdpmedia.Inactive, false, false},
		{sdpmedia.SendRecv, true, false},
	}
	for _, tc := range tests {
		m := media(40000, 0, sdpmedia.PCMU)
		m.Direction = tc.dir
		if tc.zero {
			m.Addr = netip.IPv4Unspecified()
		}
		if err := l.SetRemote(m, sdpmedia.PCMU); err != nil {
			t.Fatal(err)
		}
		if _, ok := l.dest(); ok != tc.want {
			t.Errorf("direction %q zero %v: sending = %v, want %v", tc.dir, tc.zero, ok, tc.want)
		}
	}
}
