package b2bua

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
	"github.com/vaihde/vaihde/shared/tone"
)

// keypad sends a phone's key presses and speech as one RTP stream, the way a desk phone or a
// mobile behind a gateway does: each key is an RFC 4733 event (start, two updates, three end
// packets, one timestamp), and talk is 20 ms G.711 frames of a tone.
type keypad struct {
	p    *testPhone
	dst  netip.AddrPort
	pt   uint8 // telephone-event payload type
	apt  uint8 // audio payload type
	seq  uint16
	ts   uint32
	ssrc uint32
}

func newKeypad(t *testing.T, p *testPhone, serverSDP []byte) *keypad {
	t.Helper()
	m := remoteMediaOf(t, serverSDP)
	c, err := sdpmedia.Negotiate(m, p.codecs)
	if err != nil {
		t.Fatal(err)
	}
	pt := m.DTMFPT
	if pt == 0 {
		t.Fatal("server offered no telephone-event")
	}
	return &keypad{p: p, dst: m.AddrPort(), pt: pt, apt: c.PT, seq: 500, ts: 80000, ssrc: 0x5eed}
}

func (k *keypad) send(pt uint8, marker bool, payload []byte) {
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, Marker: marker, SequenceNumber: k.seq,
		Timestamp: k.ts, SSRC: k.ssrc}, Payload: payload}
	b, _ := pkt.Marshal()
	_, _ = k.p.rtp.WriteToUDPAddrPort(b, k.dst)
	k.seq++
}

// press sends the keys, each as one event of 60 ms with 60 ms between keys.
func (k *keypad) press(t *testing.T, keys string) {
	for _, key := range keys {
		code, err := dtmf.CodeOf(key)
		if err != nil {
			t.Error(err)
			return
		}
		for i, d := range []uint16{160, 320, 480, 480, 480, 480} {
			ev := dtmf.Event{Code: code, Volume: 10, Duration: d, End: i >= 3}
			k.send(k.pt, i == 0, ev.Marshal(make([]byte, 4)))
			time.Sleep(10 * time.Millisecond)
		}
		k.ts += 960
		time.Sleep(60 * time.Millisecond)
	}
}

// talk sends n frames of a 1 kHz tone, paced at 20 ms.
func (k *keypad) talk(n int) {
	pcm := make([]int16, codec.FrameSamples)
	for f := 0; f < n; f++ {
		copy(pcm, sine1k)
		payload, _ := codec.Encode(k.apt, pcm, nil)
		k.send(k.apt, false, payload)
		k.ts += codec.FrameSamples
		time.Sleep(20 * time.Millisecond)
	}
}

var sine1k = func() []int16 {
	s := make([]int16, codec.FrameSamples) // 20 whole periods: frames join without a click
	for i := range s {
		s[i] = int16(12000 * sinAt(1000, i))
	}
	return s
}()

func sinAt(freq float64, i int) float64 {
	return math.Sin(2 * math.Pi * freq * float64(i) / codec.SampleRate)
}

// listen reads what arrives at the phone's RTP socket for d and decodes the G.711 audio.
func (p *testPhone) listen(d time.Duration) (pcm []int16, packets int) {
	buf := make([]byte, 1500)
	deadline := time.Now().Add(d)
	for {
		_ = p.rtp.SetReadDeadline(deadline)
		n, err := p.rtp.Read(buf)
		if err != nil {
			return pcm, packets
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil || !codec.Supported(pkt.PayloadType) {
			continue
		}
		packets++
		pcm, _ = codec.Decode(pkt.PayloadType, pkt.Payload, pcm)
	}
}

// hearsMusic checks that pcm (at least 0.5 s) is the hold music: at its level, and not the
// transferor's 1 kHz talk.
func hearsMusic(t *testing.T, who string, pcm []int16) {
	t.Helper()
	if len(pcm) < 4000 {
		t.Fatalf("%s received %d samples, want at least 0.5 s of music", who, len(pcm))
	}
	rms, talk := tone.RMS(pcm), tone.Share(pcm, 1000, codec.SampleRate)
	want := tone.RMS(holdMusic.Samples)
	// Half a second of the music is 0.3–1.3 times as loud as the whole loop.
	if rms < 0.25*want || rms > 1.5*want || talk > 0.05 {
		t.Fatalf("%s hears RMS %.3f with 1 kHz share %.2f: want the music (RMS %.3f), not the transferor", who, rms, talk, want)
	}
}

// TestIntegrationDTMFTransfer: A calls B; B types *#*1 1003 # while talking. A hears music (not
// B) as soon as the prefix is typed and while C rings, then A and C talk, B got BYE, and the call
// log and presence are those of a blind transfer.
func TestIntegrationDTMFTransfer(t *testing.T) {
	h := newHarness(t)
	a, b, c := h.phone("1001"), h.phone("1002"), h.phone("1003")
	sess, in := h.connect(a, b)
	checkAudio(t, b, in.req.Body(), a)
	kb := newKeypad(t, b, in.req.Body())

	prefixed, typed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(typed)
		kb.talk(5)
		kb.press(t, "*#*1")
		close(prefixed)
		for _, d := range "1003" {
			kb.talk(10) // B keeps talking: A must not hear it
			kb.press(t, string(d))
		}
		kb.talk(5)
		kb.press(t, "#")
	}()
	<-prefixed
	a.listen(300 * time.Millisecond) // the code takes effect within a few frames
	pcm, _ := a.listen(time.Second)
	hearsMusic(t, "A while B types", pcm)
	<-typed

	inC := c.expectCall(t)
	if from := inC.req.From().Address.User; from != "1001" {
		t.Fatalf("C sees caller %q, want the transferee 1001", from)
	}
	pcm, _ = a.listen(600 * time.Millisecond)
	hearsMusic(t, "A while C rings", pcm)
	inC.answer(t, 200)
	recvWithin(t, b.byes, "BYE at the transferor")
	checkAudio(t, a, sess.InviteResponse.Body(), c)
	checkAudio(t, c, inC.req.Body(), a)

	h.expectStates("1002", "ringing,on-call,idle")
	h.expectStates("1003", "ringing,on-call")
	h.expectLog("1002", store.Incoming, store.Answered, "1001")
	h.hangUp(t, sess, c, "BYE at C")
	h.expectLog("1003", store.Incoming, store.Answered, "1001")
	h.expectLog("1001", store.Outgoing, store.Answered, "")
	h.expectPeers("1001", "1002,1002,1003,1003")
}

