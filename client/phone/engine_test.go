package phone

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/vaihde/vaihde/shared/tone"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/client/media"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// noAPI is an API address where nothing listens, so Login falls back to the typed user.
const noAPI = "http://127.0.0.1:1"

func newEngine(t *testing.T, b audio.Backend) *Engine {
	t.Helper()
	e, err := New(Config{Audio: b, ListenAddr: "127.0.0.1:0", EndedLinger: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func login(t *testing.T, e *Engine, srv *testServer, user, pw string) {
	t.Helper()
	if err := e.Login(context.Background(), Account{Server: srv.addr, APIURL: noAPI, User: user, Password: pw}); err != nil {
		t.Fatal(err)
	}
	waitReg(t, e, Registered)
}

func waitReg(t *testing.T, e *Engine, want RegState) Snapshot {
	t.Helper()
	var s Snapshot
	waitFor(t, "registration state "+want.String(), func() bool {
		s = e.Snapshot()
		return s.Reg == want
	})
	return s
}

func findCall(e *Engine, id string) (Call, bool) {
	for _, c := range e.Snapshot().Calls {
		if c.ID == id {
			return c, true
		}
	}
	return Call{}, false
}

func waitCall(t *testing.T, e *Engine, id string, want CallState) Call {
	t.Helper()
	var c Call
	waitFor(t, fmt.Sprintf("call %s reaches %s", id, want), func() bool {
		var ok bool
		c, ok = findCall(e, id)
		return ok && c.State == want
	})
	return c
}

// waitIncoming waits for an incoming call other than those in except and returns its id.
func waitIncoming(t *testing.T, e *Engine, except ...string) string {
	t.Helper()
	var id string
	waitFor(t, "an incoming call", func() bool {
		for _, c := range e.Snapshot().Calls {
			if c.State == Incoming && !strings.Contains(strings.Join(except, " "), c.ID) {
				id = c.ID
				return true
			}
		}
		return false
	})
	return id
}

// waitTone waits until the last half second written to sink carries freq.
func waitTone(t *testing.T, what string, sink func() []int16, freq float64) {
	t.Helper()
	var rms, level float64
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s := sink()
		if n := audio.SampleRate / 2; len(s) >= n {
			s = s[len(s)-n:]
			rms, level = tone.RMS(s), tone.Level(s, freq, audio.SampleRate)
			if rms > 0.2 && level > 0.8*rms {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: no %.0f Hz tone (rms %.3f, tone %.3f)", what, freq, rms, level)
}

func lastSink(t *testing.T, b *audiotest.Backend) func() []int16 {
	return func() []int16 {
		s := b.Sinks("")
		if len(s) == 0 {
			return nil
		}
		return s[len(s)-1].Samples()
	}
}

func TestIntegrationRegisterRefreshLogout(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	for _, algs := range [][]string{{"SHA-256", "MD5"}, {"MD5"}} {
		t.Run(strings.Join(algs, ","), func(t *testing.T) {
			srv := newTestServer(t)
			srv.algorithms = algs
			srv.grant = 2 // seconds: the engine must refresh at about 1 s
			srv.addUser("1001", "secret")
			e := newEngine(t, nil)
			snaps := make(chan Snapshot, 100)
			cancel := e.Subscribe(func(s Snapshot) {
				select {
				case snaps <- s:
				default:
				}
			})
			defer cancel()
			login(t, e, srv, "1001", "secret")
			first := srv.registerCount()
			waitFor(t, "a refresh before expiry", func() bool { return srv.registerCount() >= first+2 })
			if s := e.Snapshot(); s.Reg != Registered {
				t.Fatalf("after refresh: %v %q", s.Reg, s.RegDetail)
			}
			if err := e.Logout(context.Background()); err != nil {
				t.Fatalf("logout: %v", err)
			}
			last := srv.lastRegister()
			if exp := last.GetHeader("Expires"); exp == nil || exp.Value() != "0" {
				t.Fatalf("logout sent Expires %v, want 0", exp)
			}
			if last.GetHeader("Authorization") == nil {
				t.Fatal("unregister was not authenticated")
			}
			if s := e.Snapshot(); s.Reg != LoggedOut {
				t.Fatalf("after logout: %v", s.Reg)
			}
			// Subscribers saw Connecting, Registered and LoggedOut, in that order.
			var seen []RegState
			waitFor(t, "subscriber sees LoggedOut", func() bool {
				for {
					select {
					case s := <-snaps:
						if len(seen) == 0 || seen[len(seen)-1] != s.Reg {
							seen = append(seen, s.Reg)
						}
					default:
						return len(seen) > 0 && seen[len(seen)-1] == LoggedOut
					}
				}
			})
			if fmt.Sprint(seen) != fmt.Sprint([]RegState{LoggedOut, Connecting, Registered, LoggedOut}) {
				t.Fatalf("subscriber saw %v", seen)
			}
		})
	}
}

func TestIntegrationRegistrationFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "secret")
	// A UDP port with nothing behind it: the kernel answers with ICMP port unreachable.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().String()
	pc.Close()
	// A server that swallows every packet: no answer at all.
	hole, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	tests := []struct {
		name, server, user, pw string
		want                   RegState
		detail                 string
	}{
		{"wrong password", srv.addr, "1001", "nope", WrongPassword, "403"},
		{"unknown user", srv.addr, "1999", "secret", WrongPassword, ""},
		{"nothing listening", closed, "1001", "secret", Unreachable, "refused"},
		{"no answer", hole.LocalAddr().String(), "1001", "secret", Unreachable, "no answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(Config{ListenAddr: "127.0.0.1:0", RequestTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			start := time.Now()
			if err := e.Login(context.Background(), Account{Server: tc.server, APIURL: noAPI, User: tc.user, Password: tc.pw}); err != nil {
				t.Fatal(err)
			}
			s := waitReg(t, e, tc.want)
			if !strings.Contains(s.RegDetail, tc.detail) {
				t.Fatalf("detail %q, want it to mention %q", s.RegDetail, tc.detail)
			}
			if tc.detail == "refused" && time.Since(start) > 5*time.Second {
				t.Fatalf("refused took %v to notice", time.Since(start))
			}
		})
	}
}

func TestIntegrationAPILoginAndCallLog(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "secret")
	var gotUser string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/login", func(w http.ResponseWriter, r *http.Request) {
		var lr api.LoginRequest
		_ = json.NewDecoder(r.Body).Decode(&lr)
		gotUser = lr.User
		if lr.Password != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(api.LoginResponse{Token: "tok123",
			Profile: api.Profile{Name: "Aino", Extension: "1001", Domain: "test.vaihde"}})
	})
	mux.HandleFunc("GET /api/calls", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok123" || r.URL.Query().Get("limit") != "5" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(api.CallList{Calls: []api.CallEntry{{ID: 1, Direction: "out", Peer: "1002", Outcome: "answered"}}})
	})
	hs := httptest.NewServer(mux)
	defer hs.Close()

	e := newEngine(t, nil)
	// The user types a phone number; the API maps it to the extension used for SIP.
	if err := e.Login(context.Background(), Account{Server: srv.addr, APIURL: hs.URL, User: "040 123 4567", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	s := waitReg(t, e, Registered)
	if gotUser != "0401234567" || s.Profile.Extension != "1001" || s.Profile.Name != "Aino" {
		t.Fatalf("api saw %q, profile %+v", gotUser, s.Profile)
	}
	if to := srv.lastRegister().To(); to.Address.User != "1001" || to.Address.Host != "test.vaihde" {
		t.Fatalf("registered %s, want sip:1001@test.vaihde", to.Address.String())
	}
	calls, err := e.CallLog(context.Background(), 5)
	if err != nil || len(calls) != 1 || calls[0].Peer != "1002" {
		t.Fatalf("call log %+v, %v", calls, err)
	}
}

func TestIntegrationOutgoingCallFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "secret")
	srv.proxyAuth = true // the INVITE must be authenticated after a 407
	e := newEngine(t, nil)
	login(t, e, srv, "1001", "secret")
	tests := []struct{ number, reason string }{
		{"486", "Busy"}, {"404", "Not found"}, {"603", "Rejected"}, {"480", "No answer"},
		{"503", "Unavailable"}, {"5555", "Not found"},
	}
	for _, tc := range tests {
		t.Run(tc.number, func(t *testing.T) {
			id, err := e.Dial(context.Background(), tc.number)
			if err != nil {
				t.Fatal(err)
			}
			c := waitCall(t, e, id, Ended)
			if c.EndReason != tc.reason {
				t.Fatalf("end reason %q, want %q", c.EndReason, tc.reason)
			}
		})
	}
	// Hanging up while it rings sends CANCEL.
	id := mustDial(t, e, "7001")
	waitCall(t, e, id, Ringing)
	if err := e.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if c := waitCall(t, e, id, Ended); c.EndReason != "Call ended" {
		t.Fatalf("cancelled call ended with %q", c.EndReason)
	}
}

