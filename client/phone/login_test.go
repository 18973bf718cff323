package phone

import (
	"errors"
	"testing"
)

func TestParseLogin(t *testing.T) {
	tests := []struct {
		in   string
		want Login
		err  error
	}{
		{"1001", Login{Kind: LoginExtension, User: "1001"}, nil},
		{" 1001 ", Login{Kind: LoginExtension, User: "1001"}, nil},
		{"1001@demo.vaihde.local", Login{Kind: LoginExtension, User: "1001", Domain: "demo.vaihde.local"}, nil},
		{"sip:2001@ACME.example", Login{Kind: LoginExtension, User: "2001", Domain: "acme.example"}, nil},
		// ORG-3: a phone number in any form.
		{"0401234567", Login{Kind: LoginPhoneNumber, User: "0401234567"}, nil},
		{"040 123 4567", Login{Kind: LoginPhoneNumber, User: "0401234567"}, nil},
		{"040-123 45 67", Login{Kind: LoginPhoneNumber, User: "0401234567"}, nil},
		{"+358 40 123 4567", Login{Kind: LoginPhoneNumber, User: "+358401234567"}, nil},
		{"358401234567", Login{Kind: LoginPhoneNumber, User: "+358401234567"}, nil},
		{"00358401234567", Login{Kind: LoginPhoneNumber, User: "+358401234567"}, nil},
		{"(09) 123 41001", Login{Kind: LoginPhoneNumber, User: "0912341001"}, nil},
		{"+358401234567@acme.example", Login{Kind: LoginPhoneNumber, User: "+358401234567", Domain: "acme.example"}, nil},
		// Bad input: a clear error, never a guess.
		{"", Login{}, ErrLoginEmpty},
		{"   ", Login{}, ErrLoginEmpty},
		{"@acme.example", Login{}, ErrLoginEmpty},
		{"1001@", Login{}, ErrLoginDomain},
		{"1001@acme example", Login{}, ErrLoginDomain},
		{"1001@-acme.example", Login{}, ErrLoginDomain},
		{"1001@acme..example", Login{}, ErrLoginDomain},
		{"1001@a@b", Login{}, ErrLoginDomain},
		{"aino", Login{}, ErrLoginUser},
		{"aino@acme.example", Login{}, ErrLoginUser},
		{"12", Login{}, ErrLoginUser},
		{"*21#", Login{}, ErrLoginUser},
		{"+0401234567", Login{}, ErrLoginUser},
	}
	for _, tc := range tests {
		got, err := ParseLogin(tc.in)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("ParseLogin(%q) = %+v, %v; want %+v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestLoginString(t *testing.T) {
	for in, want := range map[string]string{"1001@Demo.Vaihde.Local": "1001@demo.vaihde.local", "+358 40 123 4567": "+358401234567"} {
		l, err := ParseLogin(in)
		if err != nil || l.String() != want {
			t.Errorf("ParseLogin(%q).String() = %q, %v; want %q", in, l.String(), err, want)
		}
	}
}
