package b2bua

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// pickUp has p dial the pickup code number and fails the test unless it is answered.
func (h *harness) pickUp(t *testing.T, p *testPhone, number string) *sipgo.DialogClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	s, err := p.dial(ctx, h.uri(number))
	if err != nil {
		t.Fatalf("%s dialling %s: %v", p.user, number, err)
	}
	return s
}

// TestIntegrationDirectedPickup: 1003 calls 1002, whose phone rings; 1001 dials 9901002 and
// is answered at once, talking to 1003 both ways; 1002's ringing INVITE is CANCELled. The log
// shows the call answered by 1001 and missed by 1002.
func TestIntegrationDirectedPickup(t *testing.T) {
	h := newHarness(t)
	p1, p2, p3 := h.phone("1001"), h.phone("1002"), h.phone("1003")
	done := p3.dialAsync(h.ctx, h.uri("1002"))
	p2.expectCall(t)

	picker := h.pickUp(t, p1, "9901002")
	caller := answered(t, done, "1003's call picked up")
	recvWithin(t, p2.cancels, "CANCEL of 1002's ringing INVITE")
	checkAudio(t, p3, caller.InviteResponse.Body(), p1)
	checkAudio(t, p1, picker.InviteResponse.Body(), p3)
	h.hangUp(t, picker, p3, "BYE at 1003 when the picker hangs up")
	h.expectLog("1001", store.Incoming, store.Answered, "1003")
	h.expectLog("1003", store.Outgoing, store.Answered, "1001")
	h.expectLog("1002", store.Incoming, store.Missed, "1003")
	h.expectStates("1002", "ringing,idle")
	h.expectStates("1001", "on-call,idle")
	h.expectPeers("1001", "1003,1003")
}

// TestIntegrationDirectedPickupNothingRinging: 990<ext> with nothing ringing there is 480, an
// unknown extension 404, and dialling one's own extension 404.
func TestIntegrationDirectedPickupNothingRinging(t *testing.T) {
	h := newHarness(t)
	p1 := h.phone("1001")
	h.phone("1002")
	for _, tc := range []struct {
		dial string
		code int
	}{
		{"9901002", 480},
		{"9909999", 404},
		{"9901001", 404},
		{"990", 480},
	} {
		ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
		_, err := p1.dial(ctx, h.uri(tc.dial))
		cancel()
		if code := statusOf(err); code != tc.code {
			t.Errorf("dial %s: status %d (%v), want %d", tc.dial, code, err, tc.code)
		}
	}
	h.waitIdle()
}

