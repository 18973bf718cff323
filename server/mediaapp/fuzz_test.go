package mediaapp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

func rtpBytes(pt uint8, ts uint32, payload []byte) []byte {
	b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: 1,
		Timestamp: ts, SSRC: 7}, Payload: payload}).Marshal()
	return b
}

// FuzzHandleRTP feeds arbitrary datagrams to the receive path: nothing may panic, and a digit
// is only ever a DTMF key.
func FuzzHandleRTP(f *testing.F) {
	f.Add(rtpBytes(0, 0, make([]byte, 160)))
	f.Add(rtpBytes(8, 0, make([]byte, 160)))
	f.Add(rtpBytes(101, 0, dtmf.Event{Code: 11, End: true}.Marshal(make([]byte, 4))))
	f.Add(rtpBytes(101, 0, []byte{1, 2}))
	f.Add([]byte{0x80})
	f.Add([]byte{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0xff})                   // padding longer than packet
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0xbe, 0xde, 0xff, 0xff}) // extension overrun
	f.Add([]byte{0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7})                         // 15 CSRCs missing
	src := netip.MustParseAddrPort("127.0.0.1:4000")
	f.Fuzz(func(t *testing.T, pkt []byte) {
		e := newEndpoint(Config{})
		if err := e.SetRemote(src, sdpmedia.PCMU, 0); err != nil {
			t.Fatal(err)
		}
		e.sink = make(chan []int16, 4)
		e.handleRTP(pkt, src, 1)
		e.handleRTP(pkt, src, 2) // the same packet twice, as repeated end packets are
		for {
			r, ok := e.digits.pop()
			if !ok {
				break
			}
			if _, err := dtmf.CodeOf(r); err != nil {
				t.Fatalf("digit %q is not a key", r)
			}
		}
	})
}

func TestHandleRTPEventDedup(t *testing.T) {
	src := netip.MustParseAddrPort("127.0.0.1:4000")
	ev := func(code uint8, end bool) []byte { return dtmf.Event{Code: code, End: end}.Marshal(make([]byte, 4)) }
	tests := []struct {
		name string
		pkts [][]byte
		want string
	}{
		{"three end packets count once", [][]byte{
			rtpBytes(101, 100, ev(5, false)), rtpBytes(101, 100, ev(5, true)),
			rtpBytes(101, 100, ev(5, true)), rtpBytes(101, 100, ev(5, true))}, "5"},
		{"same key twice is two events", [][]byte{
			rtpBytes(101, 100, ev(1, true)), rtpBytes(101, 100, ev(1, true)),
			rtpBytes(101, 900, ev(1, true)), rtpBytes(101, 900, ev(1, true))}, "11"},
		{"lost end packets: reported when the next event starts", [][]byte{
			rtpBytes(101, 100, ev(2, false)), rtpBytes(101, 900, ev(3, false)),
			rtpBytes(101, 900, ev(3, true))}, "23"},
		{"star and hash", [][]byte{rtpBytes(101, 1, ev(10, true)), rtpBytes(101, 2, ev(11, true))}, "*#"},
		{"unknown event codes ignored", [][]byte{rtpBytes(101, 1, ev(40, true))}, ""},
		{"other payload type is not DTMF", [][]byte{rtpBytes(96, 1, ev(5, true))}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEndpoint(Config{})
			if err := e.SetRemote(src, sdpmedia.PCMU, 101); err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.pkts {
				e.handleRTP(p, src, 1)
			}
			var got []rune
			for {
				r, ok := e.digits.pop()
				if !ok {
					break
				}
				got = append(got, r)
			}
			if string(got) != tc.want {
				t.Errorf("digits %q, want %q", string(got), tc.want)
			}
		})
	}
}

func TestHandleRTPIgnoresOtherSourceWhileLatched(t *testing.T) {
	e := newEndpoint(Config{})
	a := netip.MustParseAddrPort("127.0.0.1:4000")
	b := netip.MustParseAddrPort("127.0.0.1:5000")
	e.handleRTP(rtpBytes(0, 0, make([]byte, 160)), a, 1)
	e.handleRTP(rtpBytes(101, 0, dtmf.Event{Code: 1, End: true}.Marshal(make([]byte, 4))), b, 2)
	if _, ok := e.digits.pop(); ok {
		t.Error("a digit from another source was accepted while the latched one talks")
	}
	if got := e.Stats().Latched; got != a {
		t.Errorf("latched %v, want %v", got, a)
	}
	// Nor after a has been silent for long: no source takes over the stream (RTP bleed).
	e.handleRTP(rtpBytes(0, 0, make([]byte, 160)), b, 2+int64(time.Minute))
	if got := e.Stats().Latched; got != a {
		t.Errorf("latched %v after a went silent, want still %v", got, a)
	}
}
