package people

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/presence"
)

func ptr[T any](v T) *T { return &v }

func colleague(s Snapshot, ext string) (Colleague, bool) {
	for _, c := range s.Colleagues {
		if c.Extension == ext {
			return c, true
		}
	}
	return Colleague{}, false
}

func chatWith(s Snapshot, ext string) (Chat, bool) {
	for _, c := range s.Chats {
		if c.With == ext {
			return c, true
		}
	}
	return Chat{}, false
}

func TestBookLoads(t *testing.T) {
	b, _, _ := startedBook(t, Options{})
	s := b.Snapshot()
	if s.Error != "" {
		t.Fatalf("error %q", s.Error)
	}
	var names []string
	for _, c := range s.Colleagues {
		names = append(names, c.Name)
	}
	// Sorted by name with accents folded: Aino Ääkkönen, Bertta Öhman, Élise Carlsson.
	if got := strings.Join(names, ","); got != "Aino Ääkkönen,Bertta Öhman,Élise Carlsson" {
		t.Fatalf("colleagues %s", got)
	}
	if c, _ := colleague(s, "1003"); !strings.Contains(c.Fold, "elise") {
		t.Fatalf("fold %q", c.Fold)
	}
	if s.Me.Extension != "1001" || s.Me.ActivityName != "Available" {
		t.Fatalf("me %+v", s.Me)
	}
	if len(s.Activities) != 9 || len(s.Contacts) != 1 {
		t.Fatalf("%d activities, %d contacts", len(s.Activities), len(s.Contacts))
	}
	if c, ok := chatWith(s, "1003"); !ok || c.Unread != 1 || c.Last.Body != "Salut" || len(c.Messages) != 0 || s.Unread != 1 {
		t.Fatalf("chats %+v unread %d", s.Chats, s.Unread)
	}
}

func TestBookFollowsEvents(t *testing.T) {
	b, f, _ := startedBook(t, Options{})
	var mu sync.Mutex
	var seen []Snapshot
	cancel := b.Subscribe(func(s Snapshot) {
		mu.Lock()
		seen = append(seen, s)
		mu.Unlock()
	})
	defer cancel()
	before := b.Snapshot()

	now := time.Now()
	until := now.Add(time.Hour).UTC().Truncate(time.Second)
	f.push(api.Event{Type: "presence", Presence: &api.Presence{UserID: 2, Extension: "1002", Activity: 4,
		ActivityName: "In a meeting", Until: &until, Note: "Budget", Phone: "on-call", UpdatedAt: now}})
	waitFor(t, "1002 in a meeting", func() bool {
		c, _ := colleague(b.Snapshot(), "1002")
		return c.Presence.Activity == 4 && c.Presence.Note == "Budget" && c.Presence.Phone == "on-call"
	})
	// A stale event (older than what we show) changes nothing.
	f.push(api.Event{Type: "presence", Presence: &api.Presence{UserID: 2, Extension: "1002", Activity: 1,
		ActivityName: "Available", UpdatedAt: now.Add(-time.Minute)}})
	// Our own presence changes Me.
	f.push(api.Event{Type: "presence", Presence: &api.Presence{UserID: 1, Extension: "1001", Activity: 3,
		ActivityName: "At lunch", UpdatedAt: now}})
	waitFor(t, "me at lunch", func() bool { return b.Snapshot().Me.Activity == 3 })
	if c, _ := colleague(b.Snapshot(), "1002"); c.Presence.Activity != 4 {
		t.Fatalf("stale event applied: %+v", c.Presence)
	}
	// A new colleague joins; bad events in between are skipped, not fatal.
	f.pushRaw("event: presence\ndata: {not json\n\n")
	f.pushRaw(": ping\n\n")
	f.push(api.Event{Type: "presence"})
	f.push(api.Event{Type: "directory", Entry: &api.DirectoryEntry{UserID: 4, Name: "Cecilia Virtanen", Extension: "1004",
		Presence: api.Presence{UserID: 4, Extension: "1004", Activity: 1, ActivityName: "Available", UpdatedAt: now}}})
	waitFor(t, "1004 joined", func() bool { _, ok := colleague(b.Snapshot(), "1004"); return ok })
	s := b.Snapshot()
	if s.Colleagues[2].Extension != "1004" || !s.Live {
		t.Fatalf("order after join: %v live %v", s.Colleagues, s.Live)
	}
	// The snapshot handed out before is a value: nothing in it changed.
	if c, _ := colleague(before, "1002"); c.Presence.Activity != 1 || len(before.Colleagues) != 3 || before.Me.Activity != 1 {
		t.Fatalf("old snapshot changed: %+v", before)
	}
	// "contacts" only announces a change: the book reloads them.
	f.with(func(f *fakeServer) {
		f.contacts = append(f.contacts, api.Contact{ID: 8, Name: "Admin's new org contact", Org: true})
	})
	f.push(api.Event{Type: api.EventContacts})
	waitFor(t, "contacts reloaded", func() bool { return len(b.Snapshot().Contacts) == 2 })
	waitFor(t, "subscriber saw the join", func() bool {
		mu.Lock()
		defer mu.Unlock()
		_, ok := colleague(seen[len(seen)-1], "1004")
		return ok
	})
}

