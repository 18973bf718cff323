package interop

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/ui"
	"github.com/vaihde/vaihde/shared/api"
)

// Issue 11, acceptance 1: the operator's Softphone (the real phone engine, people book, agent
// desk and console board under the switchboard model, driven by key names as the window sends
// them) against the real server, with baresip callers and colleagues.

// Tones: everyone sends their own, so each check knows who is heard.
const (
	toneOperator = 1300.0 // 1009, the operator (the Softphone engine's microphone)
	toneCaller   = toneA  // 1003, the outside caller of the flows
	tone1002     = toneC  // 1002, Mikko Korhonen, answers by himself
	tone1001     = toneB  // 1001, Aino Virtanen
)

// operator is the switchboard operator 1009: the headless Softphone with its switchboard model.
type operator struct {
	*headlessSoftphone
	calls *ui.Model
	desk  *agent.Desk
	board *agent.Board
	sw    *ui.SwitchboardVM
	api   *agentAPI
}

func startOperator(t *testing.T, srv *vaihde) *operator {
	t.Helper()
	sp := startHeadlessTone(t, srv, "1009", toneOperator)
	op := &operator{headlessSoftphone: sp, api: newAgentAPI(t, srv, "1009")}
	tr := ui.NewStrings("en")
	op.calls = ui.NewModel(sp.e, tr, nil)
	stopCalls := sp.e.Subscribe(op.calls.Update)
	op.desk = agent.NewDesk(sp.e.Session, agent.Options{})
	op.board = agent.NewBoard(sp.e.Session, agent.Options{})
	stopDesk, stopBoard := sp.book.OnEvent(op.desk.HandleEvent), sp.book.OnEvent(op.board.HandleEvent)
	t.Cleanup(func() {
		stopCalls()
		stopDesk()
		stopBoard()
		op.desk.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := op.desk.Refresh(ctx); err != nil {
		t.Fatalf("operator desk: %v", err)
	}
	op.sw = ui.NewSwitchboardVM(op.calls, sp.book, op.desk, tr, nil, "358", nil)
	op.sw.SetConsole(op.board)
	if p := op.sw.Panel(); !p.Visible || len(p.Queues) == 0 || p.Queues[0].Number != "8010" {
		t.Fatalf("1009's switchboard: visible=%v queues %+v (want the operator queue 8010)", p.Visible, p.Queues)
	}
	return op
}

// key presses one key of the switchboard and fails on an error shown to the operator.
func (op *operator) key(t *testing.T, k string) {
	t.Helper()
	if err := op.sw.HandleKey(k); err != nil {
		t.Fatalf("key %s: %v (panel: %q)", k, err, op.sw.Panel().Error)
	}
	t.Logf("operator pressed %s: %s", k, op.sw.Panel().Message)
}

// search clears the search field and types query letter by letter, as the operator does.
func (op *operator) search(t *testing.T, query string) {
	t.Helper()
	op.key(t, "Ctrl+F")
	op.key(t, "Escape")
	for _, r := range query {
		op.sw.Type(string(r))
	}
}

// waitHit waits until the selected search hit is ext with the lamp want.
func (op *operator) waitHit(t *testing.T, ext string, want ui.Tone, what string) ui.SwitchRow {
	t.Helper()
	var p ui.SwitchboardPanel
	ok := pollUntil(15*time.Second, func() bool {
		p = op.sw.Panel()
		return p.Target != nil && p.Target.Colleague != nil && p.Target.Colleague.Extension == ext &&
			p.Target.Colleague.Lamp == want
	})
	if !ok {
		t.Fatalf("switchboard: want %s selected and %s, got target %+v, hits %+v", ext, what, p.Target, p.Hits)
	}
	row := *p.Target.Colleague
	t.Logf("switchboard hit %s: lamp %v, phone %q, name %v", ext, row.Lamp, row.Presence.Phone, row.Name)
	return row
}

// answerQueueCall waits until the operator is available, has caller dial 8010, waits for the
// offer on the switchboard (with the queue's name) and answers it with F2; the caller then
// hears the operator.
func (op *operator) answerQueueCall(t *testing.T, srv *vaihde, caller *baresip) {
	t.Helper()
	op.api.waitState(api.AgentAvailable, 20*time.Second)
	queueCall(t, srv, caller, "8010")
	var p ui.SwitchboardPanel
	if !pollUntil(20*time.Second, func() bool { p = op.sw.Panel(); return p.Ringing && p.CanAnswer }) {
		t.Fatalf("the queue call did not ring the operator: %+v", p.Calls)
	}
	if !strings.Contains(p.Offer, "Vaihde") {
		t.Errorf("the ringing call does not say its queue: offer %q", p.Offer)
	}
	op.key(t, "F2")
	op.waitActive(t, "the queue call")
	heard(t, caller, "caller hears the operator", toneOperator)
}

// waitActive waits until the operator's focused call is active.
func (op *operator) waitActive(t *testing.T, what string) {
	t.Helper()
	var v ui.View
	if !pollUntil(20*time.Second, func() bool {
		v = op.calls.View()
		return v.Focus != nil && !v.Focus.Ended && op.focusState() == phone.Active
	}) {
		t.Fatalf("%s: the operator's call is not active: %+v", what, v.Focus)
	}
}

func (op *operator) focusState() phone.CallState {
	v := op.calls.View()
	if v.Focus == nil {
		return phone.Ended
	}
	for _, c := range op.calls.Snapshot().Calls {
		if c.ID == v.Focus.ID {
			return c.State
		}
	}
	return phone.Ended
}

// waitIdle waits until the operator has no call left.
func (op *operator) waitIdle(t *testing.T, what string) {
	t.Helper()
	if !pollUntil(20*time.Second, func() bool {
		for _, c := range op.e.Snapshot().Calls {
			if c.State != phone.Ended {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("%s: the operator still has a call: %+v", what, op.e.Snapshot().Calls)
	}
}

// heard checks that b hears tone want (and not its own) over the next seconds. A baresip with
// a PulseAudio speaker is checked by what it plays (its recorder stops after a hold re-INVITE):
// 1.5 s of steady tone within 20 s.
func heard(t *testing.T, b *baresip, what string, want float64) {
	t.Helper()
	if b.speaker != nil {
		from := b.speaker.samples()
		if !pollUntil(20*time.Second, func() bool { return hasWindow(toneFrames(b.speaker.since(t, from), want), 15) }) {
			t.Fatalf("%s: no steady %.0f Hz within 20s; 100 ms frames: %s", what, want, frameString(toneFrames(b.speaker.since(t, from), want)))
		}
		t.Logf("%s: %.0f Hz heard (100 ms frames: %s)", what, want, frameString(toneFrames(b.speaker.since(t, from), want)))
		return
	}
	m := b.recordMark()
	b.waitAudioSince(m, 3, 20*time.Second)
	p := b.audioSince(m)
	checkTone(t, what, p.slice(p.rate/2, len(p.samples)), want, b.opts.ToneHz, 1.5)
}

// waitEstablished waits for b's next established call after mark.
func waitEstablished(t *testing.T, b *baresip, mark int, what string) {
	t.Helper()
	if _, err := b.ctrl.wait(mark, 30*time.Second, func(e ctrlEvent) bool { return e.Type == "CALL_ESTABLISHED" }); err != nil {
		t.Fatalf("%s: %s has no established call: %v (events: %s)", what, b.opts.User, err, b.ctrl.summary())
	}
}

// switchboardPhones are the baresip phones of the operator flows: the outside caller 1003,
// Mikko 1002 (answers by himself), Aino 1001 and Erik 1006. Their checks are the same whether
// the operator works through the switchboard model or the real window.
type switchboardPhones struct {
	srv                       *vaihde
	caller, mikko, aino, erik *baresip
}

// campedCallConnects follows a caller just camped on Mikko, who talks with Aino: nothing rings
// Mikko and the caller waits on; when Aino hangs up the caller rings Mikko first and they talk.
func (ph switchboardPhones) campedCallConnects(t *testing.T, mikkoMark, callerMark int) {
	t.Helper()
	time.Sleep(2 * time.Second) // the caller waits; nothing rings Mikko during his call
	if ph.mikko.hasEvent(mikkoMark, "CALL_INCOMING") {
		t.Fatal("the camped call rang Mikko while he was busy")
	}
	if ph.caller.hasEvent(callerMark, "CALL_CLOSED") {
		t.Fatalf("the camped caller was hung up (events: %s)", ph.caller.ctrl.summary())
	}
	mm := ph.mikko.mark()
	hangup(t, ph.aino, ph.mikko)
	waitEstablished(t, ph.mikko, mm, "camp-on after the hang-up")
	ph.talk(t, ph.mikko, "camp-on")
}

// talk checks that the caller and b hear each other, then hangs up.
func (ph switchboardPhones) talk(t *testing.T, b *baresip, what string) {
	t.Helper()
	heard(t, ph.caller, what+": the caller hears "+b.opts.User, b.opts.ToneHz)
	heard(t, b, what+": "+b.opts.User+" hears the caller", toneCaller)
	hangup(t, ph.caller, b)
}

// retrieveParked has Aino retrieve the caller's parked call by dialling its slot.
func (ph switchboardPhones) retrieveParked(t *testing.T, token string) {
	t.Helper()
	slot := parkedSlot(t, ph.srv, token, ph.caller.opts.User)
	ma := ph.aino.mark()
	ph.aino.cmd("dial", ph.srv.uri("989"+strconv.Itoa(slot)))
	waitEstablished(t, ph.aino, ma, "retrieve")
	ph.talk(t, ph.aino, "park and retrieve")
}

// TestIntegrationSwitchboardOperatorFlow: the operator answers a caller from queue 8010,
// searches Mikko (1002) by typing, sees him busy, camps the caller on him, and the caller
// reaches him when he hangs up (audio both ways); parks a second caller and 1001 retrieves it
// by dialling the slot; picks up a call ringing at Erik (1006) from the console; and transfers
// a caller to Mikko announced, first trying Erik and going back to the caller with F9.
func TestIntegrationSwitchboardOperatorFlow(t *testing.T) {
	integration(t, "baresip", "pulseaudio", "pactl", "pacat")
	pb := startPulseBox(t)
	srv := startVaihde(t, "-prompts-dir", promptsDir(t))
	// The caller and Mikko are held during the announced transfer: they play to PulseAudio.
	caller := startBaresip(t, srv, baresipOpts{User: "1003", Password: "demo1003", Register: true, ToneHz: toneCaller, Pulse: pb})
	mikko := startBaresip(t, srv, baresipOpts{User: "1002", Password: "demo1002", Register: true, ToneHz: tone1002, AutoAnswer: true, Pulse: pb})
	caller.waitRegistered()
	mikko.waitRegistered()
	aino := registered(t, srv, "1001", tone1001, false, "")
	erik := registered(t, srv, "1006", tone1006, false, "")
	op := startOperator(t, srv)
	ph := switchboardPhones{srv: srv, caller: caller, mikko: mikko, aino: aino, erik: erik}

	t.Log("==== camp-on")
	dial(t, aino, mikko, srv.uri("1002")) // Mikko is busy with Aino
	op.answerQueueCall(t, srv, caller)
	op.search(t, "mikk")
	row := op.waitHit(t, "1002", ui.ToneError, "busy (red lamp)")
	if row.Presence.Phone == "" {
		t.Errorf("the busy colleague's phone state is not shown: %+v", row.Presence)
	}
	if len(row.Name) < 2 || !strings.EqualFold(row.Name[0].Text, "Mikk") || !row.Name[0].Hit {
		t.Errorf("the search hit is not highlighted: %+v", row.Name)
	}
	mm, cm := mikko.mark(), caller.mark()
	op.key(t, "Ctrl+K")
	op.waitIdle(t, "camp-on")
	ph.campedCallConnects(t, mm, cm)

	t.Log("==== park and retrieve")
	op.answerQueueCall(t, srv, caller)
	op.key(t, "Ctrl+P")
	op.waitIdle(t, "park")
	ph.retrieveParked(t, op.api.token)

	t.Log("==== announced transfer with a way back")
	op.answerQueueCall(t, srv, caller)
	first := op.calls.View().Focus.ID
	// Try Erik first: he does not answer, the operator goes back to the caller.
	op.search(t, "erik")
	op.waitHit(t, "1006", ui.ToneOK, "free (green lamp)")
	me := erik.mark()
	op.key(t, "F7")
	erik.waitEvent(me, "CALL_INCOMING", 20*time.Second, nil)
	op.key(t, "F9")
	erik.waitEvent(me, "CALL_CLOSED", 20*time.Second, nil)
	if !pollUntil(10*time.Second, func() bool {
		v := op.calls.View()
		return v.Focus != nil && v.Focus.ID == first && op.focusState() == phone.Active
	}) {
		t.Fatalf("F9 did not bring the operator back to the caller: %+v", op.calls.View().Focus)
	}
	heard(t, caller, "caller hears the operator again after F9", toneOperator)
	// Then Mikko: he answers, hears the operator, and F8 connects the caller to him.
	op.search(t, "mikk")
	op.waitHit(t, "1002", ui.ToneOK, "free (green lamp)")
	mm = mikko.mark()
	op.key(t, "F7")
	waitEstablished(t, mikko, mm, "the consultation call")
	heard(t, mikko, "Mikko hears the operator announce", toneOperator)
	if !pollUntil(10*time.Second, func() bool { return op.sw.Panel().CanComplete }) {
		t.Fatalf("F8 is not offered during the consultation: %+v", op.calls.View().Transfer)
	}
	op.key(t, "F8")
	op.waitIdle(t, "announced transfer")
	ph.talk(t, mikko, "announced transfer")

	t.Log("==== answer a chosen waiting caller out of turn")
	op.api.waitState(api.AgentAvailable, 20*time.Second)
	queueCall(t, srv, caller, "8010") // rings the operator first
	cm = caller.mark()
	if !pollUntil(20*time.Second, func() bool { return op.sw.Panel().Ringing }) {
		t.Fatal("the first caller did not ring the operator")
	}
	queueCall(t, srv, aino, "8010") // waits second
	ctx := context.Background()
	if !pollUntil(15*time.Second, func() bool {
		_ = op.sw.RefreshWaiting(ctx)
		q := op.sw.Panel().Queues
		return len(q) > 0 && len(q[0].Callers) == 2
	}) {
		t.Fatalf("the console does not list two callers: %+v", op.sw.Panel().Queues)
	}
	op.key(t, "Ctrl+L")
	op.sw.Type("2")
	op.key(t, "Ctrl+T")
	if !pollUntil(20*time.Second, func() bool {
		v := op.calls.View()
		return len(v.Incoming) == 1 && strings.Contains(v.Incoming[0].Title+v.Incoming[0].Subtitle, "1001") ||
			len(v.Incoming) == 1 && strings.Contains(v.Incoming[0].Title, "Aino")
	}) {
		t.Fatalf("the chosen caller does not ring the operator: %+v", op.calls.View().Incoming)
	}
	op.key(t, "F2")
	op.waitActive(t, "the chosen caller")
	heard(t, aino, "the chosen caller hears the operator", toneOperator)
	if caller.hasEvent(cm, "CALL_CLOSED") {
		t.Fatalf("the first caller was dropped when the operator took another (events: %s)", caller.ctrl.summary())
	}
	// The first caller kept waiting and is served next.
	ma := aino.mark()
	op.key(t, "F4")
	aino.waitEvent(ma, "CALL_CLOSED", 20*time.Second, nil)
	if !pollUntil(20*time.Second, func() bool { return op.sw.Panel().Ringing }) {
		t.Fatal("the first caller did not ring the operator again")
	}
	op.key(t, "F2")
	op.waitActive(t, "the first caller, served after the chosen one")
	heard(t, caller, "the first caller hears the operator", toneOperator)
	op.key(t, "F4")
	op.waitIdle(t, "after the queue calls")

	t.Log("==== directed pickup")
	me = erik.mark()
	caller.cmd("dial", srv.uri("1006"))
	erik.waitEvent(me, "CALL_INCOMING", 20*time.Second, nil)
	op.search(t, "erik")
	op.waitHit(t, "1006", ui.ToneWarn, "ringing (amber lamp)")
	op.key(t, "Ctrl+G")
	op.waitActive(t, "pickup")
	erik.waitEvent(me, "CALL_CLOSED", 20*time.Second, nil) // Erik's phone stopped ringing
	heard(t, caller, "caller hears the operator who picked up", toneOperator)
	hangup(t, caller)
	op.waitIdle(t, "pickup hang-up")
}

// parkedSlot waits until the console lists the call of caller as parked and returns its slot.
func parkedSlot(t *testing.T, srv *vaihde, token, caller string) int {
	t.Helper()
	var got api.ParkedCalls
	var lastErr error
	if !pollUntil(15*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		got = api.ParkedCalls{}
		if lastErr = httpJSON(ctx, "GET", "http://"+srv.httpAddr+"/api/switchboard/parked", token, nil, &got); lastErr != nil {
			return false
		}
		for _, c := range got.Parked {
			if strings.HasSuffix(c.Number, caller) {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the console lists no parked call of %s: %+v (%v)", caller, got, lastErr)
	}
	for _, c := range got.Parked {
		if strings.HasSuffix(c.Number, caller) {
			if c.ParkedBy != "1009" {
				t.Errorf("parked by %q, want the operator 1009", c.ParkedBy)
			}
			t.Logf("parked: %s", fmt.Sprintf("%+v", c))
			return c.Slot
		}
	}
	return 0
}
