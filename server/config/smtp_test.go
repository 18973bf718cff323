package config

import (
	"strings"
	"testing"
)

func TestSMTPDefaults(t *testing.T) {
	c, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Enabled() || c.SMTP.Port != 25 || c.SMTP.TLS != SMTPStartTLS || c.SMTP.TimeoutSeconds != 30 || c.SMTP.From != "" {
		t.Fatalf("smtp defaults: %+v", c.SMTP)
	}
	c, err = Load([]string{"-smtp-host", "mail.example", "-smtp-tls", "TLS"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !c.SMTP.Enabled() || c.SMTP.Port != 465 || c.SMTP.TLS != SMTPImplicitTLS {
		t.Fatalf("implicit TLS defaults: %+v", c.SMTP)
	}
}

func TestSMTPPrecedenceAndRedaction(t *testing.T) {
	file := writeFile(t, `{"smtp":{"host":"file.example","port":2525,"from":"File <f@file.example>","tls":"none"}}`)
	c, err := Load([]string{"-config", file, "-smtp-port", "587", "-smtp-tls", "require"}, env(map[string]string{
		"VAIHDE_SMTP_HOST": "env.example", "VAIHDE_SMTP_PORT": "26", "VAIHDE_SMTP_USERNAME": "vm",
		"VAIHDE_SMTP_PASSWORD": "s3cret-smtp-pw", "VAIHDE_SMTP_FROM": "Vaihde <vm@env.example>",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := c.SMTP
	if s.Host != "env.example" || s.Port != 587 || s.TLS != SMTPRequireTLS || s.Username != "vm" ||
		s.Password != "s3cret-smtp-pw" || s.From != "Vaihde <vm@env.example>" {
		t.Fatalf("smtp precedence: %+v", s)
	}
	if out := c.String(); strings.Contains(out, "s3cret-smtp-pw") || !strings.Contains(out, "env.example") {
		t.Fatalf("String() = %s", out)
	}
	if _, err := Load(nil, env(map[string]string{"VAIHDE_SMTP_PORT": "twenty-five"})); err == nil || !strings.Contains(err.Error(), "VAIHDE_SMTP_PORT") {
		t.Fatalf("bad port env: %v", err)
	}
	if u := FlagUsage(); !strings.Contains(u, "smtp-host") || !strings.Contains(u, "smtp: VAIHDE_SMTP_HOST") {
		t.Fatalf("usage lacks smtp: %s", u)
	}
}

func TestSMTPValidation(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string // substring of the error; "" = valid
	}{
		{"off", `{"smtp":{"tls":"bogus"}}`, ""}, // no host: nothing to check
		{"starttls", `{"smtp":{"host":"127.0.0.1","port":2525}}`, ""},
		{"ipv6", `{"smtp":{"host":"::1","tls":"none"}}`, ""},
		{"auth", `{"smtp":{"host":"mail.example","username":"u","password":"p","tls":"require"}}`, ""},
		{"bad tls", `{"smtp":{"host":"mail.example","tls":"ssl"}}`, "smtp.tls"},
		{"host with port", `{"smtp":{"host":"mail.example:25"}}`, "smtp.host"},
		{"port range", `{"smtp":{"host":"mail.example","port":70000}}`, "smtp.port"},
		{"username alone", `{"smtp":{"host":"mail.example","username":"u"}}`, "set together"},
		{"bad from", `{"smtp":{"host":"mail.example","from":"not an address"}}`, "smtp.from"},
		{"timeout", `{"smtp":{"host":"mail.example","timeout_seconds":-5}}`, "smtp.timeout_seconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]string{"-config", writeFile(t, tc.file)}, env(nil))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