func TestIntegrationCallAudioHoldDTMFBlindTransfer(t *testing.T) {
	srv, e, b := loggedInEngine(t)

	id := mustDial(t, e, "7000")
	c := waitCall(t, e, id, Active)
	if c.AnsweredAt.IsZero() || c.Direction != Outgoing || c.Remote != "7000" {
		t.Fatalf("active call %+v", c)
	}
	p := srv.nthPeer(1)
	waitTone(t, "engine hears the far end", lastSink(t, b), 440)
	waitTone(t, "far end hears the engine", p.sink.Samples, 1000)

	if err := e.SendDTMF(id, '5'); err != nil {
		t.Fatal(err)
	}
	if err := e.SendDTMF(id, '#'); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "far end receives DTMF 5#", func() bool { k, _, _, _ := p.snapshot(); return k == "5#" })
	if c, _ := findCall(e, id); c.DTMFHistory != "5#" {
		t.Fatalf("DTMF history %q", c.DTMFHistory)
	}

	if err := e.Hold(id, true); err != nil {
		t.Fatal(err)
	}
	waitCall(t, e, id, OnHold)
	waitFor(t, "far end sees sendonly", func() bool {
		_, d, _, _ := p.snapshot()
		return len(d) > 0 && d[len(d)-1] == sdpmedia.SendOnly
	})
	if err := e.Hold(id, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "far end sees sendrecv again", func() bool {
		_, d, _, _ := p.snapshot()
		return len(d) > 1 && d[len(d)-1] == sdpmedia.SendRecv
	})
	waitCall(t, e, id, Active)
	waitTone(t, "audio is back after resume", lastSink(t, b), 440)

	if err := e.Mute(id, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "far end hears silence when muted", func() bool {
		return tone.RMS(p.sink.Last(audio.SampleRate/4)) < 0.01
	})
	_ = e.Mute(id, false)

	if err := e.BlindTransfer(id, "1234"); err != nil {
		t.Fatal(err)
	}
	c = waitCall(t, e, id, Ended)
	_, _, refers, _ := p.snapshot()
	if len(refers) != 1 || !strings.Contains(refers[0], "sip:1234@") {
		t.Fatalf("Refer-To %v", refers)
	}
	if c.EndReason != "Transferred" {
		t.Fatalf("end reason %q", c.EndReason)
	}
	waitFor(t, "BYE after transfer", func() bool { _, _, _, bye := p.snapshot(); return bye })
}

