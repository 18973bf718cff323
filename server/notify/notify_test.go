package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/sms"
	"github.com/vaihde/vaihde/server/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var helsinki = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		return time.FixedZone("EET", 2*3600)
	}
	return loc
}()

// now is the fixed clock of the unit tests: Sunday 22 Nov 2026 10:30 in Helsinki.
var now = time.Date(2026, 11, 22, 10, 30, 0, 0, helsinki)

func TestSMSText(t *testing.T) {
	today := now.Add(-2*time.Hour - 18*time.Minute) // 08:12
	yesterday := time.Date(2026, 11, 21, 23, 5, 0, 0, helsinki)
	tests := []struct {
		name, lang string
		v          store.Voicemail
		want       string
	}{
		{"fi today", "fi", store.Voicemail{Caller: "+358401112222", CallerName: "Matti Meikäläinen", ReceivedAt: today, Duration: 12 * time.Second},
			"Uusi ääniviesti: Matti Meikäläinen (+358401112222), klo 08:12, kesto 0:12. Kuuntele soittamalla 9000."},
		{"fi withheld yesterday", "fi", store.Voicemail{ReceivedAt: yesterday.UTC(), Duration: 75 * time.Second},
			"Uusi ääniviesti: tuntematon numero, 21.11.2026 klo 23:05, kesto 1:15. Kuuntele soittamalla 9000."},
		{"sv number only", "sv-FI", store.Voicemail{Caller: "1002", ReceivedAt: today, Duration: 3400 * time.Millisecond},
			"Nytt röstmeddelande från 1002, kl. 08:12, längd 0:03. Ring 9000 för att lyssna."},
		{"sv withheld", "sv", store.Voicemail{ReceivedAt: yesterday, Duration: time.Second},
			"Nytt röstmeddelande från okänt nummer, 21.11.2026 kl. 23:05, längd 0:01. Ring 9000 för att lyssna."},
		{"en urgent name only", "en", store.Voicemail{CallerName: "Reception", ReceivedAt: today, Duration: 61 * time.Second, Urgent: true},
			"URGENT: New voicemail from Reception, at 08:12, 1:01 long. Call 9000 to listen."},
		{"unknown language is English", "de", store.Voicemail{ReceivedAt: yesterday, Duration: time.Hour + 2*time.Second},
			"New voicemail from unknown number, on 21 Nov 2026 at 23:05, 1:00:02 long. Call 9000 to listen."},
		{"control characters dropped", "en", store.Voicemail{Caller: "+35850", CallerName: "Eve\r\nBcc: x", ReceivedAt: today},
			"New voicemail from EveBcc: x (+35850), at 08:12, 0:00 long. Call 9000 to listen."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := smsText(lang(tc.lang), tc.v, now, helsinki, "9000"); got != tc.want {
				t.Fatalf("smsText =\n  %q\nwant\n  %q", got, tc.want)
			}
			if n, _ := sms.Parts(smsText(lang(tc.lang), tc.v, now, helsinki, "9000")); n > 2 {
				t.Fatalf("text takes %d SMS parts", n)
			}
		})
	}
}

func TestFileNameAndSubject(t *testing.T) {
	v := store.Voicemail{Caller: "+358 40 111 2222", CallerName: "Åsa Öberg", ReceivedAt: time.Date(2026, 11, 22, 6, 12, 0, 0, time.UTC), Duration: 12 * time.Second}
	if got := fileName(v, helsinki, ".wav"); got != "voicemail-2026-11-22-0812-+358401112222.wav" {
		t.Fatalf("fileName = %q", got)
	}
	if got := fileName(store.Voicemail{Caller: "anonymous", ReceivedAt: v.ReceivedAt}, helsinki, ".wav"); got != "voicemail-2026-11-22-0812-unknown.wav" {
		t.Fatalf("fileName withheld = %q", got)
	}
	if got := subject(lang("sv"), v); got != "Röstmeddelande från Åsa Öberg (+358 40 111 2222) (0:12)" {
		t.Fatalf("subject = %q", got)
	}
	if got := subject(lang("en"), store.Voicemail{Caller: "1002", Duration: 12 * time.Second}); got != "Voicemail from 1002 (0:12)" {
		t.Fatalf("subject = %q", got)
	}
	if got := foldHeader("Subject", encodeHeader("Voicemail from 1002 (0:12)")); got != "Subject: Voicemail from 1002 (0:12)" {
		t.Fatalf("ASCII subject encoded: %q", got)
	}
	long := strings.Repeat("Ääniviesti ", 12)
	enc := foldHeader("Subject", encodeHeader(long))
	for _, line := range strings.Split(enc, "\r\n") {
		if len(line) > 78 || strings.ContainsAny(line, "Ää") {
			t.Fatalf("encoded header line %q (len %d)", line, len(line))
		}
	}
	dec, err := new(mime.WordDecoder).DecodeHeader(strings.TrimPrefix(strings.ReplaceAll(enc, "\r\n", ""), "Subject: "))
	if err != nil || dec != long {
		t.Fatalf("decoded %q, %v", dec, err)
	}
}

