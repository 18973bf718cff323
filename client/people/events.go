package people

import (
	"sync"

	"github.com/vaihde/vaihde/shared/api"
)

// eventListeners are the functions OnEvent registered.
type eventListeners struct {
	mu   sync.Mutex
	fns  map[int]func(api.Event)
	next int
}

func (l *eventListeners) add(fn func(api.Event)) func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fns == nil {
		l.fns = map[int]func(api.Event){}
	}
	id := l.next
	l.next++
	l.fns[id] = fn
	return func() {
		l.mu.Lock()
		delete(l.fns, id)
		l.mu.Unlock()
	}
}

func (l *eventListeners) send(ev api.Event) {
	l.mu.Lock()
	fns := make([]func(api.Event), 0, len(l.fns))
	for _, fn := range l.fns {
		fns = append(fns, fn)
	}
	l.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}

// OnEvent calls fn with every event of the /api/events stream the book follows, before the
// book applies it, so other models (client/voicemail) share the one stream: "hello" after
// every (re)connect, "voicemail" with the mailbox counts, and the rest. fn runs on the
// stream's goroutine and must not block; the returned function unregisters it.
func (b *Book) OnEvent(fn func(api.Event)) (cancel func()) { return b.listeners.add(fn) }
