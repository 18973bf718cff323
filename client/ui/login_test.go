package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
)

func TestLoginFieldErrorInEveryLanguage(t *testing.T) {
	for _, lang := range []string{"en", "fi", "sv"} {
		tr := NewStrings(lang)
		for in, want := range map[string]Key{
			"1001": "", "1001@acme.example": "", "+358 40 123 4567": "", "0401234567": "", "358401234567": "",
			"aino": KErrLoginUser, "1001@": KErrLoginDomain, "1001@acme example": KErrLoginDomain,
		} {
			got := LoginFieldError(in, tr)
			if want == "" && got != "" || want != "" && got != tr.T(want) {
				t.Errorf("%s: LoginFieldError(%q) = %q, want %q", lang, in, got, tr.T(want))
			}
		}
	}
	if NewStrings("fi").T(KErrLoginUser) == NewStrings("en").T(KErrLoginUser) {
		t.Error("the Finnish error is not translated")
	}
}

func TestLoginFormRefusesMalformedUserAndSendsDomain(t *testing.T) {
	f := newFake()
	r := newRig(t, f, t.TempDir(), phone.Account{})
	if got := r.u.loginUser.PlaceHolder; got != "ext@domain or phone number" {
		t.Fatalf("user field hint %q", got)
	}
	test.Type(r.u.loginServer, "pbx.test")
	test.Type(r.u.loginUser, "1001@acme..example")
	test.Type(r.u.loginPass, "s3cret")
	test.Tap(r.u.loginButton)
	if len(f.Actions()) != 0 {
		t.Fatalf("a malformed login must not reach the engine: %v", f.Actions())
	}
	if r.u.loginMsg.Text != NewStrings("en").T(KErrLoginDomain) || r.u.loginMsg.Importance != widget.DangerImportance {
		t.Fatalf("message %q", r.u.loginMsg.Text)
	}
	if r.u.win.Canvas().Focused() != r.u.loginUser {
		t.Fatal("the user field should get the focus back")
	}
	r.u.loginUser.SetText("2001@acme.example")
	test.Tap(r.u.loginButton)
	r.wantAction("login pbx.test 2001@acme.example s3cret")
}

func TestSettingsSayWhereThePasswordIsKept(t *testing.T) {
	for _, tc := range []struct {
		name     string
		keychain bool
		want     string
	}{
		{"no keychain", false, "Password saved in a file readable only by you (no keychain found):\n"},
		{"keychain", true, "Password saved in the system keychain."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.keychain {
				keyring.MockInit()
				defer keyring.MockInitWithError(errNoKeychain)
			}
			dir := t.TempDir()
			f := newFake()
			r := newRig(t, f, dir, phone.Account{})
			test.Type(r.u.loginServer, "pbx.test")
			test.Type(r.u.loginUser, "1001@acme.example")
			test.Type(r.u.loginPass, "kala-kukko-42")
			test.Tap(r.u.loginButton)
			f.update(func(s *phone.Snapshot) { s.Reg = phone.Registered })
			want := tc.want
			if !tc.keychain {
				want += filepath.Join(dir, settings.PasswordFileName)
			}
			if got := r.u.prefs.passwordWhere.Text; got != want || !r.u.prefs.passwordWhere.Visible() {
				t.Fatalf("settings say %q (visible %v), want %q", got, r.u.prefs.passwordWhere.Visible(), want)
			}
			b, err := os.ReadFile(settings.NewStore(dir).Path())
			if err != nil || strings.Contains(string(b), "kala-kukko-42") {
				t.Fatalf("settings file holds the password (%v): %s", err, b)
			}
			// Log out forgets the password and the note goes away.
			r.u.logout()
			r.u.showMain()
			if r.u.prefs.passwordWhere.Visible() {
				t.Fatalf("after log out the settings still say %q", r.u.prefs.passwordWhere.Text)
			}
			if st := r.loadSettings(); st.Password != "" {
				t.Fatal("the password survived Log out")
			}
		})
	}
}

func TestSecuritySettingsApplyAtNextLogin(t *testing.T) {
	r := registeredRig(t)
	p := r.u.prefs
	if p.transport.Selected != "UDP" || p.srtp.Checked {
		t.Fatalf("defaults: transport %q, srtp %v", p.transport.Selected, p.srtp.Checked)
	}
	p.transport.SetSelected("TCP")
	if st := r.loadSettings(); st.Transport != "tcp" || st.SRTP {
		t.Fatalf("saved %q %v", st.Transport, st.SRTP)
	}
	// Encrypting calls needs TLS, which keeps the keys secret: ticking it selects TLS.
	p.srtp.SetChecked(true)
	if p.transport.Selected != "TLS (encrypted)" {
		t.Fatalf("with SRTP the transport shows %q", p.transport.Selected)
	}
	if st := r.loadSettings(); st.Transport != "tls" || !st.SRTP || st.Password != "pw" {
		t.Fatalf("saved %+v", st)
	}
	// Leaving TLS turns SRTP off.
	p.transport.SetSelected("UDP")
	if st := r.loadSettings(); st.Transport != "" || st.SRTP || p.srtp.Checked {
		t.Fatalf("after UDP: saved %q %v, box %v", st.Transport, st.SRTP, p.srtp.Checked)
	}
	p.srtp.SetChecked(true)
	r.u.logout()
	test.Type(r.u.loginPass, "pw")
	test.Tap(r.u.loginButton)
	r.wantAction("login pbx.test 1001 pw")
	if a := r.f.Snapshot().Account; a.Transport != "tls" || !a.SRTP {
		t.Fatalf("the login did not carry the security settings: %+v", a)
	}
}

func TestLoginSecureConnectionBox(t *testing.T) {
	f := newFake()
	r := newRig(t, f, t.TempDir(), phone.Account{})
	if r.u.loginSecure.Checked {
		t.Fatal("first run: the secure box is ticked")
	}
	test.Type(r.u.loginServer, "pbx.test")
	test.Type(r.u.loginUser, "2001@acme.example")
	test.Type(r.u.loginPass, "s3cret")
	test.Tap(r.u.loginSecure)
	test.Tap(r.u.loginButton)
	if a := f.Snapshot().Account; a.Transport != phone.TransportTLS || !a.SRTP {
		t.Fatalf("secure login sent %+v", a)
	}
	f.update(func(s *phone.Snapshot) { s.Reg = phone.Registered })
	if st := r.loadSettings(); st.Transport != "tls" || !st.SRTP {
		t.Fatalf("remembered %+v", st)
	}
	if r.u.prefs.transport.Selected != "TLS (encrypted)" || !r.u.prefs.srtp.Checked {
		t.Fatalf("Settings show %q %v", r.u.prefs.transport.Selected, r.u.prefs.srtp.Checked)
	}
	// Log out: the box stays ticked; unticking it logs in plainly.
	r.u.logout()
	if !r.u.loginSecure.Checked {
		t.Fatal("the secure choice was forgotten at log out")
	}
	test.Tap(r.u.loginSecure)
	test.Type(r.u.loginPass, "s3cret")
	test.Tap(r.u.loginButton)
	if a := f.Snapshot().Account; a.Transport != "" || a.SRTP {
		t.Fatalf("plain login sent %+v", a)
	}
}
