package subscription

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func request(t *testing.T, hdrs ...string) *sip.Request {
	t.Helper()
	raw := "SUBSCRIBE sip:1002@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKx\r\n" +
		"From: <sip:1001@d>;tag=a\r\nTo: <sip:1002@d>\r\nCall-ID: c\r\nCSeq: 1 SUBSCRIBE\r\n" +
		strings.Join(hdrs, "\r\n")
	if len(hdrs) > 0 {
		raw += "\r\n"
	}
	raw += "Content-Length: 0\r\n\r\n"
	msg, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return msg.(*sip.Request)
}

func TestParseEvent(t *testing.T) {
	cases := map[string]struct {
		hdr       string
		event, id string
	}{
		"presence":         {"Event: presence", "presence", ""},
		"case and spaces":  {"Event:  Presence ", "presence", ""},
		"dialog with id":   {"Event: dialog;id=42", "dialog", "42"},
		"compact form":     {"o: dialog", "dialog", ""},
		"bad id dropped":   {"Event: presence;id=<x>", "presence", ""},
		"params only":      {"Event: ;id=1", "", "1"},
		"missing":          {"", "", ""},
		"unknown package":  {"Event: message-summary", "message-summary", ""},
		"package template": {"Event: presence.winfo", "presence.winfo", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var req *sip.Request
			if tc.hdr == "" {
				req = request(t)
			} else {
				req = request(t, tc.hdr)
			}
			ev, id := parseEvent(req)
			if ev != tc.event || id != tc.id {
				t.Fatalf("got %q %q, want %q %q", ev, id, tc.event, tc.id)
			}
		})
	}
}

func TestAcceptable(t *testing.T) {
	cases := []struct {
		event string
		hdrs  []string
		ok    bool
	}{
		{EventPresence, nil, true},
		{EventPresence, []string{"Accept: application/pidf+xml"}, true},
		{EventPresence, []string{"Accept: application/xpidf+xml, application/PIDF+xml;q=0.5"}, true},
		{EventPresence, []string{"Accept: application/xpidf+xml", "Accept: application/pidf+xml"}, true},
		{EventPresence, []string{"Accept: text/plain"}, false},
		{EventPresence, []string{"Accept: application/dialog-info+xml"}, false},
		{EventPresence, []string{"Accept: */*"}, true},
		{EventDialog, []string{"Accept: application/dialog-info+xml"}, true},
		{EventDialog, []string{"Accept: application/pidf+xml"}, false},
		{EventDialog, []string{"Accept: application/*"}, true},
	}
	for _, tc := range cases {
		if ok := acceptable(request(t, tc.hdrs...), tc.event); ok != tc.ok {
			t.Errorf("%s %v: ok=%v, want %v", tc.event, tc.hdrs, ok, tc.ok)
		}
	}
}

func TestParseExpires(t *testing.T) {
	cases := map[string]struct {
		hdr string
		n   int
		ok  bool
	}{
		"absent":   {"", DefaultExpires, true},
		"zero":     {"Expires: 0", 0, true},
		"normal":   {"Expires: 600", 600, true},
		"capped":   {"Expires: 86400", MaxExpires, true},
		"negative": {"Expires: -1", 0, false},
		"text":     {"Expires: soon", 0, false},
		"huge":     {"Expires: 99999999999999999999", 0, false},
		"uint32":   {"Expires: 4294967295", MaxExpires, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var req *sip.Request
			if tc.hdr == "" {
				req = request(t)
			} else {
				req = request(t, tc.hdr)
			}
			n, ok := parseExpires(req)
			if n != tc.n || ok != tc.ok {
				t.Fatalf("got %d %v, want %d %v", n, ok, tc.n, tc.ok)
			}
		})
	}
}

func TestRecordRoutes(t *testing.T) {
	req := request(t, "Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>", "Record-Route: <sip:p3.example;lr>", "Record-Route: garbage<<")
	got := recordRoutes(req)
	var hosts []string
	for _, u := range got {
		hosts = append(hosts, u.Host)
	}
	if strings.Join(hosts, ",") != "p1.example,p2.example,p3.example" {
		t.Fatalf("route set %v", hosts)
	}
}