// goldenEmail is the notification the golden test builds.
func goldenEmail(t *testing.T) (email, []byte) {
	t.Helper()
	audio := testWAV(1500 * time.Millisecond)
	dir := t.TempDir()
	p := filepath.Join(dir, "m.wav")
	if err := os.WriteFile(p, audio, 0o600); err != nil {
		t.Fatal(err)
	}
	n := &Notifier{cfg: Config{Location: helsinki, AccessNumber: "9000", FilePath: func(store.Voicemail) string { return p }}}
	e, rcpt, err := n.message(task{
		v:    store.Voicemail{ID: 7, UserID: 3, Caller: "+358401112222", CallerName: "Åke Mäkinen", ReceivedAt: now.Add(-2*time.Hour - 18*time.Minute), Duration: 12 * time.Second},
		user: store.User{ID: 3, Name: "Aino Ääpälä", Email: "aino@example.com", Language: "fi"},
		org:  store.Org{ID: 1, Domain: "demo.vaihde.local"},
	}, now, "1795336200.0123456789abcdef@demo.vaihde.local", "vaihde-0123456789abcdef")
	if err != nil || rcpt != "aino@example.com" {
		t.Fatalf("message: %q, %v", rcpt, err)
	}
	return e, audio
}

// TestEmailGolden pins the MIME structure (run with -update after a deliberate change) and
// reads it back as a mail client would.
func TestEmailGolden(t *testing.T) {
	e, audio := goldenEmail(t)
	got, err := e.build()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "email.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestEmailGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("email differs from %s (run with -update if intended):\n%s", golden, got)
	}
	for i, line := range bytes.Split(got, []byte("\r\n")) {
		if len(line) > 78 || bytes.ContainsAny(line, "\n\r") {
			t.Fatalf("line %d is %d bytes or has a bare line end: %q", i+1, len(line), line)
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Fatalf("line %d has a non-ASCII byte: %q", i+1, line)
			}
		}
	}
	r := readEmail(t, got)
	if r.subject != "Ääniviesti: Åke Mäkinen (+358401112222) (0:12)" || r.to.Address != "aino@example.com" || r.to.Name != "Aino Ääpälä" ||
		r.from.Address != "voicemail@demo.vaihde.local" || r.from.Name != "Vaihde" {
		t.Fatalf("headers: %+v", r)
	}
	if r.text != "Uusi ääniviesti: Åke Mäkinen (+358401112222), klo 08:12, kesto 0:12. Kuuntele soittamalla 9000.\r\n\r\nViesti on liitteenä.\r\n" {
		t.Fatalf("text part %q", r.text)
	}
	if r.fileName != "voicemail-2026-11-22-0812-+358401112222.wav" || r.fileType != "audio/wav" || !bytes.Equal(r.file, audio) {
		t.Fatalf("attachment %q %q, %d bytes (want %d identical)", r.fileName, r.fileType, len(r.file), len(audio))
	}
}

// received is a notification email as a client reads it.
type received struct {
	msg                *mail.Message
	from, to           *mail.Address
	subject, text      string
	fileName, fileType string
	file               []byte
}

