package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/voicemail"
	shared "github.com/vaihde/vaihde/shared/api"
)

// withMailbox gives the env's server a real mailbox in a temporary directory, its Changed
// callback wired to VoicemailChanged as in cmd/vaihde, and serves the handler anew so that
// the server's goroutines start after the wiring.
func (e *env) withMailbox(t *testing.T) *voicemail.Mailbox {
	t.Helper()
	mb, err := voicemail.New(voicemail.Config{Root: t.TempDir(), Store: e.st, Changed: e.s.VoicemailChanged,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.s.deps.Voicemail = mb
	hs := httptest.NewServer(e.s.Handler())
	t.Cleanup(hs.Close)
	e.url = hs.URL
	return mb
}

// testWAV is a short 8 kHz recording whose samples depend on seed.
func testWAV(seed int16, n int) []byte {
	s := make([]int16, n)
	for i := range s {
		s[i] = seed * int16(i%50-25)
	}
	return mediaapp.EncodeWAV(s)
}

func (e *env) save(t *testing.T, mb *voicemail.Mailbox, ext, caller string, wav []byte, at time.Time) store.Voicemail {
	t.Helper()
	u := e.accts[ext]
	v, err := mb.Save(context.Background(), voicemail.Message{OrgID: u.OrgID, UserID: u.ID, Caller: caller,
		CallerName: "Caller " + caller, ReceivedAt: at}, bytes.NewReader(wav))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *env) raw(t *testing.T, method, path, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, data
}

func TestVoicemailRoutesNeedAuth(t *testing.T) {
	e := newEnv(t, nil)
	e.withMailbox(t)
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/voicemail"}, {"GET", "/api/voicemail/1/audio"}, {"PUT", "/api/voicemail/1"},
		{"DELETE", "/api/voicemail/1"}, {"GET", "/api/voicemail/settings"}, {"PUT", "/api/voicemail/settings"},
		{"PUT", "/api/voicemail/pin"}, {"GET", "/api/forwarding"}, {"PUT", "/api/forwarding"},
	} {
		code, body := e.do(t, r.method, r.path, "", nil)
		wantError(t, r.method+" "+r.path, code, body, 401, "token")
	}
}

func TestVoicemailWithoutMailbox(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login(t, "1001")
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/voicemail", nil}, {"GET", "/api/voicemail/1/audio", nil},
		{"PUT", "/api/voicemail/1", shared.VoicemailUpdate{Heard: true}}, {"DELETE", "/api/voicemail/1", nil},
		{"GET", "/api/voicemail/settings", nil}, {"PUT", "/api/voicemail/settings", shared.VoicemailSettings{}},
		{"PUT", "/api/voicemail/pin", shared.VoicemailPIN{PIN: "1234"}},
	} {
		code, body := e.do(t, r.method, r.path, tok, r.body)
		wantError(t, r.method+" "+r.path, code, body, 503, "voicemail is not available")
	}
	// Forwarding needs no mailbox.
	code, body := e.do(t, "GET", "/api/forwarding", tok, nil)
	wantJSON(t, "forwarding", code, body, 200, nil)
}

