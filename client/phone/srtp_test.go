package phone

import (
	"context"
	"strings"
	"testing"

	"github.com/vaihde/vaihde/client/audio/audiotest"
)

func loginSRTP(t *testing.T, e *Engine, srv *testServer, user, pw string, srtp bool) {
	t.Helper()
	if err := e.Login(context.Background(), Account{Server: srv.addr, APIURL: noAPI, User: user, Password: pw, SRTP: srtp}); err != nil {
		t.Fatal(err)
	}
	waitReg(t, e, Registered)
}

// TestIntegrationSRTPEngineToEngine: two engines that encrypt calls talk through the proxy
// (which passes the SDP on untouched); the tone crosses both ways, also after hold and resume
// (re-INVITEs keep the keys), and both calls say Encrypted. A plain caller is refused by an
// engine that requires SRTP, and an encrypting caller hangs up on a plain answer.
func TestIntegrationSRTPEngineToEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "a")
	srv.addUser("1002", "b")
	srv.addUser("1003", "c")
	ba, bb := &audiotest.Backend{Freq: 1000}, &audiotest.Backend{Freq: 600}
	ea, eb, ec := newEngine(t, ba), newEngine(t, bb), newEngine(t, &audiotest.Backend{Freq: 800})
	loginSRTP(t, ea, srv, "1001", "a", true)
	loginSRTP(t, eb, srv, "1002", "b", true)
	loginSRTP(t, ec, srv, "1003", "c", false)

	id, err := ea.Dial(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	in := waitIncoming(t, eb)
	if err := eb.Answer(in); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ea, id, Active)
	waitCall(t, eb, in, Active)
	waitTone(t, "B hears A over SRTP", lastSink(t, bb), 1000)
	waitTone(t, "A hears B over SRTP", lastSink(t, ba), 600)
	ca, _ := findCall(ea, id)
	cb, _ := findCall(eb, in)
	if !ca.Encrypted || !cb.Encrypted {
		t.Fatalf("encrypted: caller %v, callee %v", ca.Encrypted, cb.Encrypted)
	}
	if offer := srv.lastInviteBody(t); !strings.Contains(offer, "RTP/SAVP") || !strings.Contains(offer, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") {
		t.Fatalf("the offer is not SDES SRTP:\n%s", offer)
	}
	if err := ea.Hold(id, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B sees remote hold", func() bool { c, _ := findCall(eb, in); return c.RemoteHold })
	if err := ea.Hold(id, false); err != nil {
		t.Fatal(err)
	}
	waitTone(t, "A hears B after resume", lastSink(t, ba), 600)
	waitTone(t, "B hears A after resume", lastSink(t, bb), 1000)
	_ = ea.Hangup(id)
	waitCall(t, eb, in, Ended)

	// A plain caller to an engine that requires SRTP: refused before it rings.
	id, err = ec.Dial(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	if c := waitCall(t, ec, id, Ended); c.EndReason != "Call failed" {
		t.Fatalf("plain call to an SRTP-only phone ended %q", c.EndReason)
	}
	for _, c := range eb.Snapshot().Calls {
		if c.ID != in {
			t.Fatalf("the SRTP-only phone showed the plain call: %+v", c)
		}
	}
	// An encrypting caller to a phone without the option: it answers the RTP/SAVP offer
	// encrypted (it can), so the call still works and is encrypted.
	id, err = ea.Dial(context.Background(), "1003")
	if err != nil {
		t.Fatal(err)
	}
	inC := waitIncoming(t, ec)
	if err := ec.Answer(inC); err != nil {
		t.Fatal(err)
	}
	waitTone(t, "A hears C over SRTP", lastSink(t, ba), 800)
	if c, _ := findCall(ec, inC); !c.Encrypted {
		t.Fatal("C answered an RTP/SAVP offer unencrypted")
	}
	_ = ea.Hangup(id)
	waitCall(t, ec, inC, Ended)

	// The test server's own number answers plain RTP: the encrypting caller hangs up.
	id, err = ea.Dial(context.Background(), "7000")
	if err != nil {
		t.Fatal(err)
	}
	if c := waitCall(t, ea, id, Ended); c.EndReason != "Call failed" {
		t.Fatalf("plain answer to an SRTP offer: %q", c.EndReason)
	}
}
