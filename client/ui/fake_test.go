package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

// fakeController records what the UI asks for and lets tests push snapshots.
type fakeController struct {
	mu      sync.Mutex
	snap    phone.Snapshot
	subs    map[int]func(phone.Snapshot)
	nextSub int
	nextID  int
	actions []string
	log     []api.CallEntry
	logErr  error
	failOn  string // action name that returns an error
}

func newFake() *fakeController {
	return &fakeController{subs: map[int]func(phone.Snapshot){}}
}

func (f *fakeController) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := fmt.Sprintf(format, args...)
	f.actions = append(f.actions, a)
	if f.failOn != "" && strings.HasPrefix(a, f.failOn) {
		return fmt.Errorf("fake failure in %s", a)
	}
	return nil
}

func (f *fakeController) Actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.actions...)
}

func (f *fakeController) LastAction() string {
	a := f.Actions()
	if len(a) == 0 {
		return ""
	}
	return a[len(a)-1]
}

// set replaces the snapshot and notifies subscribers synchronously.
func (f *fakeController) set(s phone.Snapshot) {
	f.mu.Lock()
	f.snap = s
	subs := make([]func(phone.Snapshot), 0, len(f.subs))
	for _, fn := range f.subs {
		subs = append(subs, fn)
	}
	f.mu.Unlock()
	for _, fn := range subs {
		fn(s)
	}
}

func (f *fakeController) update(fn func(*phone.Snapshot)) {
	f.mu.Lock()
	s := f.snap
	s.Calls = append([]phone.Call(nil), s.Calls...)
	f.mu.Unlock()
	fn(&s)
	f.set(s)
}

func (f *fakeController) Subscribe(fn func(phone.Snapshot)) func() {
	f.mu.Lock()
	id := f.nextSub
	f.nextSub++
	f.subs[id] = fn
	s := f.snap
	f.mu.Unlock()
	fn(s)
	return func() {
		f.mu.Lock()
		delete(f.subs, id)
		f.mu.Unlock()
	}
}

func (f *fakeController) Snapshot() phone.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeController) Login(_ context.Context, a phone.Account) error {
	if err := f.record("login %s %s %s", a.Server, a.User, a.Password); err != nil {
		return err
	}
	f.update(func(s *phone.Snapshot) { s.Reg = phone.Connecting; s.Account = a })
	return nil
}

func (f *fakeController) Logout(context.Context) error {
	if err := f.record("logout"); err != nil {
		return err
	}
	f.update(func(s *phone.Snapshot) { s.Reg = phone.LoggedOut; s.Account = phone.Account{} })
	return nil
}

func (f *fakeController) Dial(_ context.Context, number string) (string, error) {
	if err := f.record("dial %s", number); err != nil {
		return "", err
	}
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("out%d", f.nextID)
	f.mu.Unlock()
	f.update(func(s *phone.Snapshot) {
		s.Calls = append(s.Calls, phone.Call{ID: id, Direction: phone.Outgoing, Remote: number,
			State: phone.Dialling, StartedAt: time.Now()})
	})
	return id, nil
}

func (f *fakeController) Answer(id string) error       { return f.record("answer %s", id) }
func (f *fakeController) Reject(id string) error       { return f.record("reject %s", id) }
func (f *fakeController) Hangup(id string) error       { return f.record("hangup %s", id) }
func (f *fakeController) Hold(id string, h bool) error { return f.record("hold %s %v", id, h) }
func (f *fakeController) Mute(id string, m bool) error { return f.record("mute %s %v", id, m) }
func (f *fakeController) SendDTMF(id string, k rune) error {
	return f.record("dtmf %s %c", id, k)
}
func (f *fakeController) BlindTransfer(id, target string) error {
	return f.record("blind %s %s", id, target)
}
func (f *fakeController) AttendedTransfer(id, consult string) error {
	return f.record("attended %s %s", id, consult)
}

func (f *fakeController) CallLog(context.Context, int) ([]api.CallEntry, error) {
	_ = f.record("calllog")
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.CallEntry(nil), f.log...), f.logErr
}

var _ phone.Controller = (*fakeController)(nil)

func (f *fakeController) Session() (string, string, bool) { return "", "", false }

func (f *fakeController) SendMessage(ctx context.Context, to, body string) error { return nil }

func (f *fakeController) OnMessage(fn func(phone.InstantMessage)) func() { return func() {} }
