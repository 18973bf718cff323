package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

// Issue 10, acceptance 2: the demo organisation's customer-service queue "Asiakaspalvelu" on
// 8000 (agents 1004, 1005, 1006 with skills 1, 2, 3, one rung at a time, ring time 15 s,
// wrap-up 5 s, red presence stops calls, auto-logout after 2 unanswered, no agents → 1005's
// voicemail) driven end to end by real baresip phones through the real server binary.

// Agents' tones: what the caller hears tells which agent it talks to.
const (
	tone1004 = 1000.0
	tone1005 = 700.0
	tone1006 = 1300.0
)

// agentAPI is one demo user's session on the HTTP API.
type agentAPI struct {
	t     *testing.T
	srv   *vaihde
	ext   string
	token string
}

func newAgentAPI(t *testing.T, srv *vaihde, ext string) *agentAPI {
	t.Helper()
	return &agentAPI{t: t, srv: srv, ext: ext, token: apiLogin(t, srv, ext, "demo"+ext)}
}

// do calls the API and decodes the answer into out (nil: ignored).
func (a *agentAPI) do(method, path string, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if out == nil {
		out = &json.RawMessage{}
	}
	return httpJSON(ctx, method, "http://"+a.srv.httpAddr+path, a.token, b, out)
}

// view is the agent's own state.
func (a *agentAPI) view() api.AgentView {
	a.t.Helper()
	var v api.AgentView
	if err := a.do(http.MethodGet, "/api/agent", nil, &v); err != nil {
		a.t.Fatalf("agent %s: %v", a.ext, err)
	}
	return v
}

// queueID finds the ID of the agent's queue answering number.
func (a *agentAPI) queueID(number string) int64 {
	a.t.Helper()
	for _, q := range a.view().Queues {
		if q.Number == number {
			return q.ID
		}
	}
	a.t.Fatalf("agent %s is no member of queue %s: %+v", a.ext, number, a.view())
	return 0
}

// loggedIn reports whether the agent is logged in to the queue answering number.
func (a *agentAPI) loggedIn(number string) bool {
	a.t.Helper()
	for _, q := range a.view().Queues {
		if q.Number == number {
			return q.LoggedIn
		}
	}
	return false
}

// login logs the agent in to (in) or out of the queue answering number.
func (a *agentAPI) login(number string, in bool) {
	a.t.Helper()
	verb := "logout"
	if in {
		verb = "login"
	}
	id := a.queueID(number)
	var v api.AgentView
	if err := a.do(http.MethodPost, "/api/agent/queues/"+strconv.FormatInt(id, 10)+"/"+verb, nil, &v); err != nil {
		a.t.Fatalf("agent %s %s %s: %v", a.ext, verb, number, err)
	}
}

func (a *agentAPI) pause(reason string) {
	a.t.Helper()
	if err := a.do(http.MethodPost, "/api/agent/pause", api.AgentPause{Reason: reason}, nil); err != nil {
		a.t.Fatalf("agent %s pause: %v", a.ext, err)
	}
}

func (a *agentAPI) resume() {
	a.t.Helper()
	if err := a.do(http.MethodPost, "/api/agent/resume", nil, nil); err != nil {
		a.t.Fatalf("agent %s resume: %v", a.ext, err)
	}
}

// setActivity sets the user's presence activity (shared/presence numbers: 1 available, 4 in
// a meeting, red).
func (a *agentAPI) setActivity(n int) {
	a.t.Helper()
	if err := a.do(http.MethodPut, "/api/presence", api.PresenceUpdate{Activity: &n}, nil); err != nil {
		a.t.Fatalf("user %s presence %d: %v", a.ext, n, err)
	}
}

// waitState waits until the agent's state is want (e.g. available after wrap-up).
func (a *agentAPI) waitState(want string, timeout time.Duration) {
	a.t.Helper()
	var v api.AgentView
	if !pollUntil(timeout, func() bool { v = a.view(); return v.State == want }) {
		a.t.Fatalf("agent %s: state %q, want %q within %v", a.ext, v.State, want, timeout)
	}
}

