package interop

import (
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/server/sms"
	"github.com/vaihde/vaihde/server/store/sqlite"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/presence"
)

// The Softphone's people model (client/people over client/phone) against the real server,
// headless: issue 3's acceptance 1 (presence and phone state between two Softphones), 3 (IM
// with baresip, delivery to an offline user) and 5 (SMS into the development outbox).

// headlessSoftphone is the Softphone without a window: the phone engine with fake audio and the
// people Book, logged in to the real server.
type headlessSoftphone struct {
	user  string
	e     *phone.Engine
	book  *people.Book
	inbox *imInbox // every message OnMessage delivered, from before the login on
}

// imInbox collects instant messages from Controller.OnMessage.
type imInbox struct {
	mu  sync.Mutex
	got []phone.InstantMessage
}

func (b *imInbox) add(m phone.InstantMessage) {
	b.mu.Lock()
	b.got = append(b.got, m)
	b.mu.Unlock()
}

func (b *imInbox) find(body string) (phone.InstantMessage, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.got {
		if m.Body == body {
			return m, true
		}
	}
	return phone.InstantMessage{}, false
}

// startHeadless logs user in (password demo<ext>) and waits until it is registered and its
// Book has loaded and follows the event stream.
func startHeadless(t *testing.T, srv *vaihde, user string) *headlessSoftphone {
	t.Helper()
	return startHeadlessTone(t, srv, user, 1000)
}

