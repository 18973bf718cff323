package b2bua

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/sdpmedia"
	"github.com/vaihde/vaihde/shared/tone"
)

// ringServices answers "7000" with a flow that rings s.ring (mediaapp.Ringer) and reports the
// outcome; after a failure the caller is still in the flow, which plays a 1 kHz tone and hangs
// up.
type ringServices struct {
	ring    mediaapp.Ring
	limit   time.Duration // when set, RingOut's context ends after it
	results chan ringResult
	after   chan error // the flow's Play after a failed RingOut
}

type ringResult struct {
	ans mediaapp.Answered
	err error
}

func newRingServices(r mediaapp.Ring) *ringServices {
	return &ringServices{ring: r, results: make(chan ringResult, 4), after: make(chan error, 4)}
}

func (s *ringServices) Service(_ context.Context, c ServiceCall) (mediaapp.Flow, bool) {
	if c.Dialled != "7000" {
		return nil, false
	}
	return func(ctx context.Context, ch mediaapp.Channel) error {
		rctx := ctx
		if s.limit > 0 {
			var cancel context.CancelFunc
			rctx, cancel = context.WithTimeout(ctx, s.limit)
			defer cancel()
		}
		ans, err := ch.(mediaapp.Ringer).RingOut(rctx, s.ring)
		push(s.results, ringResult{ans, err})
		if err == nil {
			return nil
		}
		if errors.Is(err, mediaapp.ErrHangup) {
			return err
		}
		err = ch.Play(ctx, mediaapp.Tone(1000, 1500*time.Millisecond))
		push(s.after, err)
		return ch.Hangup(ctx)
	}, true
}

// rtpPattern is the payload test phones send in checkAudio.
func rtpPattern() []byte {
	p := make([]byte, 160)
	for i := range p {
		p[i] = byte(0x10 + i%64)
	}
	return p
}

// streamUntil reads the RTP p receives until a packet carries payload, checking that every
// packet has one SSRC and that sequence numbers run on without a gap; it returns the packets.
func streamUntil(t *testing.T, p *testPhone, payload []byte) []rtp.Packet {
	t.Helper()
	var pkts []rtp.Packet
	buf := make([]byte, 1500)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_ = p.rtp.SetReadDeadline(deadline)
		n, err := p.rtp.Read(buf)
		if err != nil {
			break
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(append([]byte(nil), buf[:n]...)) != nil {
			continue
		}
		if len(pkts) > 0 {
			prev := pkts[len(pkts)-1]
			if pkt.SSRC != prev.SSRC {
				t.Fatalf("%s: SSRC changed from %08x to %08x after %d packets", p.name, prev.SSRC, pkt.SSRC, len(pkts))
			}
			if pkt.SequenceNumber != prev.SequenceNumber+1 {
				t.Fatalf("%s: sequence number %d after %d (packet %d)", p.name, pkt.SequenceNumber, prev.SequenceNumber, len(pkts))
			}
		}
		pkts = append(pkts, pkt)
		if bytes.Equal(pkt.Payload, payload) {
			return pkts
		}
	}
	t.Fatalf("%s: the other party's audio never arrived (%d packets)", p.name, len(pkts))
	return nil
}

