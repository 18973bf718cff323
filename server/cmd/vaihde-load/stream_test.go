package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/vaihde/vaihde/shared/codec"
)

func rtpPacket(t *testing.T, ssrc uint32, seq uint16, sender uint32, tagged bool) []byte {
	t.Helper()
	payload := make([]byte, codec.FrameSamples)
	if tagged {
		putTag(payload, sender)
	}
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: ssrc, SequenceNumber: seq}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRxCounter(t *testing.T) {
	type pkt struct {
		ssrc   uint32
		seq    uint16
		sender uint32
	}
	tests := []struct {
		name    string
		pkts    []pkt
		garbage int
		want    rxStats
	}{
		{name: "in order", pkts: []pkt{{1, 10, 7}, {1, 11, 7}, {1, 12, 7}},
			want: rxStats{Received: 3, Sender: 7, Tagged: true}},
		{name: "gap is not counted as received", pkts: []pkt{{1, 10, 7}, {1, 13, 7}},
			want: rxStats{Received: 2, Sender: 7, Tagged: true}},
		{name: "duplicate counted once", pkts: []pkt{{1, 10, 7}, {1, 11, 7}, {1, 11, 7}, {1, 10, 7}},
			want: rxStats{Received: 2, Dups: 2, Sender: 7, Tagged: true}},
		{name: "reordered is not a duplicate", pkts: []pkt{{1, 10, 7}, {1, 12, 7}, {1, 11, 7}, {1, 11, 7}},
			want: rxStats{Received: 3, Reorder: 1, Dups: 1, Sender: 7, Tagged: true}},
		{name: "wrap around", pkts: []pkt{{1, 65534, 7}, {1, 65535, 7}, {1, 0, 7}, {1, 1, 7}, {1, 0, 7}},
			want: rxStats{Received: 4, Dups: 1, Sender: 7, Tagged: true}},
		{name: "duplicate across a big jump is still caught", pkts: []pkt{{1, 10, 7}, {1, 900, 7}, {1, 900, 7}, {1, 2000, 7}},
			want: rxStats{Received: 3, Dups: 1, Sender: 7, Tagged: true}},
		{name: "SSRC change restarts the sequence", pkts: []pkt{{1, 10, 7}, {2, 10, 7}, {2, 11, 7}},
			want: rxStats{Received: 3, SSRCChanges: 1, Sender: 7, Tagged: true}},
		{name: "crossed media from another call", pkts: []pkt{{1, 10, 7}, {1, 11, 8}, {1, 12, 7}},
			want: rxStats{Received: 2, Foreign: 1, Sender: 7, Tagged: true}},
		{name: "garbage", garbage: 3, want: rxStats{Invalid: 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c rxCounter
			for _, p := range tc.pkts {
				c.add(rtpPacket(t, p.ssrc, p.seq, p.sender, true))
			}
			for range tc.garbage {
				c.add([]byte{0x12, 0x34})
				c.add(nil)
				c.add([]byte(strings.Repeat("x", 40)))
				c.add(append([]byte{0x81, 201}, make([]byte, 30)...)) // RTCP RR: ignored, not invalid
			}
			got := c.stats()
			got.MaxExt, got.MaxGap = 0, 0 // checked in TestRxCounterWindow
			if got != tc.want {
				t.Fatalf("stats = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestRxCounterWindow: MaxExt grows by what the sender sent (a gap included), and arrival gaps
// over 100 ms are counted and the longest kept, from resetGap on.
func TestRxCounterWindow(t *testing.T) {
	at := time.Unix(1000, 0)
	c := rxCounter{now: func() time.Time { return at }}
	send := func(seq uint16, after time.Duration) {
		at = at.Add(after)
		c.add(rtpPacket(t, 1, seq, 7, true))
	}
	send(65530, 0)
	send(65531, 20*time.Millisecond)
	send(65532, 300*time.Millisecond) // a stall before the window
	c.resetGap()
	s0 := c.stats()
	send(65533, 20*time.Millisecond)
	send(2, 150*time.Millisecond) // wraps; 65534…1 lost
	send(3, 20*time.Millisecond)
	send(4, 120*time.Millisecond)
	s1 := c.stats()
	if d := s1.MaxExt - s0.MaxExt; d != 8 {
		t.Errorf("MaxExt grew by %d, want 8 (65532 → 4 across the wrap)", d)
	}
	if got := s1.Received - s0.Received; got != 4 {
		t.Errorf("received %d in the window, want 4", got)
	}
	if s1.Gaps != 2 || s1.MaxGap != 150*time.Millisecond {
		t.Errorf("gaps %d, longest %v; want 2 and 150ms (the stall before resetGap not counted)", s1.Gaps, s1.MaxGap)
	}
}

func TestTagSurvivesTranscoding(t *testing.T) {
	for _, id := range []uint32{0, 1, 999, 1000, 0xdeadbeef, 0xffffffff} {
		for _, conv := range [][2]uint8{{codec.PCMU, codec.PCMU}, {codec.PCMU, codec.PCMA}, {codec.PCMA, codec.PCMU}} {
			payload := make([]byte, codec.FrameSamples)
			putTag(payload, id)
			if err := codec.Transcode(conv[0], conv[1], payload); err != nil {
				t.Fatal(err)
			}
			got, ok := readTag(payload)
			if !ok || got != id {
				t.Errorf("id %d after %d→%d: got %d, %v", id, conv[0], conv[1], got, ok)
			}
		}
	}
	if _, ok := readTag(make([]byte, codec.FrameSamples)); ok {
		t.Error("silence read as a tag")
	}
	if _, ok := readTag([]byte{1, 2}); ok {
		t.Error("short payload read as a tag")
	}
}

func TestAccount(t *testing.T) {
	rx := func(sender uint32, n uint64) rxStats { return rxStats{Received: n, Sender: sender, Tagged: true} }
	tests := []struct {
		name             string
		callers, callees []epSnapshot
		wantLossy        int
		wantSilent       int
		wantLossPct      float64
	}{
		{
			name:    "clean",
			callers: []epSnapshot{{ID: 0, Sent: 1000, Rx: rx(10, 1000)}, {ID: 1, Sent: 1000, Rx: rx(11, 1000)}},
			callees: []epSnapshot{{ID: 11, Sent: 1000, Rx: rx(1, 1000)}, {ID: 10, Sent: 1000, Rx: rx(0, 1000)}},
		},
		{
			name:    "one call loses 1% one way",
			callers: []epSnapshot{{ID: 0, Sent: 1000, Rx: rx(10, 980)}, {ID: 1, Sent: 1000, Rx: rx(11, 1000)}},
			callees: []epSnapshot{{ID: 10, Sent: 1000, Rx: rx(0, 1000)}, {ID: 11, Sent: 1000, Rx: rx(1, 1000)}},
			// call 0: 20 of 2000 = 1 %
			wantLossy: 1, wantLossPct: 0.5,
		},
		{
			name:      "one-way audio",
			callers:   []epSnapshot{{ID: 0, Sent: 1000}},
			callees:   []epSnapshot{{ID: 10, Sent: 1000, Rx: rx(0, 1000)}},
			wantLossy: 1, wantSilent: 1, wantLossPct: 50,
		},
		{
			name:      "callee never heard the caller",
			callers:   []epSnapshot{{ID: 0, Sent: 1000, Rx: rx(10, 1000)}},
			callees:   []epSnapshot{{ID: 10, Sent: 1000}},
			wantLossy: 1, wantSilent: 1, wantLossPct: 50,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := account(tc.callers, tc.callees, 0.5)
			if r.LossyCalls != tc.wantLossy || r.SilentCalls != tc.wantSilent {
				t.Errorf("lossy %d silent %d, want %d and %d (%+v)", r.LossyCalls, r.SilentCalls, tc.wantLossy, tc.wantSilent, r)
			}
			if d := r.LossPct - tc.wantLossPct; d > 1e-9 || d < -1e-9 {
				t.Errorf("loss %.4f%%, want %.4f%%", r.LossPct, tc.wantLossPct)
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	// Fields 14 and 15 (utime, stime) are 150 and 50 ticks; the name has a space and a ')'.
	stat := "1234 (vaihde) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 8 0 12345 0 0"
	got, err := parseStatCPU(stat)
	if err != nil || got != 2*time.Second {
		t.Fatalf("parseStatCPU = %v, %v; want 2s", got, err)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Fatal("parseStatCPU(garbage) succeeded")
	}
	// Our own process is readable.
	if _, err := cpuTime(1); err != nil {
		t.Fatalf("cpuTime(1): %v", err)
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:5060", true},
		{"127.0.0.9:5070", true},
		{"localhost:5060", true},
		{"10.0.0.1:5060", false},
		{"192.168.1.10:5060", false},
		{"8.8.8.8:5060", false},
		{"example.com:5060", false},
		{"127.0.0.1", false},
		{"127.0.0.1:0", false},
		{"[::1]:5060", false},
	}
	for _, tc := range tests {
		_, err := loopback(tc.addr)
		if (err == nil) != tc.ok {
			t.Errorf("loopback(%q) error = %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nonsense"},
		{"media", "-server", "10.1.2.3:5060"},
		{"media", "-calls", "0"},
		{"media", "-calls", "100000"},
		{"media", "-duration", "1h"},
		{"setup", "-rate", "0"},
		{"setup", "-server", "192.168.0.1:5060"},
		{"relay", "-calls", "0"},
	} {
		var out, errb strings.Builder
		if err := run(t.Context(), args, &out, &errb); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