// TestVoicemailListAudioHeardDelete: a round trip through a real mailbox with two users; the
// other user can neither hear, mark nor delete a message that is not theirs.
func TestVoicemailListAudioHeardDelete(t *testing.T) {
	e := newEnv(t, nil)
	mb := e.withMailbox(t)
	a, b := e.login(t, "1001"), e.login(t, "1002")
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	wav1, wav2 := testWAV(7, 8000), testWAV(11, 4000)
	older := e.save(t, mb, "1001", "+358501234567", wav1, t0)
	newer := e.save(t, mb, "1001", "1002", wav2, t0.Add(time.Hour))
	theirs := e.save(t, mb, "1002", "1003", testWAV(3, 800), t0)

	var list shared.VoicemailList
	code, body := e.do(t, "GET", "/api/voicemail", a, nil)
	wantJSON(t, "list", code, body, 200, &list)
	if len(list.Messages) != 2 || list.Messages[0].ID != newer.ID || list.Messages[1].ID != older.ID ||
		list.Counts != (shared.VoicemailCounts{New: 2}) {
		t.Fatalf("list %s", body)
	}
	m := list.Messages[1]
	if m.Kind != "voice" || m.Caller != "+358501234567" || m.CallerName != "Caller +358501234567" ||
		!m.ReceivedAt.Equal(t0) || m.DurationMS != 1000 || m.Heard {
		t.Fatalf("message %+v", m)
	}

	// The audio is the saved WAV, byte for byte; fetching it marks nothing.
	res, data := e.raw(t, "GET", "/api/voicemail/"+itoa(older.ID)+"/audio", a)
	if res.StatusCode != 200 || !bytes.Equal(data, wav1) || res.Header.Get("Content-Type") != "audio/wav" ||
		res.Header.Get("Content-Length") != strconv.Itoa(len(wav1)) {
		t.Fatalf("audio: %d %v, %d bytes (want %d)", res.StatusCode, res.Header, len(data), len(wav1))
	}
	if n, _, _ := mb.Counts(context.Background(), e.accts["1001"].ID); n != 2 {
		t.Fatalf("fetching the audio changed the counts: %d new", n)
	}

	// B gets 404 for A's message on every route, and A's message is untouched.
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/voicemail/" + itoa(older.ID) + "/audio", nil},
		{"PUT", "/api/voicemail/" + itoa(older.ID), shared.VoicemailUpdate{Heard: true}},
		{"DELETE", "/api/voicemail/" + itoa(older.ID), nil},
	} {
		code, body := e.do(t, r.method, r.path, b, r.body)
		wantError(t, "B: "+r.method+" "+r.path, code, body, 404, "no such message")
	}
	code, body = e.do(t, "GET", "/api/voicemail", b, nil)
	wantJSON(t, "B's list", code, body, 200, &list)
	if len(list.Messages) != 1 || list.Messages[0].ID != theirs.ID {
		t.Fatalf("B's list %s", body)
	}

	var v shared.Voicemail
	code, body = e.do(t, "PUT", "/api/voicemail/"+itoa(older.ID), a, shared.VoicemailUpdate{Heard: true})
	wantJSON(t, "mark heard", code, body, 200, &v)
	if v.ID != older.ID || !v.Heard {
		t.Fatalf("marked %+v", v)
	}
	code, body = e.do(t, "GET", "/api/voicemail", a, nil)
	wantJSON(t, "list after heard", code, body, 200, &list)
	if list.Counts != (shared.VoicemailCounts{New: 1, Old: 1}) || !list.Messages[1].Heard || list.Messages[0].Heard {
		t.Fatalf("after heard %s", body)
	}
	code, body = e.do(t, "PUT", "/api/voicemail/"+itoa(older.ID), a, shared.VoicemailUpdate{Heard: false})
	wantJSON(t, "mark new", code, body, 200, &v)
	if v.Heard {
		t.Fatalf("marked new %+v", v)
	}

	code, body = e.do(t, "DELETE", "/api/voicemail/"+itoa(older.ID), a, nil)
	if code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
	code, body = e.do(t, "GET", "/api/voicemail", a, nil)
	wantJSON(t, "list after delete", code, body, 200, &list)
	if len(list.Messages) != 1 || list.Messages[0].ID != newer.ID || list.Counts != (shared.VoicemailCounts{New: 1}) {
		t.Fatalf("after delete %s", body)
	}
	code, body = e.do(t, "GET", "/api/voicemail/"+itoa(older.ID)+"/audio", a, nil)
	wantError(t, "deleted audio", code, body, 404, "no such message")
	code, body = e.do(t, "DELETE", "/api/voicemail/"+itoa(older.ID), a, nil)
	wantError(t, "delete twice", code, body, 404, "no such message")

	// A received fax is served as the PDF it is (VM-6).
	u := e.accts["1001"]
	pdf := []byte("%PDF-1.4\n% a fax\n%%EOF\n")
	fax, err := mb.Save(context.Background(), voicemail.Message{OrgID: u.OrgID, UserID: u.ID, Kind: store.Fax, Caller: "+35891112222"}, bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	res, data = e.raw(t, "GET", "/api/voicemail/"+itoa(fax.ID)+"/audio", a)
	if res.StatusCode != 200 || !bytes.Equal(data, pdf) || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("fax: %d %v %q", res.StatusCode, res.Header, data)
	}

	for _, p := range []string{"/api/voicemail/x/audio", "/api/voicemail/0/audio", "/api/voicemail/-3/audio"} {
		code, body = e.do(t, "GET", p, a, nil)
		wantError(t, p, code, body, 400, "message id must be a positive number")
	}
	code, body = e.do(t, "PUT", "/api/voicemail/"+itoa(newer.ID), a, `{"heard":"yes"}`)
	wantError(t, "bad update", code, body, 400, "invalid JSON")
}

func TestVoicemailSettingsRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	mb := e.withMailbox(t)
	ctx := context.Background()
	u := e.accts["1001"]
	tok := e.login(t, "1001")

	var vs shared.VoicemailSettings
	code, body := e.do(t, "GET", "/api/voicemail/settings", tok, nil)
	wantJSON(t, "defaults", code, body, 200, &vs)
	if want := settingsOut(store.DefaultVoicemailSettings(u.ID), u); vs != want || !vs.Enabled || vs.Notify != "sms" || vs.Email == "" {
		t.Fatalf("defaults %+v, want %+v", vs, want)
	}

	code, body = e.do(t, "PUT", "/api/voicemail/pin", tok, shared.VoicemailPIN{PIN: "4321"})
	if code != 204 {
		t.Fatalf("pin: %d %s", code, body)
	}
	if ok, err := mb.CheckPIN(ctx, u.ID, "4321"); err != nil || !ok {
		t.Fatalf("the PIN set through the API does not open the mailbox: %v %v", ok, err)
	}
	if err := mb.SaveGreeting(ctx, u.ID, bytes.NewReader(testWAV(5, 1600))); err != nil {
		t.Fatal(err)
	}
	before, err := e.st.VoicemailSettings(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}

	req := shared.VoicemailSettings{Enabled: false, Notify: "both", AnnounceActivity: true,
		CustomerService: "09 123 4567", OfferBypass: true, HasGreeting: false, HasPIN: false, Email: "ignored@example"}
	code, body = e.do(t, "PUT", "/api/voicemail/settings", tok, req)
	wantJSON(t, "put", code, body, 200, &vs)
	want := shared.VoicemailSettings{Enabled: false, Notify: "both", AnnounceActivity: true, CustomerService: "+35891234567",
		OfferBypass: true, HasGreeting: true, HasPIN: true, Email: u.Email}
	if vs != want {
		t.Fatalf("put answered %+v, want %+v", vs, want)
	}
	code, body = e.do(t, "GET", "/api/voicemail/settings", tok, nil)
	wantJSON(t, "get", code, body, 200, &vs)
	if vs != want {
		t.Fatalf("get %+v, want %+v", vs, want)
	}
	after, err := e.st.VoicemailSettings(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.PINHash != before.PINHash || after.GreetingPath != before.GreetingPath || after.GreetingPath == "" ||
		after.Notify != store.NotifyBoth || after.Enabled || after.CustomerService != "+35891234567" {
		t.Fatalf("stored %+v (before %+v)", after, before)
	}

	// An extension stays an extension; "" notification is SMS; an empty number is "not offered".
	code, body = e.do(t, "PUT", "/api/voicemail/settings", tok, shared.VoicemailSettings{Enabled: true, CustomerService: "1002"})
	wantJSON(t, "extension", code, body, 200, &vs)
	if vs.CustomerService != "1002" || vs.Notify != "sms" || !vs.Enabled || vs.AnnounceActivity {
		t.Fatalf("extension %+v", vs)
	}
	code, body = e.do(t, "PUT", "/api/voicemail/settings", tok, shared.VoicemailSettings{Enabled: true, Notify: "email"})
	wantJSON(t, "none", code, body, 200, &vs)
	if vs.CustomerService != "" || vs.Notify != "email" {
		t.Fatalf("cleared %+v", vs)
	}
}

