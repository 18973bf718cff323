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
			if got := d.Verify(tc.c(), tc.method, realm, u); got != tc.want {
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
	if got := d.Verify(respond(sha256.New, nonce, "demo1001", "REGISTER"), "REGISTER", realm, u); got != Invalid {
		t.Fatalf("SHA-256 accepted when only MD5 is offered: %v", got)
	}
	if got := d.Verify(respond(md5.New, nonce, "demo1001", "REGISTER"), "REGISTER", realm, u); got != Valid {
		t.Fatalf("MD5 = %v", got)
	}
	d = NewDigest(0, SHA256)
	if got := d.Verify(respond(md5.New, d.Nonce(realm), "demo1001", "REGISTER"), "REGISTER", realm, u); got != Invalid {
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
		NewDigest(0).Verify(c, "REGISTER", c.Realm, store.User{Extension: c.Username, HA1MD5: "x", HA1SHA256: "y"})
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
