package subscription

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzSubscribeHeaders parses arbitrary SUBSCRIBE requests and runs the header checks on
// them: nothing a peer sends may panic, and an accepted Expires is never negative.
func FuzzSubscribeHeaders(f *testing.F) {
	f.Add("SUBSCRIBE sip:1002@demo.vaihde.local SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n" +
		"From: <sip:1001@demo.vaihde.local>;tag=a\r\nTo: <sip:1002@demo.vaihde.local>\r\nCall-ID: x\r\nCSeq: 1 SUBSCRIBE\r\n" +
		"Event: presence;id=7\r\nAccept: application/pidf+xml\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n")
	f.Add("SUBSCRIBE sip:a@b SIP/2.0\r\nEvent: dialog\r\nAccept: */*\r\nExpires: -5\r\nContent-Length: 0\r\n\r\n")
	f.Add("SUBSCRIBE sip:a@b SIP/2.0\r\nEvent: \r\nExpires: 99999999999999999999\r\nContent-Length: 0\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		msg, err := sip.ParseMessage([]byte(raw))
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		event, _ := parseEvent(req)
		_ = acceptable(req, event)
		if n, ok := parseExpires(req); ok && n < 0 {
			t.Fatalf("negative expiry %d accepted", n)
		}
	})
}
