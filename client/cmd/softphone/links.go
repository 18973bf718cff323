package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"fyne.io/fyne/v2"

	"github.com/vaihde/vaihde/client/link"
	"github.com/vaihde/vaihde/client/ui"
)

// claimLinks makes this process the one Softphone for its settings directory: when another
// already runs, the link (or a plain start, which raises its window) is handed to it and
// handed is true: this process exits. Screenshot runs (tests, docs) stay on their own.
func claimLinks(ctx context.Context, o options, log *slog.Logger) (l *link.Listener, handed bool) {
	if o.screenshot != "" {
		return nil, false
	}
	err := link.Send(ctx, o.configDir, o.link)
	if err == nil {
		log.Info("link handed to the running Softphone", "link", o.link)
		return nil, true
	}
	if !errors.Is(err, link.ErrNoInstance) {
		log.Warn("running Softphone did not take the link; starting another", "err", err)
	}
	l, err = link.Claim(o.configDir, log)
	if err != nil {
		log.Warn("links from later starts will open another Softphone", "err", err)
		return nil, false
	}
	return l, false
}

// serveLinks opens first (this start's own link, if any) and then every link later starts
// hand over, until ctx ends.
func serveLinks(ctx context.Context, wg *sync.WaitGroup, l *link.Listener, u *ui.UI, first string, log *slog.Logger) {
	open := func(raw string) {
		if raw == "" {
			fyne.Do(func() {
				u.Window().Show()
				u.Window().RequestFocus()
			})
			return
		}
		n, err := link.Parse(raw)
		if err != nil {
			log.Warn("link not understood", "link", raw, "err", err)
			return
		}
		log.Info("link opened", "number", n)
		fyne.Do(func() { u.OpenLink(n) })
	}
	if first != "" {
		open(first)
	}
	if l == nil {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.Serve(ctx, open)
	}()
}
