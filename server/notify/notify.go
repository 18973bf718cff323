// Package notify tells users of new voicemail (VM-4): by SMS (the default), by email with the
// audio attached, or both, as the owner's store.VoicemailSettings.Notify says.
//
// A Notifier hangs off voicemail.Config.Saved: VoicemailSaved only queues the message (it
// never blocks the deposit, and a full queue drops the notification with a warning, never the
// message). One worker goroutine, owned by the Notifier and stopped by Close, looks up the
// owner, their organisation and settings, and sends each channel, retrying a failed send a
// few times with doubling delays; a dead mail server delays the notifications behind it by at
// most the SMTP timeout per attempt, never a deposit. Permanent failures (an invalid number,
// no SMS sender, an SMTP 5xx reply, a missing file) are not retried. A user without a mobile
// number or email address, or a server without SMS or SMTP configured, is logged at Info and
// that channel skipped.
//
// The SMS goes to the owner's mobile number from the organisation's SMS sender (sms.Service
// picks the organisation's SMSSender, else its switchboard, because the notifier passes the
// owner without their own mobile number as the sender) and is recorded in the SMS log under
// the owner. It says, in the owner's language (fi, sv, en; English otherwise), who called
// (name and number, or "unknown number"), when (HH:MM, with the date when not today, in the
// organisation's time zone unless Config.Location overrides it), how long, and which number
// to call to listen (Config.AccessNumber, 9000).
//
// The email (net/smtp; TLS per config.SMTP: opportunistic STARTTLS by default, "require",
// implicit "tls" or "none"; a certificate is always verified, against Config.TLSConfig or the
// system roots, so a relay with a self-signed certificate needs one of those or "none") goes to the owner's profile email: multipart/mixed with a
// quoted-printable UTF-8 text part like the SMS and the file attached in base64 as
// voicemail-<date>-<caller>.wav (audio/wav), with Date, Message-ID, MIME-Version and an
// RFC 2047-encoded subject such as "Voicemail from Bo (+358401112222) (0:12)". The sender is
// config.SMTP.From, default "Vaihde <voicemail@<organisation domain>>".
//
// Only voice messages are notified; recorded calls and faxes are the user's own business.
// Logs carry IDs and channels, never message texts or passwords.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/sms"
	"github.com/vaihde/vaihde/server/store"
)

