package b2bua

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// testPark is a minimal call park for the engine's side of it: a call transferred to "7000"
// hears music until a user dialling "7001" joins it (the real slots are server/park's).
type testPark struct {
	parked chan mediaapp.Channel
	calls  chan ServiceCall
	joined chan error
}

func newTestPark() *testPark {
	return &testPark{parked: make(chan mediaapp.Channel, 4), calls: make(chan ServiceCall, 8), joined: make(chan error, 4)}
}

func (p *testPark) Service(_ context.Context, c ServiceCall) (mediaapp.Flow, bool) {
	switch {
	case c.Dialled == "7000" && c.TransferredBy.ID != 0:
		push(p.calls, c)
		return func(ctx context.Context, ch mediaapp.Channel) error {
			push(p.parked, ch)
			return ch.(interface {
				Loop(context.Context, mediaapp.Clip) error
			}).Loop(ctx, holdMusic)
		}, true
	case c.Dialled == "7001" && c.Internal:
		push(p.calls, c)
		return func(ctx context.Context, ch mediaapp.Channel) error {
			select {
			case o := <-p.parked:
				_, err := ch.(mediaapp.Joiner).Join(ctx, o)
				push(p.joined, err)
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}, true
	}
	return nil, false
}

// parkHarness is a harness whose engine has testPark as both its services and its transfers.
func parkHarness(t *testing.T) (*harness, *testPark) {
	p := newTestPark()
	return newHarnessTransfers(t, nil, p, nil, p), p
}

// TestIntegrationTransferIntoServiceAndJoin: B blind-transfers A (REFER) to the park number; A
// hears music on its own leg, B leaves, and C dialling the retrieve number talks to A.
func TestIntegrationTransferIntoServiceAndJoin(t *testing.T) {
	h, p := parkHarness(t)
	a, b, c := h.phone("1001"), h.phone("1002"), h.phone("1003")
	sess, in := h.connect(a, b)
	res, err := inDialog(h.ctx, in.sess, in.req.Contact().Address, sip.REFER, nil,
		sip.NewHeader("Refer-To", "<"+h.uri("7000")+">"), sip.NewHeader("Referred-By", "<sip:1002@"+demo.Domain+">"))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v", res, err)
	}
	sc := recvWithin(t, p.calls, "park service call")
	if sc.TransferredBy.Extension != "1002" || sc.Caller.Extension != "1001" || !sc.Internal || sc.Org.ID != h.org.ID {
		t.Fatalf("park service call %+v", sc)
	}
	waitNotify(t, b, "200")
	recvWithin(t, b.byes, "BYE at the parking user")
	a.listen(200 * time.Millisecond)
	pcm, _ := a.listen(time.Second)
	hearsMusic(t, "A while parked", pcm)

	ctx, cancel := context.WithTimeout(h.ctx, 15*time.Second)
	defer cancel()
	sc2, err := c.dial(ctx, h.uri("7001"))
	if err != nil {
		t.Fatalf("dial 7001: %v", err)
	}
	if err := recvWithin(t, p.joined, "join"); err != nil {
		t.Fatalf("join: %v", err)
	}
	checkAudio(t, a, sess.InviteResponse.Body(), c)
	checkAudio(t, c, sc2.InviteResponse.Body(), a)
	if n := h.eng.ActiveCalls(); n != 1 {
		t.Fatalf("ActiveCalls = %d after the join, want 1", n)
	}
	h.hangUp(t, sc2, a, "BYE at A when C hangs up")
	h.expectLog("1003", store.Outgoing, store.Answered, "7001")
}

// TestIntegrationDTMFTransferIntoService: the DTMF transfer code parks too (*#*1 7000 #), and a
// parked caller who hangs up ends its application.
func TestIntegrationDTMFTransferIntoService(t *testing.T) {
	h, p := parkHarness(t)
	a, b := h.phone("1001"), h.phone("1002")
	sess, in := h.connect(a, b)
	kb := newKeypad(t, b, in.req.Body())
	kb.press(t, "*#*17000#")
	recvWithin(t, p.calls, "park service call")
	recvWithin(t, b.byes, "BYE at the parking user")
	a.listen(200 * time.Millisecond)
	pcm, _ := a.listen(time.Second)
	hearsMusic(t, "A while parked", pcm)
	if err := sess.Bye(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.waitIdle()
}

// TestIntegrationTransferToUnknownServiceStillRoutes: a number Transfers does not answer is
// transferred to as before (here a user).
func TestIntegrationTransferToUnknownServiceStillRoutes(t *testing.T) {
	h, _ := parkHarness(t)
	a, b, c := h.phone("1001"), h.phone("1002"), h.phone("1003")
	sess, in := h.connect(a, b)
	kb := newKeypad(t, b, in.req.Body())
	kb.press(t, "*#*11003#")
	inC := c.expectCall(t)
	inC.answer(t, 200)
	recvWithin(t, b.byes, "BYE at B")
	checkAudio(t, a, sess.InviteResponse.Body(), c)
	h.hangUp(t, sess, c, "BYE at C")
}
