package interop

import (
	"math"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/tone"
)

// bleedHz is the attacker's tone: far from the phones' tones.
const bleedHz = 2000.0

// sprayRTP sends a PCMU tone of bleedHz from another host's address (127.0.0.3, loopback) to
// every even port of [lo, hi] every 20 ms until stop is closed: an "RTP bleed" attacker who
// does not know which ports the call uses.
func sprayRTP(t *testing.T, lo, hi int, stop <-chan struct{}) (wait func()) {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 3)})
	if err != nil {
		t.Fatalf("attacker socket on 127.0.0.3: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer conn.Close()
		pcm := make([]int16, codec.FrameSamples)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			for i := range pcm {
				pcm[i] = int16(16000 * math.Sin(2*math.Pi*bleedHz*float64(n*len(pcm)+i)/codec.SampleRate))
			}
			payload, _ := codec.Encode(codec.PCMU, pcm, nil)
			pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(n),
				Timestamp: uint32(n * codec.FrameSamples), SSRC: 0xbad}, Payload: payload}).Marshal()
			for p := lo &^ 1; p <= hi; p += 2 {
				_, _ = conn.WriteToUDPAddrPort(pkt, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p)))
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return wg.Wait
}

// bleedFrames counts the 20 ms frames of p in which the attacker's tone is heard.
func bleedFrames(p pcm) int {
	frame := p.rate / 50
	n := 0
	for off := 0; off+frame <= len(p.samples); off += frame {
		f := p.samples[off : off+frame]
		if rms(f) >= voicedRMS/4 && tone.WindowedShare(f, bleedHz, p.rate) > 0.3 {
			n++
		}
	}
	return n
}

// TestIntegrationBaresipRTPBleed: while two baresips talk through the real server, an attacker
// on another address sprays RTP at every port of the server's RTP range, from before the call
// until after it; neither phone ever hears the attacker, both hear each other.
func TestIntegrationBaresipRTPBleed(t *testing.T) {
	integration(t, "baresip")
	lo, hi := rtpRange(t)
	srv := startVaihde(t, "-rtp-port-min", strconv.Itoa(lo), "-rtp-port-max", strconv.Itoa(hi))
	a := registered(t, srv, "1006", toneA, false, "")
	b := registered(t, srv, "1007", toneB, true, "")

	stop := make(chan struct{})
	wait := sprayRTP(t, lo, hi, stop)
	defer func() { close(stop); wait() }()
	time.Sleep(300 * time.Millisecond) // the attacker is first

	dial(t, a, b, srv.uriOf(b))
	a.waitRecorded(5, 30*time.Second)
	b.waitRecorded(5, 30*time.Second)
	hangup(t, a, b)
	for _, c := range []struct {
		who       string
		got       pcm
		want, not float64
	}{{"1007 hears 1006", b.lastRecording(), toneA, toneB}, {"1006 hears 1007", a.lastRecording(), toneB, toneA}} {
		checkTone(t, c.who, c.got, c.want, c.not, 4)
		if n := bleedFrames(c.got); n > 0 {
			t.Errorf("%s: the attacker's %.0f Hz is in %d frames of 20 ms", c.who, bleedHz, n)
		}
	}
}
