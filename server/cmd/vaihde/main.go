// Command vaihde runs the Vaihde server: the SIP registrar and call handling, and the HTTP API,
// on an embedded SQLite database.
//
//	vaihde [flags]          run the server (-demo also creates the demo organisation)
//	vaihde demo [flags]     create the demo organisation, print its accounts, and run
//	vaihde org|user ...     provision organisations and users (see cli.go, `vaihde help`)
//	vaihde backup|restore   save or restore the database and the files beside it
//
// The provisioning commands work while the server runs: it sees their changes within a
// second (storewatch).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/api"
	"github.com/vaihde/vaihde/server/backup"
	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/groups"
	"github.com/vaihde/vaihde/server/personal"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store/sqlite"
	"github.com/vaihde/vaihde/server/voicemail"
)

// shutdownTimeout bounds graceful shutdown.
const shutdownTimeout = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if code, ok := runCLI(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); ok {
		stop()
		os.Exit(code)
	}
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "vaihde:", err)
		os.Exit(1)
	}
}

// run parses args, starts every component, and blocks until ctx ends or a component fails.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "demo" {
		args = append([]string{"-demo"}, args[1:]...)
	}
	cfg, err := config.Load(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "usage: vaihde [demo] [flags]   (vaihde help: the org, user, did, backup and restore commands)\n%s", config.FlagUsage())
		return err
	}
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	// sipgo logs a few things through its package default; keep them in our log.
	sip.SetDefaultLogger(logger.With("component", "sipgo"))
	logger.Info("starting vaihde", "version", version, "config", cfg.String())
	warnPublicDemo(cfg, stderr, logger)

	// The lock tells `vaihde restore` that a server is live on this database (and keeps a
	// second server off it).
	dbLock, err := backup.Acquire(cfg.DBPath)
	if errors.Is(err, backup.ErrLive) {
		return fmt.Errorf("database %s: another vaihde server is running on it", cfg.DBPath)
	}
	if err != nil {
		return fmt.Errorf("database %s: %w", cfg.DBPath, err)
	}
	defer dbLock.Close()
	st, err := sqlite.Open(ctx, cfg.DBPath)
	if err != nil {
		return err
	}
	defer st.Close()

	if cfg.Demo {
		org, accounts, err := demo.Seed(ctx, st)
		if err != nil {
			return err
		}
		printDemo(stdout, cfg, org.Domain, accounts)
	}

	sipSrv, err := signaling.New(cfg, st, logger)
	if err != nil {
		return err
	}
	defer sipSrv.Close()

	hub := newPresence(st, sipSrv, logger)
	closeHub := sync.OnceValue(hub.Close) // on an early return, and in order at shutdown
	defer closeHub()
	vmAccess := &voicemailAccess{}
	feat, prompts := newFeatures(cfg, st, hub, vmAccess, logger)
	routes := &personalRouting{}
	groupVM := &groupVoicemail{st: st}
	// The queue engine runs the queue numbers' flows and the agents' feature codes; it places
	// callbacks through the call engine, so it starts after it.
	qs := newQueues(st, hub, prompts, logger)
	defer qs.Close()
	grp := newGroups(st, feat, qs, groups.ServicesFunc(qs.agentCodes), hub, prompts, groupVM, logger)
	parked := newPark(cfg, logger)
	camped := newCampon(st, qs, prompts, logger)
	toVM := newVMTransfer(st, groupVM, logger) // 981<ext>: straight to a colleague's voicemail
	engine, err := startCallEngine(cfg, st, sipSrv, hub, servicesChain{parked, toVM, grp}, servicesChain{parked, camped, toVM}, routes, logger)
	if err != nil {
		return err
	}
	defer engine.Close()
	qs.setOriginator(engine.b2b)
	if err := qs.start(ctx); err != nil {
		return err
	}
	svc, err := startServices(cfg, st, sipSrv, hub, closeHub, engine, logger)
	if err != nil {
		return err
	}
	defer svc.Close()
	if prompts != nil {
		vmAccess.deps = &voicemail.AccessDeps{Mailbox: svc.voicemail, Store: st, Users: st, Voice: prompts,
			Logger: logger.With("component", "voicemail")}
	}
	// Personal routing answers with voicemail only when there are prompts to speak.
	var deposit *voicemail.DepositDeps
	if prompts != nil {
		deposit = &voicemail.DepositDeps{Mailbox: svc.voicemail, Store: st, Voice: prompts,
			Presence: personal.RedPresence{Presence: hub}, Logger: logger.With("component", "voicemail")}
	}
	groupVM.deps = deposit
	routes.r = personal.New(personal.Deps{Store: st, Presence: hub, Voicemail: deposit,
		Logger: logger.With("component", "routing")})

	if err := sipSrv.Start(ctx); err != nil {
		return err
	}
	reload := newReload(st, sipSrv, svc, logger, qs.reload)
	stopStoreWatch := watchStore(ctx, st, reload, logger)
	defer stopStoreWatch()

	apiSrv := api.New(api.Deps{Store: st, Logger: logger, Presence: hub, Directory: svc.directory,
		Messaging: svc.messaging, SMS: svc.sms, Voicemail: svc.voicemail, Prompts: promptsAPI(prompts), Agents: qs.eng, Parked: parked, CampOns: camped,
		// Admin changes made through the API reach SIP at once (the CLI's through storewatch).
		Changed: func(ctx context.Context, _, _ int64) { reload(ctx) }})
	svc.watchMailboxes(apiSrv.VoicemailChanged)
	// Consoles follow parked calls and camp-on waiters live (OP-1).
	parked.park.OnChange(apiSrv.ParkedChanged)
	camped.svc.OnChange(apiSrv.CampOnChanged)
	// Messages arriving over SIP reach the recipient's other clients as events too.
	stopWatch := svc.messaging.Watch(apiSrv.MessageStored)
	defer stopWatch()
	httpSrv := &http.Server{
		Handler:           apiSrv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Shutdown waits for handlers; event streams end when it begins.
	httpSrv.RegisterOnShutdown(apiSrv.CloseStreams)
	lns, err := listenAPI(cfg, httpSrv, logger, time.Now)
	if err != nil {
		return err
	}
	httpErr := make(chan error, 2)
	lns.serve(httpSrv, httpErr)
	httpAddr, httpsAddr := lns.addrs()
	logger.Info("vaihde ready", "sip", sipSrv.Addr("udp"), "tls", sipSrv.Addr("tls"), "http", httpAddr, "https", httpsAddr)

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-httpErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	stopStoreWatch() // no reloads while the parts shut down
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		logger.Warn("http shutdown", "error", err)
	}
	done := make(chan error, 1)
	go func() {
		// Calls end first, so their BYEs and CANCELs still go out through the SIP stack; the
		// queue engine before them (its callback calls end through the call engine).
		qs.Close()
		if err := engine.Close(); err != nil {
			logger.Warn("call engine shutdown", "error", err)
		}
		if err := svc.Close(); err != nil {
			logger.Warn("services shutdown", "error", err)
		}
		done <- sipSrv.Close()
	}()
	select {
	case err := <-done:
		if err != nil {
			logger.Warn("sip shutdown", "error", err)
		}
	case <-sctx.Done():
		logger.Warn("sip shutdown did not finish in time")
	}
	return runErr
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func printDemo(w io.Writer, cfg config.Config, domain string, accounts []demo.Account) {
	fmt.Fprintf(w, "\nDemo organisation %q (SIP domain %s). Accounts:\n\n", demo.OrgName, domain)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EXT\tPASSWORD\tNAME\tCOMPANY NUMBER\tMOBILE\tLANG")
	for _, a := range accounts {
		u := a.User
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Extension, a.Password, u.Name, u.CompanyNumber, u.MobileNumber, u.Language)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nSIP phones: server %s (UDP/TCP), domain %s, user 1001, password demo1001.\n", cfg.SIPAddr, domain)
	fmt.Fprintf(w, "Softphone / HTTP API: http://%s, log in as 1001 (or +358912341001, 09 1234 1001) with password demo1001.\n", cfg.HTTPAddr)
	if cfg.HTTPSAddr != "" {
		cert, _, _ := cfg.HTTPSCertFiles()
		fmt.Fprintf(w, "HTTPS API: https://%s (certificate %s).\n", cfg.HTTPSAddr, cert)
	}
	fmt.Fprintln(w)
}
