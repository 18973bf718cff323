package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/directory"
	"github.com/vaihde/vaihde/server/messaging"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/sms"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
	shared "github.com/vaihde/vaihde/shared/api"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// noDevices is a registrar where nobody has a registered device: messages wait in the store.
type noDevices struct{}

func (noDevices) OrgForRequest(context.Context, *sip.Request) (store.Org, error) {
	return store.Org{}, store.ErrNotFound
}
func (noDevices) AuthenticateRequest(context.Context, *sip.Request, sip.ServerTransaction, store.Org) (store.User, bool) {
	return store.User{}, false
}
func (noDevices) Targets(context.Context, int64) ([]signaling.Target, error) { return nil, nil }

// outbox is an SMS gateway that records what it sent, or fails.
type outbox struct {
	mu   sync.Mutex
	sent []sms.Message
	fail error
}

func (o *outbox) Send(_ context.Context, m sms.Message) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return "", o.fail
	}
	o.sent = append(o.sent, m)
	return "id-1", nil
}

// env is an API server over real SQLite, a real presence hub, directory, messaging and SMS.
type env struct {
	s     *Server
	url   string
	st    *sqlite.Store
	hub   *presence.Hub
	gw    *outbox
	accts map[string]store.User // by extension
}

func newEnv(t testing.TB, serve func(h http.Handler) string) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "api.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, accts, err := demo.Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := presence.New(st, nil, log)
	t.Cleanup(func() { hub.Close() })
	msg := messaging.New(messaging.Deps{Store: st, Directory: noDevices{}, Logger: log, ContactHost: "127.0.0.1", ContactPort: 5060})
	t.Cleanup(func() { msg.Close() })
	gw := &outbox{}
	s := New(Deps{Store: st, Logger: log, Presence: hub, Directory: directory.New(st), Messaging: msg,
		SMS: sms.NewService(st, gw, log)})
	t.Cleanup(s.CloseStreams)
	e := &env{s: s, st: st, hub: hub, gw: gw, accts: map[string]store.User{}}
	for _, a := range accts {
		e.accts[a.User.Extension] = a.User
	}
	if serve == nil {
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(hs.Close)
		e.url = hs.URL
	} else {
		e.url = serve(s.Handler())
	}
	return e
}

// login returns a bearer token for the demo user ext. It opens the session directly: the
// login route has its own tests, and bcrypt would make every test slow under -race.
func (e *env) login(t testing.TB, ext string) string {
	t.Helper()
	u, ok := e.accts[ext]
	if !ok {
		t.Fatalf("no demo user %s", ext)
	}
	return e.token(t, u.ID)
}

func (e *env) token(t testing.TB, userID int64) string {
	t.Helper()
	tok, _, err := e.s.newSession(userID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends a request with an optional JSON body (a string is sent as it is).
func (e *env) do(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

// wantJSON checks the status and decodes the body into v (or, for errors, checks the text).
func wantJSON(t *testing.T, what string, code int, body []byte, wantCode int, v any) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("%s: status %d, want %d: %s", what, code, wantCode, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: %v: %s", what, err, body)
		}
	}
}

func wantError(t *testing.T, what string, code int, body []byte, wantCode int, wantText string) {
	t.Helper()
	var e shared.Error
	if code != wantCode || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, wantText) {
		t.Fatalf("%s: %d %s, want %d with %q", what, code, body, wantCode, wantText)
	}
}

func TestNewRoutesNeedAuth(t *testing.T) {
	e := newEnv(t, nil)
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/activities"}, {"GET", "/api/presence"}, {"PUT", "/api/presence"}, {"GET", "/api/directory"},
		{"GET", "/api/events"}, {"GET", "/api/contacts"}, {"POST", "/api/contacts"}, {"PUT", "/api/contacts/1"},
		{"DELETE", "/api/contacts/1"}, {"GET", "/api/conversations"}, {"GET", "/api/messages?with=1001"},
		{"POST", "/api/messages"}, {"POST", "/api/messages/read"}, {"POST", "/api/sms"},
	} {
		code, body := e.do(t, r.method, r.path, "", nil)
		wantError(t, r.method+" "+r.path, code, body, 401, "token")
		code, body = e.do(t, r.method, r.path, "not-a-token", nil)
		wantError(t, r.method+" "+r.path+" bad token", code, body, 401, "token")
	}
}

