package b2bua

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/vmtransfer"
	"github.com/vaihde/vaihde/server/voicemail"
)

// silentPrompts is a prompt catalog whose clips are empty: the deposit flow's first sound is
// its beep.
type silentPrompts struct{}

func (silentPrompts) Clips(_ string, keys ...string) ([]mediaapp.Clip, error) {
	out := make([]mediaapp.Clip, len(keys))
	for i, k := range keys {
		out[i] = mediaapp.Clip{Name: k}
	}
	return out, nil
}

// realVMTransfer is server/vmtransfer over the real voicemail deposit, as the engine's services
// and transfers (as server/cmd/vaihde wires it).
type realVMTransfer struct{ s *vmtransfer.Service }

func (v realVMTransfer) Service(ctx context.Context, c ServiceCall) (mediaapp.Flow, bool) {
	return v.s.Serve(ctx, vmtransfer.Call{Org: c.Org, Caller: c.Caller, CallerNumber: c.CallerNumber, Dialled: c.Dialled,
		Internal: c.Internal, TransferredBy: c.TransferredBy})
}

// lateUsers is the harness's store, known once the harness exists.
type lateUsers struct{ st store.Store }

func (l *lateUsers) UserByExtension(ctx context.Context, orgID int64, ext string) (store.User, error) {
	return l.st.UserByExtension(ctx, orgID, ext)
}

// vmTransferHarness is a harness with 981<ext> (server/vmtransfer) as service and transfer
// target, over a real mailbox.
func vmTransferHarness(t *testing.T) *harness {
	t.Helper()
	users, deps := &lateUsers{}, &voicemail.DepositDeps{}
	svc := realVMTransfer{vmtransfer.New(users, func(_ context.Context, org store.Org, box store.User, c vmtransfer.Call) (mediaapp.Flow, bool) {
		return voicemail.Deposit(*deps, org, box, voicemail.Caller{Number: c.CallerNumber, Name: c.Caller.Name, UserID: c.Caller.ID}), true
	}, nil)}
	h := newHarnessTransfers(t, nil, svc, nil, svc)
	mb, err := voicemail.New(voicemail.Config{Root: t.TempDir(), Store: h.st})
	if err != nil {
		t.Fatal(err)
	}
	users.st = h.st
	*deps = voicemail.DepositDeps{Mailbox: mb, Store: h.st, Voice: silentPrompts{}}
	return h
}

// leaveMessage waits for the beep at p (the first sound of a deposit with silent prompts),
// speaks for a while towards the relay leg of sdp and hangs up.
func (h *harness) leaveMessage(t *testing.T, p *testPhone, sdp []byte, s interface{ Bye(context.Context) error }) {
	t.Helper()
	if !p.gotRTP(5 * time.Second) {
		t.Fatalf("%s hears no beep", p.name)
	}
	m := remoteMediaOf(t, sdp)
	p.sendRTP(m.AddrPort(), 0, rtpPattern(), 400) // 8 s of audio
	if err := s.Bye(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.waitIdle()
}

// expectVoicemail waits for one message from caller in ext's mailbox.
func (h *harness) expectVoicemail(t *testing.T, ext, caller string) {
	t.Helper()
	var vs []store.Voicemail
	waitFor(t, "a message in "+ext+"'s mailbox", func() bool {
		var err error
		vs, err = h.st.Voicemails(h.ctx, h.users[ext].ID)
		return err == nil && len(vs) > 0
	})
	if len(vs) != 1 || vs[0].Caller != caller {
		t.Fatalf("mailbox of %s = %+v, want one message from %s", ext, vs, caller)
	}
}

// TestIntegrationDialVoicemailOfColleague: 1001 dials 9811002 and leaves a message in 1002's
// mailbox; 1002's phone never rings. An unknown mailbox is 404.
func TestIntegrationDialVoicemailOfColleague(t *testing.T) {
	h := vmTransferHarness(t)
	p1, p2 := h.phone("1001"), h.phone("1002")
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	if _, err := p1.dial(ctx, h.uri("9819999")); statusOf(err) != 404 {
		t.Fatalf("9819999: %v, want 404", err)
	}
	sess, err := p1.dial(ctx, h.uri("9811002"))
	if err != nil {
		t.Fatalf("dial 9811002: %v", err)
	}
	h.leaveMessage(t, p1, sess.InviteResponse.Body(), sess)
	h.expectVoicemail(t, "1002", "1001")
	noCall(t, p2, 100*time.Millisecond, "transfer to voicemail")
}

// TestIntegrationTransferToVoicemail: 1003 calls 1001, who transfers 1003 to 9811002 (by
// REFER, and by the DTMF transfer code); 1003, on its own leg, leaves a message in 1002's
// mailbox, and 1002's phone never rings. A transfer to an unknown mailbox fails and the call
// goes on.
func TestIntegrationTransferToVoicemail(t *testing.T) {
	for _, how := range []string{"refer", "dtmf"} {
		t.Run(how, func(t *testing.T) {
			h := vmTransferHarness(t)
			p1, p2, p3 := h.phone("1001"), h.phone("1002"), h.phone("1003")
			sess, in := h.connect(p3, p1)
			if how == "refer" {
				res, err := inDialog(h.ctx, in.sess, in.req.Contact().Address, sip.REFER, nil,
					sip.NewHeader("Refer-To", "<"+h.uri("9819999")+">"), sip.NewHeader("Referred-By", "<sip:1001@"+demo.Domain+">"))
				if err == nil && res.StatusCode == 202 {
					waitNotify(t, p1, "4") // a failure (the unknown number does not route)
				}
				checkAudio(t, p3, sess.InviteResponse.Body(), p1) // still talking
				res, err = inDialog(h.ctx, in.sess, in.req.Contact().Address, sip.REFER, nil,
					sip.NewHeader("Refer-To", "<"+h.uri("9811002")+">"), sip.NewHeader("Referred-By", "<sip:1001@"+demo.Domain+">"))
				if err != nil || res.StatusCode != 202 {
					t.Fatalf("REFER: %v %v", res, err)
				}
				waitNotify(t, p1, "200")
			} else {
				newKeypad(t, p1, in.req.Body()).press(t, "*#*19811002#")
			}
			recvWithin(t, p1.byes, "BYE at the transferring user")
			h.leaveMessage(t, p3, sess.InviteResponse.Body(), sess)
			h.expectVoicemail(t, "1002", "1003")
			noCall(t, p2, 100*time.Millisecond, "transfer to voicemail")
		})
	}
}