// TestIntegrationDTMFTransferTwice: the caller may transfer too, and a transferred call
// can be transferred again by the new party with the code (the watcher follows the new pair).
func TestIntegrationDTMFTransferTwice(t *testing.T) {
	h := newHarness(t)
	a, b, c, d := h.phone("1001"), h.phone("1002"), h.phone("1003"), h.phone("1004")
	sess, in := h.connect(a, b)
	ka := newKeypad(t, a, sess.InviteResponse.Body())
	ka.press(t, "*#*11003#") // A (the caller) sends B to C
	inC := c.expectCall(t)
	if from := inC.req.From().Address.User; from != "1002" {
		t.Fatalf("C sees caller %q, want the transferee 1002", from)
	}
	inC.answer(t, 200)
	recvWithin(t, a.byes, "BYE at A")
	checkAudio(t, b, in.req.Body(), c)

	kc := newKeypad(t, c, inC.req.Body())
	kc.press(t, "*#*11004#") // C sends B on to D
	inD := d.expectCall(t)
	inD.answer(t, 200)
	recvWithin(t, c.byes, "BYE at C")
	checkAudio(t, b, in.req.Body(), d)
	checkAudio(t, d, inD.req.Body(), b)
	h.hangUp(t, in.sess, d, "BYE at D")
	h.expectLog("1004", store.Incoming, store.Answered, "1002")
	h.expectLog("1003", store.Incoming, store.Answered, "1002")
}

// TestIntegrationDTMFTransferCancelAndWrongNumber: * cancels and an unknown number fails; each
// time the transferor hears the error tone and the two talk again. The other party's keys are
// its own (B typing 1003# after A's prefix does nothing).
func TestIntegrationDTMFTransferCancelAndWrongNumber(t *testing.T) {
	h := newHarness(t)
	a, b := h.phone("1001"), h.phone("1002")
	sess, in := h.connect(a, b)
	ka := newKeypad(t, a, sess.InviteResponse.Body())
	kb := newKeypad(t, b, in.req.Body())

	for _, tc := range []struct{ name, rest string }{
		{"cancel", "10*"},
		{"wrong number", "5559#"},
	} {
		prefixed, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			ka.press(t, "*#*1")
			close(prefixed)
			kb.press(t, "1003#") // the transferee's keys do not complete A's code
			ka.press(t, tc.rest)
		}()
		<-prefixed
		b.listen(200 * time.Millisecond)
		pcm, _ := b.listen(600 * time.Millisecond)
		<-done
		hearsMusic(t, "B ("+tc.name+")", pcm)
		// A hears the error tone, then A and B talk again.
		errPCM, _ := a.listen(1500 * time.Millisecond)
		if l := tone.Level(errPCM, 950, codec.SampleRate); l < 0.02 {
			t.Fatalf("%s: A's error tone level at 950 Hz %.3f", tc.name, l)
		}
		checkAudio(t, a, sess.InviteResponse.Body(), b)
		checkAudio(t, b, in.req.Body(), a)
	}
	if h.eng.ActiveCalls() != 1 {
		t.Fatalf("ActiveCalls = %d, want the call still up", h.eng.ActiveCalls())
	}
	h.hangUp(t, sess, b, "BYE at B")
	h.expectLog("1001", store.Outgoing, store.Answered, "1002")
	// The wrong number left a failed attempt in the transferor's call and nobody else's log.
	if recs := h.callLog("1003"); len(recs) != 0 {
		t.Fatalf("1003 has call log %+v, want none", recs)
	}
}

