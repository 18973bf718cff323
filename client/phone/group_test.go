package phone

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/client/media"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// TestIntegrationGroupCallHeaders rings the engine over loopback with an INVITE as the server
// sends it for a queue callback, and checks that the queue's name, number and callback text
// reach the call while it rings and after it is answered.
func TestIntegrationGroupCallHeaders(t *testing.T) {
	srv, e, _ := loggedInEngine(t)

	sess, err := media.Listen(netip.MustParseAddr("127.0.0.1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	la := sess.LocalAddr()
	offer, err := sdpmedia.Build(sdpmedia.Media{Addr: la.Addr(), Port: int(la.Port()),
		Codecs: []sdpmedia.Codec{sdpmedia.PCMU}, Direction: sdpmedia.SendRecv}, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	dua := &sipgo.DialogUA{Client: srv.client, ContactHDR: srv.contact()}
	target := sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: int(e.LocalAddr().Port())}
	req := sip.NewRequest(sip.INVITE, target)
	req.SetDestination(e.LocalAddr().String())
	from := &sip.FromHeader{DisplayName: "Matti Meikäläinen",
		Address: sip.Uri{Scheme: "sip", User: "+358401234567", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("X-Vaihde-Queue", "Asiakaspalvelu"))
	req.AppendHeader(sip.NewHeader("X-Vaihde-Queue-Number", "8000"))
	req.AppendHeader(sip.NewHeader("X-Vaihde-Callback", "Soittopyyntö: laskutus, soita ennen klo 16"))
	req.SetBody(offer)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dlg, err := dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	want := GroupCall{Name: "Asiakaspalvelu", Number: "8000", Callback: "Soittopyyntö: laskutus, soita ennen klo 16"}
	in := waitIncoming(t, e)
	c, _ := findCall(e, in)
	if c.Group != want || c.Remote != "+358401234567" || c.RemoteName != "Matti Meikäläinen" {
		t.Fatalf("ringing call %+v; want group %+v from +358401234567", c, want)
	}
	if err := e.Answer(in); err != nil {
		t.Fatal(err)
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := dlg.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	if c := waitCall(t, e, in, Active); c.Group != want {
		t.Fatalf("answered call's group %+v, want %+v", c.Group, want)
	}
	_ = e.Hangup(in)
	if c := waitCall(t, e, in, Ended); c.Group != want {
		t.Fatalf("ended call's group %+v, want %+v", c.Group, want)
	}

	// A direct call carries no group.
	req2 := sip.NewRequest(sip.INVITE, target)
	req2.SetDestination(e.LocalAddr().String())
	req2.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req2.SetBody(offer)
	ctx2, cancel2 := context.WithCancel(ctx)
	dlg2, err := dua.WriteInvite(ctx2, req2)
	if err != nil {
		t.Fatal(err)
	}
	defer dlg2.Close()
	in2 := waitIncoming(t, e, in)
	if c, _ := findCall(e, in2); !c.Group.IsZero() {
		t.Fatalf("direct call shows group %+v", c.Group)
	}
	go func() { _ = dlg2.WaitAnswer(ctx2, sipgo.AnswerOptions{}) }()
	cancel2() // the caller gives up: CANCEL
	waitCall(t, e, in2, Ended)
}

func TestGroupOfCleansHeaders(t *testing.T) {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1"})
	if g := groupOf(req); !g.IsZero() {
		t.Fatalf("no headers: %+v", g)
	}
	req.AppendHeader(sip.NewHeader("X-Vaihde-Queue-Number", " 8001 "))
	req.AppendHeader(sip.NewHeader("X-Vaihde-Callback", "rivi\x01 yksi\x7f"+strings.Repeat("x", 300)+"\xff"))
	g := groupOf(req)
	if g.Name != "8001" || g.Number != "8001" {
		t.Fatalf("nameless group %+v: want shown by its number", g)
	}
	if !strings.HasPrefix(g.Callback, "rivi yksi") || len([]rune(g.Callback)) != maxGroupText+1 ||
		!strings.HasSuffix(g.Callback, "…") {
		t.Fatalf("callback text not cleaned and cut: %q", g.Callback)
	}
}