// TestIntegrationGroupPickup: 1001 and 1002 share a hunt group. 990 from 1001 does not pick up
// a call ringing at 1004 (no colleague of the group) but does pick up 1003's call ringing at
// 1002; 1004, in no group, picks up a call ringing at anyone of the organisation, never one
// ringing at itself.
func TestIntegrationGroupPickup(t *testing.T) {
	h := newHarness(t)
	if _, err := h.st.CreateHuntGroup(h.ctx, store.HuntGroup{OrgID: h.org.ID, Name: "Sales", Number: "8001",
		Mode: "parallel", Members: []int64{h.users["1001"].ID, h.users["1002"].ID}}); err != nil {
		t.Fatal(err)
	}
	p1, p2, p3, p4 := h.phone("1001"), h.phone("1002"), h.phone("1003"), h.phone("1004")
	dial := func(p *testPhone, number string) (code int, sess interface{ Bye(context.Context) error }, body []byte) {
		ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
		defer cancel()
		s, err := p.dial(ctx, h.uri(number))
		if err != nil {
			return statusOf(err), nil, nil
		}
		return 200, s, s.InviteResponse.Body()
	}

	// A call ringing at 1004 is not 1001's to pick up.
	ctx, cancel := context.WithCancel(h.ctx)
	done := p3.dialAsync(ctx, h.uri("1004"))
	p4.expectCall(t)
	if code, _, _ := dial(p1, "990"); code != 480 {
		t.Fatalf("1001 dialling 990 while 1004 rings: %d, want 480", code)
	}
	// 1004 never picks up its own ringing call.
	if code, _, _ := dial(p4, "990"); code != 480 {
		t.Fatalf("1004 dialling 990 while its own phone rings: %d, want 480", code)
	}
	cancel()
	recvWithin(t, p4.cancels, "CANCEL at 1004")
	recvWithin(t, done, "1003 gave up")
	h.waitIdle()

	// 1002 is 1001's colleague in the hunt group.
	done = p3.dialAsync(h.ctx, h.uri("1002"))
	p2.expectCall(t)
	code, picker, body := dial(p1, "990")
	if code != 200 {
		t.Fatalf("1001 dialling 990 while 1002 rings: %d", code)
	}
	caller := answered(t, done, "1003's call picked up by 1001")
	recvWithin(t, p2.cancels, "CANCEL at 1002")
	checkAudio(t, p3, caller.InviteResponse.Body(), p1)
	checkAudio(t, p1, body, p3)
	h.hangUp(t, picker, p3, "BYE at 1003")

	// 1004 is in no group: any colleague's ringing call.
	done = p3.dialAsync(h.ctx, h.uri("1002"))
	p2.expectCall(t)
	code, picker, body = dial(p4, "990")
	if code != 200 {
		t.Fatalf("1004 dialling 990 while 1002 rings: %d", code)
	}
	caller = answered(t, done, "1003's call picked up by 1004")
	recvWithin(t, p2.cancels, "CANCEL at 1002")
	checkAudio(t, p4, body, p3)
	h.hangUp(t, caller, p4, "BYE at 1004 when the caller hangs up")
	_ = picker
}

// TestIntegrationPickupOfGroupCall: a hunt group or queue call ringing two members (a media
// application's ring, as server/groups and server/queue place it) is picked up by a third user
// with 990<member>: both members' phones stop ringing, the caller (waiting on its own relay
// leg) talks to the picker, and the application learns the picker answered. A hunt group logs
// both members missed; a queue, as always, logs nothing for them.
func TestIntegrationPickupOfGroupCall(t *testing.T) {
	for _, kind := range []string{"hunt", "queue"} {
		t.Run(kind, func(t *testing.T) {
			svc := newRingServices(mediaapp.Ring{Group: mediaapp.GroupInfo{Kind: kind, ID: 7, Name: "Myynti", Number: "8001"}})
			h := newHarnessServices(t, nil, svc)
			svc.ring.Users = []int64{h.users["1001"].ID, h.users["1002"].ID}
			p1, p2, p3, p4 := h.phone("1001"), h.phone("1002"), h.phone("1003"), h.phone("1004")
			caller, err := p3.dial(h.ctx, h.uri("7000"))
			if err != nil {
				t.Fatalf("call to the group flow: %v", err)
			}
			p1.expectCall(t)
			p2.expectCall(t)
			picker := h.pickUp(t, p4, "9901002")
			res := recvWithin(t, svc.results, "the flow's ring outcome")
			if res.err != nil || res.ans.UserID != h.users["1004"].ID {
				t.Fatalf("RingOut = %+v, %v; want answered by 1004", res.ans, res.err)
			}
			recvWithin(t, p1.cancels, "CANCEL at 1001")
			recvWithin(t, p2.cancels, "CANCEL at 1002")
			checkAudio(t, p3, caller.InviteResponse.Body(), p4)
			checkAudio(t, p4, picker.InviteResponse.Body(), p3)
			h.hangUp(t, picker, p3, "BYE at 1003")
			h.expectLog("1004", store.Incoming, store.Answered, "1003")
			if kind == "hunt" {
				h.expectLog("1001", store.Incoming, store.Missed, "")
				h.expectLog("1002", store.Incoming, store.Missed, "")
			} else if n := len(h.callLog("1001")) + len(h.callLog("1002")); n != 0 {
				t.Fatalf("queue members have %d log entries, want none", n)
			}
			h.expectStates("1002", "ringing,idle")
		})
	}
}