// TestIntegrationRingOutParallelFirstAnswerWins: a flow rings 1002 and 1003 at once for a group;
// both INVITEs carry the group headers and show the group's Shown; 1002 answers, 1003 gets a
// CANCEL; the caller, never re-INVITEd, hears ringback and then 1002 in one RTP stream (one
// SSRC, consecutive sequence numbers) and both hear each other. Answered.Done closes at the end.
// The call log follows CALL-13: a hunt group logs 1003 missed, a queue logs nothing for it.
func TestIntegrationRingOutParallelFirstAnswerWins(t *testing.T) {
	for _, kind := range []string{"hunt", "queue"} {
		t.Run(kind, func(t *testing.T) {
			svc := newRingServices(mediaapp.Ring{Group: mediaapp.GroupInfo{Kind: kind, ID: 7, Name: "Myynti",
				Number: "8001", Shown: "1*1001", Callback: "Soita takaisin"}})
			h := newHarnessServices(t, nil, svc)
			svc.ring.Users = []int64{h.users["1002"].ID, h.users["1003"].ID}
			a, b, c := h.phone("1001"), h.phone("1002"), h.phone("1003")
			sess, err := a.dial(h.ctx, h.uri("7000"))
			if err != nil {
				t.Fatalf("call to the flow: %v", err)
			}
			inB, inC := b.expectCall(t), c.expectCall(t)
			for _, in := range []*inbound{inB, inC} {
				for name, want := range map[string]string{hdrQueue: "Myynti", hdrQueueNumber: "8001", hdrCallback: "Soita takaisin"} {
					if h := in.req.GetHeader(name); h == nil || h.Value() != want {
						t.Errorf("INVITE %s: %v, want %q", name, h, want)
					}
				}
				if f := in.req.From(); f.Address.User != "1*1001" || f.DisplayName != "1*1001" {
					t.Errorf("INVITE From %q <%s>, want the group's Shown 1*1001", f.DisplayName, f.Address.User)
				}
			}
			if !a.gotRTP(2 * time.Second) {
				t.Fatal("the caller hears nothing while the group rings")
			}
			time.Sleep(200 * time.Millisecond) // some ringback before 1002 answers
			inB.answer(t, 200)
			recvWithin(t, c.cancels, "CANCEL at 1003 once 1002 answered")
			res := recvWithin(t, svc.results, "RingOut")
			if res.err != nil || res.ans.UserID != h.users["1002"].ID {
				t.Fatalf("RingOut = %+v, %v; want answered by 1002", res.ans, res.err)
			}
			// 1002 talks: the caller's stream goes on from the ringback to 1002's audio.
			m := remoteMediaOf(t, inB.req.Body())
			go b.sendRTP(m.AddrPort(), 0, rtpPattern(), 10)
			pkts := streamUntil(t, a, rtpPattern())
			if len(pkts) < 2 {
				t.Fatalf("only %d packets: no ringback before the bridge", len(pkts))
			}
			checkAudio(t, a, sess.InviteResponse.Body(), b)
			select {
			case m := <-a.reinvites:
				t.Fatalf("the caller was re-INVITEd (to port %d)", m.Port)
			default:
			}
			select {
			case <-res.ans.Done:
				t.Fatal("Done closed during the conversation")
			default:
			}
			h.hangUp(t, sess, b, "BYE at 1002")
			recvWithin(t, res.ans.Done, "Answered.Done after the hang-up")
			h.expectLog("1002", store.Incoming, store.Answered, "1*1001")
			if kind == "hunt" {
				h.expectLog("1003", store.Incoming, store.Missed, "1*1001")
			} else {
				time.Sleep(200 * time.Millisecond)
				if recs := h.callLog("1003"); len(recs) != 0 {
					t.Fatalf("queue call: 1003 did not answer but has log entries %+v", recs)
				}
			}
		})
	}
}