// ringingAgent waits until one of agents gets an incoming call after its mark and returns it;
// any other agent that also rings before it is an error.
func ringingAgent(t *testing.T, agents []*baresip, marks []int, timeout time.Duration) *baresip {
	t.Helper()
	var got *baresip
	pollUntil(timeout, func() bool {
		for i, a := range agents {
			if a.hasEvent(marks[i], "CALL_INCOMING") {
				if got != nil && got != a {
					t.Errorf("%s and %s rang at once (one agent at a time)", got.opts.User, a.opts.User)
				}
				got = a
			}
		}
		return got != nil
	})
	if got == nil {
		t.Fatalf("no agent rang within %v", timeout)
	}
	return got
}

// marksOf notes the event position of every agent.
func marksOf(agents []*baresip) []int {
	m := make([]int, len(agents))
	for i, a := range agents {
		m[i] = a.mark()
	}
	return m
}

// queueCall dials number from caller and waits until the queue answers (the caller hears its
// music from then on).
func queueCall(t *testing.T, srv *vaihde, caller *baresip, number string) int {
	t.Helper()
	m := caller.mark()
	uri := number
	if !strings.HasPrefix(uri, "sip:") {
		uri = srv.uri(number)
	}
	caller.cmd("dial", uri)
	ev, err := caller.ctrl.wait(m, 30*time.Second, func(e ctrlEvent) bool {
		return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
	})
	if err != nil || ev.Type != "CALL_ESTABLISHED" {
		t.Fatalf("%s dialling %s: the queue did not answer: %v %+v (events: %s)", caller.opts.User, number, err, ev, caller.ctrl.summary())
	}
	return m
}

// answerAndHear makes agent answer its ringing call and checks that caller then hears the
// agent's tone (and not its own).
func answerAndHear(t *testing.T, caller, agent *baresip, agentTone float64) {
	t.Helper()
	ma := agent.mark()
	agent.cmd("accept", "")
	agent.waitEvent(ma, "CALL_ESTABLISHED", 15*time.Second, nil)
	rm := caller.recordMark()
	caller.waitAudioSince(rm, 3.5, 20*time.Second)
	heard := caller.audioSince(rm)
	// The first half second may still be ringback or music.
	heard = heard.slice(heard.rate/2, len(heard.samples))
	checkTone(t, fmt.Sprintf("%s hears agent %s", caller.opts.User, agent.opts.User), heard, agentTone, caller.opts.ToneHz, 2)
}

// demoAgents registers the demo queue's agents (not answering by themselves) and opens their
// API sessions.
func demoAgents(t *testing.T, srv *vaihde) ([]*baresip, []*agentAPI) {
	t.Helper()
	var phones []*baresip
	var apis []*agentAPI
	for _, a := range []struct {
		ext  string
		tone float64
	}{{"1004", tone1004}, {"1005", tone1005}, {"1006", tone1006}} {
		phones = append(phones, registered(t, srv, a.ext, a.tone, false, ""))
		apis = append(apis, newAgentAPI(t, srv, a.ext))
	}
	for _, a := range apis {
		if !a.loggedIn("8000") {
			t.Fatalf("demo agent %s is not logged in to 8000 at start: %+v", a.ext, a.view())
		}
		a.waitState(api.AgentAvailable, 10*time.Second)
	}
	return phones, apis
}