func TestBookReconnectsAndReloads(t *testing.T) {
	b, f, _ := startedBook(t, Options{RetryMin: 50 * time.Millisecond})
	f.with(func(f *fakeServer) { f.failNext["GET /api/activities"] = 500 })
	// While the stream is down a colleague changes; no event reaches us, the reload must.
	f.with(func(f *fakeServer) {
		f.dir[0].Presence.Activity, f.dir[0].Presence.ActivityName = 5, "Away"
		f.dir[0].Presence.UpdatedAt = time.Now()
	})
	f.dropStreams()
	waitFor(t, "book notices the broken stream", func() bool { return !b.Snapshot().Live })
	waitFor(t, "book reconnects", func() bool { return b.Snapshot().Live && f.connections() >= 3 })
	s := b.Snapshot()
	if c, _ := colleague(s, "1002"); c.Presence.Activity != 5 || s.Error != "" {
		t.Fatalf("after reconnect: %+v error %q", c.Presence, s.Error)
	}
}

func TestBookStreamWatchdog(t *testing.T) {
	f := newFakeServer(t)
	f.silent = true
	b := NewBook(newFakePhone(f.srv.URL), Options{Logger: quiet, StreamTimeout: 200 * time.Millisecond, RetryMin: 20 * time.Millisecond})
	defer b.Close()
	b.Start(context.Background())
	waitFor(t, "silent stream restarted", func() bool { return f.connections() >= 3 })
	if s := b.Snapshot(); !s.Loaded {
		t.Fatalf("not loaded: %+v", s.Error)
	}
	// Pings keep a stream alive.
	f.with(func(f *fakeServer) { f.silent = false })
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				f.pushRaw(": ping\n\n")
			}
		}
	}()
	waitFor(t, "live", func() bool { return b.Snapshot().Live })
	n := f.connections()
	time.Sleep(600 * time.Millisecond)
	close(stop)
	<-done
	if got := f.connections(); got != n {
		t.Fatalf("a pinged stream was restarted: %d → %d connections", n, got)
	}
}

func TestBookWithoutSession(t *testing.T) {
	b := NewBook(newFakePhone(""), Options{Logger: quiet, RetryMin: 20 * time.Millisecond})
	defer b.Close()
	b.Start(context.Background())
	waitFor(t, "error shown", func() bool { return b.Snapshot().Error != "" })
	if s := b.Snapshot(); s.Loaded || s.Live {
		t.Fatalf("%+v", s)
	}
	if err := b.SetPresence(context.Background(), api.PresenceUpdate{Note: ptr("x")}); !errors.Is(err, ErrNoSession) {
		t.Fatalf("SetPresence without session: %v", err)
	}
	if _, err := b.SendSMS(context.Background(), "0401234567", "x"); !errors.Is(err, ErrNoSession) {
		t.Fatalf("SendSMS without session: %v", err)
	}
}