func TestIntegrationAttendedTransfer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "secret")
	e := newEngine(t, &audiotest.Backend{Freq: 1000})
	login(t, e, srv, "1001", "secret")
	first := mustDial(t, e, "7000")
	waitCall(t, e, first, Active)
	consult := mustDial(t, e, "7000")
	waitCall(t, e, consult, Active)
	waitCall(t, e, first, OnHold) // dialling the consultation held the first call
	p1, p2 := srv.nthPeer(1), srv.nthPeer(2)

	if err := e.AttendedTransfer(first, consult); err != nil {
		t.Fatal(err)
	}
	waitCall(t, e, first, Ended)
	_, _, refers, _ := p1.snapshot()
	if len(refers) != 1 {
		t.Fatalf("refers %v", refers)
	}
	want := fmt.Sprintf("Replaces=%s%%3Bto-tag%%3D%s%%3Bfrom-tag%%3D%s", strings.ReplaceAll(p2.callID, "@", "%40"), p2.localTag, p2.peerTag)
	if !strings.Contains(refers[0], want) || !strings.Contains(refers[0], "sip:7000@") {
		t.Fatalf("Refer-To %s\nwant it to contain %s", refers[0], want)
	}
	waitCall(t, e, consult, Ended)
}

// TestIntegrationTwoEnginesAudio proves the whole path: two engines register with a proxy,
// call each other, and a tone crosses in both directions; call waiting and CANCEL work.
func TestIntegrationTwoEnginesAudio(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "a")
	srv.addUser("1002", "b")
	srv.addUser("1003", "c")
	ba, bb := &audiotest.Backend{Freq: 1000}, &audiotest.Backend{Freq: 600}
	ea, eb, ec := newEngine(t, ba), newEngine(t, bb), newEngine(t, &audiotest.Backend{Freq: 800})
	login(t, ea, srv, "1001", "a")
	login(t, eb, srv, "1002", "b")
	login(t, ec, srv, "1003", "c")
	t.Logf("A %v B %v C %v server %s", ea.LocalAddr(), eb.LocalAddr(), ec.LocalAddr(), srv.addr)

	// Caller gives up while it rings: the callee sees a missed call.
	idA, err := ea.Dial(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	inB := waitIncoming(t, eb)
	waitCall(t, ea, idA, Ringing)
	_ = ea.Hangup(idA)
	if c := waitCall(t, eb, inB, Ended); c.EndReason != "Missed" {
		t.Fatalf("cancelled call on callee: %q", c.EndReason)
	}

	idA, err = ea.Dial(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	inB = waitIncoming(t, eb, inB)
	if c, _ := findCall(eb, inB); c.Remote != "1001" || c.Direction != IncomingCall {
		t.Fatalf("incoming call %+v", c)
	}
	if err := eb.Answer(inB); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ea, idA, Active)
	waitCall(t, eb, inB, Active)
	waitTone(t, "B hears A", lastSink(t, bb), 1000)
	waitTone(t, "A hears B", lastSink(t, ba), 600)

	// Call waiting: C calls B during the call; B answers, which holds A.
	idC, err := ec.Dial(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	inC := waitIncoming(t, eb, inB)
	if c, _ := findCall(eb, inB); c.State != Active {
		t.Fatalf("first call %v while the second rings", c.State)
	}
	if err := eb.Answer(inC); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ec, idC, Active)
	waitCall(t, eb, inB, OnHold)
	waitFor(t, "A sees remote hold", func() bool { c, _ := findCall(ea, idA); return c.RemoteHold })

	_ = eb.Hangup(inC)
	if c := waitCall(t, ec, idC, Ended); c.EndReason != "Call ended" {
		t.Fatalf("C's call ended with %q", c.EndReason)
	}
	if err := eb.Hold(inB, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A sees resume", func() bool { c, _ := findCall(ea, idA); return !c.RemoteHold })
	waitTone(t, "A hears B after resume", lastSink(t, ba), 600)
	_ = ea.Hangup(idA)
	waitCall(t, eb, inB, Ended)
	// Rejecting answers 486: the caller sees Busy.
	idA, _ = ea.Dial(context.Background(), "1002")
	in := waitIncoming(t, eb, inB, inC)
	_ = eb.Reject(in)
	if c := waitCall(t, ea, idA, Ended); c.EndReason != "Busy" {
		t.Fatalf("rejected call: %q", c.EndReason)
	}
}

func TestIntegrationReregistersAfterServerRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.grant = 2
	srv.addUser("1001", "secret")
	addr := srv.addr
	e := newEngine(t, nil)
	login(t, e, srv, "1001", "secret")

	srv.close() // the server goes away: the next refresh finds nothing there
	s := waitReg(t, e, Unreachable)
	if !strings.Contains(s.RegDetail, "refused") {
		t.Fatalf("detail %q", s.RegDetail)
	}
	back := newTestServerAt(t, addr)
	back.addUser("1001", "secret")
	waitReg(t, e, Registered) // retried with backoff, no user action
}

