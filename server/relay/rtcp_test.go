package relay

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func TestRFC3550ReceptionStatistics(t *testing.T) {
	var r recvStats
	start := time.Now().UnixNano()
	// 10 packets 20 ms apart starting near the wrap, with 65535 and 1 missing.
	seqs := []uint16{65530, 65531, 65532, 65533, 65534, 0, 2, 3, 4, 5}
	var gaps uint32
	for _, seq := range seqs {
		frame := int64(uint16(seq - 65530))
		gaps += r.update(0xfeed, seq, uint32(1000+160*frame), start+frame*20e6)
	}
	if gaps != 2 {
		t.Errorf("gaps = %d, want 2", gaps)
	}
	b, ok := r.block(0x12345678, 500*time.Millisecond)
	if !ok {
		t.Fatal("no report block")
	}
	want := rtcp.ReceptionReport{SSRC: 0xfeed, FractionLost: 2 * 256 / 12, TotalLost: 2,
		LastSequenceNumber: 1<<16 | 5, Jitter: 0, LastSenderReport: 0x12345678, Delay: 32768}
	if b != want {
		t.Errorf("block = %+v\nwant    %+v", b, want)
	}
	// Next interval: no loss, so fraction 0 while the total stays.
	for seq := uint16(6); seq < 16; seq++ {
		frame := int64(uint16(seq - 65530))
		r.update(0xfeed, seq, uint32(1000+160*frame), start+frame*20e6)
	}
	if b, _ := r.block(0, 0); b.FractionLost != 0 || b.TotalLost != 2 || b.Delay != 0 {
		t.Errorf("second block = %+v", b)
	}
	// A late duplicate does not move the highest sequence number.
	r.update(0xfeed, 3, 0, start)
	if b, _ := r.block(0, 0); b.LastSequenceNumber != 1<<16|15 {
		t.Errorf("highest seq moved back: %+v", b)
	}
}

func TestJitter(t *testing.T) {
	var steady, bumpy recvStats
	start := time.Now().UnixNano()
	for i := range 200 {
		steady.update(1, uint16(i), uint32(160*i), start+int64(i)*20e6)
		// Every other packet 10 ms late: |D| = 80 samples each time.
		late := int64(i%2) * 10e6
		bumpy.update(1, uint16(i), uint32(160*i), start+int64(i)*20e6+late)
	}
	if j := steady.jitterDuration(); j != 0 {
		t.Errorf("steady stream jitter %v, want 0", j)
	}
	if j := bumpy.jitterDuration(); j < 9*time.Millisecond || j > 10*time.Millisecond {
		t.Errorf("bumpy stream jitter %v, want ~10ms", j)
	}
}

func TestNTPTime(t *testing.T) {
	// 2026-01-01T00:00:00.5Z
	ts := time.Date(2026, 1, 1, 0, 0, 0, 5e8, time.UTC)
	got := ntpTime(ts.UnixNano())
	if secs := got >> 32; secs != uint64(ts.Unix())+2208988800 {
		t.Errorf("NTP seconds %d", secs)
	}
	if frac := uint32(got); frac != 1<<31 {
		t.Errorf("NTP fraction %x, want half a second", frac)
	}
}

func TestHandleRTCPIgnoresGarbageAndOthers(t *testing.T) {
	p := newTestPool(t)
	l := newTestLeg(t, p)
	l.handleRTCP([]byte{0x80, 201, 0, 7, 1, 2}, time.Now().UnixNano())
	if l.Stats().Invalid != 1 {
		t.Errorf("Invalid = %d, want 1", l.Stats().Invalid)
	}
	// A report about someone else's stream changes nothing.
	b, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: l.out.ssrc + 1, FractionLost: 200}}}})
	l.handleRTCP(b, time.Now().UnixNano())
	if l.Stats().PeerReported {
		t.Error("report about another SSRC taken as ours")
	}
}
