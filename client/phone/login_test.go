package phone

import (
	"errors"
	"testing"

	"github.com/vaihde/vaihde/shared/api"
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

func TestIsEmergency(t *testing.T) {
	p := api.Profile{EmergencyNumbers: []string{"+358 9 123 4112", "0800 112 112"}}
	for n, want := range map[string]bool{
		"112": true, " 1 1 2 ": true, "+35891234112": true, "0800112112": true,
		"1120": false, "11": false, "": false, "1002": false, "0401234567": false,
	} {
		if got := IsEmergency(n, p); got != want {
			t.Errorf("IsEmergency(%q) = %v, want %v", n, got, want)
		}
	}
	if !IsEmergency("112", api.Profile{}) || IsEmergency("0800112112", api.Profile{}) {
		t.Error("without organisation numbers only 112 is an emergency number")
	}
}