func TestActivitiesInUserLanguage(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct{ ext, lang, lunch string }{
		{"1001", "fi", "Lounaalla"}, {"1003", "sv", "På lunch"}, {"1005", "en", "At lunch"},
	} {
		var list shared.ActivityList
		code, body := e.do(t, "GET", "/api/activities", e.login(t, tc.ext), nil)
		wantJSON(t, "activities "+tc.lang, code, body, 200, &list)
		a, ok := findActivity(list.Activities, sharedpresence.Lunch)
		if len(list.Activities) < 9 || !ok || a.Name != tc.lunch || a.NameEN != "At lunch" || a.Green {
			t.Fatalf("%s: %+v", tc.lang, list.Activities)
		}
	}
}

func findActivity(list []shared.Activity, n int) (shared.Activity, bool) {
	for _, a := range list {
		if a.Number == n {
			return a, true
		}
	}
	return shared.Activity{}, false
}

func findPresence(list []shared.Presence, ext string) (shared.Presence, bool) {
	for _, p := range list {
		if p.Extension == ext {
			return p, true
		}
	}
	return shared.Presence{}, false
}

func ptr[T any](v T) *T { return &v }

func TestPresenceSetAndList(t *testing.T) {
	e := newEnv(t, nil)
	aino, mikko := e.login(t, "1001"), e.login(t, "1002")
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	var p shared.Presence
	code, body := e.do(t, "PUT", "/api/presence", aino, shared.PresenceUpdate{Activity: ptr(sharedpresence.Lunch),
		Role: ptr(int(sharedpresence.RoleLandline)), Until: &until, Note: ptr("back at one")})
	wantJSON(t, "put presence", code, body, 200, &p)
	if p.Activity != sharedpresence.Lunch || p.ActivityName != "Lounaalla" || p.Green || p.Note != "back at one" ||
		p.Until == nil || !p.Until.Equal(until) || p.Role != int(sharedpresence.RoleLandline) || p.Extension != "1001" {
		t.Fatalf("own presence %+v", p)
	}
	var list shared.PresenceList
	code, body = e.do(t, "GET", "/api/presence", mikko, nil)
	wantJSON(t, "get presence", code, body, 200, &list)
	got, ok := findPresence(list.Presence, "1001")
	// The demo organisation shows roles (PRES-3).
	if !ok || got.Activity != sharedpresence.Lunch || got.Note != "back at one" || got.Role != int(sharedpresence.RoleLandline) || len(list.Presence) != 10 {
		t.Fatalf("colleague sees %+v (of %d)", got, len(list.Presence))
	}
	// Clearing the end time keeps the rest.
	p = shared.Presence{}
	code, body = e.do(t, "PUT", "/api/presence", aino, shared.PresenceUpdate{ClearUntil: true})
	wantJSON(t, "clear until", code, body, 200, &p)
	if p.Until != nil || p.Activity != sharedpresence.Lunch {
		t.Fatalf("after clear_until: %+v", p)
	}
}