func TestBookSetPresence(t *testing.T) {
	now := time.Now()
	b, f, _ := startedBook(t, Options{})
	until := now.Add(2 * time.Hour).Truncate(time.Second)
	err := b.SetPresence(context.Background(), api.PresenceUpdate{Activity: ptr(4), Until: &until, Note: ptr("Budget")})
	if err != nil {
		t.Fatal(err)
	}
	// Me shows the server's answer at once, without waiting for the event.
	s := b.Snapshot()
	if s.Me.Activity != 4 || s.Me.ActivityName != "Available" && s.Me.ActivityName != "In a meeting" || s.Me.Note != "Budget" ||
		s.Me.Until == nil || !s.Me.Until.Equal(until) {
		t.Fatalf("me %+v", s.Me)
	}
	if c, _ := colleague(s, "1001"); c.Presence.Activity != 4 {
		t.Fatalf("own directory entry %+v", c.Presence)
	}
	if body := f.lastBody("PUT /api/presence"); !strings.Contains(body, `"activity":4`) || !strings.Contains(body, `"note":"Budget"`) {
		t.Fatalf("sent %s", body)
	}

	// Bad input is refused with clear words, before or by the server.
	puts := f.count("PUT /api/presence")
	tests := map[string]struct {
		u    api.PresenceUpdate
		want error
	}{
		"unknown activity": {api.PresenceUpdate{Activity: ptr(42)}, presence.ErrUnknownActivity},
		"unknown role":     {api.PresenceUpdate{Role: ptr(9)}, presence.ErrUnknownRole},
		"long note":        {api.PresenceUpdate{Note: ptr(strings.Repeat("n", 10000))}, presence.ErrNoteTooLong},
		"past end time":    {api.PresenceUpdate{Until: ptr(now.Add(-time.Hour))}, presence.ErrUntilPast},
		"far end time":     {api.PresenceUpdate{Until: ptr(now.Add(5 * 365 * 24 * time.Hour))}, presence.ErrUntilTooFar},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := b.SetPresence(context.Background(), tc.u)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if n := f.count("PUT /api/presence"); n != puts {
		t.Fatalf("refused changes reached the server: %d requests", n-puts)
	}
	f.with(func(f *fakeServer) { f.failNext["PUT /api/presence"] = 400 })
	err = b.SetPresence(context.Background(), api.PresenceUpdate{Note: ptr("ok")})
	if StatusOf(err) != 400 || !strings.Contains(err.Error(), "forced failure") {
		t.Fatalf("server refusal: %v", err)
	}
}

func TestBookSetIdleOnlyOnChange(t *testing.T) {
	b, f, _ := startedBook(t, Options{})
	b.SetIdle(true)
	waitFor(t, "idle sent", func() bool { return b.Snapshot().Me.Idle })
	b.SetIdle(true)
	b.SetIdle(true)
	b.SetIdle(false)
	waitFor(t, "active again", func() bool { return !b.Snapshot().Me.Idle && f.count("PUT /api/presence") >= 2 })
	b.SetIdle(false)
	time.Sleep(100 * time.Millisecond)
	if n := f.count("PUT /api/presence"); n != 2 {
		t.Fatalf("%d idle updates sent, want 2", n)
	}
}

func TestBookChats(t *testing.T) {
	b, f, ph := startedBook(t, Options{})
	at := time.Now().Truncate(time.Second)
	ph.deliver(phone.InstantMessage{From: "1002", FromName: "Bertta", Body: "Lounas?", At: at})
	s := b.Snapshot()
	c, ok := chatWith(s, "1002")
	if !ok || c.Unread != 1 || c.WithName != "Bertta Öhman" || c.Last.Body != "Lounas?" || s.Unread != 2 {
		t.Fatalf("after incoming: %+v unread %d", s.Chats, s.Unread)
	}
	if s.LastIncoming == nil || s.LastIncoming.From != "1002" || s.LastIncoming.To != "1001" {
		t.Fatalf("last incoming %+v", s.LastIncoming)
	}
	if s.Chats[0].With != "1002" {
		t.Fatalf("newest chat not first: %+v", s.Chats)
	}
	// The server announces the same message as stored: it is not counted twice.
	f.push(api.Event{Type: "message", Message: &api.Message{ID: 50, From: "1002", To: "1001", Body: "Lounas?", SentAt: at.Add(300 * time.Millisecond)}})
	// A message that reached only another device of ours arrives through the stream alone.
	f.push(api.Event{Type: "message", Message: &api.Message{ID: 51, From: "1002", To: "1001", Body: "Klo 11?", SentAt: at.Add(time.Second)}})
	waitFor(t, "stream message", func() bool { c, _ := chatWith(b.Snapshot(), "1002"); return c.Last.ID == 51 })
	if c, _ := chatWith(b.Snapshot(), "1002"); c.Unread != 2 {
		t.Fatalf("unread %d, want 2 (one message seen twice, one once)", c.Unread)
	}

	// Opening a chat loads history oldest first and marks it read.
	if err := b.OpenChat(context.Background(), "1003"); err != nil {
		t.Fatal(err)
	}
	s = b.Snapshot()
	c, _ = chatWith(s, "1003")
	if len(c.Messages) != 2 || c.Messages[0].Body != "Hello" || c.Messages[1].Body != "Salut" || c.Unread != 0 {
		t.Fatalf("opened chat %+v", c)
	}
	if f.count("POST /api/messages/read") != 1 || !strings.Contains(f.lastBody("POST /api/messages/read"), `"with":"1003"`) {
		t.Fatal("chat not marked read")
	}
	// Sending goes through the phone and shows in the open chat; a reply appends too.
	if err := b.SendChat(context.Background(), "1003", "Ça va?"); err != nil {
		t.Fatal(err)
	}
	ph.deliver(phone.InstantMessage{From: "1003", Body: "Oui", At: time.Now()})
	c, _ = chatWith(b.Snapshot(), "1003")
	if len(c.Messages) != 4 || c.Messages[2].Body != "Ça va?" || c.Messages[2].From != "1001" || c.Messages[3].Body != "Oui" || c.Unread != 1 {
		t.Fatalf("after send and reply: %+v", c)
	}
	if err := b.MarkRead(context.Background(), "1003"); err != nil {
		t.Fatal(err)
	}
	if c, _ := chatWith(b.Snapshot(), "1003"); c.Unread != 0 || f.count("POST /api/messages/read") != 2 {
		t.Fatalf("after MarkRead: unread %d", c.Unread)
	}
	if ph.sent[0] != "1003: Ça va?" {
		t.Fatalf("phone sent %v", ph.sent)
	}
	// A message to a colleague's mobile number lands in the chat keyed by extension.
	if err := b.SendChat(context.Background(), "+358401110002", "Tulossa"); err != nil {
		t.Fatal(err)
	}
	if c, _ := chatWith(b.Snapshot(), "1002"); c.Last.Body != "Tulossa" {
		t.Fatalf("chat by number: %+v", c)
	}
	// Too long for SIP over UDP: the API takes it, and the chat shows it with its stored ID.
	long := strings.Repeat("pitkä viesti ", 200)
	ph.mu.Lock()
	ph.sendErr = phone.ErrMessageTooLarge
	ph.mu.Unlock()
	if err := b.SendChat(context.Background(), "1002", long); err != nil {
		t.Fatal(err)
	}
	if c, _ := chatWith(b.Snapshot(), "1002"); c.Last.Body != long || c.Last.ID == 0 || c.Last.From != "1001" {
		t.Fatalf("long message: %+v", c.Last)
	}
	if err := b.SendChat(context.Background(), "1999", long); !errors.Is(err, phone.ErrNoSuchUser) {
		t.Fatalf("long message to unknown: %v", err)
	}
	// A failed send shows nothing and says why.
	ph.mu.Lock()
	ph.sendErr = phone.ErrNoSuchUser
	ph.mu.Unlock()
	if err := b.SendChat(context.Background(), "1999", "x"); !errors.Is(err, phone.ErrNoSuchUser) {
		t.Fatalf("send to unknown: %v", err)
	}
	if _, ok := chatWith(b.Snapshot(), "1999"); ok {
		t.Fatal("failed message created a chat")
	}
	if err := b.OpenChat(context.Background(), " "); err == nil {
		t.Fatal("open chat without a colleague")
	}
}

func TestBookRestartResubscribes(t *testing.T) {
	b, _, ph := startedBook(t, Options{})
	ph.deliver(phone.InstantMessage{From: "1002", Body: "x", At: time.Now()})
	b.Start(context.Background()) // a new login: reload, one message subscription
	waitFor(t, "reloaded", func() bool { s := b.Snapshot(); return s.Loaded && s.Live })
	if n := ph.subscribers(); n != 1 {
		t.Fatalf("%d message subscriptions after a restart", n)
	}
	if _, ok := chatWith(b.Snapshot(), "1002"); ok {
		t.Fatal("chat of the previous login survived the restart")
	}
	b.Close()
	if n := ph.subscribers(); n != 0 {
		t.Fatalf("%d message subscriptions after Close", n)
	}
	b.Start(context.Background()) // after Close: does nothing
	b.SetIdle(true)
}

func TestBookContacts(t *testing.T) {
	b, f, _ := startedBook(t, Options{})
	ctx := context.Background()
	c, err := b.SaveContact(ctx, api.Contact{Name: "Anna Asiakas", Mobile: "0401234567", VIP: true})
	if err != nil || c.ID == 0 {
		t.Fatalf("create: %+v %v", c, err)
	}
	s := b.Snapshot()
	if len(s.Contacts) != 2 || s.Contacts[0].Name != "Anna Asiakas" || !s.Contacts[0].VIP {
		t.Fatalf("contacts %+v", s.Contacts)
	}
	c.Favourite = true
	if _, err := b.SaveContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	if s := b.Snapshot(); len(s.Contacts) != 2 || !s.Contacts[0].Favourite || f.count("PUT /api/contacts/101") != 1 {
		t.Fatalf("after update %+v", s.Contacts)
	}
	if err := b.DeleteContact(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if s := b.Snapshot(); len(s.Contacts) != 1 || s.Contacts[0].ID != 7 {
		t.Fatalf("after delete %+v", s.Contacts)
	}
	if _, err := b.SaveContact(ctx, api.Contact{Name: " "}); err == nil {
		t.Fatal("nameless contact saved")
	}
	if _, err := b.SaveContact(ctx, api.Contact{ID: 999, Name: "Ghost"}); StatusOf(err) != 404 || !strings.Contains(err.Error(), "no such contact") {
		t.Fatalf("update of a missing contact: %v", err)
	}
}

func TestBookSendSMS(t *testing.T) {
	b, f, _ := startedBook(t, Options{})
	sms, err := b.SendSMS(context.Background(), "0401234567", "Soita takaisin")
	if err != nil || sms.From != "+358401110001" || sms.To != "+358401234567" {
		t.Fatalf("%+v %v", sms, err)
	}
	if body := f.lastBody("POST /api/sms"); !strings.Contains(body, `"text":"Soita takaisin"`) {
		t.Fatalf("sent %s", body)
	}
	if _, err := b.SendSMS(context.Background(), "12", "x"); StatusOf(err) != 400 || !strings.Contains(err.Error(), "not a mobile number") {
		t.Fatalf("bad number: %v", err)
	}
	if _, err := b.SendSMS(context.Background(), "0401234567", " "); err == nil {
		t.Fatal("empty SMS sent")
	}
}

func TestPlainError(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ErrNoSession, "log in again"},
		{fmt.Errorf("GET /api/events: %w", &APIError{Status: 401, Message: "not logged in"}), "no longer accepts this login"},
		{fmt.Errorf("GET /api/directory: %w", refused), "Cannot reach the server"},
		{errors.New("live updates: the server closed the stream"), "the server closed the stream"},
	}
	for _, tc := range tests {
		if got := plainError(tc.err); !strings.Contains(got, tc.want) || (tc.want == "" && got != "") {
			t.Errorf("plainError(%v) = %q, want it to say %q", tc.err, got, tc.want)
		}
	}
}
