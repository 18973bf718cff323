package interop

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
)

// rtpPeer is the media side of a SIPp caller: the socket its SDP names. It keeps every RTP
// packet the server sends and sends keys and tones back (symmetric RTP: to where the server's
// packets come from).
type rtpPeer struct {
	t    *testing.T
	conn *net.UDPConn
	done chan struct{}

	mu     sync.Mutex
	pkts   []rtp.Header
	audio  []float64 // decoded PCMU of every audio packet, in arrival order
	server netip.AddrPort

	seq uint16
	ts  uint32
}

func newRTPPeer(t *testing.T) *rtpPeer {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &rtpPeer{t: t, conn: c, done: make(chan struct{}), seq: 1000, ts: 80000}
	go p.read()
	t.Cleanup(func() { c.Close(); <-p.done })
	return p
}

func (p *rtpPeer) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

func (p *rtpPeer) read() {
	defer close(p.done)
	buf := make([]byte, 2048)
	for {
		n, src, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		p.mu.Lock()
		p.server = src
		p.pkts = append(p.pkts, pkt.Header)
		if pkt.PayloadType == codec.PCMU {
			if s, err := codec.Decode(codec.PCMU, pkt.Payload, nil); err == nil {
				for _, v := range s {
					p.audio = append(p.audio, float64(v)/32768)
				}
			}
		}
		p.mu.Unlock()
	}
}

// packets returns the number of packets received so far.
func (p *rtpPeer) packets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pkts)
}

// audioFrom returns the audio received after sample index from.
func (p *rtpPeer) audioFrom(from int) pcm {
	p.mu.Lock()
	defer p.mu.Unlock()
	return pcm{rate: 8000, samples: append([]float64(nil), p.audio[min(from, len(p.audio)):]...)}
}

func (p *rtpPeer) audioLen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.audio)
}

func (p *rtpPeer) dest() netip.AddrPort {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.server
}

func (p *rtpPeer) write(pt uint8, marker bool, ts uint32, payload []byte) {
	b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, Marker: marker, SequenceNumber: p.seq,
		Timestamp: ts, SSRC: 0x5eed}, Payload: payload}).Marshal()
	p.seq++
	if _, err := p.conn.WriteToUDPAddrPort(b, p.dest()); err != nil {
		p.t.Errorf("rtp peer send: %v", err)
	}
}

// sendDigit sends key as RFC 4733 events, as phones do (start packets, then the end thrice).
func (p *rtpPeer) sendDigit(key rune) {
	code, err := dtmf.CodeOf(key)
	if err != nil {
		p.t.Fatal(err)
	}
	for i := range 6 {
		ev := dtmf.Event{Code: code, End: i >= 3, Volume: 10, Duration: uint16(min(i+1, 4) * 160)}
		p.write(101, i == 0, p.ts, ev.Marshal(make([]byte, 4)))
		time.Sleep(20 * time.Millisecond)
	}
	p.ts += 4 * 160
}

// sendTone sends a tone of hz for d in 20 ms PCMU packets, paced in real time.
func (p *rtpPeer) sendTone(hz float64, d time.Duration) {
	samples := int(d / (time.Second / 8000))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	frame := make([]int16, 160)
	for off := 0; off+160 <= samples; off += 160 {
		for i := range frame {
			frame[i] = int16(8000 * sinAt(hz, off+i))
		}
		payload, _ := codec.Encode(codec.PCMU, frame, nil)
		p.write(0, off == 0, p.ts, payload)
		p.ts += 160
		<-tick.C
	}
}

// continuity checks that every packet received has one SSRC and the sequence number after the
// previous one; it returns the number of packets checked.
func (p *rtpPeer) continuity(t *testing.T) int {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 1; i < len(p.pkts); i++ {
		a, b := p.pkts[i-1], p.pkts[i]
		if b.SSRC != a.SSRC {
			t.Fatalf("packet %d of %d: SSRC %08x after %08x: the caller's stream changed", i, len(p.pkts), b.SSRC, a.SSRC)
		}
		if b.SequenceNumber != a.SequenceNumber+1 {
			t.Fatalf("packet %d of %d: sequence number %d after %d", i, len(p.pkts), b.SequenceNumber, a.SequenceNumber)
		}
	}
	return len(p.pkts)
}

