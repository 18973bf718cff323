package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store/sqlite"
	"github.com/vaihde/vaihde/server/storewatch"
)

// newReload returns what the server does when its data changed behind its caches: the SIP
// side drops cached users and organisations and ends the registrations of removed users, and
// the directory forgets its search indexes; each of perOrg (the queue engine's reload) runs for
// every organisation.
func newReload(st *sqlite.Store, sipSrv *signaling.Server, svc *services, logger *slog.Logger, perOrg ...func(context.Context, int64)) func(context.Context) {
	log := logger.With("component", "reload")
	return func(ctx context.Context) {
		if _, err := sipSrv.Reload(ctx); err != nil && ctx.Err() == nil {
			log.Error("reload after a change", "error", err)
		}
		// Directory search indexes are per organisation; any of them may have changed.
		orgs, err := st.ListOrgs(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("reload: list organisations", "error", err)
			}
			return
		}
		for _, o := range orgs {
			svc.directory.Invalidate(o.ID)
			for _, f := range perOrg {
				f(ctx, o.ID)
			}
		}
	}
}

// watchStore starts the goroutine that makes the running server see what the provisioning
// commands change (within storewatch.Interval) by calling reload. The returned function stops
// it and waits; it may be called more than once.
func watchStore(ctx context.Context, st *sqlite.Store, reload func(context.Context), logger *slog.Logger) (stop func()) {
	log := logger.With("component", "storewatch")
	w := storewatch.New(st.DataVersion, func(ctx context.Context) {
		reload(ctx)
		log.Info("reloaded after a change by another process")
	}, log)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.Run(ctx, nil)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}
}
