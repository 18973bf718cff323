package auth

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultMaxNonces bounds how many answered nonces a Digest remembers. Only correct answers
// are remembered, each for at most the nonce lifetime, so the bound is reached only by a very
// busy server; then the oldest are forgotten and treated as expired (see nonceBook).
const DefaultMaxNonces = 100_000

// nonceBook remembers, per answered nonce, the highest nonce count accepted (RFC 7616 section
// 3.3: the server should refuse a repeated nc). Entries live while their nonce is fresh. When
// the book is full the oldest nonces are dropped and floor moves past them: a nonce issued
// before floor that is no longer in the book counts as used, so forgetting never lets a replay
// through — its client is merely challenged again.
type nonceBook struct {
	max int

	mu    sync.Mutex
	m     map[string]nonceUse
	floor time.Time
}

type nonceUse struct {
	issued time.Time
	nc     uint64
}

func newNonceBook(max int) *nonceBook {
	if max < 1 {
		max = 1
	}
	return &nonceBook{max: max, m: make(map[string]nonceUse)}
}

// use records nc for nonce (issued at issued) and reports whether it was acceptable: the
// nonce not seen before, or seen only with lower counts. Nonces issued before oldest have
// expired and are swept when room is needed.
func (b *nonceBook) use(nonce string, issued time.Time, nc uint64, oldest time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	prev, seen := b.m[nonce]
	if seen {
		if nc <= prev.nc {
			return false
		}
		b.m[nonce] = nonceUse{issued: issued, nc: nc}
		return true
	}
	if !issued.After(b.floor) && !b.floor.IsZero() {
		return false // forgotten: may have been used
	}
	if len(b.m) >= b.max {
		b.sweep(oldest)
	}
	b.m[nonce] = nonceUse{issued: issued, nc: nc}
	return true
}

// sweep drops expired nonces and, if the book is still full, the oldest tenth; b.mu is held.
func (b *nonceBook) sweep(oldest time.Time) {
	for k, u := range b.m {
		if u.issued.Before(oldest) {
			delete(b.m, k)
		}
	}
	if len(b.m) < b.max {
		return
	}
	type kv struct {
		k string
		t time.Time
	}
	all := make([]kv, 0, len(b.m))
	for k, u := range b.m {
		all = append(all, kv{k, u.issued})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
	drop := len(all) - b.max + b.max/10 + 1
	if drop > len(all) {
		drop = len(all)
	}
	for _, e := range all[:drop] {
		delete(b.m, e.k)
		if e.t.After(b.floor) {
			b.floor = e.t
		}
	}
}

// len returns how many nonces are remembered.
func (b *nonceBook) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

// SameURI reports whether the digest uri a names the same resource as the Request-URI b (RFC
// 7616 section 3.4.6; RFC 3261 section 22.4 has the client copy the Request-URI). For SIP URIs
// scheme (sip and sips alike), user and host (case-insensitively) must match, and the ports
// when both name one; parameters and headers are ignored, as clients differ in which they copy.
// Other schemes (tel:) compare whole, case-insensitively.
func SameURI(a, b string) bool {
	sa, ua, ha, pa, oka := splitSIPURI(a)
	sb, ub, hb, pb, okb := splitSIPURI(b)
	if !oka || !okb {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) && strings.TrimSpace(a) != ""
	}
	if sa != sb || ua != ub || !strings.EqualFold(ha, hb) || ha == "" {
		return false
	}
	return pa == "" || pb == "" || pa == pb
}

// splitSIPURI splits a sip: or sips: URI into scheme "sip", user, host and port; ok is false
// for other schemes.
func splitSIPURI(s string) (scheme, user, host, port string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 1 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	sch, rest, found := strings.Cut(s, ":")
	if !found {
		return "", "", "", "", false
	}
	switch strings.ToLower(sch) {
	case "sip", "sips":
	default:
		return "", "", "", "", false
	}
	if i := strings.IndexAny(rest, ";?"); i >= 0 {
		rest = rest[:i]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		user, rest = rest[:at], rest[at+1:]
		if i := strings.IndexByte(user, ':'); i >= 0 {
			user = user[:i] // user:password (deprecated) compares by user
		}
	}
	host = rest
	if strings.HasPrefix(host, "[") { // IPv6 reference
		if j := strings.IndexByte(host, ']'); j >= 0 {
			host, port = host[:j+1], strings.TrimPrefix(host[j+1:], ":")
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host, port = host[:i], host[i+1:]
	}
	return "sip", user, host, port, true
}
