package sdpmedia

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/pion/rtp"
)

// An SRTP-mandatory offer as baresip's srtp module (mediaenc srtp-mand) writes it.
const srtpOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 10000 RTP/SAVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n" +
	"a=crypto:1 AEAD_AES_256_GCM inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w\r\n" +
	"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk|2^31\r\n" +
	"a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk\r\n" +
	"a=sendrecv\r\n"

func TestParseCrypto(t *testing.T) {
	m, err := Parse([]byte(srtpOffer))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Secure || len(m.Crypto) != 3 {
		t.Fatalf("secure %v, crypto %v", m.Secure, m.Crypto)
	}
	if m.Crypto[0].Usable() || SupportedSuite(m.Crypto[0].Suite) {
		t.Error("AEAD_AES_256_GCM is not supported but counts as usable")
	}
	c, ok := m.SelectCrypto()
	if !ok || c.Tag != 2 || c.Suite != AES_CM_128_HMAC_SHA1_80 || string(c.Key) != "0123456789abcdef0123456789abcd" {
		t.Fatalf("selected %v %q %v", c, c.Key, ok)
	}
	plain, err := Parse([]byte(baresipOffer))
	if err != nil || plain.Secure || len(plain.Crypto) != 0 {
		t.Fatalf("plain offer: %+v %v", plain, err)
	}
	if _, ok := plain.SelectCrypto(); ok {
		t.Fatal("a plain offer selected a crypto")
	}

	for _, tc := range []struct {
		name, attr string
		usable     bool
		err        bool
	}{
		{"lifetime only", "1 AES_CM_128_HMAC_SHA1_80 inline:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk|2^20", true, false},
		{"unpadded base64", "1 AES_CM_128_HMAC_SHA1_80 inline:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk", true, false},
		{"MKI", "1 AES_CM_128_HMAC_SHA1_80 inline:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk|2^20|1:4", false, false},
		{"session parameter", "1 AES_CM_128_HMAC_SHA1_80 inline:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk UNENCRYPTED_SRTP", false, false},
		{"short key", "1 AES_CM_128_HMAC_SHA1_80 inline:MDEyMzQ1Njc4", false, false},
		{"two keys", "1 AES_CM_128_HMAC_SHA1_80 inline:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk|1:4;inline:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk|2:4", false, false},
		{"no key", "1 AES_CM_128_HMAC_SHA1_80", false, true},
		{"not inline", "1 AES_CM_128_HMAC_SHA1_80 uri:http://x", false, true},
		{"bad tag", "x AES_CM_128_HMAC_SHA1_80 inline:MDEy", false, true},
		{"bad base64", "1 AES_CM_128_HMAC_SHA1_80 inline:%%%", false, true},
	} {
		c, err := parseCrypto(tc.attr)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrCrypto) {
				t.Errorf("%s: %v is not ErrCrypto", tc.name, err)
			}
			continue
		}
		if c.Usable() != tc.usable {
			t.Errorf("%s: usable %v, want %v", tc.name, c.Usable(), tc.usable)
		}
	}
	// A malformed attribute does not spoil the offer: it is kept, unusable.
	m, err = Parse([]byte(strings.Replace(srtpOffer, "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:", "a=crypto:2 AES_CM_128_HMAC_SHA1_80 nokey", 1)))
	if err != nil || len(m.Crypto) != 3 || m.Crypto[1].Usable() {
		t.Fatalf("malformed crypto: %v %v", m.Crypto, err)
	}
	if c, ok := m.SelectCrypto(); !ok || c.Tag != 3 {
		t.Fatalf("after a malformed crypto selected %v %v, want tag 3", c, ok)
	}
}

func TestBuildCryptoRoundTrip(t *testing.T) {
	c, err := NewCrypto(7, AES_CM_128_HMAC_SHA1_80)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Key) != 30 || !c.Usable() || strings.Contains(c.String(), string(c.Key)) {
		t.Fatalf("new crypto %v, %d key bytes", c, len(c.Key))
	}
	if c2, _ := NewCrypto(7, AES_CM_128_HMAC_SHA1_80); bytes.Equal(c2.Key, c.Key) {
		t.Fatal("two keys alike")
	}
	if c256, err := NewCrypto(1, AES_256_CM_HMAC_SHA1_80); err != nil || len(c256.Key) != 46 {
		t.Fatalf("AES-256 key %d bytes %v", len(c256.Key), err)
	}
	for _, bad := range []struct {
		tag   int
		suite string
	}{{1, "AEAD_AES_128_GCM"}, {0, AES_CM_128_HMAC_SHA1_80}, {1e9, AES_CM_128_HMAC_SHA1_80}} {
		if _, err := NewCrypto(bad.tag, bad.suite); !errors.Is(err, ErrCrypto) {
			t.Errorf("NewCrypto(%d, %s): %v, want ErrCrypto", bad.tag, bad.suite, err)
		}
	}
	for _, secure := range []bool{true, false} {
		in := Media{Addr: netip.MustParseAddr("127.0.0.1"), Port: 4000, Codecs: []Codec{PCMU},
			Direction: SendRecv, Secure: secure, Crypto: []Crypto{c}}
		b, err := Build(in, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		wantProfile := "RTP/AVP "
		if secure {
			wantProfile = "RTP/SAVP "
		}
		if !strings.Contains(string(b), "m=audio 4000 "+wantProfile) {
			t.Fatalf("profile not %q:\n%s", wantProfile, b)
		}
		out, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := out.SelectCrypto()
		if out.Secure != secure || !ok || !got.Equal(c) {
			t.Fatalf("round trip: secure %v crypto %v %v", out.Secure, got, ok)
		}
	}
}

// TestCryptoContexts: what one side encrypts with its key, the other decrypts with the same
// crypto read from the SDP; a packet changed on the way fails authentication.
func TestCryptoContexts(t *testing.T) {
	for _, suite := range []string{AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_32} {
		c, err := NewCrypto(1, suite)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := c.NewContext()
		if err != nil {
			t.Fatal(err)
		}
		sdp, _ := Build(Media{Addr: netip.MustParseAddr("127.0.0.1"), Port: 4000, Codecs: []Codec{PCMU}, Secure: true, Crypto: []Crypto{c}}, 1, 1)
		m, _ := Parse(sdp)
		peer, _ := m.SelectCrypto()
		dec, err := peer.NewContext()
		if err != nil {
			t.Fatal(err)
		}
		pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1, SSRC: 9}, Payload: bytes.Repeat([]byte{0x55}, 160)}).Marshal()
		sealed, err := enc.EncryptRTP(nil, pkt, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, bytes.Repeat([]byte{0x55}, 16)) {
			t.Fatalf("%s: payload not encrypted", suite)
		}
		opened, err := dec.DecryptRTP(nil, sealed, nil)
		if err != nil || !bytes.Equal(opened, pkt) {
			t.Fatalf("%s: decrypt %v", suite, err)
		}
		sealed[20] ^= 1
		if _, err := dec.DecryptRTP(nil, sealed, nil); err == nil {
			t.Fatalf("%s: a changed packet was authenticated", suite)
		}
	}
	if _, err := (Crypto{Tag: 1, Suite: "AEAD_AES_128_GCM", Key: make([]byte, 28)}).NewContext(); !errors.Is(err, ErrCrypto) {
		t.Fatalf("unsupported suite: %v", err)
	}
}