// TestIntegrationQueueSkillsBusyRed: 8000 rings its agents by skill, one at a time: 1004
// (skill 1) first; while 1004 talks (busy), the next caller rings 1005 (skill 2); while both
// talk, 1006 (skill 3). Each caller hears its agent's tone. Then, everyone free again, 1004
// logged out → 1005 rings first; 1004 back in but in a meeting (a red activity, set over the
// API) → 1005 again, never 1004; 1004 available again → 1004; 1004 in a call of its own (no
// queue call: the presence hub's phone state feeds the engine) → 1005, never 1004.
func TestIntegrationQueueSkillsBusyRed(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t, "-prompts-dir", promptsDir(t))
	agents, apis := demoAgents(t, srv)
	a1004, a1005, a1006 := agents[0], agents[1], agents[2]
	callers := []*baresip{
		registered(t, srv, "1001", toneA, false, ""),
		registered(t, srv, "1002", toneA, false, ""),
		registered(t, srv, "1003", toneA, false, ""),
	}

	for i, want := range []struct {
		agent *baresip
		tone  float64
	}{{a1004, tone1004}, {a1005, tone1005}, {a1006, tone1006}} {
		marks := marksOf(agents)
		queueCall(t, srv, callers[i], "8000")
		got := ringingAgent(t, agents, marks, 20*time.Second)
		if got != want.agent {
			t.Fatalf("caller %d: %s rang first, want %s (skill order, busy agents skipped)", i+1, got.opts.User, want.agent.opts.User)
		}
		answerAndHear(t, callers[i], got, want.tone)
	}
	for i, c := range callers {
		hangup(t, c, agents[i])
	}
	for _, a := range apis {
		a.waitState(api.AgentAvailable, 15*time.Second) // after the 5 s wrap-up
	}

	// ring calls 8000 from caller and reports which agent rang first; the caller then hangs up.
	ring := func(caller *baresip) *baresip {
		t.Helper()
		marks := marksOf(agents)
		mc := queueCall(t, srv, caller, "8000")
		got := ringingAgent(t, agents, marks, 20*time.Second)
		caller.cmd("hangup", "")
		caller.waitEvent(mc, "CALL_CLOSED", 20*time.Second, nil)
		got.waitEvent(marks[slicesIndex(agents, got)], "CALL_CLOSED", 20*time.Second, nil)
		return got
	}

	t.Run("logged out skipped", func(t *testing.T) {
		apis[0].login("8000", false)
		if got := ring(callers[0]); got != a1005 {
			t.Fatalf("1004 logged out: %s rang, want 1005", got.opts.User)
		}
		apis[0].login("8000", true)
	})
	t.Run("red presence stops", func(t *testing.T) {
		apis[0].setActivity(4) // in a meeting
		apis[1].waitState(api.AgentAvailable, 20*time.Second)
		m1004 := a1004.mark()
		if got := ring(callers[0]); got != a1005 {
			t.Fatalf("1004 in a meeting: %s rang, want 1005", got.opts.User)
		}
		if a1004.hasEvent(m1004, "CALL_INCOMING") {
			t.Fatal("1004 rang while in a meeting (red presence stops queue calls)")
		}
	})
	t.Run("green again", func(t *testing.T) {
		apis[0].setActivity(1)
		apis[0].waitState(api.AgentAvailable, 20*time.Second)
		if got := ring(callers[0]); got != a1004 {
			t.Fatalf("1004 available again: %s rang, want 1004", got.opts.User)
		}
	})
	t.Run("busy in a call of its own", func(t *testing.T) {
		// 1004 calls a colleague directly: the phone state (from the presence hub) makes 1004
		// busy for the queue.
		colleague := registered(t, srv, "1010", toneC, true, "")
		apis[0].waitState(api.AgentAvailable, 20*time.Second)
		dial(t, a1004, colleague, srv.uriOf(colleague))
		apis[0].waitState(api.AgentInCall, 10*time.Second)
		m1004 := a1004.mark()
		if got := ring(callers[1]); got != a1005 {
			t.Fatalf("1004 in a call of its own: %s rang, want 1005", got.opts.User)
		}
		if a1004.hasEvent(m1004, "CALL_INCOMING") {
			t.Fatal("1004 was offered a queue call while in a call")
		}
		hangup(t, a1004, colleague)
	})
	_ = a1006
}

func slicesIndex(list []*baresip, b *baresip) int {
	for i, x := range list {
		if x == b {
			return i
		}
	}
	return -1
}

