package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
)

// fakePeople is a people.Model that records what the UI asks for and lets tests push
// snapshots.
type fakePeople struct {
	mu      sync.Mutex
	snap    people.Snapshot
	subs    map[int]func(people.Snapshot)
	next    int
	actions []string
	fail    error // returned by every action when set
	filters int
}

func newFakePeople() *fakePeople { return &fakePeople{subs: map[int]func(people.Snapshot){}} }

func (f *fakePeople) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, fmt.Sprintf(format, args...))
	return f.fail
}

func (f *fakePeople) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.actions) == 0 {
		return ""
	}
	return f.actions[len(f.actions)-1]
}

func (f *fakePeople) set(s people.Snapshot) {
	f.mu.Lock()
	f.snap = s
	subs := make([]func(people.Snapshot), 0, len(f.subs))
	for _, fn := range f.subs {
		subs = append(subs, fn)
	}
	f.mu.Unlock()
	for _, fn := range subs {
		fn(s)
	}
}

func (f *fakePeople) Subscribe(fn func(people.Snapshot)) func() {
	f.mu.Lock()
	id := f.next
	f.next++
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

func (f *fakePeople) Snapshot() people.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

// Filter is a simple prefix match on name words and extension, enough for the UI tests.
func (f *fakePeople) Filter(q string) []people.Colleague {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters++
	var out []people.Colleague
	for _, c := range f.snap.Colleagues {
		ok := true
		for _, term := range strings.Fields(strings.ToLower(q)) {
			hit := strings.HasPrefix(c.Extension, term)
			for _, w := range strings.Fields(strings.ToLower(c.Name + " " + c.Department)) {
				hit = hit || strings.HasPrefix(w, term)
			}
			ok = ok && hit
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakePeople) SetPresence(_ context.Context, u api.PresenceUpdate) error {
	var parts []string
	if u.Activity != nil {
		parts = append(parts, fmt.Sprintf("activity=%d", *u.Activity))
	}
	if u.Role != nil {
		parts = append(parts, fmt.Sprintf("role=%d", *u.Role))
	}
	if u.Until != nil {
		parts = append(parts, "until="+u.Until.Format("2006-01-02 15:04"))
	}
	if u.ClearUntil {
		parts = append(parts, "until=none")
	}
	if u.Note != nil {
		parts = append(parts, fmt.Sprintf("note=%q", *u.Note))
	}
	return f.record("presence %s", strings.Join(parts, " "))
}

func (f *fakePeople) SetIdle(idle bool) { _ = f.record("idle %v", idle) }

func (f *fakePeople) SaveContact(_ context.Context, c api.Contact) (api.Contact, error) {
	err := f.record("contact save id=%d user=%d name=%q mobile=%q fav=%v vip=%v", c.ID, c.UserID, c.Name, c.Mobile, c.Favourite, c.VIP)
	return c, err
}

func (f *fakePeople) DeleteContact(_ context.Context, id int64) error {
	return f.record("contact delete %d", id)
}

func (f *fakePeople) OpenChat(_ context.Context, with string) error {
	return f.record("open %s", with)
}

func (f *fakePeople) SendChat(_ context.Context, to, body string) error {
	return f.record("chat %s %q", to, body)
}

func (f *fakePeople) SendSMS(_ context.Context, to, text string) (api.SMS, error) {
	if err := f.record("sms %s %q", to, text); err != nil {
		return api.SMS{}, err
	}
	_, parts, _ := SMSCount(text)
	return api.SMS{ID: 1, To: "+358" + strings.TrimPrefix(to, "0"), Text: text, Parts: parts}, nil
}

var _ people.Model = (*fakePeople)(nil)
