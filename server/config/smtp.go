package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
)

// SMTP TLS modes.
const (
	// SMTPStartTLS (the default) upgrades the connection with STARTTLS when the server offers
	// it and sends in the clear when it does not (opportunistic, like most MTAs).
	SMTPStartTLS = "starttls"
	// SMTPRequireTLS demands STARTTLS: a server that does not offer it gets no message.
	SMTPRequireTLS = "require"
	// SMTPImplicitTLS speaks TLS from the first byte (SMTPS, usually port 465).
	SMTPImplicitTLS = "tls"
	// SMTPNoTLS never uses TLS (a trusted relay on the same host or network).
	SMTPNoTLS = "none"
)

// SMTP configures the mail server through which voicemail notifications are sent by email
// (VM-4). An empty Host turns email off; SMS notifications still work. Password is never logged.
type SMTP struct {
	Host string `json:"host"`
	// Port defaults to 25, or 465 with TLS "tls".
	Port     int    `json:"port"`
	Username string `json:"username"` // AUTH PLAIN with Password when set
	Password string `json:"password"`
	// From is the sender address, e.g. "Vaihde <voicemail@example.com>"; "" means
	// "Vaihde <voicemail@<organisation domain>>" for each organisation.
	From string `json:"from"`
	// TLS is starttls (default), require, tls or none; see the SMTP* constants.
	TLS            string `json:"tls"`
	TimeoutSeconds int    `json:"timeout_seconds"` // one delivery attempt; default 30
}

// Enabled reports whether email is configured.
func (c SMTP) Enabled() bool { return c.Host != "" }

func applySMTPEnv(c *SMTP, getenv func(string) string) error {
	for k, p := range map[string]*string{
		"VAIHDE_SMTP_HOST":     &c.Host,
		"VAIHDE_SMTP_USERNAME": &c.Username,
		"VAIHDE_SMTP_PASSWORD": &c.Password,
		"VAIHDE_SMTP_FROM":     &c.From,
		"VAIHDE_SMTP_TLS":      &c.TLS,
	} {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	if v := getenv("VAIHDE_SMTP_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("config: VAIHDE_SMTP_PORT=%q is not a number", v)
		}
		c.Port = n
	}
	return nil
}

// finish fills the SMTP defaults.
func (c *SMTP) finish() {
	c.Host = strings.TrimSpace(c.Host)
	c.TLS = strings.ToLower(strings.TrimSpace(c.TLS))
	if c.TLS == "" {
		c.TLS = SMTPStartTLS
	}
	if c.Port == 0 {
		c.Port = 25
		if c.TLS == SMTPImplicitTLS {
			c.Port = 465
		}
	}
	if c.TimeoutSeconds == 0 {
		c.TimeoutSeconds = 30
	}
}

// validate checks the SMTP section; with no host there is nothing to check.
func (c SMTP) validate() error {
	if c.Host == "" {
		return nil
	}
	if net.ParseIP(c.Host) == nil && strings.ContainsAny(c.Host, " /:@[]") {
		return fmt.Errorf("config: smtp.host %q must be a host name or IP address without port (use smtp.port)", c.Host)
	}
	switch c.TLS {
	case SMTPStartTLS, SMTPRequireTLS, SMTPImplicitTLS, SMTPNoTLS:
	default:
		return fmt.Errorf("config: smtp.tls %q must be starttls, require, tls or none", c.TLS)
	}
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("config: smtp.port %d out of range", c.Port)
	}
	if (c.Username == "") != (c.Password == "") {
		return errors.New("config: smtp.username and smtp.password must be set together")
	}
	if c.From != "" {
		if _, err := mail.ParseAddress(c.From); err != nil {
			return fmt.Errorf("config: smtp.from %q: %w", c.From, err)
		}
	}
	if c.TimeoutSeconds < 1 || c.TimeoutSeconds > 600 {
		return fmt.Errorf("config: smtp.timeout_seconds %d out of range (1-600)", c.TimeoutSeconds)
	}
	return nil
}

// redacted returns c with its password masked.
func (c SMTP) redacted() SMTP {
	if c.Password != "" {
		c.Password = "***"
	}
	return c
}