// TestIntegrationQueueAutoLogout: 1004 leaves two queue calls unanswered (15 s ring time each;
// 1005 answers the first after it moves on), and the queue logs 1004 out (GRP-4: auto-logout
// after 2); the third call rings 1005 straight away, and 1004's view says logged out.
func TestIntegrationQueueAutoLogout(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t, "-prompts-dir", promptsDir(t))
	agents, apis := demoAgents(t, srv)
	a1004, a1005 := agents[0], agents[1]
	c1 := registered(t, srv, "1001", toneA, false, "")
	c2 := registered(t, srv, "1002", toneA, false, "")

	for i, c := range []*baresip{c1, c2} {
		marks := marksOf(agents)
		queueCall(t, srv, c, "8000")
		if got := ringingAgent(t, agents, marks, 20*time.Second); got != a1004 {
			t.Fatalf("call %d: %s rang first, want 1004", i+1, got.opts.User)
		}
		// 1004 does not answer: after the ring time the call moves on to 1005.
		m1005 := a1005.mark()
		a1005.waitEvent(m1005, "CALL_INCOMING", 25*time.Second, nil)
		a1004.waitEvent(marks[0], "CALL_CLOSED", 5*time.Second, nil)
		m := a1005.mark()
		a1005.cmd("accept", "")
		a1005.waitEvent(m, "CALL_ESTABLISHED", 15*time.Second, nil)
		hangup(t, c, a1005)
		apis[1].waitState(api.AgentAvailable, 15*time.Second)
	}
	if !pollUntil(5*time.Second, func() bool { return !apis[0].loggedIn("8000") }) {
		t.Fatalf("1004 left 2 calls unanswered and is still logged in: %+v", apis[0].view())
	}
	if st := apis[0].view().State; st != api.AgentLoggedOut {
		t.Fatalf("1004's state %q after auto-logout, want %q", st, api.AgentLoggedOut)
	}
	marks := marksOf(agents)
	queueCall(t, srv, c1, "8000")
	if got := ringingAgent(t, agents, marks, 20*time.Second); got != a1005 {
		t.Fatalf("after 1004's auto-logout %s rang, want 1005", got.opts.User)
	}
}

// TestIntegrationQueueOverflowNoAgents: with every agent of 8000 logged out, a caller overflows
// to the no-agents target, 1005's voicemail: the caller hears 1005's greeting (in 1005's
// language, English; prompt audio checked), leaves a message, and it lands in 1005's mailbox.
func TestIntegrationQueueOverflowNoAgents(t *testing.T) {
	integration(t, "baresip")
	dir := promptsDir(t)
	srv := startVaihde(t, "-prompts-dir", dir)
	var apis []*agentAPI
	for _, ext := range []string{"1004", "1005", "1006"} {
		a := newAgentAPI(t, srv, ext)
		a.login("8000", false)
		apis = append(apis, a)
	}
	if n := len(mailbox(t, srv, apis[1].token).Messages); n != 0 {
		t.Fatalf("1005 has %d messages before the test", n)
	}
	caller := registered(t, srv, "1001", toneA, false, "")
	greeting := promptAudio(t, dir, "en", "greeting_reached", "num/1", "num/0", "num/0", "num/5", "greeting_default", "leave_message")
	heard := leaveVoicemail(t, srv, caller, "8000", greeting, 4*time.Second)
	checkPrompt(t, "1005's greeting after the overflow", heard, greeting)
	var msgs api.VoicemailList
	if !pollUntil(15*time.Second, func() bool { msgs = mailbox(t, srv, apis[1].token); return len(msgs.Messages) == 1 }) {
		t.Fatalf("no agent logged in: 1005's mailbox has %d messages, want the caller's one", len(msgs.Messages))
	}
	t.Logf("overflow message: %+v", msgs.Messages[0])
}