// TestIntegrationRingOutFailures: timeout, busy, nothing registered, the flow's context ending
// and the caller hanging up while it rings each end RingOut with their error (the rung phone
// gets a CANCEL); except after the hang-up the caller is still in the flow and hears it.
func TestIntegrationRingOutFailures(t *testing.T) {
	cases := []struct {
		name   string
		limit  time.Duration
		ring   mediaapp.Ring
		callee string // who rings ("" nobody registered)
		act    func(t *testing.T, in *inbound, caller interface{ Bye(context.Context) error })
		want   error
	}{
		{name: "timeout", ring: mediaapp.Ring{Timeout: time.Second}, callee: "1002",
			act: func(t *testing.T, in *inbound, _ interface{ Bye(context.Context) error }) {}, want: mediaapp.ErrNoAnswer},
		{name: "busy", callee: "1002",
			act: func(t *testing.T, in *inbound, _ interface{ Bye(context.Context) error }) { in.answer(t, 486) }, want: mediaapp.ErrBusy},
		{name: "unreachable", want: mediaapp.ErrUnreachable},
		{name: "cancel", limit: time.Second, callee: "1002",
			act: func(t *testing.T, in *inbound, _ interface{ Bye(context.Context) error }) {}, want: context.DeadlineExceeded},
		{name: "hangup", callee: "1002",
			act: func(t *testing.T, _ *inbound, caller interface{ Bye(context.Context) error }) {
				if err := caller.Bye(context.Background()); err != nil {
					t.Fatal(err)
				}
			}, want: mediaapp.ErrHangup},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := newRingServices(tc.ring)
			svc.limit = tc.limit
			h := newHarnessServices(t, nil, svc)
			svc.ring.Users = []int64{h.users["1002"].ID}
			a := h.phone("1001")
			var b *testPhone
			if tc.callee != "" {
				b = h.phone(tc.callee)
			}
			sess, err := a.dial(h.ctx, h.uri("7000"))
			if err != nil {
				t.Fatalf("call to the flow: %v", err)
			}
			if b != nil {
				tc.act(t, b.expectCall(t), sess)
			}
			res := recvWithin(t, svc.results, "RingOut")
			if !errors.Is(res.err, tc.want) {
				t.Fatalf("RingOut error %v, want %v", res.err, tc.want)
			}
			if b != nil && tc.name != "busy" {
				recvWithin(t, b.cancels, "CANCEL at "+tc.callee)
			}
			if tc.want == mediaapp.ErrHangup {
				h.waitIdle()
				return
			}
			// Still in the flow: the tone it plays after the failure arrives (the second half of
			// what the caller hears next; the first may still be ringback).
			pcm := a.recvAudio(t, time.Second)
			if len(pcm) > 0 {
				pcm = pcm[len(pcm)/2:]
			}
			if share := tone.Share(pcm, 1000, 8000); len(pcm) < 2000 || share < 0.8 {
				t.Fatalf("after %s the caller got %d samples, 1 kHz share %.2f: not the flow", tc.name, len(pcm), share)
			}
			if err := recvWithin(t, svc.after, "the flow's prompt"); err != nil {
				t.Fatalf("Play after the failed RingOut: %v", err)
			}
			recvWithin(t, a.byes, "BYE from the flow")
			h.waitIdle()
		})
	}
}

// TestIntegrationRingOutDevices: 1002 has a Vaihde Softphone and a desk phone registered;
// Devices ["softphone"] rings only the Softphone, ["desk"] only the desk phone.
func TestIntegrationRingOutDevices(t *testing.T) {
	for _, dev := range []string{deviceSoftphone, deviceDesk} {
		t.Run(dev, func(t *testing.T) {
			svc := newRingServices(mediaapp.Ring{Devices: []string{dev}, Timeout: 2 * time.Second})
			h := newHarnessServices(t, nil, svc)
			svc.ring.Users = []int64{h.users["1002"].ID}
			a := h.phone("1001")
			soft := h.phoneNamed("1002", "Vaihde Softphone 0.10 (linux)")
			desk := h.phoneNamed("1002", "Yealink SIP-T46U 108.86")
			if _, err := a.dial(h.ctx, h.uri("7000")); err != nil {
				t.Fatalf("call to the flow: %v", err)
			}
			rings, silent := soft, desk
			if dev == deviceDesk {
				rings, silent = desk, soft
			}
			rings.expectCall(t)
			res := recvWithin(t, svc.results, "RingOut")
			if !errors.Is(res.err, mediaapp.ErrNoAnswer) {
				t.Fatalf("RingOut: %v, want no answer", res.err)
			}
			select {
			case in := <-silent.incoming:
				t.Fatalf("%s rang although Devices is %q (User-Agent %s)", silent.name, dev, in.req.GetHeader("User-Agent"))
			default:
			}
		})
	}
}

