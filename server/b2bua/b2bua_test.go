package b2bua

import (
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/shared/sdpmedia"
)

func TestParseReferTo(t *testing.T) {
	tests := map[string]struct {
		in      string
		user    string
		rep     *replaces
		wantErr bool
	}{
		"blind":           {in: "<sip:1003@demo.vaihde.local>", user: "1003"},
		"blind no angle":  {in: "sip:1003@demo.vaihde.local", user: "1003"},
		"with name":       {in: `"Sofia" <sip:1003@demo.vaihde.local;user=phone>`, user: "1003"},
		"attended":        {in: "<sip:1003@x?Replaces=abc%40h%3Bto-tag%3D11%3Bfrom-tag%3D22>", user: "1003", rep: &replaces{"abc@h", "11", "22"}},
		"attended other":  {in: "<sip:1003@x?Require=replaces&Replaces=c1%3Bfrom-tag%3Df%3Bto-tag%3Dt>", user: "1003", rep: &replaces{"c1", "t", "f"}},
		"replaces no tag": {in: "<sip:1003@x?Replaces=abc>", wantErr: true},
		"bad escape":      {in: "<sip:1003@x?Replaces=%zz>", wantErr: true},
		"unbalanced":      {in: ">sip:1003@x<", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, rep, err := parseReferTo(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("parseReferTo(%q) succeeded", tc.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.User != tc.user {
				t.Fatalf("user = %q, want %q", u.User, tc.user)
			}
			if (rep == nil) != (tc.rep == nil) || (rep != nil && *rep != *tc.rep) {
				t.Fatalf("replaces = %+v, want %+v", rep, tc.rep)
			}
		})
	}
}

func FuzzParseReferTo(f *testing.F) {
	for _, s := range []string{"<sip:1003@x?Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2>", "sip:x", "<>", "?", "<sip:@?Replaces=>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = parseReferTo(s) // must not panic
		_, _ = parseReplaces(s)
	})
}

func TestFailureCode(t *testing.T) {
	tests := map[string]struct {
		codes []int
		want  int
	}{
		"all busy":             {[]int{486, 486}, 486},
		"one busy one timeout": {[]int{408, 486}, 486},
		"busy everywhere":      {[]int{600}, 486},
		"declined":             {[]int{603, 408}, 603},
		"unavailable":          {[]int{480, 408}, 480},
		"server errors":        {[]int{500, 503}, 480},
		"not found at trunk":   {[]int{404}, 404},
		"nothing":              {nil, 480},
	}
	for name, tc := range tests {
		if got := failureCode(tc.codes); got != tc.want {
			t.Errorf("%s: failureCode(%v) = %d, want %d", name, tc.codes, got, tc.want)
		}
	}
}

func TestOfferedDirection(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.1")
	zero := netip.MustParseAddr("0.0.0.0")
	tests := []struct {
		m    sdpmedia.Media
		want sdpmedia.Direction
	}{
		{sdpmedia.Media{Addr: ip, Direction: sdpmedia.SendRecv}, sdpmedia.SendRecv},
		{sdpmedia.Media{Addr: ip, Direction: sdpmedia.SendOnly}, sdpmedia.SendOnly},
		{sdpmedia.Media{Addr: ip, Direction: sdpmedia.Inactive}, sdpmedia.Inactive},
		{sdpmedia.Media{Addr: zero, Direction: sdpmedia.SendRecv}, sdpmedia.SendOnly}, // RFC 2543 hold
		{sdpmedia.Media{Addr: ip}, sdpmedia.SendRecv},
	}
	for _, tc := range tests {
		if got := offeredDirection(tc.m); got != tc.want {
			t.Errorf("offeredDirection(%+v) = %s, want %s", tc.m, got, tc.want)
		}
	}
}

func TestPickCodecKeepsCurrent(t *testing.T) {
	offer := sdpmedia.Media{Codecs: []sdpmedia.Codec{sdpmedia.PCMU, sdpmedia.PCMA}}
	if c, _ := pickCodec(offer, sdpmedia.PCMA); c.Name != "PCMA" {
		t.Fatalf("pickCodec kept %s, want PCMA (no codec change mid-call)", c.Name)
	}
	if c, _ := pickCodec(offer, sdpmedia.Codec{}); c.Name != "PCMU" {
		t.Fatalf("pickCodec chose %s, want the offer's first", c.Name)
	}
	if _, err := pickCodec(sdpmedia.Media{Codecs: []sdpmedia.Codec{{PT: 9, Name: "G722", Rate: 8000}}}, sdpmedia.PCMU); err == nil {
		t.Fatal("pickCodec accepted an offer without G.711")
	}
}

func TestOfferCodecsPreferFirst(t *testing.T) {
	got := offerCodecs(sdpmedia.PCMA)
	if len(got) != 2 || got[0].Name != "PCMA" || got[1].Name != "PCMU" {
		t.Fatalf("offerCodecs(PCMA) = %v", got)
	}
	got = offerCodecs(sdpmedia.Codec{})
	if len(got) != 2 || got[0].Name != "PCMU" {
		t.Fatalf("offerCodecs() = %v", got)
	}
}

func TestCallReplaceAndOther(t *testing.T) {
	a, b, c := &leg{callID: "a"}, &leg{callID: "b"}, &leg{callID: "c"}
	k := &call{a: a, b: b}
	if k.other(a) != b || k.other(b) != a || k.other(c) != nil {
		t.Fatal("other() wrong")
	}
	k.replace(a, c) // blind transfer: transferor a leaves, c joins b
	if k.other(b) != c || k.other(a) != nil {
		t.Fatal("replace() did not put c in a's place")
	}
}

func TestDialingClaim(t *testing.T) {
	d := &dialing{stopCh: make(chan struct{})}
	w1, w2 := &leg{callID: "1"}, &leg{callID: "2"}
	if !d.claim(w1) {
		t.Fatal("first 2xx did not win")
	}
	if d.claim(w2) {
		t.Fatal("second 2xx won too")
	}
	select {
	case <-d.stopCh:
	default:
		t.Fatal("other forks not told to stop")
	}
	if d.stop() != w1 {
		t.Fatal("stop() lost the winner")
	}
	d2 := &dialing{stopCh: make(chan struct{})}
	if d2.stop() != nil || d2.claim(w1) {
		t.Fatal("a 2xx after the caller gave up must not win")
	}
}

func TestUnsupportedRequire(t *testing.T) {
	tests := map[string]struct {
		require []string
		want    string
	}{
		"none":     {nil, ""},
		"replaces": {[]string{"replaces"}, ""},
		"100rel":   {[]string{"100rel"}, "100rel"},
		"several":  {[]string{"replaces, 100rel", "Timer"}, "100rel, timer"},
	}
	for name, tc := range tests {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1002", Host: "x"})
		for _, v := range tc.require {
			req.AppendHeader(sip.NewHeader("Require", v))
		}
		if got := unsupported(req); got != tc.want {
			t.Errorf("%s: unsupported = %q, want %q", name, got, tc.want)
		}
	}
}
