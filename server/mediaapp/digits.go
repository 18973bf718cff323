package mediaapp

import "sync"

// maxQueuedDigits bounds type-ahead; further keys are dropped until the flow reads some.
const maxQueuedDigits = 32

// digitQueue holds keys pressed and not yet consumed. push may come from any goroutine; one
// waiter (the call flow) is woken through notify.
type digitQueue struct {
	mu     sync.Mutex
	buf    []rune
	notify chan struct{}
}

func newDigitQueue() *digitQueue { return &digitQueue{notify: make(chan struct{}, 1)} }

func (q *digitQueue) push(r rune) {
	q.mu.Lock()
	if len(q.buf) < maxQueuedDigits {
		q.buf = append(q.buf, r)
	}
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *digitQueue) pop() (rune, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.buf) == 0 {
		return 0, false
	}
	r := q.buf[0]
	q.buf = q.buf[1:]
	return r, true
}

func (q *digitQueue) pending() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.buf) > 0
}

// dropIf removes the next key when it is r (a terminator typed after a full entry).
func (q *digitQueue) dropIf(r rune) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.buf) > 0 && q.buf[0] == r {
		q.buf = q.buf[1:]
	}
}
