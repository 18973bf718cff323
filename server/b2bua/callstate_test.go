package b2bua

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// statesOf renders the call states reported for user: each of the user's call parts (keys, in
// order of first report) as its comma-separated states, parts separated by " | ".
func statesOf(events []stateEvent, user int64) string {
	var keys []string
	seq := map[string][]string{}
	for _, ev := range events {
		if ev.user != user {
			continue
		}
		if _, ok := seq[ev.key]; !ok {
			keys = append(keys, ev.key)
		}
		seq[ev.key] = append(seq[ev.key], string(ev.state))
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strings.Join(seq[k], ",")
	}
	return strings.Join(parts, " | ")
}

// expectStates waits until the states reported for ext are exactly want (see statesOf).
func (h *harness) expectStates(ext, want string) {
	h.t.Helper()
	id := h.users[ext].ID
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := statesOf(h.pres.snapshot(), id)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("call states of %s = %q, want %q", ext, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expectPeers checks the peers reported for ext, comma-separated in order (after expectStates
// has waited for them).
func (h *harness) expectPeers(ext, want string) {
	h.t.Helper()
	var peers []string
	for _, ev := range h.pres.snapshot() {
		if ev.user == h.users[ext].ID {
			peers = append(peers, ev.peer)
		}
	}
	if got := strings.Join(peers, ","); got != want {
		h.t.Fatalf("peers reported for %s = %q, want %q", ext, got, want)
	}
}

// expectOnlyUsers checks that no call state was reported for anyone but exts (trunk parties
// have no user and get none).
func (h *harness) expectOnlyUsers(exts ...string) {
	h.t.Helper()
	ok := map[int64]bool{}
	for _, e := range exts {
		ok[h.users[e].ID] = true
	}
	for _, ev := range h.pres.snapshot() {
		if !ok[ev.user] {
			h.t.Fatalf("call state reported for user %d: %+v", ev.user, ev)
		}
	}
}

func TestStatesOf(t *testing.T) {
	evs := []stateEvent{
		{user: 1, key: "a", state: presence.PhoneDialing},
		{user: 2, key: "b", state: presence.PhoneRinging},
		{user: 1, key: "c", state: presence.PhoneRinging},
		{user: 1, key: "a", state: presence.PhoneIdle},
		{user: 1, key: "c", state: presence.PhoneIdle},
	}
	if got, want := statesOf(evs, 1), "dialling,idle | ringing,idle"; got != want {
		t.Fatalf("statesOf = %q, want %q", got, want)
	}
	if got := statesOf(evs, 3); got != "" {
		t.Fatalf("statesOf(nobody) = %q", got)
	}
}

func TestReportWithoutPresenceOrUser(t *testing.T) {
	e := &Engine{}
	e.report(newPresParty(party{user: store.User{ID: 1}}, "k", false, party{}), presence.PhoneOnCall) // nil Presence: no panic
	f := &rolePresence{}
	e.deps.Presence = f
	e.report(newPresParty(party{number: "+358501112222"}, "k", true, party{}), presence.PhoneRinging) // trunk party
	e.report(nil, presence.PhoneIdle)
	if n := len(f.snapshot()); n != 0 {
		t.Fatalf("%d states reported for parties without a user", n)
	}
	pp := newPresParty(party{user: store.User{ID: 4}}, "", true, party{number: "1001"})
	e.report(pp, presence.PhoneRinging)
	got := f.snapshot()
	if len(got) != 1 || got[0].user != 4 || got[0].key == "" || !got[0].incoming || got[0].peer != "1001" || got[0].state != presence.PhoneRinging {
		t.Fatalf("reported %+v", got)
	}
}

// panicPresence checks that a misbehaving hub cannot take a call down.
type panicPresence struct{}

func (panicPresence) Role(context.Context, int64) presence.Role { return presence.RoleMobile }
func (panicPresence) CallState(int64, string, bool, presence.PhoneState, string) {
	panic("hub bug")
}

func TestReportSurvivesPanic(t *testing.T) {
	e := &Engine{deps: Deps{Presence: panicPresence{}}, log: discardLogger()}
	e.report(newPresParty(party{user: store.User{ID: 1}}, "k", false, party{}), presence.PhoneOnCall)
}

// TestIntegrationCallerIDByRole calls a colleague and the carrier once per role and checks what
// each receives: From, P-Asserted-Identity and Privacy (PRES-3), and the callee's call log.
func TestIntegrationCallerIDByRole(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	carrier := newTestPhone(t, ctx, "carrier", "carrier", "", []sdpmedia.Codec{sdpmedia.PCMA})
	cport := carrier.conn.LocalAddr().(*net.UDPAddr).Port
	h := newHarnessWith(t, func(c *Config) {
		c.Trunk = Trunk{Host: "127.0.0.1", Port: cport, Domain: "carrier.example", CallerID: "+35891230001"}
	})
	a, b := h.phone("1001"), h.phone("1002")
	u := h.users["1001"]
	dom := h.org.Domain
	tests := []struct {
		role presence.Role
		// At the carrier.
		trunkFrom, trunkPAI string
		// At colleague 1002.
		internalFrom, internalPAI string
		privacy                   string
		logPeer, logName          string
	}{
		{presence.RoleMobile, "<sip:" + u.MobileNumber + "@carrier.example>", "<sip:" + u.MobileNumber + "@carrier.example>",
			`"User 1001" <sip:1001@` + dom + `>`, `"User 1001" <sip:` + u.MobileNumber + "@" + dom + ">", "", "1001", "User 1001"},
		{presence.RoleLandline, "<sip:" + u.CompanyNumber + "@carrier.example>", "<sip:" + u.CompanyNumber + "@carrier.example>",
			`"User 1001" <sip:1001@` + dom + `>`, `"User 1001" <sip:` + u.CompanyNumber + "@" + dom + ">", "", "1001", "User 1001"},
		{presence.RoleSwitchboard, "<sip:" + testSwitchboard + "@carrier.example>", "<sip:" + testSwitchboard + "@carrier.example>",
			`"User 1001" <sip:1001@` + dom + `>`, `"User 1001" <sip:` + testSwitchboard + "@" + dom + ">", "", "1001", "User 1001"},
		{presence.RoleHidden, `"Anonymous" <sip:anonymous@anonymous.invalid>`, "<sip:" + u.MobileNumber + "@carrier.example>",
			`"Anonymous" <sip:anonymous@anonymous.invalid>`, "", "id", "anonymous", ""},
		{presence.RoleAwayNotice, "<sip:" + u.MobileNumber + "@carrier.example>", "<sip:" + u.MobileNumber + "@carrier.example>",
			`"User 1001" <sip:1001@` + dom + `>`, `"User 1001" <sip:` + u.MobileNumber + "@" + dom + ">", "", "1001", "User 1001"},
	}
	for _, tc := range tests {
		t.Run(tc.role.Names().EN, func(t *testing.T) {
			h.pres.setRole(u.ID, tc.role)

			done := a.dialAsync(h.ctx, h.uri("0401234567"))
			in := carrier.expectCall(t)
			checkIdentity(t, "carrier", in.req, tc.trunkFrom, tc.trunkPAI, tc.privacy)
			in.answer(t, 486)
			if code := statusOf(recvWithin(t, done, "carrier busy").err); code != 486 {
				t.Fatalf("trunk call ended with %d, want 486", code)
			}

			done = a.dialAsync(h.ctx, h.uri("1002"))
			in = b.expectCall(t)
			checkIdentity(t, "1002", in.req, tc.internalFrom, tc.internalPAI, tc.privacy)
			in.answer(t, 200)
			sess := answered(t, done, "internal call")
			h.hangUp(t, sess, b, "BYE at 1002")
			var rec store.CallRecord
			waitFor(t, "1002's call-log entry", func() bool {
				recs := h.callLog("1002")
				if len(recs) == 0 || recs[0].CallID != sess.InviteRequest.CallID().Value() {
					return false
				}
				rec = recs[0]
				return true
			})
			if rec.Peer != tc.logPeer || rec.PeerName != tc.logName {
				t.Fatalf("1002's call log shows %q %q, want %q %q", rec.Peer, rec.PeerName, tc.logPeer, tc.logName)
			}
		})
	}
}

// checkIdentity compares the caller identity headers of an INVITE (in sipgo's rendering).
func checkIdentity(t *testing.T, at string, req *sip.Request, from, pai, privacy string) {
	t.Helper()
	f := req.From()
	got := (&sip.FromHeader{DisplayName: f.DisplayName, Address: f.Address}).Value()
	if got != from {
		t.Errorf("%s: From = %s, want %s", at, got, from)
	}
	if got := headerValue(req, "P-Asserted-Identity"); got != pai {
		t.Errorf("%s: P-Asserted-Identity = %q, want %q", at, got, pai)
	}
	if got := headerValue(req, "Privacy"); got != privacy {
		t.Errorf("%s: Privacy = %q, want %q", at, got, privacy)
	}
}

func headerValue(req *sip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func TestIntegrationCallStatesAnsweredAndHangup(t *testing.T) {
	h := newHarness(t)
	a, b := h.phone("1001"), h.phone("1002")
	sess, _ := h.connect(a, b)
	h.expectStates("1001", "dialling,on-call")
	h.expectStates("1002", "ringing,on-call")
	h.hangUp(t, sess, b, "BYE at callee")
	h.expectStates("1001", "dialling,on-call,idle")
	h.expectStates("1002", "ringing,on-call,idle")
	h.expectOnlyUsers("1001", "1002")
	for _, ev := range h.pres.snapshot() {
		wantPeer, wantIn := "1002", false
		if ev.user == h.users["1002"].ID {
			wantPeer, wantIn = "1001", true
		}
		if ev.peer != wantPeer || ev.incoming != wantIn {
			t.Fatalf("state %+v: want peer %s, incoming %t", ev, wantPeer, wantIn)
		}
		if ev.user == h.users["1001"].ID && ev.key != sess.InviteRequest.CallID().Value() {
			t.Fatalf("caller's key %q is not its Call-ID", ev.key)
		}
	}

	// A hidden caller is "anonymous" in the callee's presence.
	h.pres.reset()
	h.pres.setRole(h.users["1001"].ID, presence.RoleHidden)
	_, in := h.connect(a, b)
	h.hangUp(t, in.sess, a, "BYE at caller")
	h.expectStates("1002", "ringing,on-call,idle")
	for _, ev := range h.pres.snapshot() {
		if ev.user == h.users["1002"].ID && ev.peer != anonymousNumber {
			t.Fatalf("callee of a hidden caller sees peer %q", ev.peer)
		}
	}
}

func TestIntegrationCallStatesClose(t *testing.T) {
	h := newHarness(t)
	a, b, c := h.phone("1001"), h.phone("1002"), h.phone("1003")
	h.connect(a, b)
	// 1003 rings while the engine closes.
	done := a.dialAsync(h.ctx, h.uri("1003"))
	c.expectCall(t)
	h.expectStates("1003", "ringing")
	if err := h.eng.Close(); err != nil {
		t.Fatal(err)
	}
	recvWithin(t, done, "caller's second call ends")
	h.expectStates("1001", "dialling,on-call,idle | dialling,idle")
	h.expectStates("1002", "ringing,on-call,idle")
	h.expectStates("1003", "ringing,idle")
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
