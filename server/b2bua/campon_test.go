package b2bua

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/campon"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/shared/presence"
)

// realCampon is server/campon as the engine's transfer target (as server/cmd/vaihde wires it).
// users is set once the harness (and its store) exists, before any call.
type realCampon struct {
	s     *campon.Service
	users campon.Users
}

func (c *realCampon) Service(ctx context.Context, call ServiceCall) (mediaapp.Flow, bool) {
	return c.s.Serve(ctx, c.users, campon.Transfer{Org: call.Org, Dialled: call.Dialled, CallerNumber: call.CallerNumber,
		Caller: call.Caller, TransferredBy: call.TransferredBy})
}

// busyFeed turns the engine's per-call states into "on a call" per user, as the hub does.
type busyFeed struct {
	mu    sync.Mutex
	calls map[int64]map[string]bool
	tell  func(userID int64, onCall bool)
}

func (b *busyFeed) state(ev stateEvent) {
	b.mu.Lock()
	if b.calls[ev.user] == nil {
		b.calls[ev.user] = map[string]bool{}
	}
	switch ev.state {
	case presence.PhoneOnCall, presence.PhoneDialing:
		b.calls[ev.user][ev.key] = true
	case presence.PhoneIdle:
		delete(b.calls[ev.user], ev.key)
	}
	busy := len(b.calls[ev.user]) > 0
	b.mu.Unlock()
	b.tell(ev.user, busy)
}

// TestIntegrationCampOnConnectsWhenColleagueHangsUp: operator B camps caller A on busy
// colleague C by REFER to 9821003; A hears music and C is not disturbed; when C's call ends C
// rings showing A, answers, and A and C hear each other.
func TestIntegrationCampOnConnectsWhenColleagueHangsUp(t *testing.T) {
	s := campon.New(campon.Config{Limit: time.Hour, RingTime: 5 * time.Second})
	rc := &realCampon{s: s}
	h := newHarnessTransfers(t, nil, nil, nil, rc)
	rc.users = h.st
	feed := &busyFeed{calls: map[int64]map[string]bool{}, tell: s.PhoneState}
	h.pres.mu.Lock()
	h.pres.onState = feed.state
	h.pres.mu.Unlock()
	a, b, c, d := h.phone("1001"), h.phone("1002"), h.phone("1003"), h.phone("1004")
	cd, _ := h.connect(c, d)
	waitFor(t, "C busy", func() bool { return s.Busy(h.users["1003"].ID) })

	sess, in := h.connect(a, b)
	res, err := inDialog(h.ctx, in.sess, in.req.Contact().Address, sip.REFER, nil,
		sip.NewHeader("Refer-To", "<"+h.uri("9821003")+">"), sip.NewHeader("Referred-By", "<sip:1002@"+demo.Domain+">"))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v", res, err)
	}
	waitNotify(t, b, "200")
	recvWithin(t, b.byes, "BYE at the operator")
	waitFor(t, "A camped on C", func() bool { return len(s.Waiting(h.users["1003"].ID)) == 1 })
	if w := s.Waiting(h.users["1003"].ID)[0]; w.Caller != "1001" || w.Operator != h.users["1002"].ID {
		t.Fatalf("waiting %+v", w)
	}
	a.listen(200 * time.Millisecond)
	pcm, _ := a.listen(time.Second)
	hearsMusic(t, "A while camped", pcm)
	select {
	case <-c.incoming:
		t.Fatal("busy C was rung")
	default:
	}

	if err := cd.Bye(h.ctx); err != nil { // C's call ends (A stays camped: not h.hangUp)
		t.Fatal(err)
	}
	recvWithin(t, d.byes, "BYE at D")
	inC := c.expectCall(t)
	if from := inC.req.From().Address.User; from != "1001" {
		t.Fatalf("C sees %q, want the camped caller 1001", from)
	}
	inC.answer(t, 200)
	waitFor(t, "nobody waiting", func() bool { return len(s.Waiting(h.users["1003"].ID)) == 0 })
	checkAudio(t, a, sess.InviteResponse.Body(), c)
	checkAudio(t, c, inC.req.Body(), a)
	h.hangUp(t, sess, c, "BYE at C when A hangs up")
}