// apiCall sends body (JSON) with token and decodes a 2xx answer into out (may be nil).
func apiCall(t *testing.T, srv *vaihde, method, path, token string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+srv.httpAddr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s: %s", method, path, res.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// TestIntegrationQueueLongestIdle: a second organisation (acme.example, made with the CLI and
// the admin API) has a queue on 8000 whose two agents 2003 and 2004 have the same skill and
// longest-idle distribution. Four calls in a row ring them alternately: after each call the
// other agent has been idle longer. (Chance would give this order one time in eight.)
func TestIntegrationQueueLongestIdle(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t)
	createAcme(t, srv.db(), "2001", "2002", "2003", "2004")
	admin := apiLogin(t, srv, "2001@"+acmeDomain, acmePassword("2001"))
	apiCall(t, srv, http.MethodPut, "/api/admin/org", admin, map[string]any{"agent_licences": 2}, nil)
	var users api.AdminUserList
	apiCall(t, srv, http.MethodGet, "/api/admin/users", admin, nil, &users)
	ids := map[string]int64{}
	for _, u := range users.Users {
		ids[u.Extension] = u.ID
	}
	var members []map[string]any
	for _, ext := range []string{"2003", "2004"} {
		apiCall(t, srv, http.MethodPut, "/api/admin/users/"+strconv.FormatInt(ids[ext], 10), admin, map[string]any{"agent": true}, nil)
		members = append(members, map[string]any{"user_id": ids[ext], "skill": 1})
	}
	apiCall(t, srv, http.MethodPost, "/api/admin/queues", admin, map[string]any{
		"name": "Tuki", "number": "8000", "longest_idle": true, "ring_at_once": 1, "ring_time_s": 15,
		"wrap_up_s": 0, "members": members,
	}, nil)

	phone := func(ext string, tone float64) *baresip {
		b := startBaresip(t, srv, baresipOpts{User: ext, Password: acmePassword(ext), Register: true, Domain: acmeDomain, ToneHz: tone})
		b.waitRegistered()
		return b
	}
	agents := []*baresip{phone("2003", tone1004), phone("2004", tone1005)}
	tones := map[*baresip]float64{agents[0]: tone1004, agents[1]: tone1005}
	var apis []*agentAPI
	for _, ext := range []string{"2003", "2004"} {
		a := &agentAPI{t: t, srv: srv, ext: ext, token: apiLogin(t, srv, ext+"@"+acmeDomain, acmePassword(ext))}
		a.login("8000", true)
		a.waitState(api.AgentAvailable, 10*time.Second)
		apis = append(apis, a)
	}
	caller := phone("2002", toneA)

	var order []string
	var last *baresip
	for i := range 4 {
		marks := marksOf(agents)
		queueCall(t, srv, caller, "sip:8000@"+acmeDomain)
		got := ringingAgent(t, agents, marks, 20*time.Second)
		order = append(order, got.opts.User)
		if got == last {
			t.Fatalf("call %d rang %s again, who had just talked (order %v): not longest idle", i+1, got.opts.User, order)
		}
		answerAndHear(t, caller, got, tones[got])
		hangup(t, caller, got)
		for _, a := range apis {
			a.waitState(api.AgentAvailable, 10*time.Second)
		}
		last = got
	}
	t.Logf("agents rang in the order %v", order)
}

// promptIn reports how well got contains the prompt audio want (see checkPrompt), without
// failing: for polling until a prompt has been heard.
func promptIn(got, want pcm) bool {
	if got.rate != want.rate {
		return false
	}
	env, wave, ratio := matchPrompt(got, want)
	return env >= 0.9 && wave >= 0.8 && ratio >= 0.5 && ratio <= 2
}

// waitPrompt waits until b has received want after m (prompt audio checked, as checkPrompt).
func waitPrompt(t *testing.T, what string, b *baresip, m recMark, want pcm, timeout time.Duration) {
	t.Helper()
	if !pollUntil(timeout, func() bool {
		got := b.audioSince(m)
		return got.seconds() >= want.seconds() && promptIn(got, want)
	}) {
		checkPrompt(t, what, b.audioSince(m), want) // fails, with the figures
	}
	checkPrompt(t, what, b.audioSince(m), want)
}