// receivedRequestRe finds requests SIPp received (its message trace marks them "received").
var receivedRequestRe = regexp.MustCompile(`(?m)message received[^\n]*\n\s*([A-Z]+) sip:`)

// TestIntegrationSIPpNoReInviteOnHandOver (issue 10, acceptance 2's last point, for the hand-over
// from an application to a person): a SIPp caller 1003, whose scenario fails on any request from
// the server during the call, calls 1004, who has no phone: voicemail answers. During the
// greeting the caller presses 1 (RFC 4733) for customer service, 1004's setting 1002, and
// baresip 1002 answers. Then: SIPp never received a re-INVITE (nor any request) and ended the
// call normally; the caller's received RTP is one SSRC with consecutive sequence numbers from
// the greeting through ringback to 1002's voice; 1002's 1 kHz tone reaches the caller and the
// caller's 440 Hz tone reaches 1002.
func TestIntegrationSIPpNoReInviteOnHandOver(t *testing.T) {
	integration(t, "sipp", "baresip")
	dir := promptsDir(t)
	srv := startVaihde(t, "-prompts-dir", dir)
	agent := registered(t, srv, "1002", toneB, true, "")

	token := apiLogin(t, srv, "1004", "demo1004")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var vs api.VoicemailSettings
	if err := httpJSON(ctx, http.MethodGet, "http://"+srv.httpAddr+"/api/voicemail/settings", token, nil, &vs); err != nil {
		t.Fatal(err)
	}
	vs.CustomerService = "1002"
	body, _ := json.Marshal(vs)
	if err := httpJSON(ctx, http.MethodPut, "http://"+srv.httpAddr+"/api/voicemail/settings", token, body, &vs); err != nil || vs.CustomerService != "1002" {
		t.Fatalf("PUT voicemail settings: %+v %v", vs, err)
	}

	peer := newRTPPeer(t)
	done := make(chan sippResult, 1)
	go func() {
		done <- runSIPp(t, srv, "noreinvite_uac.xml", "1003", "demo1003", 1,
			"-s", "1004", "-key", "caller", "1003", "-key", "rtpport", itoa(peer.port()), "-d", "22000")
	}()
	// The greeting plays (1.5 s of it), then the caller presses 1.
	if !pollUntil(30*time.Second, func() bool { return peer.packets() >= 75 }) {
		t.Fatalf("the caller received %d RTP packets of the greeting", peer.packets())
	}
	mark := peer.audioLen()
	peer.sendDigit('1')
	var heard float64
	if !pollUntil(20*time.Second, func() bool {
		heard = toneSeconds(peer.audioFrom(mark), toneB, 0.8)
		return heard >= 2
	}) {
		t.Fatalf("after pressing 1 the caller heard %.1f s of 1002's %.0f Hz tone", heard, toneB)
	}
	t.Logf("caller hears 1002: %.1f s of %.0f Hz", heard, toneB)
	rm := agent.recordMark()
	peer.sendTone(toneA, 3*time.Second)
	agent.waitAudioSince(rm, 2.5, 20*time.Second)
	if s := toneSeconds(agent.audioSince(rm), toneA, 0.8); s < 2 {
		t.Fatalf("1002 heard %.1f s of the caller's %.0f Hz tone", s, toneA)
	} else {
		t.Logf("1002 hears the caller: %.1f s of %.0f Hz", s, toneA)
	}

	var res sippResult
	select {
	case res = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("SIPp did not end the call")
	}
	if reqs := receivedRequestRe.FindAllStringSubmatch(res.messages, -1); len(reqs) != 0 {
		t.Fatalf("the caller received %d requests from the server during the call (first: %s)", len(reqs), reqs[0][1])
	}
	if res.exit != 0 || res.errors != "" {
		t.Fatalf("SIPp exit %d (a re-INVITE or any unexpected message fails it): %s\n%s", res.exit,
			tailString(res.errors, 2000), tailString(res.output, 2000))
	}
	n := peer.continuity(t)
	t.Logf("caller's RTP: %d packets, one SSRC, consecutive sequence numbers across voicemail → ringback → 1002", n)
	if n < 300 {
		t.Fatalf("only %d packets checked", n)
	}
}

// sinAt is sample i of a sine of hz at 8 kHz.
func sinAt(hz float64, i int) float64 { return math.Sin(2 * math.Pi * hz * float64(i) / 8000) }