func TestVoicemailSettingsBadInput(t *testing.T) {
	e := newEnv(t, nil)
	e.withMailbox(t)
	ctx := context.Background()
	tok := e.login(t, "1002")
	noMail := e.accts["1003"]
	noMail.Email = ""
	if err := e.st.UpdateUser(ctx, noMail); err != nil {
		t.Fatal(err)
	}
	noMailTok := e.token(t, noMail.ID)
	tests := []struct {
		name  string
		token string
		path  string
		body  any
		code  int
		want  string
	}{
		{"unknown notification", tok, "/api/voicemail/settings", shared.VoicemailSettings{Notify: "fax"}, 400, `unknown notification "fax"`},
		{"customer service letters", tok, "/api/voicemail/settings", shared.VoicemailSettings{CustomerService: "helpdesk"}, 400, "customer service: not a phone number"},
		{"customer service code", tok, "/api/voicemail/settings", shared.VoicemailSettings{CustomerService: "*21#"}, 400, "customer service: not a phone number"},
		{"customer service too short", tok, "/api/voicemail/settings", shared.VoicemailSettings{CustomerService: "12"}, 400, "customer service: not a phone number"},
		{"customer service no such extension", tok, "/api/voicemail/settings", shared.VoicemailSettings{CustomerService: "1234"}, 400, "customer service: no such extension 1234"},
		{"email without address", noMailTok, "/api/voicemail/settings", shared.VoicemailSettings{Notify: "email"}, 400, "email notification needs an email address"},
		{"both without address", noMailTok, "/api/voicemail/settings", shared.VoicemailSettings{Notify: "both"}, 400, "email notification needs an email address"},
		{"invalid JSON", tok, "/api/voicemail/settings", `{"notify":`, 400, "invalid JSON"},
		{"PIN too short", tok, "/api/voicemail/pin", shared.VoicemailPIN{PIN: "123"}, 400, "a PIN is 4 to 8 digits"},
		{"PIN too long", tok, "/api/voicemail/pin", shared.VoicemailPIN{PIN: "123456789"}, 400, "a PIN is 4 to 8 digits"},
		{"PIN with letters", tok, "/api/voicemail/pin", shared.VoicemailPIN{PIN: "12a4"}, 400, "a PIN is 4 to 8 digits"},
		{"PIN empty", tok, "/api/voicemail/pin", shared.VoicemailPIN{}, 400, "a PIN is 4 to 8 digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.do(t, "PUT", tc.path, tc.token, tc.body)
			wantError(t, tc.name, code, body, tc.code, tc.want)
		})
	}
	// Nothing was applied.
	for _, u := range []store.User{e.accts["1002"], noMail} {
		vs, err := e.st.VoicemailSettings(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if vs.Notify != store.NotifySMS || vs.CustomerService != "" || vs.PINHash != "" || !vs.Enabled {
			t.Fatalf("a refused change was applied for %s: %+v", u.Extension, vs)
		}
	}
	// SMS needs no address.
	code, body := e.do(t, "PUT", "/api/voicemail/settings", noMailTok, shared.VoicemailSettings{Enabled: true, Notify: "sms"})
	wantJSON(t, "sms without address", code, body, 200, nil)
}

