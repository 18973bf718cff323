package interop

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store/sqlite"
	"github.com/vaihde/vaihde/server/voicemail"
	"github.com/vaihde/vaihde/shared/api"
)

// TestIntegrationBaresipMWI: a desk phone (baresip with its mwi module) subscribes to
// message-summary for its account and is told that messages wait. The messages were left while
// the server was down: one saved in full, one whose file was written but whose record never was
// (a crash between the two) — the restarted server's Recover must count both.
func TestIntegrationBaresipMWI(t *testing.T) {
	integration(t, "baresip")
	v := startVaihde(t)
	v.stop()

	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(v.dir, "vaihde.db"))
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.OrgByDomain(ctx, demoDomain)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByExtension(ctx, org.ID, "1001")
	if err != nil {
		t.Fatal(err)
	}
	// The server keeps voicemail beside its database.
	mb, err := voicemail.New(voicemail.Config{Root: filepath.Join(v.dir, "voicemail"), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	tone := filepath.Join(t.TempDir(), "msg.wav")
	writeToneWAV(t, tone, 440, 2)
	f, err := os.Open(tone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.Save(ctx, voicemail.Message{OrgID: org.ID, UserID: u.ID, Caller: "+358401234567"}, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	audio, err := os.ReadFile(tone)
	if err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(v.dir, "voicemail", strconv.FormatInt(u.ID, 10),
		"m-"+time.Now().UTC().Format("20060102T150405.000Z")+"-cafe0123-1002.wav")
	if err := os.WriteFile(orphan, audio, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	srv := restartVaihde(t, v) // (messaging_test.go) same database, same ports
	// A placeholder account (no registration) lets the control channel come up; the phone's
	// real account is added once mwi.so is loaded, so that its REGISTER_OK starts the
	// subscription. mwi=yes: baresip subscribes only for accounts that ask for it.
	b := startBaresip(t, srv, baresipOpts{User: "9999"})
	b.cmd("insmod", "mwi")
	mark := b.mark()
	b.cmd("uanew", "<sip:1001@"+demoDomain+">;outbound=\"sip:"+srv.host()+";lr\";auth_user=1001;auth_pass=demo1001;regint=300;mwi=yes")
	ev := b.waitEvent(mark, "MWI_NOTIFY", 30*time.Second, func(e ctrlEvent) bool {
		return strings.Contains(e.Param, "Voice-Message: 2/0")
	})
	for _, want := range []string{"Messages-Waiting: yes", "Message-Account: sip:1001@" + demoDomain} {
		if !strings.Contains(ev.Param, want) {
			t.Fatalf("MWI NOTIFY lacks %q:\n%s", want, ev.Param)
		}
	}

	// A live change: 1001 hears both messages (marked through the API, as the Softphone does)
	// and the lamp goes out.
	token := apiLogin(t, srv, "1001", "demo1001")
	mark = b.mark()
	for _, m := range mailbox(t, srv, token).Messages {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var got api.Voicemail
		err := httpJSON(ctx, http.MethodPut, "http://"+srv.httpAddr+"/api/voicemail/"+strconv.FormatInt(m.ID, 10), token,
			[]byte(`{"heard":true}`), &got)
		cancel()
		if err != nil {
			t.Fatalf("mark message %d heard: %v", m.ID, err)
		}
	}
	ev = b.waitEvent(mark, "MWI_NOTIFY", 30*time.Second, func(e ctrlEvent) bool {
		return strings.Contains(e.Param, "Voice-Message: 0/2")
	})
	if !strings.Contains(ev.Param, "Messages-Waiting: no") {
		t.Fatalf("MWI NOTIFY after hearing both messages:\n%s", ev.Param)
	}
}
