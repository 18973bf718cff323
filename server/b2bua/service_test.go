package b2bua

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
	"github.com/vaihde/vaihde/shared/tone"
)

// testServices answers "9999" with a flow that plays a 1 kHz tone, collects two digits and
// hangs up, and "9998" with one that collects digits until the caller hangs up. What the flows
// collect and how they end arrives on the channels.
type testServices struct {
	digits chan string
	ended  chan error
	calls  chan ServiceCall
}

func newTestServices() *testServices {
	return &testServices{digits: make(chan string, 8), ended: make(chan error, 8), calls: make(chan ServiceCall, 8)}
}

func (s *testServices) Service(_ context.Context, c ServiceCall) (mediaapp.Flow, bool) {
	switch c.Dialled {
	case "9999":
		push(s.calls, c)
		return func(ctx context.Context, ch mediaapp.Channel) error {
			err := ch.Play(ctx, mediaapp.Tone(1000, 1500*time.Millisecond))
			if err != nil && !errors.Is(err, mediaapp.ErrBargeIn) {
				push(s.ended, err)
				return err
			}
			d, err := ch.Collect(ctx, mediaapp.CollectOptions{Max: 2, Terminator: mediaapp.NoTerminator, FirstTimeout: 10 * time.Second})
			push(s.digits, d)
			push(s.ended, err)
			return ch.Hangup(ctx)
		}, true
	case "9998":
		push(s.calls, c)
		return func(ctx context.Context, ch mediaapp.Channel) error {
			for {
				d, err := ch.Collect(ctx, mediaapp.CollectOptions{Max: 1, FirstTimeout: 30 * time.Second})
				if err != nil {
					push(s.ended, err)
					return err
				}
				push(s.digits, d)
			}
		}, true
	}
	return nil, false
}