// TestIntegrationPickupOfDIDCall: an outside call to 1002's DID rings 1002; 1001 picks it up
// with 9901002 and talks to the outside caller both ways.
func TestIntegrationPickupOfDIDCall(t *testing.T) {
	h, carrier := carrierHarness(t, nil)
	p1, p2 := h.phone("1001"), h.phone("1002")
	done := make(chan dialResult, 1)
	go func() {
		s, err := carrier.dialAs(h.ctx, fmt.Sprintf("sip:+35891230000@%s:%d", h.host, h.port), "+358501112222")
		done <- dialResult{s, err}
	}()
	p2.expectCall(t)
	picker := h.pickUp(t, p1, "9901002")
	outside := answered(t, done, "the DID call picked up")
	recvWithin(t, p2.cancels, "CANCEL at 1002")
	checkAudio(t, carrier, outside.InviteResponse.Body(), p1)
	checkAudio(t, p1, picker.InviteResponse.Body(), carrier)
	h.hangUp(t, outside, p1, "BYE at 1001 when the outside caller hangs up")
	h.expectLog("1001", store.Incoming, store.Answered, "+358501112222")
	h.expectLog("1002", store.Incoming, store.Missed, "+358501112222")
}

// TestIntegrationPickupOutsiderRefused: a carrier call to a DID that maps to 9901002 picks
// nothing up (404) while 1002 rings, and the call keeps ringing at 1002.
func TestIntegrationPickupOutsiderRefused(t *testing.T) {
	h, carrier := carrierHarness(t, func(tr *Trunk) { tr.DIDs["+35891230007"] = "9901002" })
	p2, p3 := h.phone("1002"), h.phone("1003")
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	done := p3.dialAsync(ctx, h.uri("1002"))
	in := p2.expectCall(t)
	dctx, dcancel := context.WithTimeout(h.ctx, 10*time.Second)
	_, err := carrier.dialAs(dctx, fmt.Sprintf("sip:+35891230007@%s:%d", h.host, h.port), "+358501112222")
	dcancel()
	if code := statusOf(err); code != 404 {
		t.Fatalf("outside caller dialling the pickup code: %d (%v), want 404", code, err)
	}
	in.answer(t, 200) // the call still rings at 1002, which answers it
	sess := answered(t, done, "1003 → 1002 after the outside attempt")
	h.hangUp(t, sess, p2, "BYE at 1002")
}

// TestIntegrationPickupOtherTenantRefused: acme's 1001 dialling 9901002 while the demo
// organisation's 1002 rings gets 480 (nothing rings at acme's 1002) and the demo call rings on.
func TestIntegrationPickupOtherTenantRefused(t *testing.T) {
	h := newHarness(t)
	_, _, apass := h.addOrg(otherDomain)
	p2, p3 := h.phone("1002"), h.phone("1003")
	a1 := h.phoneIn(otherDomain, "1001", apass["1001"])
	h.phoneIn(otherDomain, "1002", apass["1002"])
	done := p3.dialAsync(h.ctx, h.uri("1002"))
	in := p2.expectCall(t)
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	_, err := h.dialDomain(ctx, a1, otherDomain, "9901002", otherDomain)
	cancel()
	if code := statusOf(err); code != 480 {
		t.Fatalf("acme 1001 dialling 9901002: %d (%v), want 480", code, err)
	}
	in.answer(t, 200)
	sess := answered(t, done, "demo 1003 → 1002")
	h.hangUp(t, sess, p2, "BYE at 1002")
}

func TestIsPickup(t *testing.T) {
	e := &Engine{cfg: Config{PickupCode: DefaultPickupCode}}
	for _, tc := range []struct {
		dialled string
		want    bool
	}{
		{"990", true},
		{"9901002", true},
		{"99", false},
		{"9911002", false},
		{"990abc", false},
		{"1002", false},
		{"+358990", false},
	} {
		if got := e.isPickup(tc.dialled); got != tc.want {
			t.Errorf("isPickup(%q) = %v, want %v", tc.dialled, got, tc.want)
		}
	}
}
