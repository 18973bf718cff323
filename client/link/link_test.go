package link

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"tel:+358%2040%20123", "+35840123"},
		{"tel:+358-40-123-4567", "+358401234567"},
		{"TEL:+358 (40) 123.4567", "+358401234567"},
		{"tel:040-123;phone-context=+358", "040123"},
		{"tel:1002;phone-context=demo.vaihde.local", "1002"},
		{"tel:+358401234567;ext=12", "+358401234567"},
		{"tel:%2B358401234567", "+358401234567"},
		{"tel://0401234567", "0401234567"},
		{"tel:*21#", "*21#"},
		{"callto:0401234567", "0401234567"},
		{"callto://+358401234567", "+358401234567"},
		{"  callto:040 123 4567\n", "0401234567"},
		{"sip:1002@demo.vaihde.local", "1002"},
		{"sip:1002@demo.vaihde.local:5060;transport=tcp", "1002"},
		{"sips:+358401234567;phone-context=+358@demo.vaihde.local;user=phone", "+358401234567"},
		{"sip:1002:secret@demo.vaihde.local?subject=hi", "1002"},
		{"sip:040%20123%204567@[2001:db8::1]:5060", "0401234567"},
		{"sip:Alice@Example.COM", "Alice@example.com"},
		{"sip:alice.smith@example.com;transport=tls", "alice.smith@example.com"},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if !IsLink(tc.in) {
			t.Errorf("IsLink(%q) = false", tc.in)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"", ErrNotLink},
		{"0401234567", ErrNotLink},
		{"http://example.com/tel:123", ErrNotLink},
		{"mailto:a@b", ErrNotLink},
		{"-screenshot", ErrNotLink},
		{"tel:", ErrNoNumber},
		{"tel:+", ErrNoNumber},
		{"tel:;phone-context=+358", ErrNoNumber},
		{"tel:0401234567abc", ErrNoNumber},
		{"tel:040+123", ErrNoNumber},
		{"tel:%zz", ErrNoNumber},
		{"tel:%0a123", ErrNoNumber},
		{"callto:skype.name", ErrNoNumber},
		{"tel:" + strings.Repeat("1", 65), ErrNoNumber},
		{"tel:" + strings.Repeat("1", 3000), ErrNotLink},
		{"sip:demo.vaihde.local", ErrNoNumber},
		{"sip:@demo.vaihde.local", ErrNoNumber},
		{"sip:al ice@example.com", ErrNoNumber},
		{"sip:alice@exa_mple.com", ErrNoNumber},
		{"sip:alice%0a@example.com", ErrNoNumber},
		{"sip:alice@", ErrNoNumber},
	} {
		got, err := Parse(tc.in)
		if !errors.Is(err, tc.want) {
			t.Errorf("Parse(%q) = %q, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

var numberRE = regexp.MustCompile(`^\+?[0-9*#]+$`)

// FuzzParse: Parse never panics, and what it returns is dial-field text: a number of
// digits/'*'/'#' with at most a leading '+', or a clean user@host; a tel: link of a number
// gives the number back unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"tel:+358%2040%20123", "callto:0401234567", "sip:1002@demo.vaihde.local",
		"tel:040-123;phone-context=+358", "sips:+358401234567;user=phone@h;x?y=z", "sip:alice@[::1]:5060",
		"callto://+358 40 123", "tel:%2B1", "sip:a:b@c", "tel:*21#", "sip:x%40y@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			if got != "" {
				t.Fatalf("Parse(%q) = %q with error %v", s, got, err)
			}
			if !errors.Is(err, ErrNotLink) && !errors.Is(err, ErrNoNumber) {
				t.Fatalf("Parse(%q): unexpected error %v", s, err)
			}
			return
		}
		if !utf8.ValidString(got) || strings.ContainsAny(got, " \t\r\n\x00") {
			t.Fatalf("Parse(%q) = %q: not clean text", s, got)
		}
		if numberRE.MatchString(got) {
			if len(got) > maxNumber {
				t.Fatalf("Parse(%q) = %q: too long", s, got)
			}
			again, err := Parse("tel:" + got)
			if err != nil || again != got {
				t.Fatalf("Parse(tel:%s) = %q, %v; want it back", got, again, err)
			}
			return
		}
		user, host, ok := strings.Cut(got, "@")
		if !ok || user == "" || !validUser(user) || !validHost(host) || len(got) > maxAddr {
			t.Fatalf("Parse(%q) = %q: neither a number nor user@host", s, got)
		}
		if k, _, _ := scheme(strings.TrimSpace(s)); k != "sip" && k != "sips" {
			t.Fatalf("Parse(%q) = %q: an address from a %s link", s, got, k)
		}
	})
}