// TestIntegrationVoicemailEvent: a message saved in A's mailbox reaches A's event stream with
// the new counts, and B's stream carries only B's own counts.
func TestIntegrationVoicemailEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	e := newEnv(t, nil)
	mb := e.withMailbox(t)
	t0 := time.Now().Add(-time.Hour)
	// B's mailbox holds three messages before anyone listens (no event, nobody to tell).
	var bMsgs []store.Voicemail
	for i := range 3 {
		bMsgs = append(bMsgs, e.save(t, mb, "1002", "1004", testWAV(int16(i+1), 800), t0.Add(time.Duration(i)*time.Minute)))
	}
	aEvents, _ := e.openStream(t, e.login(t, "1001"))
	bEvents, _ := e.openStream(t, e.login(t, "1002"))
	isHello := func(ev sseEvent, _ shared.Event) bool { return ev.typ == shared.EventHello }
	waitEvent(t, aEvents, 5*time.Second, "a hello", isHello)
	waitEvent(t, bEvents, 5*time.Second, "b hello", isHello)

	e.save(t, mb, "1001", "+358501234567", testWAV(9, 1600), time.Time{})
	got := waitEvent(t, aEvents, 5*time.Second, "a voicemail", func(ev sseEvent, d shared.Event) bool { return ev.typ == "voicemail" })
	if got.Voicemail == nil || *got.Voicemail != (shared.VoicemailCounts{New: 1}) {
		t.Fatalf("A's event %+v", got)
	}

	// B marks a message heard through the API: B's first voicemail event is B's own counts,
	// so A's event never reached B's stream.
	code, body := e.do(t, "PUT", "/api/voicemail/"+itoa(bMsgs[0].ID), e.login(t, "1002"), shared.VoicemailUpdate{Heard: true})
	wantJSON(t, "b heard", code, body, 200, nil)
	got = waitEvent(t, bEvents, 5*time.Second, "b voicemail", func(ev sseEvent, d shared.Event) bool { return ev.typ == "voicemail" })
	if got.Voicemail == nil || *got.Voicemail != (shared.VoicemailCounts{New: 2, Old: 1}) {
		t.Fatalf("B's first voicemail event %+v: another user's counts leaked", got.Voicemail)
	}
	// And A's stream saw nothing of B's change.
	select {
	case ev := <-aEvents:
		if ev.typ == "voicemail" {
			t.Fatalf("A got B's event %s", ev.data)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

// gatedCounts is a mailbox whose Counts waits for gate: a store that is slow to answer.
type gatedCounts struct {
	*voicemail.Mailbox
	gate  chan struct{}
	calls atomic.Int32
}

func (g *gatedCounts) Counts(ctx context.Context, userID int64) (int, int, error) {
	g.calls.Add(1)
	select {
	case <-g.gate:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	return g.Mailbox.Counts(ctx, userID)
}

// TestVoicemailChangedNeverBlocks: while the counts cannot be read, saving a message and a
// burst of changes still return at once; once they can, the stream gets the latest counts in
// a few coalesced events rather than one per change.
func TestVoicemailChangedNeverBlocks(t *testing.T) {
	e := newEnv(t, nil)
	g := &gatedCounts{gate: make(chan struct{})}
	var err error
	g.Mailbox, err = voicemail.New(voicemail.Config{Root: t.TempDir(), Store: e.st, Changed: e.s.VoicemailChanged,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.s.deps.Voicemail = g
	hs := httptest.NewServer(e.s.Handler())
	t.Cleanup(hs.Close)
	e.url = hs.URL
	released := false
	release := func() {
		if !released {
			released = true
			close(g.gate)
		}
	}
	t.Cleanup(release)

	u := e.accts["1001"]
	events, _ := e.openStream(t, e.login(t, "1001"))
	waitEvent(t, events, 5*time.Second, "hello", func(ev sseEvent, _ shared.Event) bool { return ev.typ == shared.EventHello })

	saved := make(chan store.Voicemail, 1)
	go func() {
		v, err := g.Save(context.Background(), voicemail.Message{OrgID: u.OrgID, UserID: u.ID, Caller: "1002"}, bytes.NewReader(testWAV(1, 800)))
		if err != nil {
			t.Error(err)
		}
		saved <- v
	}()
	var v store.Voicemail
	select {
	case v = <-saved:
	case <-time.After(5 * time.Second):
		t.Fatal("Save blocked on the event stream's counts")
	}
	for deadline := time.Now().Add(5 * time.Second); g.calls.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the counts were never read")
		}
	}
	start := time.Now()
	for range 10_000 {
		e.s.VoicemailChanged(u.ID)
	}
	e.s.VoicemailChanged(0)           // no user: ignored
	e.s.VoicemailChanged(u.ID + 1000) // nobody listening: ignored
	if err := g.MarkHeard(context.Background(), u.ID, v.ID, true); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("10000 changes took %v while the counts were blocked", d)
	}
	release()
	waitEvent(t, events, 5*time.Second, "latest counts", func(ev sseEvent, d shared.Event) bool {
		return ev.typ == "voicemail" && *d.Voicemail == shared.VoicemailCounts{Old: 1}
	})
	if n := g.calls.Load(); n > 3 {
		t.Fatalf("counts read %d times for a burst of 10001 changes", n)
	}
}
