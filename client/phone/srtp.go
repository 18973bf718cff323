package phone

import (
	"errors"
	"fmt"

	"github.com/vaihde/vaihde/client/media"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// The Softphone's media encryption (SDES, RFC 4568): with Account.SRTP it offers RTP/SAVP with
// one AES_CM_128_HMAC_SHA1_80 key and takes nothing less; without it, it still answers an
// offer that insists on SRTP (RTP/SAVP) encrypted, and a plain offer plain. Once a call is
// encrypted, no renegotiation may make it plain again.

// offeredSuite is the suite the Softphone offers: the one every SDES endpoint implements.
const offeredSuite = sdpmedia.AES_CM_128_HMAC_SHA1_80

// errNotEncrypted ends a call whose other side will not encrypt while we require it.
var errNotEncrypted = errors.New("phone: the other side does not encrypt the call")

// offerCryptoLocked prepares our key for an offer of c: a fresh one when the account wants
// SRTP and c has none yet. Called with e.mu held.
func (c *call) offerCryptoLocked() error {
	if !c.acct.SRTP || c.local != nil {
		return nil
	}
	k, err := sdpmedia.NewCrypto(1, offeredSuite)
	if err != nil {
		return fmt.Errorf("srtp key: %w", err)
	}
	c.local, c.secure = &k, true
	return nil
}

// answerCryptoLocked decides the encryption of our answer to the offer m and sets our key;
// an error means the offer is not acceptable (488). Called with e.mu held.
func (c *call) answerCryptoLocked(m sdpmedia.Media) error {
	theirs, usable := m.SelectCrypto()
	switch {
	case usable && (m.Secure || c.acct.SRTP || c.local != nil):
		if c.local == nil || c.local.Tag != theirs.Tag || c.local.Suite != theirs.Suite {
			k, err := sdpmedia.NewCrypto(theirs.Tag, theirs.Suite)
			if err != nil {
				return fmt.Errorf("srtp key: %w", err)
			}
			c.local = &k
		}
		c.secure = m.Secure
		return nil
	case m.Secure:
		return fmt.Errorf("offer: RTP/SAVP without a usable key: %w", sdpmedia.ErrCrypto)
	case c.acct.SRTP || c.local != nil:
		return errNotEncrypted
	}
	c.local, c.secure = nil, false
	return nil
}

// checkAnswerLocked checks that an answer to our encrypted offer accepted our key. Called
// with e.mu held.
func (c *call) checkAnswerLocked(m sdpmedia.Media) error {
	if c.local == nil {
		return nil
	}
	theirs, ok := m.SelectCrypto()
	if !ok || theirs.Suite != c.local.Suite || theirs.Tag != c.local.Tag {
		return errNotEncrypted
	}
	return nil
}

// srtpLocked is the media keys of c, nil when c is not encrypted. An encrypted call whose
// other side sent no usable key gets an empty remote key: the session then sends and plays
// nothing rather than plain RTP. Called with e.mu held.
func (c *call) srtpLocked() *media.SRTP {
	if c.local == nil {
		return nil
	}
	theirs, _ := c.remote.SelectCrypto()
	return &media.SRTP{Local: *c.local, Remote: theirs}
}
