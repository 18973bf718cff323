package auth

import (
	"errors"
	"strings"
)

// Credentials are the fields of a Digest Authorization or Proxy-Authorization header.
type Credentials struct {
	Username  string
	Realm     string
	Nonce     string
	URI       string
	Response  string
	Algorithm string
	CNonce    string
	NC        string
	QOP       string
	Opaque    string
}

// ErrBadHeader is returned for an Authorization header that is not well-formed Digest.
var ErrBadHeader = errors.New("auth: malformed digest authorization header")

// MaxHeaderLen bounds the header length ParseAuthorization accepts.
const MaxHeaderLen = 4096

// ParseAuthorization parses a `Digest k=v, k="v"` header value. Unknown parameters are
// ignored; username, realm, nonce, uri and response are required.
func ParseAuthorization(v string) (Credentials, error) {
	var c Credentials
	if len(v) > MaxHeaderLen {
		return c, ErrBadHeader
	}
	v = strings.TrimSpace(v)
	scheme, rest, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Digest") {
		return c, ErrBadHeader
	}
	fields := map[string]*string{
		"username": &c.Username, "realm": &c.Realm, "nonce": &c.Nonce, "uri": &c.URI,
		"response": &c.Response, "algorithm": &c.Algorithm, "cnonce": &c.CNonce, "nc": &c.NC,
		"qop": &c.QOP, "opaque": &c.Opaque,
	}
	for {
		rest = strings.TrimLeft(rest, " \t\r\n,")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return c, ErrBadHeader
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i, closed := 1, false
			for i < len(rest) {
				ch := rest[i]
				if ch == '\\' && i+1 < len(rest) {
					b.WriteByte(rest[i+1])
					i += 2
					continue
				}
				if ch == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return c, ErrBadHeader
			}
			val, rest = b.String(), rest[i:]
			rest = strings.TrimLeft(rest, " \t")
			if rest != "" && rest[0] != ',' {
				return c, ErrBadHeader
			}
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			val, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		if f, ok := fields[key]; ok {
			*f = val
		}
	}
	if c.Username == "" || c.Realm == "" || c.Nonce == "" || c.URI == "" || c.Response == "" {
		return c, ErrBadHeader
	}
	return c, nil
}
