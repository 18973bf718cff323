package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
)

// mainLoop stands in for Fyne's main goroutine in integration tests: the UIs' snapshots and
// results are queued and run by the test goroutine, the only one that touches widgets.
type mainLoop struct{ q chan func() }

func (l *mainLoop) do(f func()) { l.q <- f }

// until runs queued UI work until cond holds or the timeout passes; it reports how long it
// took.
func (l *mainLoop) until(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case f := <-l.q:
			f()
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
	return time.Since(start)
}

// softphone is one Softphone of the test: the real engine and people book behind a UI.
type softphone struct {
	u    *UI
	eng  *phone.Engine
	book *people.Book
}

func startSoftphone(t *testing.T, ctx context.Context, a fyne.App, loop *mainLoop, sipAddr, apiURL, ext string) *softphone {
	t.Helper()
	eng, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	book := people.NewBook(eng, people.Options{})
	u := New(ctx, a, Options{
		Controller: eng,
		People:     book,
		Settings:   settings.NewStore(t.TempDir()),
		Prefill:    phone.Account{Server: sipAddr, APIURL: apiURL, User: ext, Password: "demo" + ext},
	})
	u.do = loop.do
	u.blurAfter = 0
	u.Start()
	sp := &softphone{u: u, eng: eng, book: book}
	t.Cleanup(func() {
		u.Close()
		book.Close()
		lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Logout(lctx)
		eng.Close()
	})
	return sp
}

func (sp *softphone) colleague(ext string) (ColleagueRow, bool) {
	for i, c := range sp.u.dir.cols {
		if c.Extension == ext {
			return sp.u.dir.row(i), true
		}
	}
	return ColleagueRow{}, false
}

