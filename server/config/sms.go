package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"text/template"
)

// SMS providers (SMS-1).
const (
	SMSOutbox = "outbox" // development: one JSON file per SMS in a directory (default)
	SMSHTTP   = "http"   // an HTTP gateway: URL, credentials, body template
	SMSNone   = "none"   // sending SMS is disabled
)

// SMS configures the SMS gateway. Secrets (Password, Token) are never logged.
type SMS struct {
	Provider string `json:"provider"` // outbox (default), http or none
	// Outbox is the outbox directory; default "sms-outbox" beside the database file.
	Outbox string `json:"outbox"`
	// HTTP provider.
	URL         string `json:"url"`
	Method      string `json:"method"`       // default POST
	ContentType string `json:"content_type"` // default application/json
	// BodyTemplate is a Go text/template over .From, .To and .Text; {{json .Text}} writes a
	// JSON string. Default: {"from":…,"to":…,"text":…}.
	BodyTemplate   string `json:"body_template"`
	Username       string `json:"username"` // basic auth, with Password
	Password       string `json:"password"`
	Token          string `json:"token"` // bearer token, instead of Username/Password
	TimeoutSeconds int    `json:"timeout_seconds"`
}

// DefaultSMSBodyTemplate is the HTTP provider's body when none is configured.
const DefaultSMSBodyTemplate = `{"from":{{json .From}},"to":{{json .To}},"text":{{json .Text}}}`

// smsTemplateFuncs names the functions a body template may use, so that Validate can parse
// it; server/sms renders with its own functions of the same names.
var smsTemplateFuncs = template.FuncMap{"json": func(s string) string { return s }}

func applySMSEnv(c *SMS, getenv func(string) string) error {
	for k, p := range map[string]*string{
		"VAIHDE_SMS_PROVIDER": &c.Provider,
		"VAIHDE_SMS_URL":      &c.URL,
		"VAIHDE_SMS_USERNAME": &c.Username,
		"VAIHDE_SMS_PASSWORD": &c.Password,
		"VAIHDE_SMS_TOKEN":    &c.Token,
		"VAIHDE_SMS_OUTBOX":   &c.Outbox,
	} {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	return nil
}

// finish fills the SMS defaults; dbPath places the default outbox.
func (c *SMS) finish(dbPath string) {
	c.Provider = strings.ToLower(strings.TrimSpace(c.Provider))
	if c.Provider == "" {
		c.Provider = SMSOutbox
	}
	if c.Outbox == "" && c.Provider == SMSOutbox {
		c.Outbox = filepath.Join(filepath.Dir(dbPath), "sms-outbox")
	}
	if c.Provider == SMSHTTP {
		c.Method = strings.ToUpper(c.Method)
		if c.Method == "" {
			c.Method = "POST"
		}
		if c.ContentType == "" {
			c.ContentType = "application/json"
		}
		if c.BodyTemplate == "" {
			c.BodyTemplate = DefaultSMSBodyTemplate
		}
		if c.TimeoutSeconds == 0 {
			c.TimeoutSeconds = 10
		}
	}
}

// validate checks the SMS section.
func (c SMS) validate() error {
	switch c.Provider {
	case SMSNone:
		return nil
	case SMSOutbox:
		if c.Outbox == "" {
			return errors.New("config: sms.outbox is empty")
		}
		return nil
	case SMSHTTP:
	default:
		return fmt.Errorf("config: sms.provider %q must be outbox, http or none", c.Provider)
	}
	if c.URL == "" {
		return errors.New("config: sms.url is required for sms.provider http (env VAIHDE_SMS_URL)")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("config: sms.url must be an absolute http:// or https:// URL")
	}
	if u.User != nil {
		return errors.New("config: sms.url must not contain credentials; use sms.username/password or sms.token")
	}
	switch c.Method {
	case "POST", "PUT", "PATCH":
	default:
		return fmt.Errorf("config: sms.method %q must be POST, PUT or PATCH", c.Method)
	}
	if c.Token != "" && (c.Username != "" || c.Password != "") {
		return errors.New("config: sms.token and sms.username/password are alternatives: set one")
	}
	if (c.Username == "") != (c.Password == "") {
		return errors.New("config: sms.username and sms.password must be set together")
	}
	if c.TimeoutSeconds < 1 || c.TimeoutSeconds > 300 {
		return fmt.Errorf("config: sms.timeout_seconds %d out of range (1-300)", c.TimeoutSeconds)
	}
	if _, err := template.New("sms").Funcs(smsTemplateFuncs).Option("missingkey=error").Parse(c.BodyTemplate); err != nil {
		return fmt.Errorf("config: sms.body_template: %w", err)
	}
	return nil
}

// redacted returns c with its secrets masked.
func (c SMS) redacted() SMS {
	if c.Password != "" {
		c.Password = "***"
	}
	if c.Token != "" {
		c.Token = "***"
	}
	return c
}
