package subscription

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/voicemail"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

func TestMessageSummaryGolden(t *testing.T) {
	cases := []struct {
		file     string
		new, old int
	}{
		{"message-summary-empty.txt", 0, 0},
		{"message-summary-waiting.txt", 2, 8},
		{"message-summary-heard.txt", 0, 3},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := MessageSummary("sip:1001@demo.vaihde.local", tc.new, tc.old); !bytes.Equal(got, want) {
				t.Fatalf("got:\n%q\nwant:\n%q", got, want)
			}
		})
	}
}

func TestMailboxTarget(t *testing.T) {
	me, other := store.User{ID: 1}, store.User{ID: 2}
	cases := []struct {
		name     string
		resolved store.User
		err      error
		want     int64
		refused  bool
	}{
		{"own extension", me, nil, 1, false},
		{"another user's mailbox", other, nil, 0, true},
		{"access number (no such user)", store.User{}, store.ErrNotFound, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mailboxTarget(me, tc.resolved, tc.err)
			if tc.refused != (err != nil) || !tc.refused && got.ID != tc.want {
				t.Fatalf("mailboxTarget = %+v, %v", got, err)
			}
			if tc.refused && !errors.Is(err, errOthersMailbox) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// TestIntegrationMessageSummary: a phone subscribes to its mailbox over real loopback SIP and
// sees the counts follow messages saved, heard and deleted through a real voicemail.Mailbox.
func TestIntegrationMessageSummary(t *testing.T) {
	h := newHarness(t)
	a, b := h.newUA("1001"), h.newUA("1002")
	me := h.users["1001"]
	mb, err := voicemail.New(voicemail.Config{Root: filepath.Join(t.TempDir(), "vm"), Store: h.st, Changed: h.svc.MailboxChanged})
	if err != nil {
		t.Fatal(err)
	}
	account := "Message-Account: sip:1001@" + demo.Domain

	s, res := a.subscribe("1001", EventMessageSummary, 600, sip.NewHeader("Accept", ContentTypeMessageSummary))
	if e := res.GetHeader("Expires"); e == nil || e.Value() != "600" {
		t.Fatalf("Expires %v", e)
	}
	first := a.next("initial NOTIFY")
	if ct := first.req.GetHeader("Content-Type"); ct == nil || ct.Value() != ContentTypeMessageSummary {
		t.Fatalf("Content-Type %v", ct)
	}
	if ev := first.req.GetHeader("Event"); ev == nil || ev.Value() != EventMessageSummary {
		t.Fatalf("Event %v", ev)
	}
	if !strings.HasPrefix(first.state, "active;expires=") {
		t.Fatalf("Subscription-State %q", first.state)
	}
	if first.body != string(MessageSummary("sip:1001@"+demo.Domain, 0, 0)) {
		t.Fatalf("initial body:\n%s", first.body)
	}

	save := func(caller string) store.Voicemail {
		t.Helper()
		v, err := mb.Save(h.ctx, voicemail.Message{OrgID: me.OrgID, UserID: me.ID, Caller: caller}, strings.NewReader("RIFF-not-really-audio"))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	start := time.Now()
	v1 := save("+358401112222")
	a.expect("first message", "Messages-Waiting: yes", account, "Voice-Message: 1/0")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("message-waiting took %v", d)
	}
	v2 := save("1002")
	a.expect("second message", "Messages-Waiting: yes", "Voice-Message: 2/0")
	if err := mb.MarkHeard(h.ctx, me.ID, v1.ID, true); err != nil {
		t.Fatal(err)
	}
	a.expect("one heard", "Messages-Waiting: yes", "Voice-Message: 1/1")
	if err := mb.MarkHeard(h.ctx, me.ID, v2.ID, true); err != nil {
		t.Fatal(err)
	}
	a.expect("all heard", "Messages-Waiting: no", "Voice-Message: 0/2")
	if err := mb.Delete(h.ctx, me.ID, v1.ID); err != nil {
		t.Fatal(err)
	}
	a.expect("deleted", "Messages-Waiting: no", "Voice-Message: 0/1")

	// Presence changes of the mailbox owner are not message-summary events.
	until := time.Now().Add(time.Hour)
	if _, err := h.hub.Set(h.ctx, me.ID, presence.Change{Activity: ptr(sharedpresence.Meeting), Until: &until}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case n := <-a.notifies:
		t.Fatalf("NOTIFY after a presence change:\n%s", n.body)
	default:
	}

	// Another user may not watch 1001's mailbox; the access number means one's own.
	req, _ := b.subscribeReq("1001", EventMessageSummary, 600)
	if res := b.do(req, b.pass); res.StatusCode != 403 {
		t.Fatalf("subscribe to another's mailbox: %d", res.StatusCode)
	}
	b.subscribe("9000", EventMessageSummary, 600)
	b.expect("own mailbox via access number", "Message-Account: sip:1002@"+demo.Domain, "Voice-Message: 0/0")

	// Phones learn from Allow-Events that the package is served.
	req, _ = b.subscribeReq("1002", "conference", 600)
	if res := b.do(req, b.pass); res.StatusCode != 489 || res.GetHeader("Allow-Events") == nil ||
		!strings.Contains(res.GetHeader("Allow-Events").Value(), EventMessageSummary) {
		t.Fatalf("unknown event answered %d, Allow-Events %v", res.StatusCode, res.GetHeader("Allow-Events"))
	}

	// A refresh gets the current summary; unsubscribing ends with a terminated NOTIFY.
	if res := a.resubscribe(s, 600); res.StatusCode != 200 {
		t.Fatalf("refresh: %d", res.StatusCode)
	}
	a.expect("refresh", "Voice-Message: 0/1")
	if res := a.resubscribe(s, 0); res.StatusCode != 200 {
		t.Fatalf("unsubscribe: %d", res.StatusCode)
	}
	last := a.next("final NOTIFY")
	if !strings.HasPrefix(last.state, "terminated") || !strings.Contains(last.body, "Voice-Message: 0/1") {
		t.Fatalf("final NOTIFY %q:\n%s", last.state, last.body)
	}
}
