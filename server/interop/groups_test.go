package interop

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

// Issue 10, acceptance 2, hunt groups and IVR menus of the demo organisation: hunt group
// "Myynti" on 8001 rings 1007 and 1008 in parallel; the IVR menu on 8020 sends key 2 to 8001.

// Members' tones: what the caller hears tells which member it talks to.
const (
	huntTone1007 = 1300.0
	huntTone1008 = 850.0
)

// huntMembers registers 1007 and 1008, ringing (not answering by themselves).
func huntMembers(t *testing.T, srv *vaihde) (m1007, m1008 *baresip) {
	t.Helper()
	return registered(t, srv, "1007", huntTone1007, false, ""), registered(t, srv, "1008", huntTone1008, false, "")
}

// dialGroup dials number from caller and waits until the server answers it (the group's flow
// runs on the answered call: ringback, menus).
func dialGroup(t *testing.T, srv *vaihde, caller *baresip, number string) int {
	t.Helper()
	m := caller.mark()
	caller.cmd("dial", srv.uri(number))
	ev, err := caller.ctrl.wait(m, 30*time.Second, func(e ctrlEvent) bool {
		return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
	})
	if err != nil || ev.Type != "CALL_ESTABLISHED" {
		t.Fatalf("%s dialling %s: not answered: %v %+v (events: %s)", caller.opts.User, number, err, ev, caller.ctrl.summary())
	}
	return m
}

// bothRing waits until both members ring (after their marks) and returns how far apart their
// INVITEs arrived.
func bothRing(t *testing.T, a, b *baresip, ma, mb int) time.Duration {
	t.Helper()
	var at, bt time.Time
	if !pollUntil(20*time.Second, func() bool {
		if at.IsZero() && a.hasEvent(ma, "CALL_INCOMING") {
			at = time.Now()
		}
		if bt.IsZero() && b.hasEvent(mb, "CALL_INCOMING") {
			bt = time.Now()
		}
		return !at.IsZero() && !bt.IsZero()
	}) {
		t.Fatalf("hunt group: 1007 rang %v, 1008 rang %v; want both", !at.IsZero(), !bt.IsZero())
	}
	d := at.Sub(bt)
	if d < 0 {
		d = -d
	}
	return d
}

// baresipReInvite is what baresip 1.0 logs for every re-INVITE it receives.
const baresipReInvite = "call: got re-INVITE"

// noReInvite fails if the caller received a re-INVITE: it moved between the menu, the group
// and the person on one media path (issue 10).
func noReInvite(t *testing.T, caller *baresip) {
	t.Helper()
	if n := strings.Count(caller.log.String(), baresipReInvite); n != 0 {
		t.Errorf("%s received %d re-INVITEs between the menu and the person, want none", caller.opts.User, n)
	}
}

// acceptAndHear makes member answer and checks that caller hears the member's tone.
func acceptAndHear(t *testing.T, caller, member *baresip, tone float64) {
	t.Helper()
	m := member.mark()
	member.cmd("accept", "")
	member.waitEvent(m, "CALL_ESTABLISHED", 15*time.Second, nil)
	rm := caller.recordMark()
	caller.waitAudioSince(rm, 3.5, 20*time.Second)
	heard := caller.audioSince(rm)
	heard = heard.slice(heard.rate/2, len(heard.samples)) // ringback may end the first half second
	checkTone(t, caller.opts.User+" hears "+member.opts.User, heard, tone, caller.opts.ToneHz, 2)
}

// TestIntegrationHuntGroupParallel: 1001 calls 8001; 1007 and 1008 ring at once; 1008 answers,
// 1007's ringing is cancelled, and 1001 talks to 1008. 1007's call log has the call as missed
// even though a colleague answered, 1008's as answered (CALL-13).
func TestIntegrationHuntGroupParallel(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t, "-prompts-dir", promptsDir(t))
	m1007, m1008 := huntMembers(t, srv)
	caller := registered(t, srv, "1001", toneA, false, "")

	started := time.Now().Add(-time.Second)
	ma, mb := m1007.mark(), m1008.mark()
	dialGroup(t, srv, caller, "8001")
	if d := bothRing(t, m1007, m1008, ma, mb); d > 2*time.Second {
		t.Errorf("members rang %v apart, want at once (parallel)", d)
	}
	acceptAndHear(t, caller, m1008, huntTone1008)
	noReInvite(t, caller)
	ev := m1007.waitEvent(ma, "CALL_CLOSED", 10*time.Second, nil)
	t.Logf("1007's ringing ended: %s", ev.Param)
	if m1007.hasEvent(ma, "CALL_ESTABLISHED") {
		t.Fatal("1007 was connected too")
	}
	hangup(t, caller, m1008)
	trunkWaitCallLog(t, srv, "1007", "in", "1001", "missed", started)
	trunkWaitCallLog(t, srv, "1008", "in", "1001", "answered", started)
}

