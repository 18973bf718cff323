package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"time"

	"github.com/vaihde/vaihde/server/config"
)

// mailer delivers one message per connection to the configured SMTP server (net/smtp: a
// notification is rare, so there is no connection to keep).
type mailer struct {
	c     config.SMTP
	tls   *tls.Config
	hello string
}

// send delivers msg from envelope sender from to rcpt. Permanent failures (5xx replies, a
// server without the required STARTTLS or AUTH) are marked so that they are not retried.
func (m mailer) send(ctx context.Context, from, rcpt string, msg []byte) (err error) {
	timeout := time.Duration(m.c.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(m.c.Host, strconv.Itoa(m.c.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: dial %s: %w", addr, err)
	}
	defer conn.Close()
	// net/smtp knows no contexts: the deadline bounds every read and write, and a cancelled
	// context (shutdown) closes the connection under it.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	tcfg := m.tlsConfig()
	if m.c.TLS == config.SMTPImplicitTLS {
		tc := tls.Client(conn, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return classify("TLS handshake", err)
		}
		conn = tc
	}
	cl, err := smtp.NewClient(conn, m.c.Host)
	if err != nil {
		return classify("greeting", err)
	}
	defer cl.Close()
	if err := cl.Hello(m.hello); err != nil {
		return classify("EHLO", err)
	}
	if m.c.TLS == config.SMTPStartTLS || m.c.TLS == config.SMTPRequireTLS {
		if ok, _ := cl.Extension("STARTTLS"); ok {
			if err := cl.StartTLS(tcfg); err != nil {
				return classify("STARTTLS", err)
			}
		} else if m.c.TLS == config.SMTPRequireTLS {
			return permanent{fmt.Errorf("smtp: %s does not offer STARTTLS and smtp.tls is %q", addr, m.c.TLS)}
		}
	}
	if m.c.Username != "" {
		if ok, _ := cl.Extension("AUTH"); !ok {
			return permanent{fmt.Errorf("smtp: %s offers no AUTH but a username is configured", addr)}
		}
		// PlainAuth itself refuses to send the password unencrypted except to localhost.
		if err := cl.Auth(smtp.PlainAuth("", m.c.Username, m.c.Password, m.c.Host)); err != nil {
			var te *textproto.Error
			if errors.As(err, &te) && te.Code/100 == 4 {
				return fmt.Errorf("smtp: AUTH: %w", err)
			}
			return permanent{fmt.Errorf("smtp: AUTH: %w", err)}
		}
	}
	if err := cl.Mail(from); err != nil {
		return classify("MAIL FROM", err)
	}
	if err := cl.Rcpt(rcpt); err != nil {
		return classify("RCPT TO", err)
	}
	w, err := cl.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return classify("DATA", err)
	}
	if err := w.Close(); err != nil { // the server's reply to the message
		return classify("DATA", err)
	}
	if err := cl.Quit(); err != nil {
		// The message was accepted; a failed QUIT loses nothing.
		return nil
	}
	return nil
}

func (m mailer) tlsConfig() *tls.Config {
	if m.tls != nil {
		c := m.tls.Clone()
		if c.ServerName == "" {
			c.ServerName = m.c.Host
		}
		return c
	}
	return &tls.Config{ServerName: m.c.Host, MinVersion: tls.VersionTLS12}
}

// permanent marks an error that another attempt would only repeat.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// classify wraps an SMTP step's error: a 5xx reply or a certificate that does not verify is
// permanent, anything else (4xx, network) is worth another attempt.
func classify(step string, err error) error {
	err = fmt.Errorf("smtp: %s: %w", step, err)
	var te *textproto.Error
	var ce *tls.CertificateVerificationError
	if errors.As(err, &te) && te.Code >= 500 || errors.As(err, &ce) {
		return permanent{err}
	}
	return err
}