// Store is what the notifier reads; store.Store satisfies it.
type Store interface {
	OrgByID(ctx context.Context, id int64) (store.Org, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
	VoicemailSettings(ctx context.Context, userID int64) (store.VoicemailSettings, error)
}

// SMSSender sends an SMS on behalf of a user; *sms.Service satisfies it.
type SMSSender interface {
	Send(ctx context.Context, org store.Org, from store.User, to, text string) (store.SMS, error)
}

// Defaults of Config.
const (
	DefaultAccessNumber = "9000"
	DefaultQueueSize    = 256
	DefaultAttempts     = 4
	DefaultRetryDelay   = 5 * time.Second
)

// Config configures a Notifier.
type Config struct {
	Store Store // required
	// FilePath returns the absolute path of a message's file: (*voicemail.Mailbox).FilePath.
	// Required for email.
	FilePath func(v store.Voicemail) string
	// SMS sends the SMS; nil: SMS notifications are skipped (logged).
	SMS SMSSender
	// SMTP is the mail server; an empty Host turns email off.
	SMTP config.SMTP
	// TLSConfig verifies the SMTP server (STARTTLS or implicit TLS); nil: the system roots
	// with the server name SMTP.Host.
	TLSConfig *tls.Config
	// AccessNumber is the voicemail access number the texts tell the user to call;
	// AccessNumbers overrides it per organisation ID. Default DefaultAccessNumber.
	AccessNumber  string
	AccessNumbers map[int64]string
	// QueueSize bounds the notifications waiting for the worker; Attempts bounds the sends of
	// one channel; RetryDelay is the wait before the first retry, doubled after each.
	QueueSize  int
	Attempts   int
	RetryDelay time.Duration
	// Location overrides the time zone of the texts; nil: the organisation's (Org.Location).
	Location *time.Location
	// Now is the clock (tests); nil: time.Now.
	Now    func() time.Time
	Logger *slog.Logger // nil: slog.Default()
}

// Notifier sends voicemail notifications from its own worker goroutine. It is safe for
// concurrent use.
type Notifier struct {
	cfg    Config
	log    *slog.Logger
	mail   deliverer
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	closed bool
	queue  chan task
}

// channel is one step of a notification.
type channel int

const (
	chanResolve channel = iota // look up owner, organisation and settings
	chanSMS
	chanEmail
)

func (c channel) String() string {
	switch c {
	case chanSMS:
		return "sms"
	case chanEmail:
		return "email"
	}
	return "lookup"
}

// task is one channel of one message's notification.
type task struct {
	v        store.Voicemail
	ch       channel
	attempts int // sends already tried
	due      time.Time
	user     store.User // filled by chanResolve
	org      store.Org
}

// deliverer hands a built email to a mail server; mailer is the real one, tests fake it.
type deliverer interface {
	send(ctx context.Context, from, rcpt string, msg []byte) error
}

// New starts a notifier's worker; Close stops it.
func New(c Config) (*Notifier, error) { return newNotifier(c, nil) }

// newNotifier is New with the email deliverer replaceable (nil: SMTP per c.SMTP).
func newNotifier(c Config, d deliverer) (*Notifier, error) {
	if c.Store == nil {
		return nil, errors.New("notify: Store is required")
	}
	if c.SMTP.Enabled() && c.FilePath == nil {
		return nil, errors.New("notify: FilePath is required for email")
	}
	if c.AccessNumber == "" {
		c.AccessNumber = DefaultAccessNumber
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.Attempts <= 0 {
		c.Attempts = DefaultAttempts
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SMTP.Enabled() {
		if c.SMTP.Port == 0 {
			c.SMTP.Port = 25
		}
		switch c.SMTP.TLS {
		case "":
			c.SMTP.TLS = config.SMTPStartTLS
		case config.SMTPStartTLS, config.SMTPRequireTLS, config.SMTPImplicitTLS, config.SMTPNoTLS:
		default:
			return nil, fmt.Errorf("notify: SMTP TLS mode %q must be starttls, require, tls or none", c.SMTP.TLS)
		}
		if c.SMTP.From != "" {
			if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
				return nil, fmt.Errorf("notify: SMTP From %q: %w", c.SMTP.From, err)
			}
		}
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	hello, err := os.Hostname()
	if err != nil || hello == "" || strings.ContainsAny(hello, "\r\n ") {
		hello = "localhost"
	}
	if d == nil {
		d = mailer{c: c.SMTP, tls: c.TLSConfig, hello: hello}
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{
		cfg: c, log: log.With("component", "notify"), cancel: cancel, done: make(chan struct{}),
		mail:  d,
		queue: make(chan task, c.QueueSize),
	}
	go n.run(ctx)
	return n, nil
}

// VoicemailSaved queues the notification of a new message; it never blocks. Use it as
// voicemail.Config.Saved. A nil Notifier (notifications off) ignores it.
func (n *Notifier) VoicemailSaved(v store.Voicemail) {
	if n == nil || v.Kind != "" && v.Kind != store.VoiceMessage {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.log.Warn("voicemail notification after close: dropped", "voicemail", v.ID, "user", v.UserID)
		return
	}
	select {
	case n.queue <- task{v: v, ch: chanResolve}:
	default:
		n.log.Warn("voicemail notification queue full: dropped", "voicemail", v.ID, "user", v.UserID, "queue", cap(n.queue))
	}
}

// Close stops taking notifications, sends those queued (retries included) and stops the
// worker. When ctx ends first, the rest are abandoned (logged) and ctx's error returned.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	select {
	case <-n.done:
		n.cancel()
		return nil
	case <-ctx.Done():
		n.cancel()
		<-n.done
		return fmt.Errorf("notify: close: %w", ctx.Err())
	}
}

// run is the worker: it takes queued notifications and due retries until the queue is closed
// and no retry is left, or ctx ends.
func (n *Notifier) run(ctx context.Context) {
	defer close(n.done)
	queue := n.queue
	var retries []task
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if queue == nil && len(retries) == 0 {
			return
		}
		var wake <-chan time.Time
		if len(retries) > 0 {
			next := retries[0].due
			for _, t := range retries[1:] {
				if t.due.Before(next) {
					next = t.due
				}
			}
			timer.Reset(time.Until(next))
			wake = timer.C
		}
		select {
		case t, ok := <-queue:
			if !ok {
				queue = nil
				continue
			}
			retries = append(retries, n.handle(ctx, t)...)
		case <-wake:
			now := time.Now()
			var due []task
			keep := retries[:0]
			for _, t := range retries {
				if t.due.After(now) {
					keep = append(keep, t)
				} else {
					due = append(due, t)
				}
			}
			retries = keep
			for _, t := range due {
				retries = append(retries, n.handle(ctx, t)...)
			}
		case <-ctx.Done():
			n.log.Warn("voicemail notifications abandoned at shutdown", "queued", len(queue), "retrying", len(retries))
			return
		}
	}
}

// handle runs one task and returns what is left to do later: the task again with a due time
// after a retriable failure, nothing otherwise.
func (n *Notifier) handle(ctx context.Context, t task) []task {
	if ctx.Err() != nil {
		return nil
	}
	var err error
	switch t.ch {
	case chanResolve:
		var next []task
		next, err = n.resolve(ctx, t)
		if err == nil {
			var later []task
			for _, nt := range next {
				later = append(later, n.handle(ctx, nt)...)
			}
			return later
		}
	case chanSMS:
		err = n.sendSMS(ctx, t)
	case chanEmail:
		err = n.sendEmail(ctx, t)
	}
	log := n.log.With("voicemail", t.v.ID, "user", t.v.UserID, "channel", t.ch.String())
	if err == nil {
		log.Info("voicemail notification sent")
		return nil
	}
	t.attempts++
	if isPermanent(err) || t.attempts >= n.cfg.Attempts || ctx.Err() != nil {
		log.Error("voicemail notification failed", "attempts", t.attempts, "error", err)
		return nil
	}
	delay := n.cfg.RetryDelay << (t.attempts - 1)
	t.due = time.Now().Add(delay)
	log.Warn("voicemail notification failed; will retry", "attempts", t.attempts, "retry_in", delay, "error", err)
	return []task{t}
}

// resolve looks up the owner, organisation and settings and returns the channels to send.
func (n *Notifier) resolve(ctx context.Context, t task) ([]task, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u, err := n.cfg.Store.UserByID(ctx, t.v.UserID)
	if err != nil {
		return nil, lookupErr("user", err)
	}
	orgID := t.v.OrgID
	if orgID == 0 {
		orgID = u.OrgID
	}
	org, err := n.cfg.Store.OrgByID(ctx, orgID)
	if err != nil {
		return nil, lookupErr("organisation", err)
	}
	vs, err := n.cfg.Store.VoicemailSettings(ctx, u.ID)
	if err != nil {
		return nil, lookupErr("voicemail settings", err)
	}
	wantSMS, wantEmail := channels(vs.Notify)
	log := n.log.With("voicemail", t.v.ID, "user", u.ID)
	var out []task
	if wantSMS {
		switch {
		case n.cfg.SMS == nil:
			log.Info("voicemail SMS skipped: SMS is not configured")
		case strings.TrimSpace(u.MobileNumber) == "":
			log.Info("voicemail SMS skipped: user has no mobile number")
		default:
			out = append(out, task{v: t.v, ch: chanSMS, user: u, org: org})
		}
	}
	if wantEmail {
		switch {
		case !n.cfg.SMTP.Enabled():
			log.Info("voicemail email skipped: SMTP is not configured")
		case strings.TrimSpace(u.Email) == "":
			log.Info("voicemail email skipped: user has no email address")
		default:
			out = append(out, task{v: t.v, ch: chanEmail, user: u, org: org})
		}
	}
	return out, nil
}

// channels says which channels a setting asks for; anything unknown is the default, SMS.
func channels(n store.VoicemailNotify) (viaSMS, viaEmail bool) {
	switch n {
	case store.NotifyEmail:
		return false, true
	case store.NotifyBoth:
		return true, true
	}
	return true, false
}

func lookupErr(what string, err error) error {
	err = fmt.Errorf("notify: look up %s: %w", what, err)
	if errors.Is(err, store.ErrNotFound) {
		return permanent{err}
	}
	return err
}

// location is the time zone of org's texts: Config.Location when set, else the organisation's.
func (n *Notifier) location(org store.Org) *time.Location {
	if n.cfg.Location != nil {
		return n.cfg.Location
	}
	return org.Location()
}

func (n *Notifier) accessNumber(org store.Org) string {
	if org.VoicemailNumber != "" {
		return org.VoicemailNumber
	}
	if a := n.cfg.AccessNumbers[org.ID]; a != "" {
		return a
	}
	return n.cfg.AccessNumber
}

func (n *Notifier) sendSMS(ctx context.Context, t task) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	text := smsText(lang(t.user.Language), t.v, n.cfg.Now(), n.location(t.org), n.accessNumber(t.org))
	// The owner without their own number as sender: sms.Service then sends from the
	// organisation's SMS sender (or switchboard) and logs the SMS under the owner.
	from := t.user
	from.MobileNumber = ""
	_, err := n.cfg.SMS.Send(ctx, t.org, from, t.user.MobileNumber, text)
	if err == nil {
		return nil
	}
	if errors.Is(err, sms.ErrBadNumber) || errors.Is(err, sms.ErrBadText) || errors.Is(err, sms.ErrNoSender) || errors.Is(err, sms.ErrNoGateway) {
		return permanent{err}
	}
	return err
}

