package media

import (
	"context"
	"github.com/vaihde/vaihde/shared/tone"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// waitTone polls the sink until its last 0.5 s carries freq clearly, or fails after a deadline.
func waitTone(t *testing.T, name string, sink *audiotest.RecordSink, freq float64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var rms, level float64
	for time.Now().Before(deadline) {
		tail := sink.Last(audio.SampleRate / 2)
		if len(tail) == audio.SampleRate/2 {
			rms, level = tone.RMS(tail), tone.Level(tail, freq, audio.SampleRate)
			if rms > 0.2 && level > 0.8*rms {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: no %.0f Hz tone arrived (rms %.3f, tone %.3f)", name, freq, rms, level)
}

func TestIntegrationTwoSessionsLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	for _, pt := range []uint8{codec.PCMU, codec.PCMA} {
		a, err := Listen(loopback, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := Listen(loopback, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()

		sinkA, sinkB := &audiotest.RecordSink{}, &audiotest.RecordSink{}
		var mu sync.Mutex
		var keys []rune
		onKey := func(k rune) { mu.Lock(); keys = append(keys, k); mu.Unlock() }
		// b learns a's address only from its packets (symmetric RTP): its SDP address is wrong.
		bogus := netip.MustParseAddrPort("127.0.0.1:9")
		if err := a.Start(ctx, Params{Remote: b.LocalAddr(), PT: pt, DTMFPT: 101, Send: true, Recv: true},
			&audiotest.ToneSource{Freq: 1000, Amp: 0.5}, sinkA, nil); err != nil {
			t.Fatal(err)
		}
		if err := b.Start(ctx, Params{Remote: bogus, PT: pt, DTMFPT: 101, Send: true, Recv: true},
			&audiotest.ToneSource{Freq: 600, Amp: 0.5}, sinkB, onKey); err != nil {
			t.Fatal(err)
		}
		waitTone(t, "b hears a", sinkB, 1000)
		waitTone(t, "a hears b (symmetric RTP)", sinkA, 600)

		for _, k := range "1#" {
			if err := a.SendDTMF(k); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			got := string(keys)
			mu.Unlock()
			if got == "1#" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("pt %d: received DTMF %q, want \"1#\" once each", pt, got)
			}
			time.Sleep(50 * time.Millisecond)
		}

		// Mute: a keeps sending RTP, but silence.
		a.SetMuted(true)
		time.Sleep(500 * time.Millisecond)
		sent0, _, _ := a.Stats()
		deadline = time.Now().Add(10 * time.Second)
		for tone.RMS(sinkB.Last(audio.SampleRate/4)) > 0.01 {
			if time.Now().After(deadline) {
				t.Fatal("muted side still audible")
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		if sent1, _, _ := a.Stats(); sent1 <= sent0 {
			t.Fatal("muted session stopped sending RTP")
		}
		a.Close()
		b.Close()
		cancel()
	}
}

func TestIntegrationRFC4733SenderPackets(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	s, err := Listen(loopback, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Start(ctx, Params{Remote: peer.LocalAddr().(*net.UDPAddr).AddrPort(), PT: codec.PCMU, DTMFPT: 101, Send: true}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SendDTMF('5'); err != nil {
		t.Fatal(err)
	}
	var events []rtp.Packet
	buf := make([]byte, 1500)
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	var lastAudioSeq uint16
	sawAudio := false
	for len(events) < dtmfFrames+dtmfEndCopies-1 {
		n, err := peer.Read(buf)
		if err != nil {
			t.Fatalf("read: %v after %d events", err, len(events))
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			t.Fatal(err)
		}
		if p.PayloadType == 101 {
			if sawAudio && len(events) == 0 && p.SequenceNumber != lastAudioSeq+1 {
				t.Fatalf("event seq %d does not follow audio seq %d", p.SequenceNumber, lastAudioSeq)
			}
			events = append(events, p)
		} else {
			lastAudioSeq, sawAudio = p.SequenceNumber, true
		}
	}
	ends := 0
	for i, p := range events {
		ev, err := dtmf.Unmarshal(p.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Code != 5 || p.Timestamp != events[0].Timestamp || p.Marker != (i == 0) {
			t.Fatalf("packet %d: code %d ts %d marker %v", i, ev.Code, p.Timestamp, p.Marker)
		}
		want := uint16(min(i+1, dtmfFrames) * 160)
		if ev.Duration != want {
			t.Fatalf("packet %d duration %d, want %d", i, ev.Duration, want)
		}
		if ev.End {
			ends++
		}
	}
	if ends != dtmfEndCopies {
		t.Fatalf("%d end packets, want %d", ends, dtmfEndCopies)
	}
}

// TestIntegrationSurvivesGarbage sends malformed and hostile packets before real audio.
func TestIntegrationSurvivesGarbage(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	s, err := Listen(loopback, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &audiotest.RecordSink{}
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if err := s.Start(ctx, Params{Remote: peer.LocalAddr().(*net.UDPAddr).AddrPort(), PT: codec.PCMU, DTMFPT: 101, Send: true, Recv: true},
		nil, sink, func(rune) {}); err != nil {
		t.Fatal(err)
	}
	dst := net.UDPAddrFromAddrPort(s.LocalAddr())
	bad := [][]byte{
		{}, {0x80}, {0x80, 0, 0, 1}, []byte("INVITE sip:x SIP/2.0\r\n\r\n"),
		{0x80, 101, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 5},           // DTMF event too short
		{0xA0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0, 0, 9}, // padding count beyond the packet
		{0x80, 99, 0, 3, 0, 0, 0, 3, 0, 0, 0, 1, 1, 2, 3},      // unknown payload type
		{0x90, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 200},  // extension length beyond the packet
	}
	for _, b := range bad {
		if _, err := peer.WriteToUDP(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	// Then real audio: a loud µ-law frame repeatedly.
	var seq uint16
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = 0x80 // µ-law near full scale
	}
	deadline := time.Now().Add(10 * time.Second)
	for tone.RMS(sink.Last(800)) < 0.3 {
		if time.Now().After(deadline) {
			t.Fatal("no audio played after malformed packets")
		}
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 7}, Payload: payload}
		b, _ := p.Marshal()
		_, _ = peer.WriteToUDP(b, dst)
		seq++
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSymmetricRTPLatching(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.0.1:4000")
	b := netip.MustParseAddrPort("10.0.0.2:5000")
	c := netip.MustParseAddrPort("192.0.2.7:6000")
	t0 := time.Unix(100, 0)
	s := &Session{params: Params{Remote: netip.MustParseAddrPort("10.0.0.1:4000")}}
	steps := []struct {
		src    netip.AddrPort
		at     time.Duration
		accept bool
		what   string
	}{
		{a, 0, true, "first source is latched"},
		{b, 100 * time.Millisecond, false, "a second source is ignored while the first talks"},
		{a, 200 * time.Millisecond, true, "the latched source goes on"},
		{b, 1500 * time.Millisecond, true, "after a second of silence the new source (NAT rebinding) takes over"},
		{a, 1600 * time.Millisecond, false, "the old one is now ignored"},
	}
	for _, st := range steps {
		if got := s.accept(st.src, t0.Add(st.at)); got != st.accept {
			t.Fatalf("%s: accept = %v", st.what, got)
		}
	}
	if s.dest() != b {
		t.Fatalf("sending to %v, want the latched %v", s.dest(), b)
	}
	// Renegotiation to a new address: the replaced source never comes back, the new one latches.
	s.Update(Params{Remote: c})
	if s.dest() != c {
		t.Fatalf("after re-INVITE sending to %v, want %v", s.dest(), c)
	}
	if s.accept(b, t0.Add(5*time.Second)) {
		t.Fatal("the replaced source was latched again")
	}
	if !s.accept(c, t0.Add(5*time.Second)) || s.dest() != c {
		t.Fatal("the new source was not latched")
	}
}