// recvAudio reads RTP for d and returns the decoded samples of audio packets.
func (p *testPhone) recvAudio(t *testing.T, d time.Duration) []int16 {
	t.Helper()
	var out []int16
	buf := make([]byte, 1500)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		_ = p.rtp.SetReadDeadline(deadline)
		n, err := p.rtp.Read(buf)
		if err != nil {
			break
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil || !codec.Supported(pkt.PayloadType) {
			continue
		}
		if out, err = codec.Decode(pkt.PayloadType, pkt.Payload, out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// portFreed checks that the service endpoint's RTP socket was closed: its port can be bound
// again, which Endpoint.Close allows only after its goroutines have stopped.
func portFreed(t *testing.T, ap netip.AddrPort) {
	t.Helper()
	waitFor(t, "service RTP port "+ap.String()+" freed", func() bool {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// sendDigit sends key as RFC 4733 telephone-events (three packets, the last with the E bit).
func (p *testPhone) sendDigit(dst netip.AddrPort, key rune, seq uint16, ts uint32) {
	code, _ := dtmf.CodeOf(key)
	for i := 0; i < 3; i++ {
		ev := dtmf.Event{Code: code, End: i == 2, Volume: 10, Duration: uint16(160 * (i + 1))}
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Marker: i == 0, SequenceNumber: seq + uint16(i),
			Timestamp: ts, SSRC: 0x4321}, Payload: ev.Marshal(make([]byte, 4))}
		b, _ := pkt.Marshal()
		_, _ = p.rtp.WriteToUDPAddrPort(b, dst)
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIntegrationServiceCallToneDigitsAndByeFromServer(t *testing.T) {
	svc := newTestServices()
	h := newHarnessServices(t, nil, svc)
	a := h.phone("1001")
	ctx, cancel := context.WithTimeout(h.ctx, 15*time.Second)
	defer cancel()
	sess, err := a.dial(ctx, h.uri("9999"))
	if err != nil {
		t.Fatalf("dial 9999: %v", err)
	}
	c := recvWithin(t, svc.calls, "service call")
	if !c.Internal || c.Caller.Extension != "1001" || c.Org.ID != h.org.ID {
		t.Fatalf("service call %+v", c)
	}
	m := remoteMediaOf(t, sess.InviteResponse.Body())
	if m.DTMFPT != 101 {
		t.Fatalf("answer offers telephone-event PT %d, want 101", m.DTMFPT)
	}
	// Symmetric RTP: a packet from the phone first, then the tone arrives.
	go a.sendRTP(m.AddrPort(), 0, make([]byte, 160), 5)
	pcm := a.recvAudio(t, time.Second)
	if len(pcm) < 4000 {
		t.Fatalf("received %d samples of the tone, want ≥ 4000", len(pcm))
	}
	if share := tone.Share(pcm, 1000, 8000); share < 0.8 {
		t.Fatalf("1 kHz share of received audio = %.2f, want ≥ 0.8 (rms %.3f)", share, tone.RMS(pcm))
	}
	waitFor(t, "on-call presence of 1001", func() bool {
		for _, ev := range h.pres.snapshot() {
			if ev.user == h.users["1001"].ID && ev.state == presence.PhoneOnCall && ev.peer == "9999" {
				return true
			}
		}
		return false
	})
	a.sendDigit(m.AddrPort(), '4', 100, 16000)
	a.sendDigit(m.AddrPort(), '2', 110, 17600)
	if d := recvWithin(t, svc.digits, "digits"); d != "42" {
		t.Fatalf("flow collected %q, want 42", d)
	}
	if err := recvWithin(t, svc.ended, "flow end"); err != nil {
		t.Fatalf("collect: %v", err)
	}
	recvWithin(t, a.byes, "BYE from the service")
	h.waitIdle()
	portFreed(t, m.AddrPort())
	h.expectLog("1001", store.Outgoing, store.Answered, "9999")
	waitFor(t, "idle presence of 1001", func() bool {
		evs := h.pres.snapshot()
		last := evs[len(evs)-1]
		return last.user == h.users["1001"].ID && last.state == presence.PhoneIdle
	})
}

func TestIntegrationServiceCallInfoReInviteAndByeFromCaller(t *testing.T) {
	svc := newTestServices()
	h := newHarnessServices(t, nil, svc)
	a := h.phone("1001")
	ctx, cancel := context.WithTimeout(h.ctx, 15*time.Second)
	defer cancel()
	sess, err := a.dial(ctx, h.uri("9998"))
	if err != nil {
		t.Fatalf("dial 9998: %v", err)
	}
	recvWithin(t, svc.calls, "service call")
	media := remoteMediaOf(t, sess.InviteResponse.Body()).AddrPort()
	target := sess.InviteResponse.Contact().Address
	res, err := inDialog(ctx, sess, target, sip.INFO, []byte("Signal=7\r\nDuration=160\r\n"),
		sip.NewHeader("Content-Type", "application/dtmf-relay"))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("INFO: %v %v", res, err)
	}
	if d := recvWithin(t, svc.digits, "INFO digit"); d != "7" {
		t.Fatalf("flow collected %q from INFO, want 7", d)
	}
	// Hold: the re-INVITE is answered and the application goes on.
	res, err = inDialog(ctx, sess, target, sip.INVITE, a.sdp("sendonly"), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("re-INVITE: %v %v", res, err)
	}
	if m := remoteMediaOf(t, res.Body()); m.Direction != "recvonly" {
		t.Fatalf("hold answer direction %q, want recvonly", m.Direction)
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	if err := recvWithin(t, svc.ended, "flow end"); !errors.Is(err, mediaapp.ErrHangup) {
		t.Fatalf("flow ended with %v, want ErrHangup", err)
	}
	h.waitIdle()
	portFreed(t, media)
	h.expectLog("1001", store.Outgoing, store.Answered, "9998")
}

func TestIntegrationServiceCallEndedByClose(t *testing.T) {
	svc := newTestServices()
	h := newHarnessServices(t, nil, svc)
	a := h.phone("1001")
	ctx, cancel := context.WithTimeout(h.ctx, 15*time.Second)
	defer cancel()
	if _, err := a.dial(ctx, h.uri("9998")); err != nil {
		t.Fatalf("dial 9998: %v", err)
	}
	recvWithin(t, svc.calls, "service call")
	if n := h.eng.ActiveCalls(); n != 1 {
		t.Fatalf("ActiveCalls = %d during a service call, want 1", n)
	}
	if err := h.eng.Close(); err != nil {
		t.Fatal(err)
	}
	if err := recvWithin(t, svc.ended, "flow end"); err == nil {
		t.Fatal("flow went on after Close")
	}
	recvWithin(t, a.byes, "BYE on Close")
	if n := h.eng.ActiveCalls(); n != 0 {
		t.Fatalf("ActiveCalls = %d after Close", n)
	}
}

func TestIntegrationServiceCallNegotiatesPCMA(t *testing.T) {
	svc := newTestServices()
	h := newHarnessServices(t, nil, svc)
	a := h.phone("1002", sdpmedia.PCMA)
	ctx, cancel := context.WithTimeout(h.ctx, 15*time.Second)
	defer cancel()
	sess, err := a.dial(ctx, h.uri("9998"))
	if err != nil {
		t.Fatalf("dial 9998: %v", err)
	}
	m := remoteMediaOf(t, sess.InviteResponse.Body())
	if len(m.Codecs) != 1 || m.Codecs[0].Name != "PCMA" {
		t.Fatalf("answer codecs %+v, want PCMA only", m.Codecs)
	}
	if pkt := a.recvRTP(t); pkt.PayloadType != 8 {
		t.Fatalf("service sends PT %d, want 8 (PCMA)", pkt.PayloadType)
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	h.waitIdle()
	portFreed(t, m.AddrPort())
}
