package relay

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestParseRTP(t *testing.T) {
	good, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 7}, Payload: []byte{1, 2, 3}}).Marshal()
	padded, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, Padding: true}, Payload: []byte{9, 9}, PaddingSize: 2}).Marshal()
	rtcp := append([]byte{0x80, 200}, make([]byte, 10)...)
	badPad := append(append([]byte(nil), padded...)[:len(padded)-1], 200)
	for _, tc := range []struct {
		name  string
		pkt   []byte
		ok    bool
		bytes int
	}{
		{"rtp", good, true, 3},
		{"padding removed", padded, true, 2},
		{"rtcp on the rtp port", rtcp, false, 0},
		{"short", good[:11], false, 0},
		{"version 1", append([]byte{0x40}, good[1:]...), false, 0},
		{"padding longer than the packet", badPad, false, 0},
	} {
		var h rtp.Header
		start, end, ok := ParseRTP(tc.pkt, &h)
		if ok != tc.ok || (ok && end-start != tc.bytes) {
			t.Errorf("%s: ParseRTP = %d..%d %v, want %v with %d payload bytes", tc.name, start, end, ok, tc.ok, tc.bytes)
		}
	}
}

func TestLatch(t *testing.T) {
	var l Latch
	a, b := netip.MustParseAddrPort("127.0.0.1:4000"), netip.MustParseAddrPort("127.0.0.1:5000")
	after := time.Second
	if ok, moved := l.Learn(a, 0, after); !ok || moved.IsValid() {
		t.Fatalf("first source: %v %v", ok, moved)
	}
	if ok, _ := l.Learn(b, int64(500*time.Millisecond), after); ok {
		t.Fatal("another source took the stream while the first one talks")
	}
	if ok, moved := l.Learn(b, int64(2*time.Second), after); !ok || moved != a {
		t.Fatalf("after silence: %v moved from %v", ok, moved)
	}
	if got, ok := l.Load(); !ok || got != b {
		t.Fatalf("latched %v %v", got, ok)
	}
	l.Reset()
	if _, ok := l.Load(); ok {
		t.Fatal("Reset kept the address")
	}
}
