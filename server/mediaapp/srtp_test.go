package mediaapp

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// TestIntegrationEndpointSRTP: with a crypto in the party's SDP the channel's leg takes only SRTP from the party
// (a plain key press is ignored, an encrypted one is a digit) and sends SRTP that decrypts
// with its LocalCrypto key.
func TestIntegrationEndpointSRTP(t *testing.T) {
	e, p := newTestEndpoint(t, LegOptions{}), newPeer(t)
	key, _ := sdpmedia.NewCrypto(1, sdpmedia.AES_CM_128_HMAC_SHA1_80)
	m := sdpmedia.Media{Addr: loopback, Port: int(p.addr().Port()), Codecs: []sdpmedia.Codec{sdpmedia.PCMU},
		DTMFPT: sdpmedia.DefaultDTMFPT, Secure: true, Crypto: []sdpmedia.Crypto{key}}
	// The leg takes the keys with the SDP, so that not even the first packet goes out plain.
	if err := e.Leg().SetRemote(m, sdpmedia.PCMU); err != nil || !e.Stats().SRTP {
		t.Fatalf("SetRemote: %v, SRTP %v", err, e.Stats().SRTP)
	}
	local, err := e.LocalCrypto(1, sdpmedia.AES_CM_128_HMAC_SHA1_80)
	if err != nil {
		t.Fatal(err)
	}

	p.sendDigit(e.LocalAddr(), '3') // plain: not the party's
	enc, _ := key.NewContext()
	code, _ := dtmf.CodeOf('5')
	for i := range 6 {
		ev := dtmf.Event{Code: code, End: i >= 3, Volume: 10, Duration: uint16(min(i+1, 4) * FrameSamples)}
		plain, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: sdpmedia.DefaultDTMFPT,
			Marker: i == 0, SequenceNumber: uint16(500 + i), Timestamp: 9000, SSRC: 77},
			Payload: ev.Marshal(make([]byte, 4))}).Marshal()
		sealed, err := enc.EncryptRTP(nil, plain, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.conn.WriteToUDPAddrPort(sealed, e.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the encrypted key press", 5*time.Second, func() bool { return e.Stats().Digits > 0 })
	if k, ok := e.digits.pop(); !ok || k != '5' {
		t.Fatalf("digit %q %v, want only the encrypted 5", k, ok)
	}
	if st := e.Stats(); st.Unauthenticated != 6 || st.Digits != 1 {
		t.Fatalf("stats %+v: want the 6 plain packets refused and one digit", st)
	}

	// What the endpoint sends (silence every 20 ms) is SRTP with its own key.
	dec, _ := local.NewContext()
	buf := make([]byte, 2048)
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range 3 {
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if _, err := dec.DecryptRTP(nil, buf[:n], nil); err != nil {
			t.Fatalf("packet %d from the endpoint is not SRTP with its key: %v", i, err)
		}
	}
}
