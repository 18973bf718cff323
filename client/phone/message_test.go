package phone

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/shared/api"
)

// messageInbox collects the messages an engine hands to OnMessage subscribers.
type messageInbox struct {
	mu  sync.Mutex
	got []InstantMessage
}

func (m *messageInbox) add(im InstantMessage) {
	m.mu.Lock()
	m.got = append(m.got, im)
	m.mu.Unlock()
}

func (m *messageInbox) list() []InstantMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]InstantMessage(nil), m.got...)
}

// TestIntegrationInstantMessages sends pager-mode MESSAGEs between two engines through a
// server that challenges with 407 and relays to the registered contact.
func TestIntegrationInstantMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "a")
	srv.addUser("1002", "b")
	srv.addUser("1003", "c")
	ea, eb := newEngine(t, nil), newEngine(t, nil)
	login(t, ea, srv, "1001", "a")
	login(t, eb, srv, "1002", "b")
	var inA, inB messageInbox
	cancelA := ea.OnMessage(inA.add)
	defer cancelA()
	cancelB := eb.OnMessage(inB.add)
	var second messageInbox // a second subscriber that unsubscribes
	cancelSecond := eb.OnMessage(second.add)

	ctx := context.Background()
	before := time.Now().Add(-2 * time.Second)
	if err := ea.SendMessage(ctx, "1002", "Hei Bertta! Öljyä ja äyriäisiä 🦐"); err != nil {
		t.Fatalf("send 1001→1002: %v", err)
	}
	waitFor(t, "1002 receives the message", func() bool { return len(inB.list()) == 1 })
	im := inB.list()[0]
	if im.From != "1001" || im.Body != "Hei Bertta! Öljyä ja äyriäisiä 🦐" || im.At.Before(before) || im.At.After(time.Now().Add(2*time.Second)) {
		t.Fatalf("received %+v", im)
	}
	if len(second.list()) != 1 {
		t.Fatalf("second subscriber got %d messages", len(second.list()))
	}
	// The server saw an authenticated request with a UTF-8 text/plain body from 1001.
	msgs := srv.sentMessages()
	if len(msgs) != 1 || msgs[0].From().Address.User != "1001" ||
		!strings.HasPrefix(msgs[0].ContentType().Value(), "text/plain") {
		t.Fatalf("server saw %d messages: %v", len(msgs), msgs)
	}

	cancelSecond()
	if err := eb.SendMessage(ctx, "1001", "Moi"); err != nil {
		t.Fatalf("send 1002→1001: %v", err)
	}
	waitFor(t, "1001 receives the reply", func() bool { return len(inA.list()) == 1 })
	if got := inA.list()[0]; got.From != "1002" || got.Body != "Moi" {
		t.Fatalf("reply %+v", got)
	}
	// Unsubscribed: only the first subscriber of 1002 sees the next message.
	if err := ea.SendMessage(ctx, "1002", "Toinen"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "1002 receives the second message", func() bool { return len(inB.list()) == 2 })
	if n := len(second.list()); n != 1 {
		t.Fatalf("unsubscribed subscriber got %d messages", n)
	}
	defer cancelB()
	// Failures read as plain errors.
	err := ea.SendMessage(ctx, "1999", "anyone?")
	if !errors.Is(err, ErrNoSuchUser) || !strings.Contains(err.Error(), "no such user") {
		t.Fatalf("message to unknown user: %v", err)
	}
	// 1003 exists but has no device registered: this server says 404 too.
	if err := ea.SendMessage(ctx, "1003", "hello"); err == nil {
		t.Fatal("message to an unregistered user succeeded on a server that does not store")
	}
	if err := ea.SendMessage(ctx, "1002", "   "); !errors.Is(err, ErrEmptyMessage) {
		t.Fatalf("empty message: %v", err)
	}
	if err := ea.SendMessage(ctx, "1002", strings.Repeat("x", 10000)); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("10,000-byte message: %v", err)
	}
	// The largest message that fits goes through, with its digest answer, in one datagram.
	long := strings.Repeat("ä", 200) // 400 bytes
	if err := ea.SendMessage(ctx, "1002", long); err != nil {
		t.Fatalf("400-byte message: %v", err)
	}
	waitFor(t, "1002 receives the long message", func() bool { return len(inB.list()) == 3 })
	if err := ea.SendMessage(ctx, "", "x"); err == nil {
		t.Fatal("message without recipient accepted")
	}
	_ = ea.Logout(ctx)
	if err := ea.SendMessage(ctx, "1002", "x"); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("logged out: %v", err)
	}
}

