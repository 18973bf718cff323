package b2bua

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/park"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// realPark is server/park as the engine's services and transfers (as server/cmd/vaihde wires it).
type realPark struct{ s *park.Service }

func (p realPark) Service(ctx context.Context, c ServiceCall) (mediaapp.Flow, bool) {
	return p.s.Serve(ctx, park.Call{Org: c.Org, Caller: c.Caller, CallerNumber: c.CallerNumber, Dialled: c.Dialled,
		Internal: c.Internal, TransferredBy: c.TransferredBy})
}

// parkTimers hands the park's ring-back timers to the test, which fires them: no wall clock.
type parkTimers chan chan time.Time

func (pt parkTimers) after(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	pt <- c
	return c
}

// realParkHarness is a harness with server/park; adjust may add a trunk.
func realParkHarness(t *testing.T, adjust func(*Config)) (*harness, *park.Service, parkTimers) {
	timers := make(parkTimers, 8)
	s := park.New(park.Config{After: timers.after, RingTime: 5 * time.Second})
	p := realPark{s}
	return newHarnessTransfers(t, adjust, p, nil, p), s, timers
}

// TestIntegrationParkAndRetrieveFromAnotherPhone: B parks A by REFER to 988 (slot 1), A hears
// the hold music on its own leg, the slot shows who parked whom, and C retrieving with 9891
// talks to A both ways; the slot is free again.
func TestIntegrationParkAndRetrieveFromAnotherPhone(t *testing.T) {
	h, s, timers := realParkHarness(t, nil)
	a, b, c := h.phone("1001"), h.phone("1002"), h.phone("1003")
	sess, in := h.connect(a, b)
	res, err := inDialog(h.ctx, in.sess, in.req.Contact().Address, sip.REFER, nil,
		sip.NewHeader("Refer-To", "<"+h.uri("988")+">"), sip.NewHeader("Referred-By", "<sip:1002@"+demo.Domain+">"))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v", res, err)
	}
	waitNotify(t, b, "200")
	recvWithin(t, b.byes, "BYE at the parking user")
	recvWithin(t, timers, "ring-back timer")
	got := s.Parked(h.org.ID)
	if len(got) != 1 || got[0].Slot != 1 || got[0].Number != "1001" || got[0].ParkedByExt != "1002" {
		t.Fatalf("Parked = %+v, want 1001 in slot 1 parked by 1002", got)
	}
	a.listen(200 * time.Millisecond)
	pcm, _ := a.listen(time.Second)
	hearsMusic(t, "A while parked", pcm)

	ctx, cancel := context.WithTimeout(h.ctx, 15*time.Second)
	defer cancel()
	sc, err := c.dial(ctx, h.uri("9891"))
	if err != nil {
		t.Fatalf("dial 9891: %v", err)
	}
	waitFor(t, "slot 1 free", func() bool { return len(s.Parked(h.org.ID)) == 0 })
	checkAudio(t, a, sess.InviteResponse.Body(), c)
	checkAudio(t, c, sc.InviteResponse.Body(), a)
	h.hangUp(t, sess, c, "BYE at C when A hangs up")
}

// TestIntegrationParkRingBack: nobody retrieves the call B parked with the DTMF code in slot
// 5; when the ring-back time passes B's phone rings showing A, and B answering talks to A.
func TestIntegrationParkRingBack(t *testing.T) {
	h, s, timers := realParkHarness(t, nil)
	a, b := h.phone("1001"), h.phone("1002")
	sess, in := h.connect(a, b)
	kb := newKeypad(t, b, in.req.Body())
	kb.press(t, "*#*19885#")
	recvWithin(t, b.byes, "BYE at the parking user")
	timer := recvWithin(t, timers, "ring-back timer")
	if got := s.Parked(h.org.ID); len(got) != 1 || got[0].Slot != 5 {
		t.Fatalf("Parked = %+v, want slot 5", got)
	}
	timer <- time.Now()
	inB := b.expectCall(t)
	if from := inB.req.From().Address.User; from != "1001" {
		t.Fatalf("ring-back shows %q, want the parked party 1001", from)
	}
	waitFor(t, "ringing back shown", func() bool {
		p := s.Parked(h.org.ID)
		return len(p) == 1 && p[0].RingingBack
	})
	inB.answer(t, 200)
	waitFor(t, "slot 5 free", func() bool { return len(s.Parked(h.org.ID)) == 0 })
	checkAudio(t, a, sess.InviteResponse.Body(), b)
	checkAudio(t, b, inB.req.Body(), a)
	h.hangUp(t, sess, b, "BYE at B")
}

// TestIntegrationParkOutsideCallerCannotRetrieve: a carrier call to a DID that maps to the
// retrieve code is not answered by park (404), and the parked call stays parked.
func TestIntegrationParkOutsideCallerCannotRetrieve(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	carrier := newTestPhone(t, ctx, "carrier", "carrier", "", []sdpmedia.Codec{sdpmedia.PCMA})
	cport := carrier.conn.LocalAddr().(*net.UDPAddr).Port
	h, s, timers := realParkHarness(t, func(c *Config) {
		c.Trunk = Trunk{Host: "127.0.0.1", Port: cport, Domain: "carrier.example",
			DIDs: map[string]string{"+35891230009": "9891", "+35891230008": "989"}}
	})
	a, b := h.phone("1001"), h.phone("1002")
	sess, in := h.connect(a, b)
	newKeypad(t, b, in.req.Body()).press(t, "*#*1988#")
	recvWithin(t, b.byes, "BYE at the parking user")
	recvWithin(t, timers, "ring-back timer")
	for _, did := range []string{"+35891230009", "+35891230008"} {
		dctx, dcancel := context.WithTimeout(h.ctx, 10*time.Second)
		_, err := carrier.dialAs(dctx, fmt.Sprintf("sip:%s@%s:%d", did, h.host, h.port), "+358501112222")
		dcancel()
		if code := statusOf(err); code != 404 {
			t.Fatalf("outside caller dialling %s (retrieve): status %d (%v), want 404", did, code, err)
		}
	}
	if got := s.Parked(h.org.ID); len(got) != 1 {
		t.Fatalf("Parked = %+v after the outside attempts, want the call still parked", got)
	}
	pcm, _ := a.listen(time.Second)
	hearsMusic(t, "A still parked", pcm)
	if err := sess.Bye(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.waitIdle()
	waitFor(t, "slot free after hang-up", func() bool { return len(s.Parked(h.org.ID)) == 0 })
}