// TestIntegrationTwoSoftphonesPresenceChatSMS runs the real server (demo organisation, SMS to
// the development outbox) and two Softphone UIs with real engines and people books on
// 127.0.0.1. A presence saved in one Softphone's panel shows in the other's Colleagues tab
// within a second; a chat message from one raises the other's banner and unread count, and
// the reply comes back; an SMS sent from the dialog lands in the outbox with the right sender.
func TestIntegrationTwoSoftphonesPresenceChatSMS(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "vaihde")
	build := exec.Command("go", "build", "-o", bin, "./server/cmd/vaihde")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build server: %v\n%s", err, out)
	}
	port := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	sipPort, httpPort, tlsPort := port(), port(), port()
	rtp := 40000 + (sipPort%1000)*10
	outbox := t.TempDir()
	var serverLog syncBuf
	srv := exec.Command(bin, "-demo", "-db", filepath.Join(t.TempDir(), "v.db"),
		"-sip-addr", "127.0.0.1:"+strconv.Itoa(sipPort), "-tls-addr", "127.0.0.1:"+strconv.Itoa(tlsPort),
		"-http-addr", "127.0.0.1:"+strconv.Itoa(httpPort), "-https-addr", "",
		"-rtp-port-min", strconv.Itoa(rtp), "-rtp-port-max", strconv.Itoa(rtp+9))
	srv.Env = append(os.Environ(), "VAIHDE_SMS_PROVIDER=outbox", "VAIHDE_SMS_OUTBOX="+outbox)
	srv.Stdout, srv.Stderr = &serverLog, &serverLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(serverLog.String(), "vaihde ready") {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", serverLog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := test.NewTempApp(t)
	loop := &mainLoop{q: make(chan func(), 4096)}
	sip, apiURL := "127.0.0.1:"+strconv.Itoa(sipPort), "http://127.0.0.1:"+strconv.Itoa(httpPort)
	aino := startSoftphone(t, ctx, a, loop, sip, apiURL, "1001")
	mikko := startSoftphone(t, ctx, a, loop, sip, apiURL, "1002")
	for _, sp := range []*softphone{aino, mikko} {
		loop.until(t, 30*time.Second, "registration", func() bool { return sp.eng.Snapshot().Reg == phone.Registered })
		sp.book.Start(ctx) // what client/cmd/softphone does after each login
	}
	for _, sp := range []*softphone{aino, mikko} {
		loop.until(t, 30*time.Second, "colleagues loaded and live", func() bool {
			s := sp.u.peopleSnap
			_, ok := sp.colleague("1001")
			return s.Loaded && s.Live && ok
		})
	}

	// 1. Presence: Aino saves "In a meeting" with a note; Mikko sees it within a second.
	aino.u.togglePresencePanel()
	p := aino.u.presPanel
	if p == nil {
		t.Fatal("the presence panel did not open")
	}
	test.Tap(p.actBtns[4])
	test.Tap(p.quick["+1 h"])
	p.note.SetText("Budget meeting, room 2")
	p.custom.SetText("25:70")
	test.Tap(p.save)
	if p.errText.Hidden || p.errText.Text != aino.u.tr.T(KErrTimeFormat) {
		t.Fatalf("a bad time must be refused in the panel: %q", p.errText.Text)
	}
	p.custom.SetText("")
	test.Tap(p.save)
	took := loop.until(t, 5*time.Second, "Aino's meeting at Mikko's", func() bool {
		r, ok := mikko.colleague("1001")
		return ok && strings.HasPrefix(r.Presence.Line(), "In a meeting until ") && r.Presence.Note == "Budget meeting, room 2" && !r.Presence.Green
	})
	t.Logf("presence change shown at the colleague after %v", took)
	if took > time.Second {
		t.Errorf("presence took %v to reach the colleague's Softphone, want ≤ 1 s", took)
	}
	loop.until(t, 5*time.Second, "the panel closes and Aino's own presence shows", func() bool {
		return aino.u.presPanel == nil && strings.HasPrefix(aino.u.pres.text.Text, "In a meeting until ")
	})

	// 2. Chat: Mikko writes; Aino gets a banner and an unread count, opens it and replies.
	mikko.u.OpenChat("1001")
	test.Type(mikko.u.chat.entry, "Hi Aino, lunch at 12?")
	test.Tap(mikko.u.chat.send)
	loop.until(t, 10*time.Second, "the message banner at Aino's", func() bool {
		return aino.u.msgOpen != nil && aino.u.chatTab.Text == "Chat (1)"
	})
	test.Tap(aino.u.msgOpen)
	loop.until(t, 10*time.Second, "Aino's conversation with its history, read", func() bool {
		return aino.u.chat.open == "1002" && aino.u.chat.shown == 1 && aino.u.chatTab.Text == "Chat"
	})
	test.Type(aino.u.chat.entry, "Yes, see you there")
	test.Tap(aino.u.chat.send)
	loop.until(t, 10*time.Second, "the reply in Mikko's conversation", func() bool {
		c, ok := FindChat(mikko.u.peopleSnap, "1001")
		return ok && len(c.Messages) == 2 && c.Messages[1].Body == "Yes, see you there" && mikko.u.chat.shown == 2
	})

	// 3. SMS from Aino's dialog lands in the outbox, sent from her mobile number.
	aino.u.openSMS("040 765 4321", "")
	f := aino.u.smsDlg
	text := strings.Repeat("Tervetuloa! ", 14) // 168 characters: two parts
	test.Type(f.text, text)
	if f.counter.Text != "168 characters · 2 SMS" {
		t.Fatalf("counter %q", f.counter.Text)
	}
	test.Tap(f.send)
	loop.until(t, 10*time.Second, "the SMS result", func() bool { return strings.HasPrefix(f.result.Text, "Sent to") })
	var entry struct {
		From, To, Text string
		Parts          int
	}
	files, _ := filepath.Glob(filepath.Join(outbox, "*.json"))
	if len(files) != 1 {
		t.Fatalf("outbox has %d files, want 1", len(files))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &entry); err != nil {
		t.Fatal(err)
	}
	me, _ := aino.colleague("1001")
	if entry.To != "+358407654321" || entry.Text != text || entry.Parts != 2 || entry.From == "" || entry.From != me.Mobile {
		t.Fatalf("outbox entry %+v, want from %s", entry, me.Mobile)
	}
	if !strings.Contains(f.result.Text, "(2 SMS)") {
		t.Fatalf("result %q", f.result.Text)
	}
}

// syncBuf is a bytes.Buffer safe for a process's output and the test's reads.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