// TestIntegrationQueueAnnouncementsAndCallback: with the three agents of 8000 paused (logged
// in: the queue admits callers), 1001 and then 1002 call. 1001 hears "you are number one",
// 1002 "you are number two" and "the estimated waiting time is" (the prompts' audio found in
// what each received). 1002 then takes the callback offer (1, and 1 to confirm its number) and
// the server hangs up. 1004 resumes and gets 1001 (who waited before the callback's place);
// 1005 resumes: 1005's phone rings first, and once 1005 answers, 1002's phone rings; 1002
// answers and the two hear each other's tones.
func TestIntegrationQueueAnnouncementsAndCallback(t *testing.T) {
	integration(t, "baresip")
	dir := promptsDir(t)
	srv := startVaihde(t, "-prompts-dir", dir)
	agents, apis := demoAgents(t, srv)
	a1004, a1005 := agents[0], agents[1]
	for _, a := range apis {
		a.pause("test")
		a.waitState(api.AgentPaused, 10*time.Second)
	}
	c1 := registered(t, srv, "1001", toneA, false, "")
	c2 := registered(t, srv, "1002", 500, false, "")

	m1 := c1.recordMark()
	queueCall(t, srv, c1, "8000")
	waitPrompt(t, "1001 hears its position", c1, m1, promptAudio(t, dir, "fi", "queue_position", "num/1"), 20*time.Second)

	m2 := c2.recordMark()
	mc2 := queueCall(t, srv, c2, "8000")
	waitPrompt(t, "1002 hears its position", c2, m2, promptAudio(t, dir, "fi", "queue_position", "num/2"), 20*time.Second)
	waitPrompt(t, "1002 hears the estimated wait", c2, m2, promptAudio(t, dir, "fi", "queue_estimate"), 20*time.Second)
	waitPrompt(t, "1002 hears the callback offer", c2, m2, promptAudio(t, dir, "fi", "queue_callback_offer"), 20*time.Second)

	// Take the callback: 1, then 1 to confirm the number read back.
	sendDigits(t, c2, "1")
	waitPrompt(t, "1002 hears its number read back", c2, m2, promptAudio(t, dir, "fi", "queue_callback_number", "num/1", "num/0", "num/0", "num/2"), 20*time.Second)
	sendDigits(t, c2, "1")
	c2.waitEvent(mc2, "CALL_CLOSED", 30*time.Second, nil)
	var stats api.QueueStats
	qid := apis[1].queueID("8000")
	if !pollUntil(10*time.Second, func() bool {
		return apis[1].do(http.MethodGet, "/api/queues/"+strconv.FormatInt(qid, 10)+"/stats", nil, &stats) == nil && stats.Callbacks == 1
	}) {
		t.Fatalf("queue stats after the callback request: %+v, want 1 callback waiting", stats)
	}

	// 1004 frees up: 1001 waited before the callback's place and goes first.
	marks := marksOf(agents)
	apis[0].resume()
	if got := ringingAgent(t, agents, marks, 20*time.Second); got != a1004 {
		t.Fatalf("1004 resumed: %s rang", got.opts.User)
	}
	answerAndHear(t, c1, a1004, tone1004)

	// 1005 frees up: the callback rings 1005 first, then 1002.
	m1005, mc2 := a1005.mark(), c2.mark()
	apis[1].resume()
	a1005.waitEvent(m1005, "CALL_INCOMING", 20*time.Second, nil)
	if c2.hasEvent(mc2, "CALL_INCOMING") {
		t.Fatal("1002 rang before the agent answered the callback")
	}
	a1005.cmd("accept", "")
	a1005.waitEvent(m1005, "CALL_ESTABLISHED", 15*time.Second, nil)
	c2.waitEvent(mc2, "CALL_INCOMING", 30*time.Second, nil)
	r1005, r2 := a1005.recordMark(), c2.recordMark()
	c2.cmd("accept", "")
	c2.waitEvent(mc2, "CALL_ESTABLISHED", 15*time.Second, nil)
	r2 = c2.recordMark()
	r1005 = a1005.recordMark()
	c2.waitAudioSince(r2, 3.5, 20*time.Second)
	a1005.waitAudioSince(r1005, 3.5, 20*time.Second)
	h2, h1005 := c2.audioSince(r2), a1005.audioSince(r1005)
	checkTone(t, "1002 hears agent 1005 on the callback", h2.slice(h2.rate/2, len(h2.samples)), tone1005, 500, 2)
	checkTone(t, "agent 1005 hears 1002 on the callback", h1005.slice(h1005.rate/2, len(h1005.samples)), 500, tone1005, 2)
	hangup(t, c2, a1005)
	hangup(t, c1, a1004)
}

// TestIntegrationQueueSwitchboard: the demo's switchboard queue "Vaihde" on 8010 rings its
// operator 1009, who answers; caller and operator hear each other's tones.
func TestIntegrationQueueSwitchboard(t *testing.T) {
	integration(t, "baresip")
	srv := startVaihde(t, "-prompts-dir", promptsDir(t))
	op := registered(t, srv, "1009", tone1004, false, "")
	newAgentAPI(t, srv, "1009").waitState(api.AgentAvailable, 10*time.Second)
	caller := registered(t, srv, "1002", toneA, false, "")
	mo := op.mark()
	queueCall(t, srv, caller, "8010")
	op.waitEvent(mo, "CALL_INCOMING", 20*time.Second, nil)
	answerAndHear(t, caller, op, tone1004)
	ro := op.recordMark()
	op.waitAudioSince(ro, 3, 20*time.Second)
	checkTone(t, "operator 1009 hears 1002", op.audioSince(ro), toneA, tone1004, 2)
	hangup(t, caller, op)
}