// readEmail parses a message with net/mail and mime/multipart and checks the headers every
// notification must have.
func readEmail(t *testing.T, raw []byte) received {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse email: %v", err)
	}
	var r received
	r.msg = m
	for _, h := range []string{"Date", "Message-Id", "Mime-Version", "From", "To", "Subject"} {
		if m.Header.Get(h) == "" {
			t.Fatalf("header %s missing", h)
		}
	}
	if _, err := m.Header.Date(); err != nil {
		t.Fatalf("Date: %v", err)
	}
	if id := m.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || !strings.Contains(id, "@") {
		t.Fatalf("Message-ID %q", id)
	}
	if r.from, err = mail.ParseAddress(m.Header.Get("From")); err != nil {
		t.Fatalf("From: %v", err)
	}
	if r.to, err = mail.ParseAddress(m.Header.Get("To")); err != nil {
		t.Fatalf("To: %v", err)
	}
	if r.subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for i := 0; ; i++ {
		p, err := mr.NextPart() // decodes quoted-printable text parts itself
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		switch i {
		case 0:
			ct, cp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if ct != "text/plain" || !strings.EqualFold(cp["charset"], "utf-8") {
				t.Fatalf("text part Content-Type %q", p.Header.Get("Content-Type"))
			}
			r.text = string(body)
		case 1:
			if p.Header.Get("Content-Transfer-Encoding") != "base64" {
				t.Fatalf("attachment encoding %q", p.Header.Get("Content-Transfer-Encoding"))
			}
			r.fileType, _, _ = mime.ParseMediaType(p.Header.Get("Content-Type"))
			r.fileName = p.FileName()
			r.file, err = decodeBase64(body)
			if err != nil {
				t.Fatalf("attachment: %v", err)
			}
		default:
			t.Fatalf("unexpected part %d", i)
		}
	}
	return r
}

func decodeBase64(b []byte) ([]byte, error) {
	s := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, string(b))
	return base64.StdEncoding.DecodeString(s)
}

// testWAV builds an 8 kHz 16-bit mono WAV of the given length with varied samples.
func testWAV(d time.Duration) []byte {
	n := int(d * 16000 / time.Second)
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + n))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1))
	w(uint16(1))
	w(uint32(8000))
	w(uint32(16000))
	w(uint16(2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(n))
	for i := 0; i < n; i++ {
		b.WriteByte(byte(i*7 + i/256))
	}
	return b.Bytes()
}

// fakeStore serves one organisation, its users and their settings.
type fakeStore struct {
	org      store.Org
	users    map[int64]store.User
	settings map[int64]store.VoicemailSettings
	fail     error // every lookup fails with it when set
}

func (f *fakeStore) OrgByID(_ context.Context, id int64) (store.Org, error) {
	if f.fail != nil {
		return store.Org{}, f.fail
	}
	if id != f.org.ID {
		return store.Org{}, store.ErrNotFound
	}
	return f.org, nil
}

func (f *fakeStore) UserByID(_ context.Context, id int64) (store.User, error) {
	if f.fail != nil {
		return store.User{}, f.fail
	}
	u, ok := f.users[id]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func (f *fakeStore) VoicemailSettings(_ context.Context, id int64) (store.VoicemailSettings, error) {
	if vs, ok := f.settings[id]; ok {
		return vs, nil
	}
	return store.DefaultVoicemailSettings(id), nil
}

// fakeSMS records sends; err (if set) is returned for every send; block (if set) holds each
// send until it is closed.
type fakeSMS struct {
	mu    sync.Mutex
	sent  []string // "to|from-user-mobile|text"
	calls int
	err   error
	block chan struct{}
}

func (f *fakeSMS) Send(ctx context.Context, org store.Org, from store.User, to, text string) (store.SMS, error) {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return store.SMS{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return store.SMS{}, f.err
	}
	f.sent = append(f.sent, to+"|"+from.MobileNumber+"|"+text)
	return store.SMS{}, nil
}

func (f *fakeSMS) count() (calls, sent int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, len(f.sent)
}

// fakeMail records the envelope recipients of the emails handed over.
type fakeMail struct {
	mu    sync.Mutex
	rcpts []string
	calls int
	err   error
}

func (f *fakeMail) send(_ context.Context, from, rcpt string, msg []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return f.err
	}
	if _, err := mail.ReadMessage(bytes.NewReader(msg)); err != nil || from == "" {
		return fmt.Errorf("bad message from %q: %v", from, err)
	}
	f.rcpts = append(f.rcpts, rcpt)
	return nil
}

func (f *fakeMail) count() (calls, sent int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, len(f.rcpts)
}

