// Package auth owns credential checks: server-side SIP digest authentication (RFC 7616,
// RFC 2617, RFC 8760) with stateless expiring nonces, password hashing for the HTTP API, and
// rate limiting of failed attempts. It does not import the SIP stack, so the same code serves
// REGISTER, INVITE and HTTP login.
package auth

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/vaihde/vaihde/server/store"
)

// Digest algorithms offered in challenges, strongest first.
const (
	SHA256 = "SHA-256"
	MD5    = "MD5"
)

// DefaultNonceLifetime is how long a nonce is accepted before the client is told stale=true.
const DefaultNonceLifetime = 5 * time.Minute

func hexHash(h hash.Hash, parts ...string) string {
	h.Write([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(h.Sum(nil))
}

// HA1MD5 returns hex MD5(username:realm:password).
func HA1MD5(username, realm, password string) string {
	return hexHash(md5.New(), username, realm, password)
}

// HA1SHA256 returns hex SHA-256(username:realm:password).
func HA1SHA256(username, realm, password string) string {
	return hexHash(sha256.New(), username, realm, password)
}

// HashPassword returns a bcrypt hash of password for the HTTP API.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches the bcrypt hash.
func CheckPassword(hash, password string) bool {
	return hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// SetPassword fills u's digest HA1s (username = u.Extension) and bcrypt hash for password.
func SetPassword(u *store.User, realm, password string) error {
	if password == "" {
		return errors.New("auth: set password: empty password")
	}
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	u.HA1MD5 = HA1MD5(u.Extension, realm, password)
	u.HA1SHA256 = HA1SHA256(u.Extension, realm, password)
	u.PasswordHash = h
	return nil
}

// Result is the outcome of verifying digest credentials.
type Result int

const (
	// Invalid means the response does not match: wrong password or forged fields.
	Invalid Result = iota
	// Valid means the credentials prove knowledge of the password with a current nonce.
	Valid
	// Stale means the response matches but the nonce has expired: challenge again with stale=true.
	Stale
	// Replayed means the response matches but this nonce was already used with this or a
	// higher nonce count (nc): a captured Authorization sent again. Challenge again with
	// stale=true (a client that merely reused its nonce recovers; a replayer cannot answer).
	Replayed
	// WrongURI means the digest uri does not name the Request-URI (RFC 7616 section 3.4.6):
	// credentials captured from another request.
	WrongURI
)

func (r Result) String() string {
	switch r {
	case Valid:
		return "valid"
	case Stale:
		return "stale"
	case Replayed:
		return "replayed"
	case WrongURI:
		return "wrong uri"
	}
	return "invalid"
}

// Digest issues and verifies nonces: each nonce is a timestamp with an HMAC under a random
// per-process key, so issuing a challenge keeps no state. Only a nonce that has been answered
// correctly is remembered, with the highest nonce count (nc) seen, until it expires, so that a
// replayed Authorization is refused (see nonceBook). Safe for concurrent use.
type Digest struct {
	key        []byte
	lifetime   time.Duration
	algorithms []string // offered in this order; only these are accepted
	now        func() time.Time
	used       *nonceBook
}

// DefaultAlgorithms are offered when NewDigest is given none: SHA-256 first, then MD5.
var DefaultAlgorithms = []string{SHA256, MD5}

// ValidAlgorithm reports whether alg is a supported digest algorithm name.
func ValidAlgorithm(alg string) bool { return alg == SHA256 || alg == MD5 }

// NewDigest returns a Digest with a fresh random key and the given nonce lifetime
// (DefaultNonceLifetime if zero), offering and accepting algorithms in the given order
// (DefaultAlgorithms if none; unknown names are ignored). Offering only MD5 serves old clients
// that answer the first challenge even when they cannot compute it (SIPp 3.6).
func NewDigest(lifetime time.Duration, algorithms ...string) *Digest {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("auth: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	if lifetime <= 0 {
		lifetime = DefaultNonceLifetime
	}
	var algs []string
	for _, a := range algorithms {
		if ValidAlgorithm(a) {
			algs = append(algs, a)
		}
	}
	if len(algs) == 0 {
		algs = DefaultAlgorithms
	}
	return &Digest{key: key, lifetime: lifetime, algorithms: algs, now: time.Now, used: newNonceBook(DefaultMaxNonces)}
}

const nonceMACLen = 16

func (d *Digest) mac(ts []byte, realm string) []byte {
	m := hmac.New(sha256.New, d.key)
	m.Write(ts)
	m.Write([]byte(realm))
	return m.Sum(nil)[:nonceMACLen]
}

// Nonce returns a new nonce bound to realm.
func (d *Digest) Nonce(realm string) string {
	var buf [8 + nonceMACLen]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(d.now().UnixNano()))
	copy(buf[8:], d.mac(buf[:8], realm))
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

// checkNonce reports whether nonce was issued by d for realm, when, and whether it is still
// fresh.
func (d *Digest) checkNonce(nonce, realm string) (issued time.Time, authentic, fresh bool) {
	buf, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(buf) != 8+nonceMACLen {
		return time.Time{}, false, false
	}
	if !hmac.Equal(buf[8:], d.mac(buf[:8], realm)) {
		return time.Time{}, false, false
	}
	issued = time.Unix(0, int64(binary.BigEndian.Uint64(buf[:8])))
	age := d.now().Sub(issued)
	return issued, true, age >= -time.Minute && age <= d.lifetime
}

// Challenges returns the WWW-Authenticate / Proxy-Authenticate header values to send, one per
// algorithm in preference order (by default SHA-256 first, then MD5, RFC 8760 section 2.4), all
// with qop="auth" and the same nonce.
func (d *Digest) Challenges(realm string, stale bool) []string {
	return d.ChallengesWith(realm, stale, d.algorithms)
}

// MD5Only returns the challenge list for a client known to fail on any non-MD5 challenge
// (baresip 1.0 answers "Function not implemented" as soon as it sees SHA-256). When MD5 is not
// among the Digest's algorithms it returns the usual challenges.
func (d *Digest) MD5Only(realm string, stale bool) []string {
	if !d.offers(MD5) {
		return d.Challenges(realm, stale)
	}
	return d.ChallengesWith(realm, stale, []string{MD5})
}

// ChallengesWith returns challenges for the given algorithms, in order.
func (d *Digest) ChallengesWith(realm string, stale bool, algorithms []string) []string {
	nonce := d.Nonce(realm)
	st := ""
	if stale {
		st = ", stale=true"
	}
	out := make([]string, 0, len(algorithms))
	for _, alg := range algorithms {
		out = append(out, fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=%s, qop="auth"%s`, quoteEscape(realm), nonce, alg, st))
	}
	return out
}

var quoteReplacer = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func quoteEscape(s string) string { return quoteReplacer.Replace(s) }

// Verify checks credentials c of a request with method and requestURI (the Request-URI as
// sent) against user u in realm. The caller must already have looked u up by c.Username;
// Verify checks realm, nonce, response, that the digest uri names requestURI (SameURI) and that
// the nonce count was not used before with this nonce (Replayed).
func (d *Digest) Verify(c Credentials, method, requestURI, realm string, u store.User) Result {
	if c.Realm != realm || c.Username != u.Extension || c.Nonce == "" || c.URI == "" {
		return Invalid
	}
	issued, authentic, fresh := d.checkNonce(c.Nonce, realm)
	if !authentic {
		return Invalid
	}
	nc, ok := parseNC(c)
	if !ok {
		return Invalid
	}
	var h func() hash.Hash
	var ha1 string
	alg := strings.ToUpper(c.Algorithm)
	if alg == "" {
		alg = MD5
	}
	if !d.offers(alg) {
		return Invalid
	}
	switch alg {
	case MD5:
		h, ha1 = md5.New, u.HA1MD5
	case SHA256:
		h, ha1 = sha256.New, u.HA1SHA256
	default:
		return Invalid
	}
	if ha1 == "" {
		return Invalid
	}
	want := ExpectedResponse(h, ha1, c, method)
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.Response))) != 1 {
		return Invalid
	}
	if !fresh {
		return Stale
	}
	// The response proves the password; only now may the nonce's count move on, so that
	// garbage sent by others cannot use up a client's nonce.
	if !SameURI(c.URI, requestURI) {
		return WrongURI
	}
	if !d.used.use(c.Nonce, issued, nc, d.now().Add(-d.lifetime)) {
		return Replayed
	}
	return Valid
}

// parseNC returns the nonce count of c: the 8 hex digits of nc with qop=auth, 0 without qop
// (RFC 2069: such a nonce is good for one request).
func parseNC(c Credentials) (uint64, bool) {
	if c.QOP == "" {
		return 0, true
	}
	if len(c.NC) != 8 {
		return 0, false
	}
	n, err := strconv.ParseUint(c.NC, 16, 32)
	if err != nil {
		return 0, false
	}
	return n, true
}

func (d *Digest) offers(alg string) bool {
	for _, a := range d.algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

// ExpectedResponse computes the digest response for credentials c and method from ha1 with
// the hash h, or "" when the qop is not supported.
func ExpectedResponse(h func() hash.Hash, ha1 string, c Credentials, method string) string {
	ha2 := hexHash(h(), method, c.URI)
	switch strings.ToLower(c.QOP) {
	case "auth":
		if c.NC == "" || c.CNonce == "" {
			return ""
		}
		return hexHash(h(), ha1, c.Nonce, c.NC, c.CNonce, "auth", ha2)
	case "": // RFC 2069 compatibility
		return hexHash(h(), ha1, c.Nonce, ha2)
	}
	return ""
}
