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

// TestLatch walks the latching rules step by step; each step is one packet at a time offset
// from the arming of the latch (the SDP), with the address the latch must hold afterwards.
func TestLatch(t *testing.T) {
	const window = 2 * time.Second
	ap := netip.MustParseAddrPort
	type step struct {
		src   string
		at    time.Duration
		take  bool
		after string // latched afterwards; "" for none
	}
	cases := []struct {
		name  string
		sdp   string // "" for an SDP without address
		steps []step
	}{
		{name: "SDP address is taken and final", sdp: "198.51.100.7:4000", steps: []step{
			{"198.51.100.7:4000", 0, true, "198.51.100.7:4000"},
			{"203.0.113.9:6000", 10 * time.Millisecond, false, "198.51.100.7:4000"},
			{"198.51.100.7:4002", 20 * time.Millisecond, false, "198.51.100.7:4000"},
			{"203.0.113.9:6000", 10 * time.Second, false, "198.51.100.7:4000"}, // after the party's silence too
		}},
		{name: "public SDP: a stranger is never taken", sdp: "198.51.100.7:4000", steps: []step{
			{"203.0.113.9:6000", 0, false, ""},
			{"203.0.113.9:6000", time.Second, false, ""},
			{"198.51.100.7:4000", 1500 * time.Millisecond, true, "198.51.100.7:4000"},
		}},
		{name: "same IP, other port (NAT keeps the address): latched once in the window", sdp: "198.51.100.7:4000", steps: []step{
			{"198.51.100.7:31000", 500 * time.Millisecond, true, "198.51.100.7:31000"},
			{"198.51.100.7:31002", 600 * time.Millisecond, false, "198.51.100.7:31000"},
			{"203.0.113.9:6000", 700 * time.Millisecond, false, "198.51.100.7:31000"},
			// the SDP address itself still wins
			{"198.51.100.7:4000", 5 * time.Second, true, "198.51.100.7:4000"},
			{"198.51.100.7:31000", 5 * time.Second, false, "198.51.100.7:4000"},
		}},
		{name: "same IP after the window: not taken", sdp: "198.51.100.7:4000", steps: []step{
			{"198.51.100.7:31000", window + time.Millisecond, false, ""},
		}},
		{name: "private SDP (NAT): first source latched, nobody else ever", sdp: "192.168.1.20:4000", steps: []step{
			{"203.0.113.50:40000", 100 * time.Millisecond, true, "203.0.113.50:40000"},
			{"203.0.113.9:6000", 200 * time.Millisecond, false, "203.0.113.50:40000"},
			// the latched party falls silent for long: still nobody else (no relatch after silence)
			{"203.0.113.9:6000", time.Minute, false, "203.0.113.50:40000"},
			{"203.0.113.50:40000", time.Minute, true, "203.0.113.50:40000"},
		}},
		{name: "private SDP: nothing latched in the window, then only the SDP address", sdp: "10.1.2.3:4000", steps: []step{
			{"203.0.113.9:6000", window + time.Millisecond, false, ""},
		}},
		{name: "shared address space counts as NAT", sdp: "100.64.1.2:4000", steps: []step{
			{"203.0.113.50:40000", 0, true, "203.0.113.50:40000"},
		}},
		{name: "no SDP address yet: first source in the window", sdp: "", steps: []step{
			{"203.0.113.50:40000", 0, true, "203.0.113.50:40000"},
			{"203.0.113.9:6000", 0, false, "203.0.113.50:40000"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var l Latch
			var sdp netip.AddrPort
			if tc.sdp != "" {
				sdp = ap(tc.sdp)
			}
			const t0 = int64(1e12)
			l.Arm(sdp, t0, window)
			for i, s := range tc.steps {
				if ok, _ := l.Learn(ap(s.src), t0+int64(s.at)); ok != s.take {
					t.Errorf("step %d: packet from %s at %v taken = %v, want %v", i, s.src, s.at, ok, s.take)
				}
				got, ok := l.Load()
				if (s.after == "" && ok) || (s.after != "" && got != ap(s.after)) {
					t.Errorf("step %d: latched %v (%v), want %q", i, got, ok, s.after)
				}
			}
		})
	}
}

// TestLatchArm: a new SDP address forgets the latch, the same one (a session refresh, a hold)
// keeps it; Reopen gives an unlatched leg a new window only.
func TestLatchArm(t *testing.T) {
	const window = 2 * time.Second
	nat, other := netip.MustParseAddrPort("203.0.113.50:40000"), netip.MustParseAddrPort("203.0.113.9:6000")
	sdp := netip.MustParseAddrPort("192.168.1.20:4000")
	var l Latch
	l.Arm(sdp, 0, window)
	if ok, _ := l.Learn(nat, 1); !ok {
		t.Fatal("first source not taken")
	}
	l.Arm(sdp, int64(time.Minute), window)
	if ok, _ := l.Learn(other, int64(time.Minute)+1); ok {
		t.Fatal("a re-INVITE with the same SDP address let another source latch")
	}
	l.Reopen(int64(time.Minute), window)
	if ok, _ := l.Learn(other, int64(time.Minute)+2); ok {
		t.Fatal("Reopen on a latched leg let another source latch")
	}
	l.Arm(netip.MustParseAddrPort("192.168.1.20:4010"), int64(2*time.Minute), window)
	if _, ok := l.Load(); ok {
		t.Fatal("a new SDP address kept the latch")
	}
	if ok, moved := l.Learn(other, int64(2*time.Minute)+1); !ok || moved.IsValid() {
		t.Fatalf("after the party moved: taken %v, moved %v", ok, moved)
	}

	var u Latch
	u.Arm(sdp, 0, window)
	u.Reopen(int64(time.Hour), window) // the call is answered an hour later
	if ok, _ := u.Learn(nat, int64(time.Hour)+int64(time.Second)); !ok {
		t.Fatal("Reopen did not open a new window on an unlatched leg")
	}
}
