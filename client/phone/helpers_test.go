package phone

import (
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/shared/sdpmedia"
)

func TestEndReason(t *testing.T) {
	tests := map[int]string{486: "Busy", 600: "Busy", 404: "Not found", 484: "Not found", 603: "Rejected",
		480: "No answer", 408: "No answer", 487: "No answer", 500: "Unavailable", 503: "Unavailable", 488: "Call failed"}
	for code, want := range tests {
		if got := endReason(code); got != want {
			t.Errorf("endReason(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestSipfragStatus(t *testing.T) {
	tests := map[string]int{"SIP/2.0 200 OK\r\n": 200, "SIP/2.0 100 Trying": 100, "SIP/2.0 486 Busy Here\r\nVia: x": 486,
		"": 0, "garbage": 0, "SIP/2.0 abc": 0, "SIP/2.0 9999 x": 0}
	for body, want := range tests {
		if got := sipfragStatus(body); got != want {
			t.Errorf("sipfragStatus(%q) = %d, want %d", body, got, want)
		}
	}
}

func TestDialUser(t *testing.T) {
	tests := map[string]string{"040 123 4567": "0401234567", "+358 (40) 123-4567": "+358401234567",
		"1002": "1002", "sip:1003@example.org": "1003"}
	for in, want := range tests {
		if got := dialUser(in); got != want {
			t.Errorf("dialUser(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitServer(t *testing.T) {
	tests := []struct {
		in                  Account
		host, hostport, api string
	}{
		{Account{Server: "pbx.example.org"}, "pbx.example.org", "pbx.example.org:5060", "http://pbx.example.org:8080"},
		{Account{Server: "10.0.0.5:5070"}, "10.0.0.5", "10.0.0.5:5070", "http://10.0.0.5:8080"},
		{Account{Server: "sip:pbx", APIURL: "https://pbx/"}, "pbx", "pbx:5060", "https://pbx"},
		{Account{Server: "pbx.example.org", Transport: "TLS"}, "pbx.example.org", "pbx.example.org:5061", "https://pbx.example.org:8443"},
		{Account{Server: "[::1]:5071", Transport: "tls"}, "::1", "[::1]:5071", "https://[::1]:8443"},
		{Account{Server: "pbx", Transport: "tcp"}, "pbx", "pbx:5060", "http://pbx:8080"},
	}
	for _, tc := range tests {
		h, hp, api, err := splitServer(tc.in)
		if err != nil || h != tc.host || hp != tc.hostport || api != tc.api {
			t.Errorf("splitServer(%+v) = %q %q %q %v", tc.in, h, hp, api, err)
		}
	}
	if _, _, _, err := splitServer(Account{}); err == nil {
		t.Error("empty server accepted")
	}
	if _, _, _, err := splitServer(Account{Server: "pbx", Transport: "sctp"}); err == nil {
		t.Error("unknown transport accepted")
	}
}

func TestGrantedExpiry(t *testing.T) {
	ours := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "10.0.0.2", Port: 5062}}
	res := sip.NewResponse(200, "OK")
	other := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "10.0.0.9", Port: 5060}, Params: sip.NewParams()}
	other.Params.Add("expires", "3600")
	mine := sip.ContactHeader{Address: ours.Address, Params: sip.NewParams()}
	mine.Params.Add("expires", "120")
	res.AppendHeader(&other)
	res.AppendHeader(&mine)
	if got := grantedExpiry(res, ours, 300*time.Second); got != 120*time.Second {
		t.Fatalf("granted %v, want our contact's 120 s", got)
	}
	bare := sip.NewResponse(200, "OK")
	exp := sip.ExpiresHeader(90)
	bare.AppendHeader(&exp)
	if got := grantedExpiry(bare, ours, 300*time.Second); got != 90*time.Second {
		t.Fatalf("granted %v, want Expires 90 s", got)
	}
}

func TestMediaParamsFollowDirections(t *testing.T) {
	tests := []struct {
		remote     sdpmedia.Direction
		addr       string
		localHold  bool
		send, recv bool
	}{
		{sdpmedia.SendRecv, "10.0.0.1", false, true, true},
		{sdpmedia.SendOnly, "10.0.0.1", false, false, true}, // they hold us
		{sdpmedia.RecvOnly, "10.0.0.1", false, true, false},
		{sdpmedia.Inactive, "10.0.0.1", false, false, false},
		{sdpmedia.SendRecv, "0.0.0.0", false, false, true}, // RFC 2543 hold
		{sdpmedia.SendRecv, "10.0.0.1", true, false, false},
	}
	for _, tc := range tests {
		c := &call{localHold: tc.localHold, pt: 0,
			remote: sdpmedia.Media{Addr: netip.MustParseAddr(tc.addr), Port: 4000, Direction: tc.remote}}
		p := c.mediaParamsLocked()
		if p.Send != tc.send || p.Recv != tc.recv {
			t.Errorf("%s %s hold=%v: send %v recv %v, want %v %v", tc.remote, tc.addr, tc.localHold, p.Send, p.Recv, tc.send, tc.recv)
		}
	}
}

func TestEscapeURIHeader(t *testing.T) {
	got := escapeURIHeader("abc@host;to-tag=1;from-tag=2")
	if want := "abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