// TestRolesHidden: in an organisation that hides roles, a colleague's role reads 0 and one's
// own is shown.
func TestRolesHidden(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	org, err := e.st.CreateOrg(ctx, store.Org{Name: "Quiet Oy", Domain: "quiet.example", CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	var users []store.User
	for _, ext := range []string{"2001", "2002"} {
		u, err := e.st.CreateUser(ctx, store.User{OrgID: org.ID, Extension: ext, Name: "User " + ext, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	a, b := e.token(t, users[0].ID), e.token(t, users[1].ID)
	if code, body := e.do(t, "PUT", "/api/presence", a, shared.PresenceUpdate{Role: ptr(int(sharedpresence.RoleHidden))}); code != 200 {
		t.Fatalf("put: %d %s", code, body)
	}
	var list shared.PresenceList
	code, body := e.do(t, "GET", "/api/presence", b, nil)
	wantJSON(t, "colleague", code, body, 200, &list)
	if p, ok := findPresence(list.Presence, "2001"); !ok || p.Role != 0 || len(list.Presence) != 2 {
		t.Fatalf("colleague sees %+v", list.Presence)
	}
	code, body = e.do(t, "GET", "/api/presence", a, nil)
	wantJSON(t, "own", code, body, 200, &list)
	if p, _ := findPresence(list.Presence, "2001"); p.Role != int(sharedpresence.RoleHidden) {
		t.Fatalf("own role: %+v", p)
	}
	// Organisations are isolated: no demo user in the list.
	if _, ok := findPresence(list.Presence, "1001"); ok {
		t.Fatal("another organisation's presence leaked")
	}
}

func TestPresenceBadInput(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login(t, "1001")
	past := time.Now().Add(-2 * time.Hour)
	far := time.Now().Add(3 * 365 * 24 * time.Hour)
	tests := []struct {
		name string
		body any
		code int
		want string
	}{
		{"unknown activity", shared.PresenceUpdate{Activity: ptr(42)}, 400, "unknown activity 42"},
		{"activity zero", shared.PresenceUpdate{Activity: ptr(0)}, 400, "unknown activity 0"},
		{"unknown role", shared.PresenceUpdate{Role: ptr(9)}, 400, "unknown role 9"},
		{"note of 10000 characters", shared.PresenceUpdate{Note: ptr(strings.Repeat("ä", 10000))}, 400, "note longer than 500 characters"},
		{"note with control characters", shared.PresenceUpdate{Note: ptr("a\x00b")}, 400, "note is not valid text"},
		{"end time in the past", shared.PresenceUpdate{Until: &past}, 400, "end time is in the past"},
		{"end time too far", shared.PresenceUpdate{Until: &far}, 400, "more than two years ahead"},
		{"unparseable time", `{"until":"tomorrow at five"}`, 400, "invalid time"},
		{"invalid JSON", `{"activity":`, 400, "invalid JSON"},
		{"wrong type", `{"activity":"lunch"}`, 400, "invalid JSON"},
		{"huge body", `{"note":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.do(t, "PUT", "/api/presence", tok, tc.body)
			wantError(t, tc.name, code, body, tc.code, tc.want)
		})
	}
	// Nothing was applied.
	var list shared.PresenceList
	code, body := e.do(t, "GET", "/api/presence", tok, nil)
	wantJSON(t, "presence", code, body, 200, &list)
	if p, _ := findPresence(list.Presence, "1001"); p.Activity != sharedpresence.Available || p.Note != "" || p.Until != nil {
		t.Fatalf("a refused change was applied: %+v", p)
	}
}

func TestViewerRoles(t *testing.T) {
	st := presence.State{UserID: 2, Extension: "1002", Activity: 99, Role: sharedpresence.RoleHidden}
	tests := []struct {
		name     string
		v        viewer
		wantRole int
	}{
		{"colleague, roles hidden", viewer{userID: 1}, 0},
		{"colleague, roles shown", viewer{userID: 1, showRoles: true}, int(sharedpresence.RoleHidden)},
		{"own, roles hidden", viewer{userID: 2}, int(sharedpresence.RoleHidden)},
	}
	for _, tc := range tests {
		p := tc.v.presence(st)
		if p.Role != tc.wantRole || p.Phone != "idle" || p.ActivityName != "99" {
			t.Fatalf("%s: %+v", tc.name, p)
		}
	}
}

func TestDirectory(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login(t, "1001")
	if code, body := e.do(t, "PUT", "/api/presence", e.login(t, "1005"), shared.PresenceUpdate{Activity: ptr(sharedpresence.Meeting)}); code != 200 {
		t.Fatalf("put: %d %s", code, body)
	}
	var d shared.Directory
	code, body := e.do(t, "GET", "/api/directory", tok, nil)
	wantJSON(t, "all", code, body, 200, &d)
	if len(d.Entries) != 10 {
		t.Fatalf("all: %d entries", len(d.Entries))
	}
	code, body = e.do(t, "GET", "/api/directory?q=emma+m%C3%A4k", tok, nil)
	wantJSON(t, "search", code, body, 200, &d)
	if len(d.Entries) != 1 || d.Entries[0].Extension != "1005" || d.Entries[0].Presence.Activity != sharedpresence.Meeting ||
		d.Entries[0].Presence.ActivityName != "Neuvottelussa" || d.Entries[0].MobileNumber == "" {
		t.Fatalf("search: %+v", d.Entries)
	}
	code, body = e.do(t, "GET", "/api/directory?limit=3", tok, nil)
	wantJSON(t, "limit", code, body, 200, &d)
	if len(d.Entries) != 3 {
		t.Fatalf("limit 3: %d entries", len(d.Entries))
	}
	code, body = e.do(t, "GET", "/api/directory?q=zzzz", tok, nil)
	wantJSON(t, "no match", code, body, 200, &d)
	if d.Entries == nil || len(d.Entries) != 0 {
		t.Fatalf("no match: %s", body)
	}
	code, body = e.do(t, "GET", "/api/directory?limit=-1", tok, nil)
	wantError(t, "bad limit", code, body, 400, "limit")
	code, body = e.do(t, "GET", "/api/directory?q="+strings.Repeat("a", 201), tok, nil)
	wantError(t, "long query", code, body, 400, "longer than 200")
}

// contactCount returns how many contacts the user sees.
func (e *env) contactCount(t *testing.T, token string) int {
	t.Helper()
	var list shared.ContactList
	code, body := e.do(t, "GET", "/api/contacts", token, nil)
	wantJSON(t, "contacts", code, body, 200, &list)
	return len(list.Contacts)
}

func TestContacts(t *testing.T) {
	e := newEnv(t, nil)
	// Neither is an administrator; both see the same organisation contacts.
	aino, mikko := e.login(t, "1002"), e.login(t, "1003")
	base := e.contactCount(t, mikko)
	var c shared.Contact
	code, body := e.do(t, "POST", "/api/contacts", aino, shared.Contact{Name: " Plumber Oy ", Mobile: "040 765 4321", Phone: "+46 8 123 456 78", Favourite: true})
	wantJSON(t, "create", code, body, 200, &c)
	if c.ID == 0 || c.Name != "Plumber Oy" || c.Mobile != "+358407654321" || c.Phone != "+46812345678" || !c.Favourite || c.Org {
		t.Fatalf("created %+v", c)
	}
	// Internal contact: name and numbers come from the directory.
	var in shared.Contact
	code, body = e.do(t, "POST", "/api/contacts", aino, shared.Contact{UserID: e.accts["1005"].ID, VIP: true})
	wantJSON(t, "internal", code, body, 200, &in)
	if in.Name != "Emma Mäkinen" || in.Mobile != e.accts["1005"].MobileNumber || !in.VIP || in.UserID != e.accts["1005"].ID {
		t.Fatalf("internal %+v", in)
	}
	c.Name, c.VIP = "Plumber Ab", true
	var upd shared.Contact
	code, body = e.do(t, "PUT", "/api/contacts/"+itoa(c.ID), aino, c)
	wantJSON(t, "update", code, body, 200, &upd)
	if upd.Name != "Plumber Ab" || !upd.VIP || upd.ID != c.ID {
		t.Fatalf("updated %+v", upd)
	}
	if n := e.contactCount(t, aino); n != base+2 {
		t.Fatalf("own list: %d contacts, want %d", n, base+2)
	}
	// Someone else's personal contact is invisible to a colleague.
	if n := e.contactCount(t, mikko); n != base {
		t.Fatalf("colleague sees %d contacts, want %d", n, base)
	}
	code, body = e.do(t, "PUT", "/api/contacts/"+itoa(c.ID), mikko, c)
	wantError(t, "colleague updates", code, body, 404, "no such contact")
	code, body = e.do(t, "DELETE", "/api/contacts/"+itoa(c.ID), mikko, nil)
	wantError(t, "colleague deletes", code, body, 404, "no such contact")

	bad := []struct {
		name string
		c    any
		want string
	}{
		{"no name", shared.Contact{Mobile: "0401234567"}, "name is required"},
		{"bad mobile", shared.Contact{Name: "X", Mobile: "call me"}, "is not a phone number"},
		{"extension as phone", shared.Contact{Name: "X", Phone: "1002"}, "is not a phone number"},
		{"long name", shared.Contact{Name: strings.Repeat("n", 201)}, "name longer than 200"},
		{"long note", shared.Contact{Name: "X", Note: strings.Repeat("n", 2001)}, "note longer than 2000"},
		{"bad email", shared.Contact{Name: "X", Email: "nope"}, "email"},
		{"unknown colleague", shared.Contact{UserID: 999999}, "no colleague"},
		{"invalid JSON", `{"name":`, "invalid JSON"},
	}
	for _, tc := range bad {
		code, body := e.do(t, "POST", "/api/contacts", aino, tc.c)
		wantError(t, tc.name, code, body, 400, tc.want)
	}
	code, body = e.do(t, "PUT", "/api/contacts/abc", aino, c)
	wantError(t, "bad id", code, body, 400, "contact id")

	code, _ = e.do(t, "DELETE", "/api/contacts/"+itoa(c.ID), aino, nil)
	if code != 204 {
		t.Fatalf("delete: %d", code)
	}
	code, body = e.do(t, "DELETE", "/api/contacts/"+itoa(c.ID), aino, nil)
	wantError(t, "delete again", code, body, 404, "no such contact")
}

func itoa(n int64) string { return strings.TrimSpace(string(must(json.Marshal(n)))) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestOrgContactsAdminOnly(t *testing.T) {
	e := newEnv(t, nil)
	if !e.accts["1001"].Admin || e.accts["1002"].Admin {
		t.Fatal("the demo administrator is 1001")
	}
	aino, mikko := e.login(t, "1001"), e.login(t, "1002")
	base := e.contactCount(t, mikko)
	code, body := e.do(t, "POST", "/api/contacts", mikko, shared.Contact{Org: true, Name: "Taxi"})
	wantError(t, "non-admin creates", code, body, 403, "administrator")
	var c shared.Contact
	code, body = e.do(t, "POST", "/api/contacts", aino, shared.Contact{Org: true, Name: "Taxi", Phone: "0100 0700"})
	wantJSON(t, "admin creates", code, body, 200, &c)
	if !c.Org || c.Phone != "+3581000700" {
		t.Fatalf("org contact %+v", c)
	}
	var list shared.ContactList
	code, body = e.do(t, "GET", "/api/contacts", mikko, nil)
	wantJSON(t, "colleague lists", code, body, 200, &list)
	if len(list.Contacts) != base+1 || !slices.ContainsFunc(list.Contacts, func(c shared.Contact) bool { return c.Org && c.Name == "Taxi" }) {
		t.Fatalf("colleague sees %+v", list.Contacts)
	}
	c.Name = "Taxi Helsinki"
	code, body = e.do(t, "PUT", "/api/contacts/"+itoa(c.ID), mikko, c)
	wantError(t, "non-admin updates", code, body, 403, "administrator")
	code, body = e.do(t, "DELETE", "/api/contacts/"+itoa(c.ID), mikko, nil)
	wantError(t, "non-admin deletes", code, body, 403, "administrator")
	code, body = e.do(t, "PUT", "/api/contacts/"+itoa(c.ID), aino, c)
	wantJSON(t, "admin updates", code, body, 200, &c)
	if c.Name != "Taxi Helsinki" || !c.Org {
		t.Fatalf("after update %+v", c)
	}
	if code, _ := e.do(t, "DELETE", "/api/contacts/"+itoa(c.ID), aino, nil); code != 204 {
		t.Fatalf("admin delete: %d", code)
	}
}

func TestMessages(t *testing.T) {
	e := newEnv(t, nil)
	aino, mikko := e.login(t, "1001"), e.login(t, "1002")
	var m shared.Message
	code, body := e.do(t, "POST", "/api/messages", aino, shared.SendMessage{To: "1002", Body: "Hei Mikko!"})
	wantJSON(t, "send", code, body, 200, &m)
	if m.ID == 0 || m.From != "1001" || m.To != "1002" || m.Body != "Hei Mikko!" || m.SentAt.IsZero() {
		t.Fatalf("sent %+v", m)
	}
	// By number too (ORG-3).
	code, body = e.do(t, "POST", "/api/messages", mikko, shared.SendMessage{To: e.accts["1001"].MobileNumber, Body: "Moi"})
	wantJSON(t, "send by number", code, body, 200, &m)
	if m.To != "1001" {
		t.Fatalf("by number %+v", m)
	}
	code, body = e.do(t, "POST", "/api/messages", aino, shared.SendMessage{To: "1002", Body: "Toinen"})
	wantJSON(t, "send", code, body, 200, &m)

	var convs shared.ConversationList
	code, body = e.do(t, "GET", "/api/conversations", mikko, nil)
	wantJSON(t, "conversations", code, body, 200, &convs)
	if len(convs.Conversations) != 1 || convs.Conversations[0].With != "1001" || convs.Conversations[0].WithName != "Aino Virtanen" ||
		convs.Conversations[0].Unread != 2 || convs.Conversations[0].Last.Body != "Toinen" {
		t.Fatalf("conversations %+v", convs.Conversations)
	}
	var hist shared.MessageList
	code, body = e.do(t, "GET", "/api/messages?with=1001", mikko, nil)
	wantJSON(t, "history", code, body, 200, &hist)
	if len(hist.Messages) != 3 || hist.Messages[0].Body != "Toinen" || hist.Messages[2].Body != "Hei Mikko!" {
		t.Fatalf("history %+v", hist.Messages)
	}
	code, body = e.do(t, "GET", "/api/messages?with=1001&limit=1&before="+itoa(hist.Messages[0].ID), mikko, nil)
	wantJSON(t, "page", code, body, 200, &hist)
	if len(hist.Messages) != 1 || hist.Messages[0].Body != "Moi" {
		t.Fatalf("page %+v", hist.Messages)
	}
	if code, body := e.do(t, "POST", "/api/messages/read", mikko, shared.MarkRead{With: "1001"}); code != 204 {
		t.Fatalf("read: %d %s", code, body)
	}
	code, body = e.do(t, "GET", "/api/conversations", mikko, nil)
	wantJSON(t, "conversations after read", code, body, 200, &convs)
	if convs.Conversations[0].Unread != 0 {
		t.Fatalf("unread after read: %+v", convs.Conversations)
	}

	bad := []struct {
		name, method, path string
		body               any
		code               int
		want               string
	}{
		{"unknown recipient", "POST", "/api/messages", shared.SendMessage{To: "1999", Body: "hello?"}, 404, `no colleague "1999"`},
		{"garbage recipient", "POST", "/api/messages", shared.SendMessage{To: "nobody", Body: "hello?"}, 404, "no colleague"},
		{"empty", "POST", "/api/messages", shared.SendMessage{To: "1002", Body: ""}, 400, "empty"},
		{"too long", "POST", "/api/messages", shared.SendMessage{To: "1002", Body: strings.Repeat("x", messaging.MaxBody+1)}, 400, "longer than"},
		{"invalid JSON", "POST", "/api/messages", `[`, 400, "invalid JSON"},
		{"history without with", "GET", "/api/messages", nil, 400, "with"},
		{"history unknown", "GET", "/api/messages?with=1999", nil, 404, "no colleague"},
		{"bad before", "GET", "/api/messages?with=1002&before=x", nil, 400, "before"},
		{"bad limit", "GET", "/api/messages?with=1002&limit=0", nil, 400, "limit"},
		{"read unknown", "POST", "/api/messages/read", shared.MarkRead{With: "1999"}, 404, "no colleague"},
		{"read without with", "POST", "/api/messages/read", shared.MarkRead{}, 400, "with"},
	}
	for _, tc := range bad {
		code, body := e.do(t, tc.method, tc.path, aino, tc.body)
		wantError(t, tc.name, code, body, tc.code, tc.want)
	}
}

func TestSMS(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login(t, "1001")
	var s shared.SMS
	code, body := e.do(t, "POST", "/api/sms", tok, shared.SendSMS{To: "040 555 1234", Text: "Tervetuloa"})
	wantJSON(t, "send", code, body, 200, &s)
	if s.To != "+358405551234" || s.From != e.accts["1001"].MobileNumber || s.Text != "Tervetuloa" || s.Parts != 1 || s.ID == 0 {
		t.Fatalf("sms %+v", s)
	}
	e.gw.mu.Lock()
	sent := append([]sms.Message(nil), e.gw.sent...)
	e.gw.mu.Unlock()
	if len(sent) != 1 || sent[0].To != "+358405551234" || sent[0].Text != "Tervetuloa" {
		t.Fatalf("gateway got %+v", sent)
	}
	for _, tc := range []struct {
		name string
		body any
		code int
		want string
	}{
		{"bad number", shared.SendSMS{To: "not a number", Text: "x"}, 400, "not a valid phone number"},
		{"empty text", shared.SendSMS{To: "0405551234", Text: ""}, 400, "text"},
		{"invalid JSON", `{`, 400, "invalid JSON"},
	} {
		code, body := e.do(t, "POST", "/api/sms", tok, tc.body)
		wantError(t, tc.name, code, body, tc.code, tc.want)
	}
	e.gw.mu.Lock()
	e.gw.fail = errors.New("provider says no")
	e.gw.mu.Unlock()
	code, body = e.do(t, "POST", "/api/sms", tok, shared.SendSMS{To: "0405551234", Text: "x"})
	wantError(t, "gateway failure", code, body, 502, "gateway failed")
	if strings.Contains(string(body), "provider says no") {
		t.Fatal("gateway detail leaked to the client")
	}
}

func TestSMSWithoutGateway(t *testing.T) {
	e := newEnv(t, nil)
	e.s.deps.SMS = sms.NewService(e.st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	code, body := e.do(t, "POST", "/api/sms", e.login(t, "1001"), shared.SendSMS{To: "0405551234", Text: "x"})
	wantError(t, "no gateway", code, body, 503, "not configured")
}

// sseEvent is one event or comment read from a stream.
type sseEvent struct {
	typ  string // "" for a comment
	data string
}

// openStream opens /api/events and returns its events; the stream closes with the test.
func (e *env) openStream(t *testing.T, token string) (<-chan sseEvent, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan sseEvent, 100)
	if res.StatusCode != 200 {
		res.Body.Close()
		close(ch)
		return ch, res
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	go func() {
		defer close(ch)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.typ != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ch <- sseEvent{data: line}
			case strings.HasPrefix(line, "event: "):
				ev.typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return ch, res
}

// waitEvent returns the first event for which match is true, failing after within.
func waitEvent(t *testing.T, ch <-chan sseEvent, within time.Duration, what string, match func(sseEvent, shared.Event) bool) shared.Event {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("%s: stream ended", what)
			}
			var data shared.Event
			if ev.typ != "" {
				if err := json.Unmarshal([]byte(ev.data), &data); err != nil || data.Type != ev.typ {
					t.Fatalf("%s: event %q data %q: %v", what, ev.typ, ev.data, err)
				}
			}
			if match(ev, data) {
				return data
			}
		case <-deadline.C:
			t.Fatalf("%s: nothing within %v", what, within)
		}
	}
}

func TestIntegrationEventStream(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	// A real http.Server with short timeouts, as in cmd/vaihde: the stream must outlive them.
	var hsrv *http.Server
	e := newEnv(t, func(h http.Handler) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hsrv = &http.Server{Handler: h, ReadTimeout: time.Second, WriteTimeout: time.Second}
		go hsrv.Serve(ln)
		t.Cleanup(func() { hsrv.Close() })
		return "http://" + ln.Addr().String()
	})
	hsrv.RegisterOnShutdown(e.s.CloseStreams)
	e.s.pingEvery = 200 * time.Millisecond
	aino, mikko := e.login(t, "1001"), e.login(t, "1002")
	ainoEvents, _ := e.openStream(t, aino)
	mikkoEvents, _ := e.openStream(t, mikko)
	isHello := func(ev sseEvent, _ shared.Event) bool { return ev.typ == shared.EventHello }
	waitEvent(t, ainoEvents, 5*time.Second, "aino hello", isHello)
	waitEvent(t, mikkoEvents, 5*time.Second, "mikko hello", isHello)
	waitEvent(t, ainoEvents, 5*time.Second, "ping", func(ev sseEvent, _ shared.Event) bool { return ev.data == ": ping" })

	// Past the server's read and write timeouts, a change by Mikko reaches Aino within 1 s.
	time.Sleep(1500 * time.Millisecond)
	if code, body := e.do(t, "PUT", "/api/presence", mikko, shared.PresenceUpdate{Activity: ptr(sharedpresence.Meeting), Note: ptr("kokous")}); code != 200 {
		t.Fatalf("put: %d %s", code, body)
	}
	got := waitEvent(t, ainoEvents, time.Second, "presence at aino", func(ev sseEvent, d shared.Event) bool {
		return ev.typ == shared.EventPresence && d.Presence.Extension == "1002" && d.Presence.Activity == sharedpresence.Meeting
	})
	if got.Presence.ActivityName != "Neuvottelussa" || got.Presence.Note != "kokous" || got.Presence.Role != int(sharedpresence.RoleMobile) {
		t.Fatalf("presence event %+v", got.Presence)
	}
	// And the other way round.
	if code, body := e.do(t, "PUT", "/api/presence", aino, shared.PresenceUpdate{Activity: ptr(sharedpresence.Lunch)}); code != 200 {
		t.Fatalf("put: %d %s", code, body)
	}
	waitEvent(t, mikkoEvents, time.Second, "presence at mikko", func(ev sseEvent, d shared.Event) bool {
		return ev.typ == shared.EventPresence && d.Presence.Extension == "1001" && d.Presence.Activity == sharedpresence.Lunch
	})

	// A message sent through the API is announced to the recipient; a contact change to its owner.
	if code, body := e.do(t, "POST", "/api/messages", aino, shared.SendMessage{To: "1002", Body: "moi"}); code != 200 {
		t.Fatalf("send: %d %s", code, body)
	}
	waitEvent(t, mikkoEvents, 2*time.Second, "message", func(ev sseEvent, d shared.Event) bool {
		return ev.typ == shared.EventMessage && d.Message.Body == "moi" && d.Message.From == "1001"
	})
	if code, body := e.do(t, "POST", "/api/contacts", mikko, shared.Contact{Name: "Pizza"}); code != 200 {
		t.Fatalf("contact: %d %s", code, body)
	}
	waitEvent(t, mikkoEvents, 2*time.Second, "contacts", func(ev sseEvent, _ shared.Event) bool { return ev.typ == shared.EventContacts })

	// A directory change is announced to the organisation.
	u := e.accts["1003"]
	u.Title = "Myyntipäällikkö"
	e.s.UserChanged(context.Background(), u)
	waitEvent(t, ainoEvents, 2*time.Second, "directory", func(ev sseEvent, d shared.Event) bool {
		return ev.typ == shared.EventDirectory && d.Entry.Extension == "1003" && d.Entry.Title == "Myyntipäällikkö"
	})

	// Streams per user are bounded.
	for i := 1; i < maxStreamsPerUser; i++ {
		if _, res := e.openStream(t, aino); res.StatusCode != 200 {
			t.Fatalf("stream %d: %d", i+1, res.StatusCode)
		}
	}
	if _, res := e.openStream(t, aino); res.StatusCode != 429 {
		t.Fatalf("stream over the limit: %d", res.StatusCode)
	}

	// Shutdown ends the streams, so Shutdown returns.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hsrv.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for ev := range ainoEvents { // drains, then closes
		_ = ev
	}
}

func TestOrgContactGroups(t *testing.T) {
	tests := []struct {
		name, dept, groups string
		admin, want        bool
	}{
		{"for everyone", "Myynti", "", false, true},
		{"own department", "IT", "IT", false, true},
		{"one of several", "Myynti", "IT myynti", false, true},
		{"accents and case", "Henkilöstö", "HENKILOSTO", false, true},
		{"other department", "Myynti", "IT", false, false},
		{"no department", "", "IT", false, false},
		{"admin sees all", "Johto", "IT", true, true},
	}
	for _, tc := range tests {
		if got := inGroups(store.User{Department: tc.dept, Admin: tc.admin}, tc.groups); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// The demo's IT-only contact over the API.
	e := newEnv(t, nil)
	has := func(ext string) bool {
		var list shared.ContactList
		code, body := e.do(t, "GET", "/api/contacts", e.login(t, ext), nil)
		wantJSON(t, "contacts "+ext, code, body, 200, &list)
		return slices.ContainsFunc(list.Contacts, func(c shared.Contact) bool { return c.Org && c.Groups == "IT" })
	}
	if !has("1004") || has("1002") || !has("1001") {
		t.Fatalf("IT contact: IT %v, sales %v, admin %v", has("1004"), has("1002"), has("1001"))
	}
}
