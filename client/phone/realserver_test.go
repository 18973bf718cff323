package phone

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/vaihde/vaihde/client/audio/audiotest"
)

// TestIntegrationRealServer runs the two-engine call against a running Vaihde server:
//
//	VAIHDE_SERVER=127.0.0.1:5060 VAIHDE_API=http://127.0.0.1:8080 \
//	VAIHDE_USERS=1001:pw1,1002:pw2 go test -run RealServer ./client/phone
//
// The first user calls the second's extension; the tone must cross both ways.
func TestIntegrationRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	server, users := os.Getenv("VAIHDE_SERVER"), strings.Split(os.Getenv("VAIHDE_USERS"), ",")
	if server == "" || len(users) < 2 {
		t.Skip("set VAIHDE_SERVER and VAIHDE_USERS=ext1:pw1,ext2:pw2 to run against a real server")
	}
	api := os.Getenv("VAIHDE_API")
	ba, bb := &audiotest.Backend{Freq: 1000}, &audiotest.Backend{Freq: 600}
	ea, eb := newEngine(t, ba), newEngine(t, bb)
	var exts []string
	for i, e := range []*Engine{ea, eb} {
		user, pw, _ := strings.Cut(users[i], ":")
		if err := e.Login(context.Background(), Account{Server: server, APIURL: api, User: user, Password: pw}); err != nil {
			t.Fatal(err)
		}
		s := waitReg(t, e, Registered)
		ext := s.Profile.Extension
		if ext == "" {
			ext = user
		}
		exts = append(exts, ext)
	}
	id, err := ea.Dial(context.Background(), exts[1])
	if err != nil {
		t.Fatal(err)
	}
	in := waitIncoming(t, eb)
	if err := eb.Answer(in); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ea, id, Active)
	waitTone(t, "callee hears caller", lastSink(t, bb), 1000)
	waitTone(t, "caller hears callee", lastSink(t, ba), 600)
	if err := ea.Hold(id, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "callee sees remote hold", func() bool { c, _ := findCall(eb, in); return c.RemoteHold })
	if err := ea.Hold(id, false); err != nil {
		t.Fatal(err)
	}
	waitTone(t, "caller hears callee after resume", lastSink(t, ba), 600)
	_ = ea.Hangup(id)
	waitCall(t, eb, in, Ended)
}
