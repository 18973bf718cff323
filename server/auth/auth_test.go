package auth

import (
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

const realm = "demo.vaihde.local"

func testUser(t *testing.T) store.User {
	t.Helper()
	u := store.User{Extension: "1001"}
	u.HA1MD5 = HA1MD5("1001", realm, "demo1001")
	u.HA1SHA256 = HA1SHA256("1001", realm, "demo1001")
	return u
}

// respond builds credentials the way a client does (RFC 7616 section 3.4.1).
func respond(h func() hash.Hash, nonce, password, method string) Credentials {
	c := Credentials{Username: "1001", Realm: realm, Nonce: nonce, URI: "sip:" + realm, QOP: "auth", NC: "00000001", CNonce: "abc123"}
	ha1 := hexHash(h(), "1001", realm, password)
	if len(ha1) == 64 {
		c.Algorithm = SHA256
	}
	c.Response = ExpectedResponse(h, ha1, c, method)
	return c
}

func TestHA1KnownValues(t *testing.T) {
	// RFC 2617 section 3.5 example: Mufasa / testrealm@host.com / Circle Of Life.
	if got := HA1MD5("Mufasa", "testrealm@host.com", "Circle Of Life"); got != "939e7578ed9e3c518a452acee763bce9" {
		t.Fatalf("HA1MD5 = %s", got)
	}
	// RFC 7616 section 3.9.1 example: SHA-256 response for Mufasa at http-auth@example.org.
	c := Credentials{Username: "Mufasa", Realm: "http-auth@example.org", URI: "/dir/index.html", QOP: "auth", NC: "00000001",
		Nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", CNonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"}
	ha1 := HA1SHA256("Mufasa", "http-auth@example.org", "Circle of Life")
	if got := ExpectedResponse(sha256.New, ha1, c, "GET"); got != "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1" {
		t.Fatalf("SHA-256 response = %s", got)
	}
}

func TestVerify(t *testing.T) {
	d := NewDigest(5 * time.Minute)
	now := time.Now()
	d.now = func() time.Time { return now }
	u := testUser(t)
	nonce := d.Nonce(realm)
	other := NewDigest(0).Nonce(realm)

	tests := []struct {
		name   string
		c      func() Credentials
		method string
		age    time.Duration
		want   Result
	}{
		{"sha256 ok", func() Credentials { return respond(sha256.New, nonce, "demo1001", "REGISTER") }, "REGISTER", 0, Valid},
		{"md5 ok", func() Credentials {
			c := respond(md5.New, nonce, "demo1001", "REGISTER")
			c.Algorithm = "MD5"
			return c
		}, "REGISTER", 0, Valid},
		{"md5 without qop (RFC 2069)", func() Credentials {
			c := Credentials{Username: "1001", Realm: realm, Nonce: nonce, URI: "sip:x"}
			c.Response = ExpectedResponse(md5.New, u.HA1MD5, c, "INVITE")
			return c
		}, "INVITE", 0, Valid},
		{"wrong password", func() Credentials { return respond(sha256.New, nonce, "wrong", "REGISTER") }, "REGISTER", 0, Invalid},
		{"sha256 response labelled md5", func() Credentials {
			c := respond(sha256.New, nonce, "demo1001", "REGISTER")
			c.Algorithm = ""
			return c
		}, "REGISTER", 0, Invalid},
		{"method mismatch", func() Credentials { return respond(sha256.New, nonce, "demo1001", "INVITE") }, "REGISTER", 0, Invalid},
		{"foreign nonce", func() Credentials { return respond(sha256.New, other, "demo1001", "REGISTER") }, "REGISTER", 0, Invalid},
		{"garbage nonce", func() Credentials { return respond(sha256.New, "zz", "demo1001", "REGISTER") }, "REGISTER", 0, Invalid},
		{"wrong realm", func() Credentials {
			c := respond(sha256.New, nonce, "demo1001", "REGISTER")
			c.Realm = "other"
			return c
		}, "REGISTER", 0, Invalid},
		{"unknown algorithm", func() Credentials {
			c := respond(sha256.New, nonce, "demo1001", "REGISTER")
			c.Algorithm = "SHA-512"
			return c
		}, "REGISTER", 0, Invalid},
		{"expired nonce is stale", func() Credentials { return respond(sha256.New, nonce, "demo1001", "REGISTER") }, "REGISTER", 6 * time.Minute, Stale},
		{"expired nonce wrong password", func() Credentials { return respond(sha256.New, nonce, "bad", "REGISTER") }, "REGISTER", 6 * time.Minute, Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d.now = func() time.Time { return now.Add(tc.age) }
			d.used = newNonceBook(10) // each case answers the shared nonce afresh
			c := tc.c()
			if got := d.Verify(c, tc.method, c.URI, realm, u); got != tc.want {
				t.Fatalf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAlgorithmChoice(t *testing.T) {
	d := NewDigest(0, MD5)
	if ch := d.Challenges(realm, false); len(ch) != 1 || !strings.Contains(ch[0], "algorithm=MD5") {
		t.Fatalf("MD5-only challenges = %q", ch)
	}
	u := testUser(t)
	nonce := d.Nonce(realm)
	if got := d.Verify(respond(sha256.New, nonce, "demo1001", "REGISTER"), "REGISTER", "sip:"+realm, realm, u); got != Invalid {
		t.Fatalf("SHA-256 accepted when only MD5 is offered: %v", got)
	}
	if got := d.Verify(respond(md5.New, nonce, "demo1001", "REGISTER"), "REGISTER", "sip:"+realm, realm, u); got != Valid {
		t.Fatalf("MD5 = %v", got)
	}
	d = NewDigest(0, SHA256)
	if got := d.Verify(respond(md5.New, d.Nonce(realm), "demo1001", "REGISTER"), "REGISTER", "sip:"+realm, realm, u); got != Invalid {
		t.Fatalf("MD5 accepted when only SHA-256 is offered: %v", got)
	}
}

func TestChallengesOrderAndParse(t *testing.T) {
	d := NewDigest(0)
	ch := d.Challenges(realm, true)
	if len(ch) != 2 || !strings.Contains(ch[0], "algorithm=SHA-256") || !strings.Contains(ch[1], "algorithm=MD5") {
		t.Fatalf("challenges = %q", ch)
	}
	for _, c := range ch {
		if !strings.Contains(c, `qop="auth"`) || !strings.Contains(c, "stale=true") {
			t.Fatalf("challenge %q lacks qop/stale", c)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		in   string
		want Credentials
		ok   bool
	}{
		{`Digest username="1001", realm="r", nonce="n", uri="sip:r", response="abc", algorithm=SHA-256, cnonce="c", qop=auth, nc=00000001`,
			Credentials{Username: "1001", Realm: "r", Nonce: "n", URI: "sip:r", Response: "abc", Algorithm: "SHA-256", CNonce: "c", QOP: "auth", NC: "00000001"}, true},
		{`digest USERNAME="a\"b",realm="r,x",nonce="n",uri="u",response="x"`,
			Credentials{Username: `a"b`, Realm: "r,x", Nonce: "n", URI: "u", Response: "x"}, true},
		{`Basic dXNlcjpwYXNz`, Credentials{}, false},
		{`Digest username="1001"`, Credentials{}, false},
		{`Digest username="unterminated, realm="r"`, Credentials{}, false},
		{`Digest =x`, Credentials{}, false},
		{`Digest username="a"junk, realm="r", nonce="n", uri="u", response="x"`, Credentials{}, false},
		{"", Credentials{}, false},
		{"Digest " + strings.Repeat("a", MaxHeaderLen), Credentials{}, false},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := ParseAuthorization(tc.in)
			if (err == nil) != tc.ok || tc.ok && got != tc.want {
				t.Fatalf("ParseAuthorization(%q) = %+v, %v", tc.in, got, err)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		`Digest username="1001", realm="demo.vaihde.local", nonce="abc", uri="sip:demo.vaihde.local", response="0123", algorithm=MD5, cnonce="x", qop=auth, nc=00000001`,
		`Digest username="a\"b",realm="r,x",nonce="n",uri="u",response="x"`,
		`Digest `, `Digest ,,,,=`, `Digest a="\`, `Basic abc`, "Digest username=\"\x00\xff\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseAuthorization(s)
		if err == nil && (c.Username == "" || c.Nonce == "" || c.Response == "") {
			t.Fatalf("accepted header without required fields: %q", s)
		}
		// Verification of arbitrary credentials must never panic.
		NewDigest(0).Verify(c, "REGISTER", c.URI, c.Realm, store.User{Extension: c.Username, HA1MD5: "x", HA1SHA256: "y"})
	})
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(3, time.Minute, time.Minute, 100)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	for i := 0; i < 2; i++ {
		if l.Fail("ip:1") {
			t.Fatalf("blocked after %d failures", i+1)
		}
	}
	if !l.Fail("ip:1") || !l.Blocked("ip:1") {
		t.Fatal("not blocked after 3 failures")
	}
	if l.Blocked("ip:2") {
		t.Fatal("unrelated key blocked")
	}
	now = now.Add(61 * time.Second)
	if l.Blocked("ip:1") {
		t.Fatal("still blocked after the block time")
	}
	// Failures spread over more than a window do not add up.
	for i := 0; i < 5; i++ {
		l.Fail("ip:3")
		now = now.Add(31 * time.Second)
	}
	if l.Blocked("ip:3") {
		t.Fatal("slow failures blocked")
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	l := NewLimiter(10, time.Minute, time.Minute, 1000)
	for i := 0; i < 50_000; i++ {
		l.Fail(fmt.Sprint("ip:", i))
	}
	if n := l.Len(); n > 1000 {
		t.Fatalf("limiter tracks %d keys, bound 1000", n)
	}
}

func TestSetPassword(t *testing.T) {
	u := store.User{Extension: "1001"}
	if err := SetPassword(&u, realm, "demo1001"); err != nil {
		t.Fatal(err)
	}
	if u.HA1MD5 != HA1MD5("1001", realm, "demo1001") || u.HA1SHA256 == "" || !CheckPassword(u.PasswordHash, "demo1001") || CheckPassword(u.PasswordHash, "x") {
		t.Fatalf("SetPassword produced %+v", u)
	}
	if SetPassword(&u, realm, "") == nil {
		t.Fatal("empty password accepted")
	}
}

// withNC returns c answered again with nonce count nc and a new cnonce, as a client does for
// its next request on the same nonce.
func withNC(h func() hash.Hash, c Credentials, password string, nc uint32, method string) Credentials {
	c.NC = fmt.Sprintf("%08x", nc)
	c.CNonce = fmt.Sprintf("c%d", nc)
	c.Response = ExpectedResponse(h, hexHash(h(), c.Username, c.Realm, password), c, method)
	return c
}

func TestVerifyRefusesReplay(t *testing.T) {
	d := NewDigest(0)
	u := testUser(t)
	nonce := d.Nonce(realm)
	first := respond(sha256.New, nonce, "demo1001", "REGISTER")
	uri := first.URI
	if got := d.Verify(first, "REGISTER", uri, realm, u); got != Valid {
		t.Fatalf("first use = %v", got)
	}
	// The same Authorization again (same nonce and nc): a replay.
	if got := d.Verify(first, "REGISTER", uri, realm, u); got != Replayed {
		t.Fatalf("replay = %v, want replayed", got)
	}
	// The next count on the nonce is fine; going back or repeating is not.
	if got := d.Verify(withNC(sha256.New, first, "demo1001", 2, "REGISTER"), "REGISTER", uri, realm, u); got != Valid {
		t.Fatalf("nc 2 = %v", got)
	}
	if got := d.Verify(withNC(sha256.New, first, "demo1001", 2, "REGISTER"), "REGISTER", uri, realm, u); got != Replayed {
		t.Fatalf("nc 2 again = %v, want replayed", got)
	}
	if got := d.Verify(first, "REGISTER", uri, realm, u); got != Replayed {
		t.Fatalf("nc 1 after 2 = %v, want replayed", got)
	}
	// A wrong password on a used nonce is invalid, and does not consume counts.
	if got := d.Verify(withNC(sha256.New, first, "bad", 5, "REGISTER"), "REGISTER", uri, realm, u); got != Invalid {
		t.Fatalf("wrong password = %v", got)
	}
	if got := d.Verify(withNC(sha256.New, first, "demo1001", 3, "REGISTER"), "REGISTER", uri, realm, u); got != Valid {
		t.Fatalf("nc 3 after a forged nc 5 = %v", got)
	}
	// Without qop (RFC 2069) a nonce is good once.
	n2 := d.Nonce(realm)
	c := Credentials{Username: "1001", Realm: realm, Nonce: n2, URI: "sip:x"}
	c.Response = ExpectedResponse(md5.New, u.HA1MD5, c, "INVITE")
	if got := d.Verify(c, "INVITE", "sip:x", realm, u); got != Valid {
		t.Fatalf("no-qop first use = %v", got)
	}
	if got := d.Verify(c, "INVITE", "sip:x", realm, u); got != Replayed {
		t.Fatalf("no-qop second use = %v, want replayed", got)
	}
	// A malformed nonce count is invalid.
	bad := first
	bad.NC = "xyz"
	if got := d.Verify(bad, "REGISTER", uri, realm, u); got != Invalid {
		t.Fatalf("bad nc = %v", got)
	}
}

func TestVerifyChecksURI(t *testing.T) {
	d := NewDigest(0)
	u := testUser(t)
	c := respond(sha256.New, d.Nonce(realm), "demo1001", "INVITE")
	c.URI = "sip:1002@" + realm
	c = withNC(sha256.New, c, "demo1001", 1, "INVITE")
	if got := d.Verify(c, "INVITE", "sip:+46701234567@"+realm, realm, u); got != WrongURI {
		t.Fatalf("credentials for another Request-URI = %v, want wrong uri", got)
	}
	// The refusal did not use the nonce count up: the right request still passes.
	if got := d.Verify(c, "INVITE", "sip:1002@"+realm+";transport=tcp", realm, u); got != Valid {
		t.Fatalf("matching Request-URI = %v", got)
	}
}

func TestSameURI(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"sip:1002@demo.vaihde.local", "sip:1002@demo.vaihde.local", true},
		{"sip:1002@DEMO.vaihde.local", "sip:1002@demo.vaihde.local;transport=tcp", true},
		{"sip:1002@127.0.0.1:5060", "sip:1002@127.0.0.1", true},
		{"sips:1002@h", "sip:1002@h", true},
		{"<sip:1002@h>", "sip:1002@h", true},
		{"sip:h", "sip:h:5070", true},
		{"sip:1002@h:5060", "sip:1002@h:5070", false},
		{"sip:1002@h", "sip:1003@h", false},
		{"sip:1002@h", "sip:1002@other", false},
		{"sip:h", "sip:1002@h", false},
		{"sip:[::1]:5060", "sip:[::1]", true},
		{"tel:+358401234567", "TEL:+358401234567", true},
		{"tel:+358401234567", "sip:+358401234567@h", false},
		{"", "", false},
		{"garbage", "sip:h", false},
	}
	for _, tc := range tests {
		if got := SameURI(tc.a, tc.b); got != tc.want {
			t.Errorf("SameURI(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNonceBookBounded(t *testing.T) {
	b := newNonceBook(100)
	base := time.Unix(1000, 0)
	for i := 0; i < 1000; i++ {
		if !b.use(fmt.Sprint("n", i), base.Add(time.Duration(i)*time.Second), 1, base) {
			t.Fatalf("fresh nonce %d refused", i)
		}
	}
	if n := b.len(); n > 100 {
		t.Fatalf("book holds %d nonces, bound 100", n)
	}
	// A forgotten nonce is never accepted again: its client is challenged afresh.
	if b.use("n0", base, 2, base) {
		t.Fatal("forgotten nonce accepted")
	}
	// The newest are still remembered with their counts.
	if b.use("n999", base.Add(999*time.Second), 1, base) {
		t.Fatal("replay of a remembered nonce accepted")
	}
	if !b.use("n999", base.Add(999*time.Second), 2, base) {
		t.Fatal("next count of a remembered nonce refused")
	}
}

func TestLimiterProvenSource(t *testing.T) {
	l := NewLimiter(3, time.Minute, time.Minute, 100)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	l.Succeed("user:1/1001", "127.0.0.1")
	if !l.Proven("user:1/1001", "127.0.0.1") || l.Proven("user:1/1001", "127.0.0.2") || l.Proven("user:1/1002", "127.0.0.1") {
		t.Fatal("Proven mixes up users or sources")
	}
	now = now.Add(DefaultProvenFor + time.Second)
	if l.Proven("user:1/1001", "127.0.0.1") {
		t.Fatal("proof outlived the proven period")
	}
	for i := 0; i < 1000; i++ {
		l.Succeed("user:1/1001", fmt.Sprint("10.0.", i/256, ".", i%256))
	}
	if n := len(l.proven); n > 100 {
		t.Fatalf("limiter remembers %d proven sources, bound 100", n)
	}
}
