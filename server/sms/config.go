package sms

import (
	"fmt"
	"time"

	"github.com/vaihde/vaihde/server/config"
)

// FromConfig returns the gateway the configuration names: the outbox (its directory is
// created), the HTTP provider, or nil for provider "none".
func FromConfig(c config.SMS) (Gateway, error) {
	switch c.Provider {
	case config.SMSNone:
		return nil, nil
	case config.SMSOutbox, "":
		dir := c.Outbox
		if dir == "" {
			dir = "sms-outbox"
		}
		o, err := NewOutbox(dir)
		if err != nil {
			return nil, err
		}
		return o, nil
	case config.SMSHTTP:
		g, err := NewHTTP(HTTPConfig{
			URL: c.URL, Method: c.Method, ContentType: c.ContentType, BodyTemplate: c.BodyTemplate,
			Username: c.Username, Password: c.Password, Token: c.Token,
			Timeout: time.Duration(c.TimeoutSeconds) * time.Second,
		})
		if err != nil {
			return nil, err
		}
		return g, nil
	}
	return nil, fmt.Errorf("sms: unknown provider %q", c.Provider)
}