// logBuffer collects log records for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func unitEnv(t *testing.T) (*fakeStore, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.wav")
	if err := os.WriteFile(p, testWAV(time.Second), 0o600); err != nil {
		t.Fatal(err)
	}
	return &fakeStore{
		org: store.Org{ID: 1, Domain: "demo.test", CountryCode: "358", SMSSender: "Vaihde"},
		users: map[int64]store.User{
			1: {ID: 1, OrgID: 1, Name: "Both", MobileNumber: "+358401000001", Email: "both@example.com", Language: "en"},
			2: {ID: 2, OrgID: 1, Name: "No mobile", Email: "nomobile@example.com"},
			3: {ID: 3, OrgID: 1, Name: "No email", MobileNumber: "+358401000003"},
		},
		settings: map[int64]store.VoicemailSettings{},
	}, p
}

func TestChoiceByNotify(t *testing.T) {
	tests := []struct {
		name             string
		user             int64
		notify           store.VoicemailNotify
		wantSMS, wantEml int
		wantLog          string
	}{
		{"default is sms", 1, "", 1, 0, ""},
		{"sms", 1, store.NotifySMS, 1, 0, ""},
		{"email", 1, store.NotifyEmail, 0, 1, ""},
		{"both", 1, store.NotifyBoth, 1, 1, ""},
		{"no mobile: sms skipped", 2, store.NotifyBoth, 0, 1, "voicemail SMS skipped: user has no mobile number"},
		{"no email: email skipped", 3, store.NotifyBoth, 1, 0, "voicemail email skipped: user has no email address"},
		{"no email, email only", 3, store.NotifyEmail, 0, 0, "voicemail email skipped: user has no email address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, file := unitEnv(t)
			st.settings[tc.user] = store.VoicemailSettings{UserID: tc.user, Enabled: true, Notify: tc.notify}
			s, m := &fakeSMS{}, &fakeMail{}
			var logs logBuffer
			n, err := newNotifier(Config{Store: st, SMS: s, SMTP: config.SMTP{Host: "mail.invalid"}, FilePath: func(store.Voicemail) string { return file },
				Logger: logs.logger(), Now: func() time.Time { return now }}, m)
			if err != nil {
				t.Fatal(err)
			}
			n.VoicemailSaved(store.Voicemail{ID: 9, OrgID: 1, UserID: tc.user, Caller: "+358501234567", ReceivedAt: now, Duration: time.Second})
			n.VoicemailSaved(store.Voicemail{ID: 10, OrgID: 1, UserID: tc.user, Kind: store.RecordedCall, ReceivedAt: now}) // not notified
			if err := n.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, sent := s.count(); sent != tc.wantSMS {
				t.Fatalf("%d SMS, want %d", sent, tc.wantSMS)
			}
			if _, sent := m.count(); sent != tc.wantEml {
				t.Fatalf("%d emails, want %d", sent, tc.wantEml)
			}
			if tc.wantSMS > 0 && !strings.HasPrefix(s.sent[0], st.users[tc.user].MobileNumber+"||") {
				t.Fatalf("SMS %q: want it to the user's mobile with no user sender (the organisation's)", s.sent[0])
			}
			if tc.wantEml > 0 && m.rcpts[0] != st.users[tc.user].Email {
				t.Fatalf("email to %q", m.rcpts[0])
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), "level=INFO msg=\""+tc.wantLog+"\"") {
				t.Fatalf("no Info log %q in:\n%s", tc.wantLog, logs.String())
			}
		})
	}
}