// TestIntegrationMenuDigitReachesGroup: 1001 calls the menu 8020, hears its generated prompt
// (audio compared with the prompt files) and presses 2; the hunt group
// 8001 rings its members on the same call, and 1001 talks to 1007 when it answers, never
// re-INVITEd on the way.
func TestIntegrationMenuDigitReachesGroup(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t, "-prompts-dir", promptsDir(t))
	m1007, m1008 := huntMembers(t, srv)
	caller := registered(t, srv, "1001", toneA, false, "")

	ma, mb := m1007.mark(), m1008.mark()
	rm := caller.recordMark()
	dialGroup(t, srv, caller, "8020")
	// The generated menu, in 1001's Finnish: "Valitse seuraavista. Asiakaspalvelu, paina yksi."
	want := promptAudio(t, promptsDir(t), "fi", "menu_choose", "menu_option_queue", "press", "num/1")
	caller.waitAudioSince(rm, want.seconds()+1, 20*time.Second)
	checkPrompt(t, "menu 8020", caller.audioSince(rm), want)
	if m1007.hasEvent(ma, "CALL_INCOMING") || m1008.hasEvent(mb, "CALL_INCOMING") {
		t.Fatal("a member rang before the caller chose")
	}
	sendDigits(t, caller, "2")
	bothRing(t, m1007, m1008, ma, mb)
	acceptAndHear(t, caller, m1007, huntTone1007)
	m1008.waitEvent(mb, "CALL_CLOSED", 10*time.Second, nil)
	noReInvite(t, caller)
	hangup(t, caller, m1007)
}

// groupDID is the trunk's DID the tests map to the hunt group's test number 8001.
const groupDID = "+358912345001"

// TestIntegrationHuntGroupFromTrunk: test numbers answer only callers from inside the
// organisation (GRP-1). The carrier (SIPp) calling 8001 itself is refused with 404 and no member
// rings; calling the DID that the trunk maps to 8001 rings both members, and the outside caller
// talks to the one who answers.
func TestIntegrationHuntGroupFromTrunk(t *testing.T) {
	integration(t, "sipp", "baresip")
	carrier := trunkCarrier{ip: trunkCarrierIP, port: trunkFreePort(t, trunkCarrierIP)}
	cfg := map[string]any{"trunk": map[string]any{
		"host": carrier.ip, "port": carrier.port, "transport": "udp",
		"username": trunkUser, "password": trunkPass, "domain": "carrier.test",
		"caller_id": trunkCallerID, "dids": map[string]string{groupDID: "8001"},
	}}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vaihde.json")
	writeFile(t, path, string(b))
	srv := startVaihde(t, "-config", path, "-prompts-dir", promptsDir(t))
	m1007, m1008 := huntMembers(t, srv)

	t.Run("test number refused", func(t *testing.T) {
		ma, mb := m1007.mark(), m1008.mark()
		sipp := startTrunkSIPp(t, "sipp-carrier-8001", "trunk_refused_uac.xml", carrier.ip, carrier.port, srv.host(),
			"-s", "8001", "-key", "caller", trunkInCaller, "-mp", strconv.Itoa(trunkMediaPort(t, carrier.ip)))
		r := sipp.wait(t, 40*time.Second)
		if codes := r.responseCodes(); r.exit != 0 || !hasCode(codes, 404) {
			t.Fatalf("carrier calling 8001: SIPp exit %d, responses %v, want 404\n%s", r.exit, codes, tailString(r.errors, 2000))
		}
		time.Sleep(time.Second)
		if m1007.hasEvent(ma, "CALL_INCOMING") || m1008.hasEvent(mb, "CALL_INCOMING") {
			t.Fatal("a member rang for an outside call to the test number")
		}
	})
	t.Run("DID rings the group", func(t *testing.T) {
		ma, mb := m1007.mark(), m1008.mark()
		sipp := startTrunkSIPp(t, "sipp-carrier-did", "trunk_carrier_uac.xml", carrier.ip, carrier.port, srv.host(),
			"-s", groupDID, "-key", "caller", trunkInCaller, "-d", "8000",
			"-mp", strconv.Itoa(trunkMediaPort(t, carrier.ip)), "-rtp_echo")
		bothRing(t, m1007, m1008, ma, mb)
		ev := m1007.waitEvent(ma, "CALL_INCOMING", time.Second, nil)
		if u := trunkURIUser(ev.PeerURI + " " + ev.Param); u != trunkInCaller {
			t.Errorf("1007 sees the caller as %q (%s), want %s", u, ev.PeerURI, trunkInCaller)
		}
		m := m1007.mark()
		m1007.cmd("accept", "")
		m1007.waitEvent(m, "CALL_ESTABLISHED", 15*time.Second, nil)
		m1008.waitEvent(mb, "CALL_CLOSED", 10*time.Second, nil)
		m1007.waitEvent(m, "CALL_CLOSED", 30*time.Second, nil) // the carrier hangs up
		r := sipp.wait(t, 40*time.Second)
		if r.exit != 0 {
			t.Fatalf("carrier SIPp exit %d, responses %v\n%s", r.exit, r.responseCodes(), tailString(r.errors, 2000))
		}
		// The carrier echoes what it hears: 1007 hears its own tone back through the group call.
		checkTone(t, "1007 hears its tone echoed by the carrier", m1007.lastRecording(), huntTone1007, toneA, 2)
	})
}

