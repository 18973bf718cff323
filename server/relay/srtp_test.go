package relay

import (
	"bytes"
	"errors"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/sdpmedia"
	"github.com/vaihde/vaihde/shared/tone"
)

// srtpPhone is a phone that speaks SRTP: it encrypts with its own key and reads what the leg
// sends with the leg's key from the answer.
type srtpPhone struct {
	*phone
	key sdpmedia.Crypto
	enc *srtp.Context
}

func newSRTPPhone(t *testing.T, ssrc uint32) *srtpPhone {
	t.Helper()
	key, err := sdpmedia.NewCrypto(1, sdpmedia.AES_CM_128_HMAC_SHA1_80)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := key.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	return &srtpPhone{phone: newPhone(t, sdpmedia.PCMU, ssrc), key: key, enc: enc}
}

// offer is the phone's SDP: RTP/SAVP with its key.
func (p *srtpPhone) offer() sdpmedia.Media {
	m := p.media(0)
	m.Secure, m.Crypto = true, []sdpmedia.Crypto{p.key}
	return m
}

// sendTone sends frames of a tone, encrypted, and returns the SRTP datagrams sent.
func (p *srtpPhone) sendTone(to netip.AddrPort, freq float64, frames int) [][]byte {
	p.t.Helper()
	pcm := make([]int16, codec.FrameSamples)
	var sent [][]byte
	for f := range frames {
		for i := range pcm {
			pcm[i] = int16(12000 * math.Sin(2*math.Pi*freq*float64(f*len(pcm)+i)/codec.SampleRate))
		}
		payload, _ := codec.Encode(codec.PCMU, pcm, nil)
		plain, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc}, Payload: payload}).Marshal()
		sealed, err := p.enc.EncryptRTP(nil, plain, nil)
		if err != nil {
			p.t.Fatal(err)
		}
		if _, err := p.conn.WriteToUDPAddrPort(sealed, to); err != nil {
			p.t.Fatal(err)
		}
		sent = append(sent, sealed)
		p.seq++
		p.ts += codec.FrameSamples
		time.Sleep(2 * time.Millisecond)
	}
	return sent
}

// opened decrypts what the phone received with key; it fails on any packet that does not
// authenticate (plain RTP included).
func (p *srtpPhone) opened(key sdpmedia.Crypto) []rtp.Packet {
	p.t.Helper()
	dec, err := key.NewContext()
	if err != nil {
		p.t.Fatal(err)
	}
	var out []rtp.Packet
	for i, pkt := range p.packets() {
		raw, _ := pkt.Marshal()
		plain, err := dec.DecryptRTP(nil, raw, nil)
		if err != nil {
			p.t.Fatalf("packet %d to the SRTP phone does not decrypt with the leg's key: %v", i, err)
		}
		var q rtp.Packet
		if err := q.Unmarshal(plain); err != nil {
			p.t.Fatal(err)
		}
		out = append(out, q)
	}
	return out
}

func checkHeard(t *testing.T, what string, pkts []rtp.Packet, freq float64) {
	t.Helper()
	pcm := decodeAll(t, pkts, codec.PCMU)
	if on := tone.Share(pcm, freq, codec.SampleRate); on < 0.5 {
		t.Errorf("%s: %.0f Hz share %.3f, want the tone", what, freq, on)
	}
}