func TestNotConfiguredChannelsAreSkipped(t *testing.T) {
	st, _ := unitEnv(t)
	st.settings[1] = store.VoicemailSettings{UserID: 1, Notify: store.NotifyBoth}
	var logs logBuffer
	n, err := New(Config{Store: st, Logger: logs.logger()}) // no SMS service, no SMTP host
	if err != nil {
		t.Fatal(err)
	}
	n.VoicemailSaved(store.Voicemail{ID: 1, OrgID: 1, UserID: 1})
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "voicemail SMS skipped: SMS is not configured") || !strings.Contains(out, "voicemail email skipped: SMTP is not configured") {
		t.Fatalf("logs:\n%s", out)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		smsErr    error
		mailErr   error
		storeErr  error
		wantCalls int // sends of the failing channel
	}{
		{"transient sms error retried", errors.New("gateway 503"), nil, nil, 3},
		{"bad number not retried", fmt.Errorf("sms: recipient: %w", sms.ErrBadNumber), nil, nil, 1},
		{"no sender not retried", sms.ErrNoSender, nil, nil, 1},
		{"transient smtp error retried", nil, errors.New("connection reset"), nil, 3},
		{"smtp 5xx not retried", nil, permanent{errors.New("550 no such user")}, nil, 1},
		{"store error retried", nil, nil, errors.New("database is locked"), 0},
		{"deleted user not retried", nil, nil, store.ErrNotFound, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, file := unitEnv(t)
			st.settings[1] = store.VoicemailSettings{UserID: 1, Notify: store.NotifyBoth}
			st.fail = tc.storeErr
			s, m := &fakeSMS{err: tc.smsErr}, &fakeMail{err: tc.mailErr}
			var logs logBuffer
			n, err := newNotifier(Config{Store: st, SMS: s, SMTP: config.SMTP{Host: "mail.invalid"}, FilePath: func(store.Voicemail) string { return file },
				Attempts: 3, RetryDelay: time.Millisecond, Logger: logs.logger()}, m)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			n.VoicemailSaved(store.Voicemail{ID: 5, OrgID: 1, UserID: 1})
			if d := time.Since(start); d > time.Second {
				t.Fatalf("VoicemailSaved took %v", d)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := n.Close(ctx); err != nil {
				t.Fatal(err)
			}
			smsCalls, _ := s.count()
			mailCalls, _ := m.count()
			out := logs.String()
			switch {
			case tc.smsErr != nil:
				if smsCalls != tc.wantCalls || mailCalls != 1 {
					t.Fatalf("sms sends %d (want %d), emails %d (want 1)", smsCalls, tc.wantCalls, mailCalls)
				}
			case tc.mailErr != nil:
				if mailCalls != tc.wantCalls || smsCalls != 1 {
					t.Fatalf("email sends %d (want %d), sms %d (want 1)", mailCalls, tc.wantCalls, smsCalls)
				}
			default:
				if smsCalls+mailCalls != 0 {
					t.Fatalf("sent without a user: %d %d", smsCalls, mailCalls)
				}
				want := 3
				if errors.Is(tc.storeErr, store.ErrNotFound) {
					want = 1
				}
				if got := strings.Count(out, "voicemail notification failed"); got != want {
					t.Fatalf("%d failure logs, want %d:\n%s", got, want, out)
				}
			}
			if !strings.Contains(out, "level=ERROR msg=\"voicemail notification failed\"") {
				t.Fatalf("final failure not logged at Error:\n%s", out)
			}
			if tc.wantCalls > 1 && strings.Count(out, "will retry") != tc.wantCalls-1 {
				t.Fatalf("want %d retry logs:\n%s", tc.wantCalls-1, out)
			}
		})
	}
}

// TestVoicemailSavedNeverBlocks: a stuck SMS gateway and a full queue do not hold up the
// deposit; the overflow is dropped with a warning and Close gives up at its deadline.
func TestVoicemailSavedNeverBlocks(t *testing.T) {
	st, _ := unitEnv(t)
	s := &fakeSMS{block: make(chan struct{})}
	var logs logBuffer
	n, err := New(Config{Store: st, SMS: s, QueueSize: 2, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 50 {
		n.VoicemailSaved(store.Voicemail{ID: int64(i + 1), OrgID: 1, UserID: 1})
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("50 VoicemailSaved calls took %v with a stuck gateway", d)
	}
	if !strings.Contains(logs.String(), "voicemail notification queue full: dropped") {
		t.Fatalf("no drop warning:\n%s", logs.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := n.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a stuck gateway = %v, want deadline exceeded", err)
	}
	n.VoicemailSaved(store.Voicemail{ID: 99, OrgID: 1, UserID: 1}) // after Close: dropped, no panic
	if !strings.Contains(logs.String(), "after close") {
		t.Fatalf("no log of the notification after close:\n%s", logs.String())
	}
	close(s.block)
}

// TestLocationIsTheOrganisations: texts use the organisation's time zone unless
// Config.Location overrides it.
func TestLocationIsTheOrganisations(t *testing.T) {
	n := &Notifier{}
	if got := n.location(store.Org{TimeZone: "Asia/Tokyo"}).String(); got != "Asia/Tokyo" {
		t.Fatalf("location = %s, want the organisation's Asia/Tokyo", got)
	}
	if got := n.location(store.Org{}).String(); got != "Europe/Helsinki" {
		t.Fatalf("location of an organisation without a zone = %s, want Europe/Helsinki", got)
	}
	n.cfg.Location = time.UTC
	if got := n.location(store.Org{TimeZone: "Asia/Tokyo"}); got != time.UTC {
		t.Fatalf("override ignored: %s", got)
	}
}