// message builds the notification email for t.
func (n *Notifier) message(t task, now time.Time, messageID, boundary string) (email, string, error) {
	from, err := n.sender(t.org)
	if err != nil {
		return email{}, "", permanent{err}
	}
	to, err := mail.ParseAddress(strings.TrimSpace(t.user.Email))
	if err != nil {
		return email{}, "", permanent{fmt.Errorf("notify: user email %q: %w", t.user.Email, err)}
	}
	if to.Name == "" {
		to.Name = clean(t.user.Name)
	}
	if n.cfg.FilePath == nil {
		return email{}, "", permanent{errors.New("notify: no FilePath to find the message")}
	}
	p := n.cfg.FilePath(t.v)
	data, err := os.ReadFile(p)
	if err != nil {
		// Deleted before the email went out, or a disk error: another try would not help.
		return email{}, "", permanent{fmt.Errorf("notify: read message file: %w", err)}
	}
	ext := strings.ToLower(filepath.Ext(p))
	ctype := "audio/wav"
	if ext != ".wav" {
		ctype, ext = "application/octet-stream", ".bin"
	}
	if messageID == "" {
		messageID = newMessageID(now, domainOf(from.Address))
	}
	if boundary == "" {
		boundary = newBoundary()
	}
	ph := lang(t.user.Language)
	loc := n.location(t.org)
	body := smsText(ph, t.v, now, loc, n.accessNumber(t.org)) + "\n\n" + ph.attached + "\n"
	return email{
		From: *from, To: *to, Subject: subject(ph, t.v), Date: now.In(loc),
		MessageID: messageID, Boundary: boundary, Body: body,
		FileName: fileName(t.v, loc, ext), ContentType: ctype, Attachment: data,
	}, to.Address, nil
}

// sender is the From address: the configured one or "Vaihde <voicemail@<org domain>>".
func (n *Notifier) sender(org store.Org) (*mail.Address, error) {
	if n.cfg.SMTP.From != "" {
		a, err := mail.ParseAddress(n.cfg.SMTP.From)
		if err != nil {
			return nil, fmt.Errorf("notify: SMTP From %q: %w", n.cfg.SMTP.From, err)
		}
		return a, nil
	}
	d := strings.TrimSpace(org.Domain)
	if d == "" {
		return nil, fmt.Errorf("notify: organisation %d has no domain for the default sender; set smtp.from", org.ID)
	}
	return &mail.Address{Name: "Vaihde", Address: "voicemail@" + d}, nil
}

func (n *Notifier) sendEmail(ctx context.Context, t task) error {
	e, rcpt, err := n.message(t, n.cfg.Now(), "", "")
	if err != nil {
		return err
	}
	msg, err := e.build()
	if err != nil {
		return permanent{fmt.Errorf("notify: build email: %w", err)}
	}
	return n.mail.send(ctx, e.From.Address, rcpt, msg)
}
