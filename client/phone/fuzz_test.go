package phone

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// FuzzParseMessage parses arbitrary MESSAGE requests the Softphone may receive: no panic.
func FuzzParseMessage(f *testing.F) {
	f.Add("MESSAGE sip:1001@127.0.0.1 SIP/2.0\r\nFrom: \"Mikko\" <sip:1002@demo.vaihde.local>;tag=1\r\n" +
		"To: <sip:1001@demo.vaihde.local>\r\nCall-ID: m\r\nCSeq: 1 MESSAGE\r\nDate: Sun, 22 Nov 2026 04:00:00 GMT\r\n" +
		"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 3\r\n\r\nHei")
	f.Add("MESSAGE sip:a@b SIP/2.0\r\nContent-Type: application/im-iscomposing+xml\r\nDate: garbage\r\nContent-Length: 0\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		msg, err := sip.ParseMessage([]byte(raw))
		if err != nil {
			return
		}
		if req, ok := msg.(*sip.Request); ok {
			_, _ = parseMessage(req, time.Unix(0, 0))
		}
	})
}