func TestIntegrationEarlyMedia(t *testing.T) {
	srv, e, b := loggedInEngine(t)
	id := mustDial(t, e, "7002")
	waitCall(t, e, id, Ringing)
	// The far end's audio (a queue's music, an announcement) plays before the answer.
	waitTone(t, "early media", lastSink(t, b), 440)
	if c, _ := findCall(e, id); c.State != Ringing {
		t.Fatalf("state %v while early media plays; want Ringing", c.State)
	}
	p := srv.nthPeer(1)
	if rms := tone.RMS(p.sink.Last(audio.SampleRate / 2)); rms > 0.01 {
		t.Fatalf("the caller's microphone went out before the answer (rms %.3f)", rms)
	}
	waitCall(t, e, id, Active)
	waitTone(t, "far end hears the engine after the answer", p.sink.Samples, 1000)
}

// TestIntegrationLateOffer: an INVITE without SDP is answered with our offer; the answer comes
// in the ACK and audio flows.
func TestIntegrationLateOffer(t *testing.T) {
	srv, e, b := loggedInEngine(t)

	sess, err := media.Listen(netip.MustParseAddr("127.0.0.1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	sink := &audiotest.RecordSink{}
	dua := &sipgo.DialogUA{Client: srv.client, ContactHDR: srv.contact()}
	target := sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: int(e.LocalAddr().Port())}
	req := sip.NewRequest(sip.INVITE, target)
	req.SetDestination(e.LocalAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dlg, err := dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	in := waitIncoming(t, e)
	if err := e.Answer(in); err != nil {
		t.Fatal(err)
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatal(err)
	}
	offer, err := sdpmedia.Parse(dlg.InviteResponse.Body())
	if err != nil {
		t.Fatalf("200 carries no offer: %v", err)
	}
	codec, _ := sdpmedia.Negotiate(offer, sdpmedia.Supported)
	if err := sess.Start(ctx, media.Params{Remote: offer.AddrPort(), PT: codec.PT, Send: true, Recv: true},
		&audiotest.ToneSource{Freq: 440, Amp: 0.5}, sink, nil); err != nil {
		t.Fatal(err)
	}
	la := sess.LocalAddr()
	answer, _ := sdpmedia.Build(sdpmedia.Media{Addr: la.Addr(), Port: int(la.Port()), Codecs: []sdpmedia.Codec{codec},
		Direction: sdpmedia.SendRecv}, 9, 1)
	ack := sip.NewRequest(sip.ACK, dlg.InviteResponse.Contact().Address)
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ack.SetBody(answer)
	if err := dlg.WriteAck(ctx, ack); err != nil {
		t.Fatal(err)
	}
	waitTone(t, "engine hears the late-offer caller", lastSink(t, b), 440)
	waitTone(t, "caller hears the engine", sink.Samples, 1000)
	_ = e.Hangup(in)
	waitCall(t, e, in, Ended)
}

func TestIntegrationLocalRingback(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "secret")
	b := &audiotest.Backend{Freq: 1000}
	e := newEngine(t, b)
	e.SetDevices("Mic", "Headset")
	login(t, e, srv, "1001", "secret")
	id, err := e.Dial(context.Background(), "7001") // 180 without SDP, never answers
	if err != nil {
		t.Fatal(err)
	}
	waitCall(t, e, id, Ringing)
	var sink *audiotest.RecordSink
	waitFor(t, "ringback on the talking device", func() bool {
		s := b.Sinks("Headset")
		if len(s) == 0 {
			return false
		}
		sink = s[0]
		return len(sink.Samples()) >= 4000
	})
	if level := tone.Level(sink.Samples()[:4000], 425, audio.SampleRate); level < 0.1 {
		t.Fatalf("ringback 425 Hz component %.3f", level)
	}
	_ = e.Hangup(id)
	waitCall(t, e, id, Ended)
	n := len(sink.Samples())
	time.Sleep(300 * time.Millisecond)
	if len(sink.Samples()) != n {
		t.Fatal("ringback continued after hang-up")
	}
}

// TestIntegrationOfferlessReinvite: a server that moves the media (as after a transfer) sends a
// re-INVITE without SDP; the engine offers, and the answer in the ACK redirects its RTP.
func TestIntegrationOfferlessReinvite(t *testing.T) {
	srv, e, b := loggedInEngine(t)
	id := mustDial(t, e, "7000")
	waitCall(t, e, id, Active)
	p := srv.nthPeer(1)
	waitTone(t, "far end hears the engine", p.sink.Samples, 1000)

	// A new media endpoint takes over.
	moved, err := media.Listen(netip.MustParseAddr("127.0.0.1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer moved.Close()
	movedSink := &audiotest.RecordSink{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.INVITE, p.dlg.InviteRequest.Contact().Address)
	res, err := p.dlg.Do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("offerless re-INVITE: %v %v", res, err)
	}
	offer, err := sdpmedia.Parse(res.Body())
	if err != nil || len(offer.Codecs) < 2 {
		t.Fatalf("200 must offer our codecs: %+v %v", offer, err)
	}
	if err := moved.Start(ctx, media.Params{Remote: offer.AddrPort(), PT: 8, Send: true, Recv: true},
		&audiotest.ToneSource{Freq: 300, Amp: 0.5}, movedSink, nil); err != nil {
		t.Fatal(err)
	}
	la := moved.LocalAddr()
	answer, _ := sdpmedia.Build(sdpmedia.Media{Addr: la.Addr(), Port: int(la.Port()),
		Codecs: []sdpmedia.Codec{sdpmedia.PCMA}, Direction: sdpmedia.SendRecv}, 5, 1)
	ack := sip.NewRequest(sip.ACK, p.dlg.InviteRequest.Contact().Address)
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ack.SetBody(answer)
	if err := p.dlg.WriteRequest(ack); err != nil {
		t.Fatal(err)
	}
	waitTone(t, "the new endpoint hears the engine (PCMA now)", movedSink.Samples, 1000)
	waitTone(t, "the engine hears the new endpoint", lastSink(t, b), 300)
	_ = e.Hangup(id)
	waitCall(t, e, id, Ended)
}

// loggedInEngine starts an integration test: a test server with user 1001 and an engine logged
// in as 1001 whose microphone plays 1000 Hz.
func loggedInEngine(t *testing.T) (*testServer, *Engine, *audiotest.Backend) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := newTestServer(t)
	srv.addUser("1001", "secret")
	b := &audiotest.Backend{Freq: 1000}
	e := newEngine(t, b)
	login(t, e, srv, "1001", "secret")
	return srv, e, b
}

// mustDial dials number from e and fails the test if the call cannot start.
func mustDial(t *testing.T, e *Engine, number string) string {
	t.Helper()
	id, err := e.Dial(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
