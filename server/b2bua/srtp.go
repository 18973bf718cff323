package b2bua

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// SRTP with SDES (RFC 4568): the relay terminates it per leg (server/relay/srtp.go), so each
// party gets SRTP or plain RTP as it asks, whatever the other party speaks. Keys travel in the
// SDP, so they are offered only over TLS: to a callee whose registration came over TLS (or
// whose Contact says transport=tls or sips:); a party that offers a=crypto gets an answer with
// the leg's own key. An RTP/SAVP offer without a crypto we can use is refused with 488.

// srtpRefused reports whether the party's SDP demands SRTP we cannot give.
func srtpRefused(m sdpmedia.Media) bool {
	_, ok := m.SelectCrypto()
	return m.Secure && !ok
}

// keyer is a media endpoint facing a party that terminates SRTP: a relay leg or the media
// endpoint of a service call.
type keyer interface {
	LocalCrypto(tag int, suite string) (sdpmedia.Crypto, error)
}

// withCrypto adds the endpoint's own key to m (an SDP for the party) when the party's SDP
// carries a usable crypto: the same suite and tag, and the party's profile (RTP/SAVP or RTP/AVP).
func withCrypto(media keyer, m *sdpmedia.Media, party sdpmedia.Media) error {
	c, ok := party.SelectCrypto()
	if !ok || media == nil {
		return nil
	}
	local, err := media.LocalCrypto(c.Tag, c.Suite)
	if err != nil {
		return err
	}
	m.Crypto, m.Secure = []sdpmedia.Crypto{local}, party.Secure
	return nil
}

// offerCrypto makes m an SRTP-only offer with the endpoint's key (the default suite, tag 1).
func offerCrypto(media keyer, m *sdpmedia.Media) error {
	local, err := media.LocalCrypto(1, sdpmedia.AES_CM_128_HMAC_SHA1_80)
	if err != nil {
		return err
	}
	m.Crypto, m.Secure = []sdpmedia.Crypto{local}, true
	return nil
}

// secureDest reports whether a device is reached over TLS, so that SDES keys may be sent to it.
// The trunk is left alone: a carrier gets the media it is configured for.
func (e *Engine) secureDest(d dest) bool {
	if e.isTrunkDest(d) {
		return false
	}
	return strings.EqualFold(d.transport, "tls") || secureURI(d.uri)
}

func secureURI(u sip.Uri) bool {
	if strings.EqualFold(u.Scheme, "sips") {
		return true
	}
	if u.UriParams != nil {
		if tp, ok := u.UriParams.Get("transport"); ok && strings.EqualFold(tp, "tls") {
			return true
		}
	}
	return false
}
