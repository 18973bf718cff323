package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSMSDefaults(t *testing.T) {
	c, err := Load([]string{"-db", filepath.Join("data", "v.db")}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMS.Provider != SMSOutbox || c.SMS.Outbox != filepath.Join("data", "sms-outbox") {
		t.Fatalf("sms defaults: %+v", c.SMS)
	}
}

func TestSMSEnvAndRedaction(t *testing.T) {
	c, err := Load(nil, env(map[string]string{
		"VAIHDE_SMS_PROVIDER": "HTTP", "VAIHDE_SMS_URL": "https://sms.example/api/send",
		"VAIHDE_SMS_USERNAME": "acct", "VAIHDE_SMS_PASSWORD": "hunter2-secret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := c.SMS
	if s.Provider != SMSHTTP || s.URL != "https://sms.example/api/send" || s.Method != "POST" ||
		s.ContentType != "application/json" || s.BodyTemplate != DefaultSMSBodyTemplate || s.TimeoutSeconds != 10 {
		t.Fatalf("sms from env: %+v", s)
	}
	if out := c.String(); strings.Contains(out, "hunter2-secret") || !strings.Contains(out, "sms.example") {
		t.Fatalf("String() = %s", out)
	}
	c, err = Load(nil, env(map[string]string{"VAIHDE_SMS_PROVIDER": "http", "VAIHDE_SMS_URL": "http://127.0.0.1:9/x", "VAIHDE_SMS_TOKEN": "tok-secret"}))
	if err != nil || strings.Contains(c.String(), "tok-secret") {
		t.Fatalf("token: %v %s", err, c.String())
	}
	c, err = Load(nil, env(map[string]string{"VAIHDE_SMS_OUTBOX": "/tmp/out"}))
	if err != nil || c.SMS.Outbox != "/tmp/out" {
		t.Fatalf("outbox env: %+v %v", c.SMS, err)
	}
}

func TestSMSValidation(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string // substring of the error; "" = valid
	}{
		{"none", `{"sms":{"provider":"none"}}`, ""},
		{"outbox dir", `{"sms":{"provider":"outbox","outbox":"/tmp/x"}}`, ""},
		{"http ok", `{"sms":{"provider":"http","url":"https://gw.example/send","token":"t","body_template":"to={{.To}}&msg={{.Text}}","content_type":"application/x-www-form-urlencoded"}}`, ""},
		{"unknown provider", `{"sms":{"provider":"carrier-pigeon"}}`, "sms.provider"},
		{"http without url", `{"sms":{"provider":"http"}}`, "sms.url is required"},
		{"relative url", `{"sms":{"provider":"http","url":"/send"}}`, "absolute http"},
		{"ftp url", `{"sms":{"provider":"http","url":"ftp://gw.example/"}}`, "absolute http"},
		{"credentials in url", `{"sms":{"provider":"http","url":"https://u:p@gw.example/"}}`, "must not contain credentials"},
		{"bad method", `{"sms":{"provider":"http","url":"https://gw.example/","method":"DELETE"}}`, "sms.method"},
		{"token and password", `{"sms":{"provider":"http","url":"https://gw.example/","token":"t","username":"u","password":"p"}}`, "alternatives"},
		{"username alone", `{"sms":{"provider":"http","url":"https://gw.example/","username":"u"}}`, "set together"},
		{"timeout", `{"sms":{"provider":"http","url":"https://gw.example/","timeout_seconds":-1}}`, "timeout_seconds"},
		{"broken template", `{"sms":{"provider":"http","url":"https://gw.example/","body_template":"{{.Text"}}`, "sms.body_template"},
		{"unknown template func", `{"sms":{"provider":"http","url":"https://gw.example/","body_template":"{{xml .Text}}"}}`, "sms.body_template"},
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