func TestIntegrationMessageWrongPassword(t *testing.T) {
	srv, e, _ := loggedInEngine(t)
	srv.addUser("1002", "b")
	// The password changes on the server after login: the MESSAGE's credentials are refused.
	srv.addUser("1001", "changed")
	err := e.SendMessage(context.Background(), "1002", "hi")
	if err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("send with a stale password: %v", err)
	}
}

func TestIntegrationSession(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "secret")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/login", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(api.LoginResponse{Token: "tok-session",
			Profile: api.Profile{Name: "Aino", Extension: "1001", Domain: "test.vaihde"}})
	})
	hs := httptest.NewServer(mux)
	defer hs.Close()

	e := newEngine(t, nil)
	if _, _, ok := e.Session(); ok {
		t.Fatal("session before login")
	}
	if err := e.Login(context.Background(), Account{Server: srv.addr, APIURL: hs.URL + "/", User: "1001", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	waitReg(t, e, Registered)
	url, tok, ok := e.Session()
	if !ok || url != hs.URL || tok != "tok-session" {
		t.Fatalf("Session() = %q %q %v", url, tok, ok)
	}
	_ = e.Logout(context.Background())
	if _, _, ok := e.Session(); ok {
		t.Fatal("session after logout")
	}
	// Without the API the engine still registers, but there is no session.
	login(t, e, srv, "1001", "secret")
	if _, _, ok := e.Session(); ok {
		t.Fatal("session although the API did not answer")
	}
}

func TestParseMessage(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	sent := time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC)
	tests := map[string]struct {
		contentType, date, from, body string
		want                          InstantMessage
		kind                          messageKind
	}{
		"plain with display name": {"text/plain;charset=UTF-8", "", `"Aino Ääkkönen" <sip:1001@x>;tag=1`, "Hei",
			InstantMessage{From: "1001", FromName: "Aino Ääkkönen", Body: "Hei", At: now}, msgText},
		"date header": {"text/plain", sent.Format(http.TimeFormat), "<sip:1002@x>;tag=1", "stored",
			InstantMessage{From: "1002", Body: "stored", At: sent}, msgText},
		"bad date":        {"text/plain", "yesterday", "<sip:1002@x>;tag=1", "x", InstantMessage{From: "1002", Body: "x", At: now}, msgText},
		"no content type": {"", "", "<sip:1002@x>;tag=1", "x", InstantMessage{From: "1002", Body: "x", At: now}, msgText},
		"typing":          {"application/im-iscomposing+xml", "", "<sip:1002@x>;tag=1", "<isComposing/>", InstantMessage{}, msgIgnored},
		"empty body":      {"text/plain", "", "<sip:1002@x>;tag=1", "  ", InstantMessage{}, msgIgnored},
		"html":            {"text/html", "", "<sip:1002@x>;tag=1", "<b>x</b>", InstantMessage{}, msgUnsupported},
		"garbage type":    {";;==", "", "<sip:1002@x>;tag=1", "x", InstantMessage{}, msgUnsupported},
		"invalid utf-8":   {"text/plain", "", "<sip:1002@x>;tag=1", "a\xffb", InstantMessage{From: "1002", Body: "a\uFFFDb", At: now}, msgText},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			raw := "MESSAGE sip:1001@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n" +
				"From: " + tc.from + "\r\nTo: <sip:1001@x>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\n"
			if tc.contentType != "" {
				raw += "Content-Type: " + tc.contentType + "\r\n"
			}
			if tc.date != "" {
				raw += "Date: " + tc.date + "\r\n"
			}
			raw += "Content-Length: " + strconv.Itoa(len(tc.body)) + "\r\n\r\n" + tc.body
			msg, err := sip.ParseMessage([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			got, kind := parseMessage(msg.(*sip.Request), now)
			if kind != tc.kind || got.From != tc.want.From || got.FromName != tc.want.FromName ||
				got.Body != tc.want.Body || !got.At.Equal(tc.want.At) {
				t.Fatalf("got %+v kind %d, want %+v kind %d", got, kind, tc.want, tc.kind)
			}
		})
	}
}
