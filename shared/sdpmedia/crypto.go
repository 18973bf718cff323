package sdpmedia

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/srtp/v3"
)

// SDES (RFC 4568): SRTP keys carried in the SDP's a=crypto attributes, which is safe only when
// the SDP itself travels encrypted (SIP over TLS). Each side announces the key it encrypts its
// own media with: an offer lists one or more suites with a key each, the answer repeats the tag
// of the one it accepts with the answerer's own key. The profile "RTP/SAVP" (Media.Secure)
// says that the party accepts SRTP only.
//
// Use: an answerer calls offer.SelectCrypto, answers with NewCrypto(chosen.Tag, chosen.Suite)
// (and Secure as offered), then decrypts what the party sends with chosen.NewContext() and
// encrypts what it sends with its own key's NewContext(). An offerer offers
// NewCrypto(1, AES_CM_128_HMAC_SHA1_80) with Secure set, and takes answer.SelectCrypto() as
// the party's key.

// SRTP crypto suites Vaihde speaks (RFC 4568 section 6.2, RFC 6188 section 7).
const (
	AES_CM_128_HMAC_SHA1_80 = "AES_CM_128_HMAC_SHA1_80" // the default: offered by Vaihde
	AES_CM_128_HMAC_SHA1_32 = "AES_CM_128_HMAC_SHA1_32"
	AES_256_CM_HMAC_SHA1_80 = "AES_256_CM_HMAC_SHA1_80"
	AES_256_CM_HMAC_SHA1_32 = "AES_256_CM_HMAC_SHA1_32"
)

// ErrCrypto means an a=crypto attribute or a key is malformed or of an unknown suite.
var ErrCrypto = errors.New("sdpmedia: bad or unsupported SRTP crypto")

// suites maps each supported suite to its pion profile; key and salt lengths come from there.
var suites = map[string]srtp.ProtectionProfile{
	AES_CM_128_HMAC_SHA1_80: srtp.ProtectionProfileAes128CmHmacSha1_80,
	AES_CM_128_HMAC_SHA1_32: srtp.ProtectionProfileAes128CmHmacSha1_32,
	AES_256_CM_HMAC_SHA1_80: srtp.ProtectionProfileAes256CmHmacSha1_80,
	AES_256_CM_HMAC_SHA1_32: srtp.ProtectionProfileAes256CmHmacSha1_32,
}

// Crypto is one a=crypto attribute: "a=crypto:<Tag> <Suite> inline:<base64(Key)>".
type Crypto struct {
	Tag   int    // chosen by the offerer (1..999999999); the answer repeats the accepted one
	Suite string // e.g. AES_CM_128_HMAC_SHA1_80
	Key   []byte // master key followed by master salt (30 bytes for AES_CM_128, 46 for AES_256)
	// Unusable is set by Parse for an attribute Vaihde cannot use although its suite may be
	// known: a master key index (MKI), session parameters, or a key of the wrong length.
	Unusable bool
}

// SupportedSuite reports whether Vaihde can use suite.
func SupportedSuite(suite string) bool { _, ok := suites[suite]; return ok }

// keyLen is the master key plus salt length of suite.
func keyLen(suite string) (int, bool) {
	p, ok := suites[suite]
	if !ok {
		return 0, false
	}
	k, err1 := p.KeyLen()
	s, err2 := p.SaltLen()
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return k + s, true
}

// NewCrypto makes a fresh random key for suite under tag.
func NewCrypto(tag int, suite string) (Crypto, error) {
	n, ok := keyLen(suite)
	if !ok || tag < 1 || tag > 999999999 {
		return Crypto{}, fmt.Errorf("new crypto %d %q: %w", tag, suite, ErrCrypto)
	}
	key := make([]byte, n)
	if _, err := rand.Read(key); err != nil {
		return Crypto{}, fmt.Errorf("new crypto: %w", err)
	}
	return Crypto{Tag: tag, Suite: suite, Key: key}, nil
}

// Usable reports whether the crypto can key an SRTP context.
func (c Crypto) Usable() bool {
	n, ok := keyLen(c.Suite)
	return ok && !c.Unusable && len(c.Key) == n
}

// Equal reports whether c and o are the same tag, suite and key.
func (c Crypto) Equal(o Crypto) bool {
	return c.Tag == o.Tag && c.Suite == o.Suite && string(c.Key) == string(o.Key) && c.Unusable == o.Unusable
}

// String describes the crypto without its key, for logs.
func (c Crypto) String() string { return strconv.Itoa(c.Tag) + " " + c.Suite + " inline:…" }

// attribute is the value of the a=crypto attribute.
func (c Crypto) attribute() string {
	return strconv.Itoa(c.Tag) + " " + c.Suite + " inline:" + base64.StdEncoding.EncodeToString(c.Key)
}

// NewContext makes an SRTP/SRTCP context keyed by c: from the party's crypto it decrypts what
// the party sends (with replay protection), from our own it encrypts what we send. One context
// serves one direction; it is not safe for concurrent use.
func (c Crypto) NewContext(opts ...srtp.ContextOption) (*srtp.Context, error) {
	if !c.Usable() {
		return nil, fmt.Errorf("srtp context for %v: %w", c, ErrCrypto)
	}
	p := suites[c.Suite]
	k, _ := p.KeyLen()
	ctx, err := srtp.CreateContext(c.Key[:k], c.Key[k:], p, opts...)
	if err != nil {
		return nil, fmt.Errorf("srtp context for %v: %w", c, err)
	}
	return ctx, nil
}

// SelectCrypto returns the first usable crypto of the description: in an offer, the one an
// answerer accepts; in an answer, the one the party accepted (with its key).
func (m Media) SelectCrypto() (Crypto, bool) {
	for _, c := range m.Crypto {
		if c.Usable() {
			return c, true
		}
	}
	return Crypto{}, false
}

// parseCrypto reads an a=crypto value: "<tag> <suite> <key-params> [<session-params>]" where
// key-params are "inline:<key||salt>[|<lifetime>][|<MKI>:<length>]" (several separated by ";").
func parseCrypto(v string) (Crypto, error) {
	f := strings.Fields(v)
	if len(f) < 3 {
		return Crypto{}, fmt.Errorf("parse crypto %q: %w", v, ErrCrypto)
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return Crypto{}, fmt.Errorf("parse crypto tag %q: %w", f[0], ErrCrypto)
	}
	c := Crypto{Tag: tag, Suite: f[1], Unusable: len(f) > 3} // session parameters: not supported
	keyParams := strings.Split(f[2], ";")
	if len(keyParams) > 1 {
		c.Unusable = true // several master keys need MKIs
	}
	method, info, ok := strings.Cut(keyParams[0], ":")
	if !ok || !strings.EqualFold(method, "inline") {
		return Crypto{}, fmt.Errorf("parse crypto key %q: %w", f[2], ErrCrypto)
	}
	parts := strings.Split(info, "|")
	key, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		// Some send the key without padding.
		if key, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(parts[0], "=")); err != nil {
			return Crypto{}, fmt.Errorf("parse crypto key: %w", ErrCrypto)
		}
	}
	c.Key = key
	for _, p := range parts[1:] {
		if strings.Contains(p, ":") {
			c.Unusable = true // an MKI
		}
	}
	if n, ok := keyLen(c.Suite); ok && len(key) != n {
		c.Unusable = true
	}
	return c, nil
}
