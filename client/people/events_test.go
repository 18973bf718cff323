package people

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

func TestOnEventSharesTheStream(t *testing.T) {
	f := newFakeServer(t)
	b := NewBook(newFakePhone(f.srv.URL), Options{Logger: quiet, RetryMin: 20 * time.Millisecond})
	t.Cleanup(b.Close)
	var mu sync.Mutex
	var types []string
	var counts *api.VoicemailCounts
	cancel := b.OnEvent(func(ev api.Event) {
		mu.Lock()
		defer mu.Unlock()
		types = append(types, ev.Type)
		if ev.Voicemail != nil {
			counts = ev.Voicemail
		}
	})
	b.Start(context.Background())
	waitFor(t, "hello", func() bool { mu.Lock(); defer mu.Unlock(); return len(types) == 1 && types[0] == api.EventHello })

	f.push(api.Event{Type: "voicemail", Voicemail: &api.VoicemailCounts{New: 2, Old: 5}})
	waitFor(t, "the voicemail event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return counts != nil && *counts == api.VoicemailCounts{New: 2, Old: 5}
	})

	// After cancel nothing more arrives; the book itself still follows the stream.
	cancel()
	f.push(api.Event{Type: "voicemail", Voicemail: &api.VoicemailCounts{New: 3}})
	f.push(api.Event{Type: "presence", Presence: &api.Presence{UserID: 2, Extension: "1002", Activity: 4, UpdatedAt: time.Now()}})
	waitFor(t, "the presence applied", func() bool {
		for _, c := range b.Snapshot().Colleagues {
			if c.Extension == "1002" && c.Presence.Activity == 4 {
				return true
			}
		}
		return false
	})
	mu.Lock()
	defer mu.Unlock()
	if len(types) != 2 || counts.New != 2 {
		t.Fatalf("events after cancel reached the listener: %v, %+v", types, counts)
	}
}