// startHeadlessTone is startHeadless with a microphone that sends a tone of freq Hz.
func startHeadlessTone(t *testing.T, srv *vaihde, user string, freq float64) *headlessSoftphone {
	t.Helper()
	lb := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := phone.New(phone.Config{Audio: &audiotest.Backend{Freq: freq}, Logger: logger.With("softphone", user),
		ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start Softphone engine %s: %v", user, err)
	}
	sp := &headlessSoftphone{user: user, e: e, inbox: &imInbox{}}
	stopIM := e.OnMessage(sp.inbox.add) // before login: waiting messages arrive on REGISTER
	sp.book = people.NewBook(e, people.Options{Logger: logger.With("softphone", user)})
	t.Cleanup(func() {
		sp.book.Close()
		stopIM()
		_ = e.Close()
		if t.Failed() {
			t.Logf("---- Softphone %s log (tail) ----\n%s", user, lb.tail(6000))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.Login(ctx, phone.Account{Server: srv.host(), APIURL: "http://" + srv.httpAddr, User: user, Password: "demo" + user}); err != nil {
		t.Fatalf("Softphone login as %s: %v", user, err)
	}
	var s phone.Snapshot
	if !pollUntil(30*time.Second, func() bool { s = e.Snapshot(); return s.Reg == phone.Registered }) {
		t.Fatalf("Softphone %s not registered within 30s: %v (%s)", user, s.Reg, s.RegDetail)
	}
	if _, _, ok := e.Session(); !ok {
		t.Fatalf("Softphone %s has no API session", user)
	}
	sp.book.Start(context.Background())
	var bs people.Snapshot
	if !pollUntil(20*time.Second, func() bool { bs = sp.book.Snapshot(); return bs.Loaded && bs.Live }) {
		t.Fatalf("Softphone %s: people not loaded and live: loaded=%v live=%v error=%q", user, bs.Loaded, bs.Live, bs.Error)
	}
	return sp
}

// colleague returns the Book's entry for ext.
func (sp *headlessSoftphone) colleague(ext string) (people.Colleague, bool) {
	for _, c := range sp.book.Snapshot().Colleagues {
		if c.Extension == ext {
			return c, true
		}
	}
	return people.Colleague{}, false
}

// chat returns the Book's conversation with ext.
func (sp *headlessSoftphone) chat(ext string) (people.Chat, bool) {
	for _, c := range sp.book.Snapshot().Chats {
		if c.With == ext {
			return c, true
		}
	}
	return people.Chat{}, false
}

// waitPhone waits until sp sees ext's phone state.
func (sp *headlessSoftphone) waitPhone(t *testing.T, ext string, state presence.PhoneState, timeout time.Duration) {
	t.Helper()
	var c people.Colleague
	if !pollUntil(timeout, func() bool { c, _ = sp.colleague(ext); return c.Presence.Phone == string(state) }) {
		t.Fatalf("Softphone %s: %s's phone is %q, want %q within %v", sp.user, ext, c.Presence.Phone, state, timeout)
	}
}

// TestIntegrationSoftphonePeoplePresence (acceptance 1): two headless Softphones and baresip.
// 1001 sets "In a meeting" with an end time and a note, and 1002's Book shows it within 1 s of
// SetPresence returning; 1001 calls baresip 1003, and 1002 sees 1001 on a call while the call
// is up and idle after the hang-up.
func TestIntegrationSoftphonePeoplePresence(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	bare := registered(t, srv, "1003", 440, true, "")
	sp1 := startHeadless(t, srv, "1001")
	sp2 := startHeadless(t, srv, "1002")
	if c, ok := sp2.colleague("1001"); !ok || c.Presence.Phone != string(presence.PhoneIdle) {
		t.Fatalf("1002 sees 1001 as %+v (found %v), want idle", c.Presence, ok)
	}

	until := time.Now().Add(90 * time.Minute).Truncate(time.Minute)
	note := "Budjettipalaveri, neuvotteluhuone Ä"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	called := time.Now()
	if err := sp1.book.SetPresence(ctx, api.PresenceUpdate{Activity: ptrTo(presence.Meeting), Until: &until, Note: &note}); err != nil {
		t.Fatalf("1001 sets In a meeting: %v", err)
	}
	set := time.Now()
	var seen people.Colleague
	shown := false
	for deadline := set.Add(time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		seen, _ = sp2.colleague("1001")
		p := seen.Presence
		if p.Activity == presence.Meeting && p.Note == note && p.Until != nil && p.Until.Equal(until) {
			shown = true
			break
		}
	}
	if !shown {
		t.Fatalf("1002 does not show 1001 in a meeting within 1 s: %+v", seen.Presence)
	}
	t.Logf("1001's presence change reached 1002's Book %v after SetPresence returned (%v after it was called)",
		time.Since(set), time.Since(called))
	if p := seen.Presence; p.Green || p.ActivityName == "" {
		t.Errorf("meeting shown as green=%v name=%q", p.Green, p.ActivityName)
	}
	if me := sp1.book.Snapshot().Me; me.Activity != presence.Meeting || me.Note != note {
		t.Errorf("1001's own presence %+v", me)
	}
	// Bad input gets a clear error and changes nothing.
	long := strings.Repeat("x", 10000)
	if err := sp1.book.SetPresence(ctx, api.PresenceUpdate{Note: &long}); err == nil {
		t.Error("a 10,000-character note was accepted")
	}
	if err := sp1.book.SetPresence(ctx, api.PresenceUpdate{Activity: ptrTo(77)}); err == nil || !strings.Contains(err.Error(), "activity") {
		t.Errorf("unknown activity 77: %v", err)
	}

	// On the phone while a call is up, idle after it.
	mb := bare.mark()
	id, err := sp1.e.Dial(ctx, "1003")
	if err != nil {
		t.Fatalf("1001 dials 1003: %v", err)
	}
	bare.waitEvent(mb, "CALL_ESTABLISHED", 30*time.Second, nil)
	if !pollUntil(20*time.Second, func() bool { return callState(sp1.e, id) == phone.Active }) {
		t.Fatalf("1001's call to 1003 not active: %v", callState(sp1.e, id))
	}
	sp2.waitPhone(t, "1001", presence.PhoneOnCall, 5*time.Second)
	if c, _ := sp2.colleague("1003"); c.Presence.Phone != string(presence.PhoneOnCall) {
		t.Logf("note: 1002 sees baresip 1003's phone as %q", c.Presence.Phone)
	}
	if err := sp1.e.Hangup(id); err != nil {
		t.Fatalf("hang up: %v", err)
	}
	sp2.waitPhone(t, "1001", presence.PhoneIdle, 5*time.Second)
	// The activity stays as set: the phone state is separate from it.
	if c, _ := sp2.colleague("1001"); c.Presence.Activity != presence.Meeting {
		t.Fatalf("after the call 1001 is %+v", c.Presence)
	}
}

func callState(e *phone.Engine, id string) phone.CallState {
	for _, c := range e.Snapshot().Calls {
		if c.ID == id {
			return c.State
		}
	}
	return phone.Ended
}

func ptrTo[T any](v T) *T { return &v }

// TestIntegrationSoftphonePeopleMessages (acceptance 3): instant messages both ways between the
// Softphone (1001) and baresip (1003), the history loaded into the chat, and a message to 1002
// while it is logged out delivered when it logs in.
func TestIntegrationSoftphonePeopleMessages(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	bare := startBaresip(t, srv, baresipOpts{User: "1003", Password: "demo1003", Register: true,
		Contacts: []string{srv.uri("1001")}})
	bare.waitRegistered()
	sp1 := startHeadless(t, srv, "1001")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Softphone → baresip.
	if err := sp1.book.SendChat(ctx, "1003", "Hei baresip, tässä Softphone"); err != nil {
		t.Fatalf("1001 → 1003: %v", err)
	}
	waitConsole(t, "baresip 1003", bare.console, regexp.MustCompile(`sip:1001@[^"]*: "Hei baresip, tässä Softphone"`))
	if c, ok := sp1.chat("1003"); !ok || c.Last.Body != "Hei baresip, tässä Softphone" || c.Last.From != "1001" {
		t.Fatalf("1001's chat with 1003 after sending: %+v", c)
	}

	// baresip → Softphone: the chat shows it unread, and it is the notification's message.
	bare.cmd("message", "Terve Softphone")
	var c people.Chat
	if !pollUntil(20*time.Second, func() bool { c, _ = sp1.chat("1003"); return c.Last.Body == "Terve Softphone" }) {
		t.Fatalf("1001's chat with 1003 does not show baresip's message: %+v", c)
	}
	s := sp1.book.Snapshot()
	if c.Unread < 1 || s.LastIncoming == nil || s.LastIncoming.From != "1003" || s.LastIncoming.Body != "Terve Softphone" {
		t.Fatalf("incoming message: chat %+v, last incoming %+v", c, s.LastIncoming)
	}
	if m, ok := sp1.inbox.find("Terve Softphone"); !ok || m.From != "1003" {
		t.Fatalf("OnMessage got %+v (found %v)", m, ok)
	}
	// Opening the chat loads the stored history, oldest first, and clears the unread count.
	if !pollUntil(10*time.Second, func() bool {
		if err := sp1.book.OpenChat(ctx, "1003"); err != nil {
			t.Fatalf("open chat: %v", err)
		}
		c, _ = sp1.chat("1003")
		return len(c.Messages) == 2 && c.Messages[0].ID != 0 && c.Messages[1].ID != 0
	}) {
		t.Fatalf("history with 1003: %s", formatMessages(c.Messages))
	}
	if c.Messages[0].Body != "Hei baresip, tässä Softphone" || c.Messages[1].Body != "Terve Softphone" || c.Unread != 0 {
		t.Fatalf("history with 1003: %s unread %d", formatMessages(c.Messages), c.Unread)
	}
	if err := sp1.book.SendChat(ctx, "1999", "anyone?"); err == nil || !strings.Contains(err.Error(), "no such user") {
		t.Fatalf("message to unknown user 1999: %v", err)
	}

	// To 1002 while logged out: the server keeps it and delivers it when 1002 logs in.
	if err := sp1.book.SendChat(ctx, "1002", "Soita kun ehdit"); err != nil {
		t.Fatalf("1001 → offline 1002: %v", err)
	}
	sp2 := startHeadless(t, srv, "1002")
	var m phone.InstantMessage
	if !pollUntil(20*time.Second, func() bool { var ok bool; m, ok = sp2.inbox.find("Soita kun ehdit"); return ok }) {
		t.Fatal("1002 did not receive the message sent while it was logged out")
	}
	if m.From != "1001" {
		t.Fatalf("offline message from %q", m.From)
	}
	var c2 people.Chat
	if !pollUntil(10*time.Second, func() bool { c2, _ = sp2.chat("1001"); return c2.Last.Body == "Soita kun ehdit" }) {
		t.Fatalf("1002's chat with 1001: %+v", c2)
	}
}

// TestIntegrationSoftphonePeopleSMS (acceptance 5): an SMS from 1001's Book lands in the
// server's development outbox with 1001's mobile number as sender, and the organisation's SMS
// count is 1.
func TestIntegrationSoftphonePeopleSMS(t *testing.T) {
	integration(t)
	outbox := filepath.Join(t.TempDir(), "outbox")
	t.Setenv("VAIHDE_SMS_PROVIDER", "outbox")
	t.Setenv("VAIHDE_SMS_OUTBOX", outbox)
	srv := startVaihde(t)
	sp1 := startHeadless(t, srv, "1001")
	mobile := sp1.e.Snapshot().Profile.MobileNumber
	if mobile == "" {
		t.Fatal("1001 has no mobile number in its profile")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Bad input first: nothing may reach the outbox.
	if _, err := sp1.book.SendSMS(ctx, "12ab", "Hei"); err == nil {
		t.Fatal("SMS to 12ab accepted")
	} else {
		t.Logf("SMS to a bad number: %v", err)
	}
	if _, err := sp1.book.SendSMS(ctx, "0401234567", ""); err == nil {
		t.Fatal("empty SMS accepted")
	}

	sent, err := sp1.book.SendSMS(ctx, "0401234567", "Soita minulle, Ääni-Öljy Oy")
	if err != nil {
		t.Fatalf("SMS from 1001: %v", err)
	}
	if sent.To != "+358401234567" || sent.From != mobile || sent.Parts != 1 {
		t.Fatalf("sent %+v, want from %s to +358401234567 in 1 part", sent, mobile)
	}
	var out []sms.OutboxEntry
	if !pollUntil(10*time.Second, func() bool { out, err = sms.ReadOutbox(outbox); return err == nil && len(out) > 0 }) {
		t.Fatalf("outbox %s: %v, %d entries", outbox, err, len(out))
	}
	if len(out) != 1 {
		t.Fatalf("outbox holds %d SMS, want 1: %+v", len(out), out)
	}
	e := out[0]
	if e.From != mobile || e.To != "+358401234567" || e.Text != "Soita minulle, Ääni-Öljy Oy" || e.Parts != 1 {
		t.Fatalf("outbox entry %+v, want from %s", e, mobile)
	}

	// The organisation's counter, read from the server's database once it has stopped.
	srv.stop()
	st, err := sqlite.Open(ctx, filepath.Join(srv.dir, "vaihde.db"))
	if err != nil {
		t.Fatalf("open the server's database: %v", err)
	}
	defer st.Close()
	n, err := st.SMSCount(ctx, e.Org, time.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("organisation %d SMS count = %d, %v; want 1", e.Org, n, err)
	}
}

// TestIntegrationSoftphonePeopleLongMessage: a message too long for one SIP datagram goes
// through the API; the other Softphone (UDP only, so the server cannot deliver it by SIP) gets
// it from the event stream, next to a short one that came by SIP, each counted once.
func TestIntegrationSoftphonePeopleLongMessage(t *testing.T) {
	integration(t)
	srv := startVaihde(t)
	sp1 := startHeadless(t, srv, "1001")
	sp2 := startHeadless(t, srv, "1002")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	long := strings.Repeat("pitkä viesti ", 160) // 2,240 bytes
	if err := sp1.book.SendChat(ctx, "1002", long); err != nil {
		t.Fatalf("long message: %v", err)
	}
	if c, _ := sp1.chat("1002"); c.Last.Body != long || c.Last.ID == 0 {
		t.Fatalf("sender's chat after the long message: id %d, %d bytes", c.Last.ID, len(c.Last.Body))
	}
	if err := sp1.book.SendChat(ctx, "1002", "lyhyt"); err != nil {
		t.Fatalf("short message: %v", err)
	}
	var c people.Chat
	if !pollUntil(10*time.Second, func() bool { c, _ = sp2.chat("1001"); return c.Unread == 2 }) {
		t.Fatalf("1002's chat with 1001: unread %d", c.Unread)
	}
	time.Sleep(500 * time.Millisecond) // a second copy of either message would arrive now
	if c, _ = sp2.chat("1001"); c.Unread != 2 {
		t.Fatalf("1002's chat with 1001: unread %d after settling, want 2", c.Unread)
	}
	if err := sp2.book.OpenChat(ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	c, _ = sp2.chat("1001")
	if len(c.Messages) != 2 || c.Messages[0].Body != long || c.Messages[1].Body != "lyhyt" || c.Unread != 0 {
		t.Fatalf("1002's history with 1001: %d messages, unread %d", len(c.Messages), c.Unread)
	}
}
