package media

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/sdpmedia"
	"github.com/vaihde/vaihde/shared/tone"
)

func newKey(t *testing.T) sdpmedia.Crypto {
	t.Helper()
	c, err := sdpmedia.NewCrypto(1, sdpmedia.AES_CM_128_HMAC_SHA1_80)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIntegrationSRTPSessions runs two encrypted sessions against each other: the tones cross
// both ways; a listener on the wire sees no RTP it could play; plain RTP and packets under
// another key injected into a session are rejected, never played.
func TestIntegrationSRTPSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ka, kb := newKey(t), newKey(t)
	a, err := Listen(loopback, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// Every packet passes through a tap in the middle, which records b's on their way to a.
	tap, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	b, err := Listen(loopback, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	tapped := make(chan []byte, 64)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := tap.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			pkt := append([]byte(nil), buf[:n]...)
			if from == a.LocalAddr() {
				_, _ = tap.WriteToUDPAddrPort(pkt, b.LocalAddr())
				continue
			}
			select {
			case tapped <- pkt:
			default:
			}
			_, _ = tap.WriteToUDPAddrPort(pkt, a.LocalAddr())
		}
	}()
	sinkA, sinkB := &audiotest.RecordSink{}, &audiotest.RecordSink{}
	tapAddr := tap.LocalAddr().(*net.UDPAddr).AddrPort()
	if err := a.Start(ctx, Params{Remote: tapAddr, PT: codec.PCMU, Send: true, Recv: true,
		SRTP: &SRTP{Local: ka, Remote: kb}}, &audiotest.ToneSource{Freq: 1000, Amp: 0.5}, sinkA, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx, Params{Remote: tapAddr, PT: codec.PCMU, Send: true, Recv: true,
		SRTP: &SRTP{Local: kb, Remote: ka}}, &audiotest.ToneSource{Freq: 600, Amp: 0.5}, sinkB, nil); err != nil {
		t.Fatal(err)
	}
	waitTone(t, "b hears a through SRTP", sinkB, 1000)
	waitTone(t, "a hears b through SRTP", sinkA, 600)

	// On the wire: an RTP header (SRTP leaves it in the clear) and a payload that decodes to
	// noise, not the 600 Hz tone, plus the 10-byte authentication tag.
	wire := <-tapped
	var pkt rtp.Packet
	if err := pkt.Unmarshal(wire); err != nil {
		t.Fatalf("tapped packet: %v", err)
	}
	if len(pkt.Payload) != codec.FrameSamples+10 {
		t.Fatalf("tapped payload %d bytes, want %d (frame + HMAC-SHA1-80 tag)", len(pkt.Payload), codec.FrameSamples+10)
	}
	pcm, _ := codec.Decode(codec.PCMU, pkt.Payload[:codec.FrameSamples], nil)
	if l := tone.Share(pcm, 600, codec.SampleRate); l > 0.3 {
		t.Fatalf("the tapped payload still carries the tone (share %.2f): not encrypted", l)
	}

	// Injected packets: plain RTP, and SRTP under a key a does not know. a plays neither.
	inj, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(a.LocalAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close()
	before := a.Rejected()
	foreign, err := newKey(t).NewContext()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: codec.PCMU, SequenceNumber: uint16(i), SSRC: 77},
			Payload: make([]byte, codec.FrameSamples)}
		plain, _ := p.Marshal()
		_, _ = inj.Write(plain)
		sealed, err := foreign.EncryptRTP(nil, plain, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = inj.Write(sealed)
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.Rejected()-before < 40 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := a.Rejected() - before; got < 40 {
		t.Fatalf("rejected %d of 40 injected packets", got)
	}
	waitTone(t, "a still hears only b", sinkA, 600)
}

// TestSRTPUnusableKeysSendNothing: keys that cannot key a context fail Start, never fall back
// to plain RTP.
func TestSRTPUnusableKeysSendNothing(t *testing.T) {
	a, err := Listen(loopback, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	bad := sdpmedia.Crypto{Tag: 1, Suite: sdpmedia.AES_CM_128_HMAC_SHA1_80, Key: []byte("short")}
	err = a.Start(context.Background(), Params{Remote: a.LocalAddr(), PT: codec.PCMU, Send: true,
		SRTP: &SRTP{Local: bad, Remote: newKey(t)}}, nil, nil, nil)
	if err == nil {
		t.Fatal("started with an unusable key")
	}
}