// TestIntegrationSRTPToPlain: an SRTP party and a plain one talk through the relay, which
// terminates SRTP on the first leg only; forged, plain and replayed packets to the SRTP leg
// never reach the other party; RTCP to the SRTP party is SRTCP.
func TestIntegrationSRTPToPlain(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p, err := NewPool(Config{BindIP: netip.MustParseAddr("127.0.0.1"), RTCPInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a, b := newTestLeg(t, p), newTestLeg(t, p)
	pa, pb := newSRTPPhone(t, 0xa1), newPhone(t, sdpmedia.PCMU, 0xb2)
	if err := a.SetRemote(pa.offer(), sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	if err := b.SetRemote(pb.media(0), sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	if !a.SRTP() || b.SRTP() {
		t.Fatalf("SRTP a=%v b=%v, want only a", a.SRTP(), b.SRTP())
	}
	// The answer to A carries the leg's own key, with A's tag and suite.
	answerKey, err := a.LocalCrypto(pa.key.Tag, pa.key.Suite)
	if err != nil || bytes.Equal(answerKey.Key, pa.key.Key) || !answerKey.Usable() {
		t.Fatalf("leg key %v %v", answerKey, err)
	}
	if again, _ := a.LocalCrypto(1, pa.key.Suite); !bytes.Equal(again.Key, answerKey.Key) {
		t.Fatal("the leg's key changed between calls")
	}
	Bridge(a, b)
	rtcpA, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(pa.addr().Addr(), pa.addr().Port()+1)))
	if err != nil {
		t.Skipf("phone A's RTCP port is taken: %v", err)
	}
	defer rtcpA.Close()

	const frames = 40
	sent := pa.sendTone(a.LocalAddr(), 1000, frames)
	got := pb.waitFor(frames)
	if len(got) != frames {
		t.Fatalf("plain B received %d of %d packets", len(got), frames)
	}
	checkHeard(t, "plain B hears SRTP A", got, 1000)

	// Attacks on the SRTP leg: a replayed packet, one with a changed payload, plain RTP.
	forged := append([]byte(nil), sent[len(sent)-1]...)
	forged[30] ^= 0xff
	plain := packet(t, 0, pa.seq+1, pa.ts, pa.ssrc, bytes.Repeat([]byte{0xAA}, 160))
	for _, bad := range [][]byte{sent[3], forged, plain} {
		if _, err := pa.conn.WriteToUDPAddrPort(bad, a.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	pa.sendTone(a.LocalAddr(), 1000, 5)
	if got := pb.waitFor(frames + 5); len(got) != frames+5 {
		t.Fatalf("B received %d packets, want %d: a bad packet got through", len(got), frames+5)
	}
	if st := a.Stats(); st.Unauthenticated != 3 || !st.SRTP {
		t.Errorf("leg a: %d unauthenticated, SRTP %v; want the 3 bad packets refused", st.Unauthenticated, st.SRTP)
	}

	pb.sendTone(b.LocalAddr(), 440, frames)
	if n := len(pa.waitFor(frames)); n != frames {
		t.Fatalf("SRTP A received %d of %d packets", n, frames)
	}
	checkHeard(t, "SRTP A hears plain B", pa.opened(answerKey), 440)

	// RTCP to A is SRTCP with the leg's key.
	dec, _ := answerKey.NewContext()
	buf := make([]byte, 1500)
	rtcpA.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := rtcpA.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("no RTCP to A: %v", err)
	}
	out, err := dec.DecryptRTCP(nil, buf[:n], nil)
	if err != nil {
		t.Fatalf("RTCP to A is not SRTCP with the leg's key: %v", err)
	}
	if pkts, err := rtcp.Unmarshal(out); err != nil || len(pkts) == 0 {
		t.Fatalf("decrypted RTCP: %v", err)
	}
}

// TestSetRemoteSRTP: RTP/SAVP without a usable crypto is refused; a re-INVITE with the same
// keys keeps the contexts, a plain one turns SRTP off.
func TestSetRemoteSRTP(t *testing.T) {
	p := newTestPool(t)
	l := newTestLeg(t, p)
	m := media(40000, 0, sdpmedia.PCMU)
	m.Secure = true
	m.Crypto = []sdpmedia.Crypto{{Tag: 1, Suite: "AEAD_AES_256_GCM", Key: make([]byte, 44)}}
	if err := l.SetRemote(m, sdpmedia.PCMU); !errors.Is(err, ErrCrypto) {
		t.Fatalf("SAVP without usable crypto: %v, want ErrCrypto", err)
	}
	key, _ := sdpmedia.NewCrypto(5, sdpmedia.AES_CM_128_HMAC_SHA1_32)
	m.Crypto = append(m.Crypto, key)
	if err := l.SetRemote(m, sdpmedia.PCMU); err != nil || !l.SRTP() {
		t.Fatalf("SAVP with AES_CM_128_HMAC_SHA1_32: %v, SRTP %v", err, l.SRTP())
	}
	rx, tx := l.srtp.rx.Load(), l.srtp.tx.Load()
	if tx.key.Suite != sdpmedia.AES_CM_128_HMAC_SHA1_32 || tx.key.Tag != 5 {
		t.Fatalf("local key %v, want the offer's suite and tag", tx.key)
	}
	if err := l.SetRemote(m, sdpmedia.PCMU); err != nil || l.srtp.rx.Load() != rx || l.srtp.tx.Load() != tx {
		t.Fatal("a re-INVITE with the same keys made new contexts")
	}
	m.Crypto[1], _ = sdpmedia.NewCrypto(5, sdpmedia.AES_CM_128_HMAC_SHA1_32)
	if err := l.SetRemote(m, sdpmedia.PCMU); err != nil || l.srtp.rx.Load() == rx || l.srtp.tx.Load() != tx {
		t.Fatal("a new key of the party: want new receive contexts, the same send contexts")
	}
	if err := l.SetRemote(media(40000, 0, sdpmedia.PCMU), sdpmedia.PCMU); err != nil || l.SRTP() {
		t.Fatalf("plain re-INVITE: %v, SRTP %v", err, l.SRTP())
	}
}
