package b2bua

import (
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// TestContactTLSPort: dialogs over TLS name the TLS listener in our Contact (the phone sends
// its in-dialog requests there), the others the UDP/TCP port.
func TestContactTLSPort(t *testing.T) {
	e := &Engine{cfg: Config{ContactHost: "192.0.2.1", ContactPort: 5060, ContactTLSPort: 5061}}
	for _, tc := range []struct {
		transport string
		port      int
		param     string
	}{{"TLS", 5061, "tls"}, {"tls", 5061, "tls"}, {"UDP", 5060, ""}, {"tcp", 5060, "tcp"}} {
		c := e.contact(tc.transport)
		tp, _ := c.Address.UriParams.Get("transport")
		if c.Address.Port != tc.port || tp != tc.param {
			t.Errorf("%s: contact %s, want port %d transport %q", tc.transport, c.Address.String(), tc.port, tc.param)
		}
	}
}

// TestSecureDest: SRTP is offered to devices reached over TLS (by the registration's transport,
// a transport=tls Contact or sips:), never to plain devices or the trunk.
func TestSecureDest(t *testing.T) {
	e := &Engine{}
	tlsParam := sip.NewParams()
	tlsParam.Add("transport", "tls")
	for _, tc := range []struct {
		name string
		d    dest
		want bool
	}{
		{"registered over TLS", dest{uri: sip.Uri{Scheme: "sip", Host: "h"}, transport: "TLS"}, true},
		{"transport=tls contact", dest{uri: sip.Uri{Scheme: "sip", Host: "h", UriParams: tlsParam}, transport: "udp"}, true},
		{"sips contact", dest{uri: sip.Uri{Scheme: "sips", Host: "h"}, transport: "tcp"}, true},
		{"plain", dest{uri: sip.Uri{Scheme: "sip", Host: "h"}, transport: "udp"}, false},
		{"trunk over TLS", dest{uri: sip.Uri{Scheme: "sip", Host: "carrier"}, transport: "tls", auth: &sipgo.DigestAuth{}}, false},
	} {
		if got := e.secureDest(tc.d); got != tc.want {
			t.Errorf("%s: secure %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSRTPRefused(t *testing.T) {
	key, _ := sdpmedia.NewCrypto(1, sdpmedia.AES_CM_128_HMAC_SHA1_80)
	gcm := sdpmedia.Crypto{Tag: 2, Suite: "AEAD_AES_128_GCM", Key: make([]byte, 28)}
	for _, tc := range []struct {
		name string
		m    sdpmedia.Media
		want bool
	}{
		{"plain", sdpmedia.Media{}, false},
		{"SAVP with a usable key", sdpmedia.Media{Secure: true, Crypto: []sdpmedia.Crypto{gcm, key}}, false},
		{"SAVP without a usable key", sdpmedia.Media{Secure: true, Crypto: []sdpmedia.Crypto{gcm}}, true},
		{"SAVP without any key", sdpmedia.Media{Secure: true}, true},
		{"AVP with an unusable key: plain", sdpmedia.Media{Crypto: []sdpmedia.Crypto{gcm}}, false},
	} {
		if got := srtpRefused(tc.m); got != tc.want {
			t.Errorf("%s: refused %v, want %v", tc.name, got, tc.want)
		}
	}
}