// TestIntegrationOriginate: the server rings agent 1002, who hears the announcement, then rings
// 1003 (the caller to call back), bridged to the agent on answer; and when 1004 (nothing
// registered) is the second party the error says the second side failed and the agent's call
// ends.
func TestIntegrationOriginate(t *testing.T) {
	h := newHarness(t)
	b, c := h.phone("1002"), h.phone("1003")
	first := mediaapp.Ring{Users: []int64{h.users["1002"].ID}, Timeout: 5 * time.Second,
		Group: mediaapp.GroupInfo{Kind: "queue", Name: "Asiakaspalvelu", Number: "8000", Callback: "Takaisinsoitto"}}
	type result struct {
		ans mediaapp.Answered
		err error
	}
	done := make(chan result, 1)
	go func() {
		ans, err := h.eng.Originate(h.ctx, h.org.ID, first, []mediaapp.Clip{mediaapp.Tone(1000, time.Second)},
			mediaapp.Ring{Number: "1003", Timeout: 5 * time.Second})
		done <- result{ans, err}
	}()
	inB := b.expectCall(t)
	if h := inB.req.GetHeader(hdrCallback); h == nil || h.Value() != "Takaisinsoitto" {
		t.Errorf("agent's INVITE %s = %v", hdrCallback, h)
	}
	inB.decide <- 200
	select {
	case r := <-done:
		t.Fatalf("Originate returned when the agent answered: %+v, %v", r.ans, r.err)
	case err := <-inB.done:
		if err != nil {
			t.Fatalf("agent answers: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("agent's answer timed out")
	}
	pcm := b.recvAudio(t, 700*time.Millisecond)
	if share := tone.Share(pcm, 1000, 8000); len(pcm) < 2000 || share < 0.8 {
		t.Fatalf("agent got %d samples, 1 kHz share %.2f: not the announcement", len(pcm), share)
	}
	inC := c.expectCall(t)
	inC.answer(t, 200)
	r := recvWithin(t, done, "Originate")
	if r.err != nil || r.ans.UserID != h.users["1002"].ID {
		t.Fatalf("Originate = %+v, %v; want answered by agent 1002", r.ans, r.err)
	}
	checkAudio(t, b, inB.req.Body(), c)
	checkAudio(t, c, inC.req.Body(), b)
	if err := inC.sess.Bye(h.ctx); err != nil {
		t.Fatal(err)
	}
	recvWithin(t, b.byes, "BYE at the agent")
	recvWithin(t, r.ans.Done, "Answered.Done")
	h.waitIdle()

	// The second party cannot be reached: reported as such, the agent is hung up on.
	go func() {
		ans, err := h.eng.Originate(h.ctx, h.org.ID, first, nil, mediaapp.Ring{Number: "1004", Timeout: 2 * time.Second})
		done <- result{ans, err}
	}()
	// The agent answers; the server hangs up right after its ACK (the phone may see the BYE
	// before it has taken the ACK, so the answer's own outcome is not checked).
	b.expectCall(t).decide <- 200
	r = recvWithin(t, done, "Originate to 1004")
	if !errors.Is(r.err, mediaapp.ErrSecondFailed) || !errors.Is(r.err, mediaapp.ErrUnreachable) || errors.Is(r.err, mediaapp.ErrFirstFailed) {
		t.Fatalf("Originate error %v, want second failed: unreachable", r.err)
	}
	recvWithin(t, b.byes, "BYE at the agent after the second side failed")

	// Nobody answers first: the first side failed.
	go func() {
		ans, err := h.eng.Originate(h.ctx, h.org.ID, mediaapp.Ring{Users: []int64{h.users["1004"].ID}}, nil, mediaapp.Ring{Number: "1003"})
		done <- result{ans, err}
	}()
	r = recvWithin(t, done, "Originate to unregistered agent")
	if !errors.Is(r.err, mediaapp.ErrFirstFailed) || !errors.Is(r.err, mediaapp.ErrUnreachable) {
		t.Fatalf("Originate error %v, want first failed: unreachable", r.err)
	}
	h.waitIdle()
}

// TestIntegrationRingOutResume (Ring.Resume): 1002 answers the flow's RingOut and talks with
// the caller; when 1002 hangs up the caller is not hung up but back in the flow, which plays a
// 1 kHz tone on the same stream (one SSRC, consecutive sequence numbers from the ringback to
// 1002 to the flow) and then hangs up.
func TestIntegrationRingOutResume(t *testing.T) {
	back := make(chan error, 1)
	svc := &resumeServices{back: back}
	h := newHarnessServices(t, nil, svc)
	svc.user = h.users["1002"].ID
	a, b := h.phone("1001"), h.phone("1002")
	sess, err := a.dial(h.ctx, h.uri("7000"))
	if err != nil {
		t.Fatalf("call to the flow: %v", err)
	}
	inB := b.expectCall(t)
	time.Sleep(200 * time.Millisecond)
	inB.answer(t, 200)
	m := remoteMediaOf(t, inB.req.Body())
	go b.sendRTP(m.AddrPort(), 0, rtpPattern(), 10)
	before := streamUntil(t, a, rtpPattern())
	checkAudio(t, a, sess.InviteResponse.Body(), b)
	if err := inB.sess.Bye(h.ctx); err != nil {
		t.Fatal(err)
	}
	if err := recvWithin(t, back, "the flow after 1002 hung up"); err != nil {
		t.Fatalf("the flow's channel after the conversation: %v", err)
	}
	select {
	case <-a.byes:
		t.Fatal("the caller was hung up with 1002")
	default:
	}
	pcm := streamFrom(t, a, before[len(before)-1], time.Second)
	if share := tone.Share(pcm, 1000, 8000); len(pcm) < 4000 || share < 0.6 {
		t.Fatalf("back in the flow the caller got %d samples, 1 kHz share %.2f", len(pcm), share)
	}
	recvWithin(t, a.byes, "BYE from the flow")
	if len(before) < 2 {
		t.Fatalf("only %d packets before 1002's audio", len(before))
	}
	h.waitIdle()
}

// streamFrom reads what p receives for d after packet last, checking that the stream goes on
// with last's SSRC and consecutive sequence numbers, and returns its decoded audio.
func streamFrom(t *testing.T, p *testPhone, last rtp.Packet, d time.Duration) []int16 {
	t.Helper()
	var pcm []int16
	buf := make([]byte, 1500)
	deadline := time.Now().Add(d)
	prev := last
	for time.Now().Before(deadline) {
		_ = p.rtp.SetReadDeadline(deadline)
		n, err := p.rtp.Read(buf)
		if err != nil {
			break
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(append([]byte(nil), buf[:n]...)) != nil {
			continue
		}
		if pkt.SSRC != prev.SSRC || pkt.SequenceNumber != prev.SequenceNumber+1 {
			t.Fatalf("%s: packet SSRC %08x seq %d after SSRC %08x seq %d: the stream did not go on", p.name,
				pkt.SSRC, pkt.SequenceNumber, prev.SSRC, prev.SequenceNumber)
		}
		prev = pkt
		if out, err := codec.Decode(pkt.PayloadType, pkt.Payload, pcm); err == nil {
			pcm = out
		}
	}
	return pcm
}

// resumeServices answers "7000" with a flow that rings user with Resume, waits for the
// conversation to end, reports, plays a 1 kHz tone and hangs up.
type resumeServices struct {
	user int64
	back chan error
}

func (s *resumeServices) Service(_ context.Context, c ServiceCall) (mediaapp.Flow, bool) {
	if c.Dialled != "7000" {
		return nil, false
	}
	return func(ctx context.Context, ch mediaapp.Channel) error {
		ans, err := ch.(mediaapp.Ringer).RingOut(ctx, mediaapp.Ring{Users: []int64{s.user}, Resume: true, Timeout: 5 * time.Second})
		if err != nil {
			push(s.back, err)
			return err
		}
		<-ans.Done
		push(s.back, nil)
		if err := ch.Play(ctx, mediaapp.Tone(1000, 1500*time.Millisecond)); err != nil {
			return err
		}
		return ch.Hangup(ctx)
	}, true
}

// TestIntegrationRingOutMobileAndOutsideAuthority: Devices ["mobile"] rings 1002's mobile number
// through the trunk (not 1002's registered phone), and the carrier's answer counts as 1002's.
// Originate's second party on the trunk goes out only on a user's authority (allowOutside):
// with By 1001 the carrier rings, with By 0 the call is refused and reported as the second
// side's failure.
func TestIntegrationRingOutMobileAndOutsideAuthority(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	carrier := newTestPhone(t, ctx, "carrier", "carrier", "", []sdpmedia.Codec{sdpmedia.PCMU})
	cport := carrier.conn.LocalAddr().(*net.UDPAddr).Port
	svc := newRingServices(mediaapp.Ring{Devices: []string{deviceMobile}, Timeout: 5 * time.Second,
		Group: mediaapp.GroupInfo{Kind: "hunt", Name: "Myynti", Number: "8001"}})
	h := newHarnessPersonal(t, func(c *Config) {
		c.Trunk = Trunk{Host: "127.0.0.1", Port: cport, Domain: "carrier.example"}
	}, svc, nil)
	svc.ring.Users = []int64{h.users["1002"].ID}
	a, b := h.phone("1001"), h.phone("1002")
	sess, err := a.dial(h.ctx, h.uri("7000"))
	if err != nil {
		t.Fatalf("call to the flow: %v", err)
	}
	in := carrier.expectCall(t)
	if got, want := in.req.Recipient.User, h.users["1002"].MobileNumber; got != want {
		t.Fatalf("carrier rung for %q, want 1002's mobile %q", got, want)
	}
	in.answer(t, 200)
	res := recvWithin(t, svc.results, "RingOut")
	if res.err != nil || res.ans.UserID != h.users["1002"].ID {
		t.Fatalf("RingOut = %+v, %v; want answered as 1002", res.ans, res.err)
	}
	select {
	case <-b.incoming:
		t.Fatal("1002's registered phone rang although only the mobile was asked for")
	default:
	}
	checkAudio(t, carrier, in.req.Body(), a)
	h.hangUp(t, sess, carrier, "BYE at the carrier")

	// Originate to an outside number: on 1001's authority it goes out ...
	first := mediaapp.Ring{Users: []int64{h.users["1002"].ID}, Timeout: 5 * time.Second}
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		_, err := h.eng.Originate(h.ctx, h.org.ID, first, nil, mediaapp.Ring{Number: "0501112222", By: h.users["1001"].ID, Timeout: 2 * time.Second})
		done <- result{err}
	}()
	b.expectCall(t).decide <- 200
	in = carrier.expectCall(t)
	if in.req.Recipient.User != "+358501112222" {
		t.Fatalf("carrier rung for %q", in.req.Recipient.User)
	}
	in.answer(t, 486)
	if r := recvWithin(t, done, "Originate"); !errors.Is(r.err, mediaapp.ErrSecondFailed) || !errors.Is(r.err, mediaapp.ErrBusy) {
		t.Fatalf("Originate error %v, want second failed: busy", r.err)
	}
	recvWithin(t, b.byes, "BYE at the agent")
	// ... on nobody's authority it never does.
	go func() {
		_, err := h.eng.Originate(h.ctx, h.org.ID, first, nil, mediaapp.Ring{Number: "0501112222", Timeout: 2 * time.Second})
		done <- result{err}
	}()
	b.expectCall(t).decide <- 200
	if r := recvWithin(t, done, "Originate without authority"); !errors.Is(r.err, mediaapp.ErrSecondFailed) || !errors.Is(r.err, mediaapp.ErrUnreachable) {
		t.Fatalf("Originate error %v, want second failed: refused", r.err)
	}
	select {
	case in := <-carrier.incoming:
		t.Fatalf("the carrier got a call nobody authorised: %s", in.req.Recipient.User)
	default:
	}
	h.waitIdle()
}
