package b2bua

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/tone"
)

// scriptedPersonal answers Divert from a table keyed "<callee ext> <stage>" and records what it
// was asked.
type scriptedPersonal struct {
	mu    sync.Mutex
	asked []string
	rules map[string]Diversion
}

func (p *scriptedPersonal) Divert(_ context.Context, c PersonalCall) Diversion {
	key := c.Callee.Extension + " " + c.Stage.String()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, key)
	if d, ok := p.rules[key]; ok {
		return d
	}
	if c.Stage == routing.Arriving {
		return Diversion{Action: routing.Action{Kind: routing.Ring}}
	}
	return Diversion{Action: routing.Action{Kind: routing.Fail}}
}

func (p *scriptedPersonal) expectAsked(t *testing.T, want ...string) {
	t.Helper()
	waitFor(t, "personal routing asked "+strings.Join(want, ", "), func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return slices.Equal(p.asked, want)
	})
}

// toneFlow plays a 1 kHz tone for a second and hangs up: a stand-in for voicemail.
func toneFlow(ctx context.Context, ch mediaapp.Channel) error {
	if err := ch.Play(ctx, mediaapp.Tone(1000, time.Second)); err != nil {
		return err
	}
	return ch.Hangup(ctx)
}

// TestIntegrationBusyGoesToVoicemail (ROUTE-2): every device of 1002 answers busy, personal
// routing sends the caller to voicemail, and the caller's call is answered by the application
// (its audio arrives), which then hangs up.
func TestIntegrationBusyGoesToVoicemail(t *testing.T) {
	p := &scriptedPersonal{rules: map[string]Diversion{
		"1002 busy": {Action: routing.Action{Kind: routing.ToVoicemail}, Flow: toneFlow},
	}}
	h := newHarnessPersonal(t, nil, nil, p)
	a, b := h.phone("1001"), h.phone("1002")
	done := a.dialAsync(h.ctx, h.uri("1002"))
	b.expectCall(t).answer(t, 486)
	answered(t, done, "1001 calling busy 1002")
	pcm := a.recvAudio(t, 800*time.Millisecond)
	if share := tone.Share(pcm, 1000, 8000); len(pcm) < 2000 || share < 0.8 {
		t.Fatalf("the caller got %d samples, 1 kHz share %.2f: not the voicemail application", len(pcm), share)
	}
	recvWithin(t, a.byes, "BYE from the application")
	p.expectAsked(t, "1002 arriving", "1002 busy")
	h.waitIdle()
}

// TestIntegrationNoAnswerForwards (ROUTE-2): 1002 rings for its ring time without answering;
// personal routing forwards to 1003, which answers, and 1001 talks with 1003.
func TestIntegrationNoAnswerForwards(t *testing.T) {
	p := &scriptedPersonal{rules: map[string]Diversion{
		"1002 arriving":  {Action: routing.Action{Kind: routing.Ring, RingTime: time.Second}},
		"1002 no-answer": {Action: routing.Action{Kind: routing.Forward, Number: "1003"}},
	}}
	h := newHarnessPersonal(t, nil, nil, p)
	a, b, c := h.phone("1001"), h.phone("1002"), h.phone("1003")
	done := a.dialAsync(h.ctx, h.uri("1002"))
	recvWithin(t, b.incoming, "1002 ringing")
	recvWithin(t, b.cancels, "CANCEL at 1002 after its ring time")
	inC := c.expectCall(t)
	inC.answer(t, 200)
	sess := answered(t, done, "1001 forwarded to 1003")
	checkAudio(t, a, sess.InviteResponse.Body(), c)
	checkAudio(t, c, inC.req.Body(), a)
	p.expectAsked(t, "1002 arriving", "1002 no-answer", "1003 arriving")
	h.hangUp(t, sess, c, "BYE at 1003")
	h.expectLog("1002", store.Incoming, store.Missed, "1001")
	h.waitIdle()
}

// TestIntegrationVoicemailHandsOverToAPerson (VM-3 press 2, AWAY-1): the application that
// answered 1001's call connects it to 1003 (mediaapp.Connector); 1001 stays on the relay leg
// that answered it (no re-INVITE) and talks with 1003 both ways, and the call ends normally.
func TestIntegrationVoicemailHandsOverToAPerson(t *testing.T) {
	connected := make(chan error, 1)
	handOver := func(ctx context.Context, ch mediaapp.Channel) error {
		err := ch.(mediaapp.Connector).Connect(ctx, "1003", true)
		connected <- err
		return err
	}
	p := &scriptedPersonal{rules: map[string]Diversion{
		"1002 arriving": {Action: routing.Action{Kind: routing.Announce}, Flow: handOver},
	}}
	h := newHarnessPersonal(t, nil, nil, p)
	a, c := h.phone("1001"), h.phone("1003")
	sess, err := a.dial(h.ctx, h.uri("1002"))
	if err != nil {
		t.Fatalf("call answered by the application: %v", err)
	}
	inC := c.expectCall(t)
	inC.answer(t, 200)
	if err := recvWithin(t, connected, "hand-over"); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	// The media address 1001 got in the application's 200 OK is the one it talks to 1003 on.
	checkAudio(t, a, sess.InviteResponse.Body(), c)
	select {
	case m := <-a.reinvites:
		t.Fatalf("1001 was re-INVITEd on hand-over (to %v:%d)", m.Addr, m.Port)
	default:
	}
	checkAudio(t, c, inC.req.Body(), a)
	p.expectAsked(t, "1002 arriving", "1003 arriving")
	h.hangUp(t, sess, c, "BYE at 1003")
	h.waitIdle()
}
