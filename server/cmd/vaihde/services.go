package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/directory"
	"github.com/vaihde/vaihde/server/messaging"
	"github.com/vaihde/vaihde/server/notify"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/sms"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/subscription"
	"github.com/vaihde/vaihde/server/voicemail"
)

// services are the issue-3 parts around the call engine: presence subscriptions, directory,
// instant messages and SMS. Close stops them in dependency order, the hub last.
type services struct {
	hub          *presence.Hub
	directory    *directory.Service
	messaging    *messaging.Service
	subscription *subscription.Service
	sms          *sms.Service
	voicemail    *voicemail.Mailbox
	notifier     *notify.Notifier
	closeHub     func() error
	closeOnce    sync.Once
	closeErr     error
	// mailboxWatchers hear of every mailbox change after the message-waiting NOTIFYs (the HTTP
	// API's event streams).
	watchMu         sync.Mutex
	mailboxWatchers []func(userID int64)
}

// watchMailboxes adds a watcher of mailbox changes.
func (s *services) watchMailboxes(fn func(userID int64)) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	s.mailboxWatchers = append(s.mailboxWatchers, fn)
}

// mailboxChanged tells phones (message-summary NOTIFY) and the other watchers.
func (s *services) mailboxChanged(userID int64) {
	s.subscription.MailboxChanged(userID)
	s.watchMu.Lock()
	ws := s.mailboxWatchers
	s.watchMu.Unlock()
	for _, w := range ws {
		w(userID)
	}
}

// newPresence returns the presence hub; a user is online while the registrar has a device.
func newPresence(st store.Store, sipSrv *signaling.Server, logger *slog.Logger) *presence.Hub {
	online := func(ctx context.Context, userID int64) bool {
		t, err := sipSrv.Targets(ctx, userID)
		return err == nil && len(t) > 0
	}
	return presence.New(st, online, logger)
}

// startServices builds messaging, presence subscriptions, directory and SMS around the hub and
// attaches their SIP handlers; it must run before the SIP server starts. closeHub closes the
// hub once (main also defers it for early returns).
func startServices(cfg config.Config, st store.Store, sipSrv *signaling.Server, hub *presence.Hub, closeHub func() error, engine *callEngine, logger *slog.Logger) (*services, error) {
	gw, err := sms.FromConfig(cfg.SMS)
	if err != nil {
		return nil, fmt.Errorf("sms gateway: %w", err)
	}
	s := &services{hub: hub, directory: directory.New(st), closeHub: closeHub,
		sms: sms.NewService(st, gw, logger.With("component", "sms"))}
	var udpLocal netip.AddrPort
	if ap, err := netip.ParseAddrPort(sipSrv.Addr("udp")); err == nil {
		udpLocal = ap
	}
	s.subscription, err = subscription.New(subscription.Deps{Hub: hub, Directory: sipSrv, Store: st,
		Client: sipSrv.Client(), Logger: logger, ContactHost: engine.contactHost, ContactPort: engine.contactPort,
		ContactTLSPort: engine.contactTLSPort,
		UA:             sipSrv.UA(), UDPLocal: udpLocal})
	if err != nil {
		return nil, fmt.Errorf("presence subscriptions: %w", err)
	}
	s.subscription.Attach(sipSrv.SIP())
	// Voicemail files live beside the database; every mailbox change lights or clears the
	// message-waiting indicator of the user's phones.
	s.voicemail, err = voicemail.New(voicemail.Config{Root: filepath.Join(filepath.Dir(cfg.DBPath), "voicemail"),
		Store: st, Changed: s.mailboxChanged, Saved: s.voicemailSaved, Logger: logger})
	if err != nil {
		s.subscription.Close()
		return nil, err
	}
	// New messages are told to their owners by SMS and/or email (VM-4).
	s.notifier, err = notify.New(notify.Config{Store: st, FilePath: s.voicemail.FilePath, SMS: s.sms,
		SMTP: cfg.SMTP, Logger: logger.With("component", "notify")})
	if err != nil {
		s.subscription.Close()
		return nil, fmt.Errorf("voicemail notifications: %w", err)
	}
	rctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	_, err = s.voicemail.Recover(rctx)
	cancel()
	if err != nil {
		s.subscription.Close()
		return nil, err
	}
	s.messaging = messaging.New(messaging.Deps{Store: st, Directory: sipSrv, Client: sipSrv.Client(),
		Logger: logger.With("component", "messaging"), ContactHost: engine.contactHost, ContactPort: engine.contactPort,
		UA: sipSrv.UA(), UDPLocal: udpLocal})
	s.messaging.Attach(sipSrv.SIP())
	sipSrv.OnBindingsChanged(func(userID int64) {
		hub.RegistrationChanged(userID)
		s.messaging.Deliver(userID)
	})
	return s, nil
}

// voicemailSaved hands a new message to the notifier (nil until it exists: Recover never calls).
func (s *services) voicemailSaved(v store.Voicemail) {
	s.notifier.VoicemailSaved(v)
}

// Close stops messaging and subscriptions (their last NOTIFYs still go out: the SIP server
// closes after), the notifier (queued notifications get a few seconds), then the hub.
func (s *services) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(s.messaging.Close(), s.subscription.Close(), s.notifier.Close(ctx), s.closeHub())
}