// TestIntegrationMenuDigitReachesQueue: 1001 calls the menu 8020 and presses 1; the call enters
// the queue 8000 on the same call and its skill-1 agent 1004 rings; 1001 talks to 1004.
func TestIntegrationMenuDigitReachesQueue(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t, "-prompts-dir", promptsDir(t))
	agents, _ := demoAgents(t, srv)
	caller := registered(t, srv, "1001", toneA, false, "")

	marks := marksOf(agents)
	dialGroup(t, srv, caller, "8020")
	time.Sleep(time.Second)
	sendDigits(t, caller, "1")
	if got := ringingAgent(t, agents, marks, 20*time.Second); got != agents[0] {
		t.Fatalf("%s rang, want 1004 (skill 1 of 8000)", got.opts.User)
	}
	answerAndHear(t, caller, agents[0], tone1004)
	noReInvite(t, caller)
	hangup(t, caller, agents[0])
}

// TestIntegrationHuntGroupSerialPresence: a serial hunt group made over the admin API (1007,
// 1008, 1006; 4 s each; red presence stops calls; one round, then 1009). 1007 is in a meeting
// (red), so 1008 rings first and 1007 never; after 1008's ring time 1006 rings; nobody answers,
// and the caller is forwarded to 1009, whom it then hears.
func TestIntegrationHuntGroupSerialPresence(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t, "-prompts-dir", promptsDir(t))
	admin := apiLogin(t, srv, "1001", "demo1001")
	hg := api.AdminHuntGroup{Name: "Tuki", Number: "8050", Mode: "serial", RingTimeSec: 4, StopRed: true,
		Attempts: 1, AfterTarget: "1009",
		Members: []api.GroupMember{{Extension: "1007"}, {Extension: "1008"}, {Extension: "1006"}}}
	apiCall(t, srv, http.MethodPost, "/api/admin/hunt-groups", admin, hg, &hg)
	newAgentAPI(t, srv, "1007").setActivity(4) // in a meeting: red

	m1007, m1008 := huntMembers(t, srv)
	m1006 := registered(t, srv, "1006", tone1006, false, "")
	m1009 := registered(t, srv, "1009", toneC, true, "")
	caller := registered(t, srv, "1002", toneA, false, "")

	ma, mb, mc, md := m1007.mark(), m1008.mark(), m1006.mark(), m1009.mark()
	dialGroup(t, srv, caller, "8050")
	m1008.waitEvent(mb, "CALL_INCOMING", 15*time.Second, nil)
	rang1008 := time.Now()
	if m1006.hasEvent(mc, "CALL_INCOMING") {
		t.Fatal("1006 rang together with 1008 (serial)")
	}
	m1008.waitEvent(mb, "CALL_CLOSED", 10*time.Second, nil)
	m1006.waitEvent(mc, "CALL_INCOMING", 10*time.Second, nil)
	if d := time.Since(rang1008); d < 3*time.Second {
		t.Errorf("1006 rang %v after 1008, want after 1008's ring time of 4 s", d)
	}
	m1006.waitEvent(mc, "CALL_CLOSED", 10*time.Second, nil)
	m1009.waitEvent(md, "CALL_ESTABLISHED", 20*time.Second, nil)
	rm := caller.recordMark()
	caller.waitAudioSince(rm, 3, 20*time.Second)
	heard := caller.audioSince(rm)
	checkTone(t, "1002 hears 1009 after the hunt group", heard.slice(heard.rate/2, len(heard.samples)), toneC, toneA, 2)
	if m1007.hasEvent(ma, "CALL_INCOMING") {
		t.Error("1007 rang while in a meeting (StopRed)")
	}
	hangup(t, caller, m1009)
}
