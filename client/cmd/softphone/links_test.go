package main

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

func TestParseFlagsLink(t *testing.T) {
	o, err := parseFlags([]string{"-config-dir", t.TempDir(), "-no-audio", "tel:+358%2040%20123"})
	if err != nil {
		t.Fatal(err)
	}
	if o.link != "tel:+358%2040%20123" || !o.noAudio {
		t.Fatalf("link %q noAudio %v", o.link, o.noAudio)
	}
}

// The first start claims the settings directory; a later one hands its link over and is told
// to exit; screenshot runs neither claim nor hand over.
func TestClaimLinks(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, handed := claimLinks(ctx, options{configDir: dir}, log)
	if first == nil || handed {
		t.Fatalf("first start: listener %v handed %v", first, handed)
	}
	got := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		first.Serve(ctx, func(s string) { got <- s })
	}()
	if l, handed := claimLinks(ctx, options{configDir: dir, link: "sip:1002@demo.vaihde.local"}, log); !handed || l != nil {
		t.Fatalf("second start: listener %v handed %v, want handed", l, handed)
	}
	select {
	case s := <-got:
		if s != "sip:1002@demo.vaihde.local" {
			t.Fatalf("first start got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the link never reached the first start")
	}
	if l, handed := claimLinks(ctx, options{configDir: dir, screenshot: "x.png"}, log); l != nil || handed {
		t.Fatalf("screenshot run: listener %v handed %v", l, handed)
	}
	cancel()
	<-done
}