// TestIntegrationDTMFTransferHangupWhileTyping: the transferor hangs up in the middle of the
// code; the call ends for both and nothing is left running.
func TestIntegrationDTMFTransferHangupWhileTyping(t *testing.T) {
	h := newHarness(t)
	a, b := h.phone("1001"), h.phone("1002")
	_, in := h.connect(a, b)
	kb := newKeypad(t, b, in.req.Body())
	kb.press(t, "*#*110")
	pcm, _ := a.listen(500 * time.Millisecond)
	hearsMusic(t, "A", pcm[min(len(pcm), 1600):])
	if err := in.sess.Bye(h.ctx); err != nil {
		t.Fatal(err)
	}
	recvWithin(t, a.byes, "BYE at A")
	h.waitIdle()
	if a.gotRTP(300 * time.Millisecond) {
		// Drain what was in flight, then nothing more may come.
		a.drainRTP()
		if a.gotRTP(300 * time.Millisecond) {
			t.Fatal("A still gets music after the call ended")
		}
	}
}

// TestIntegrationDTMFTransferOnlyByUsers: an outside caller (from the carrier) typing the code
// does not make the server dial: its keys simply reach the user. The user can transfer the
// outside caller, who is then presented to the target by its own number.
func TestIntegrationDTMFTransferOnlyByUsers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	carrier := newTestPhone(t, ctx, "carrier", "carrier", "", []sdpmedia.Codec{sdpmedia.PCMA})
	cport := carrier.conn.LocalAddr().(*net.UDPAddr).Port
	h := newHarnessWith(t, func(c *Config) {
		c.Trunk = Trunk{Host: "127.0.0.1", Port: cport, Domain: "carrier.example",
			DIDs: map[string]string{"+35891230000": "1002"}}
	})
	b, c := h.phone("1002"), h.phone("1003")
	didDone := make(chan dialResult, 1)
	go func() {
		s, err := carrier.dialAs(h.ctx, fmt.Sprintf("sip:+35891230000@%s:%d", h.host, h.port), "+358501112222")
		didDone <- dialResult{s, err}
	}()
	inB := b.expectCall(t)
	inB.answer(t, 200)
	sess := answered(t, didDone, "DID answer")

	kx := newKeypad(t, carrier, sess.InviteResponse.Body())
	kx.press(t, "*#*11003#")
	if n := b.events(500 * time.Millisecond); n != 9*6 {
		t.Fatalf("1002 got %d telephone-event packets, want all 54 of the outside caller's keys", n)
	}
	select {
	case <-c.incoming:
		t.Fatal("an outside caller's code made the server call 1003")
	case <-time.After(time.Second):
	}
	checkAudio(t, carrier, sess.InviteResponse.Body(), b)

	kb := newKeypad(t, b, inB.req.Body())
	kb.press(t, "*#*11003#")
	inC := c.expectCall(t)
	if from := inC.req.From().Address.User; from != "+358501112222" {
		t.Fatalf("1003 sees caller %q, want the outside caller's number", from)
	}
	inC.answer(t, 200)
	recvWithin(t, b.byes, "BYE at 1002")
	checkAudio(t, carrier, sess.InviteResponse.Body(), c)
	checkAudio(t, c, inC.req.Body(), carrier)
	h.hangUp(t, inC.sess, carrier, "BYE at carrier")
	h.expectLog("1003", store.Incoming, store.Answered, "+358501112222")
}

// events counts the telephone-event packets (any payload type that is not G.711) arriving at
// the phone within d.
func (p *testPhone) events(d time.Duration) int {
	buf := make([]byte, 1500)
	deadline := time.Now().Add(d)
	n := 0
	for {
		_ = p.rtp.SetReadDeadline(deadline)
		m, err := p.rtp.Read(buf)
		if err != nil {
			return n
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:m]) == nil && !codec.Supported(pkt.PayloadType) && len(pkt.Payload) == 4 {
			n++
		}
	}
}

// TestIntegrationDTMFTransferByINFO: a phone that sends its keys as SIP INFO (the caller A
// here) can use the code too: A types *#*11003# as INFO requests, B hears the music and is then
// connected to C, and A gets BYE.
func TestIntegrationDTMFTransferByINFO(t *testing.T) {
	h := newHarness(t)
	a, b, c := h.phone("1001"), h.phone("1002"), h.phone("1003")
	sess, _ := h.connect(a, b)
	target := sess.InviteResponse.Contact().Address
	for i, k := range "*#*11003#" {
		body := []byte("Signal=" + string(k) + "\r\nDuration=160\r\n")
		res, err := inDialog(h.ctx, sess, target, sip.INFO, body, sip.NewHeader("Content-Type", "application/dtmf-relay"))
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("INFO %d (%c): %v %v", i, k, res, err)
		}
	}
	inC := c.expectCall(t)
	if from := inC.req.From().Address.User; from != "1002" {
		t.Fatalf("C sees caller %q, want the transferee 1002", from)
	}
	inC.answer(t, 200)
	recvWithin(t, a.byes, "BYE at A, the transferor")
}
