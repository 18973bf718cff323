package sdpmedia

import (
	"errors"
	"net/netip"
	"testing"
)

const baresipOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 10000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendonly\r\n"

func TestParse(t *testing.T) {
	m, err := Parse([]byte(baresipOffer))
	if err != nil {
		t.Fatal(err)
	}
	if m.Port != 10000 || m.Addr != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("addr %v port %d", m.Addr, m.Port)
	}
	if len(m.Codecs) != 2 || m.Codecs[0] != PCMA || m.Codecs[1] != PCMU {
		t.Fatalf("codecs %+v", m.Codecs)
	}
	if m.DTMFPT != 101 || m.Ptime != 20 || m.Direction != SendOnly || !m.OnHold() {
		t.Fatalf("got %+v", m)
	}
	c, err := Negotiate(m, []Codec{PCMU})
	if err != nil || c != PCMU {
		t.Fatalf("negotiate %v %v", c, err)
	}
	if _, err := Negotiate(m, []Codec{{PT: 9, Name: "G722", Rate: 8000}}); !errors.Is(err, ErrNoCodec) {
		t.Fatalf("want ErrNoCodec, got %v", err)
	}
}

func TestParseNegotiate(t *testing.T) {
	m, c, err := ParseNegotiate([]byte(baresipOffer), []Codec{PCMU})
	if err != nil || c != PCMU || m.Port != 10000 {
		t.Fatalf("got %v %+v %v", c, m, err)
	}
	if _, _, err := ParseNegotiate([]byte(baresipOffer), []Codec{{PT: 9, Name: "G722", Rate: 8000}}); !errors.Is(err, ErrNoCodec) {
		t.Fatalf("want ErrNoCodec, got %v", err)
	}
	if _, _, err := ParseNegotiate([]byte("hello"), Supported); err == nil {
		t.Fatal("garbage: no error")
	}
}

func TestBuildRoundTrip(t *testing.T) {
	in := Media{Addr: netip.MustParseAddr("127.0.0.1"), Port: 4000, Codecs: []Codec{PCMU, PCMA},
		DTMFPT: 101, Direction: Inactive, Ptime: 20}
	b, err := Build(in, 42, 1)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if out.Addr != in.Addr || out.Port != in.Port || out.DTMFPT != 101 || out.Direction != Inactive ||
		len(out.Codecs) != 2 || out.Codecs[1] != PCMA {
		t.Fatalf("round trip: %+v\n%s", out, b)
	}
}

func TestParseErrors(t *testing.T) {
	for name, body := range map[string]string{
		"garbage":  "hello",
		"no audio": "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 5 RTP/AVP 96\r\n",
		"no conn":  "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5 RTP/AVP 0\r\n",
		"bad pt":   "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5 RTP/AVP 999\r\n",
		"bad addr": "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 nothost\r\nt=0 0\r\nm=audio 5 RTP/AVP 0\r\n",
	} {
		if _, err := Parse([]byte(body)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(baresipOffer))
	f.Add([]byte("v=0\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		if m.Addr.IsValid() {
			out, err := Build(m, 1, 1)
			if err != nil {
				return
			}
			if _, err := Parse(out); err != nil {
				t.Fatalf("built SDP does not parse: %v\n%s", err, out)
			}
		}
	})
}
