package relay

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
	"github.com/vaihde/vaihde/shared/tone"
)

// sendKey sends one key press as a phone does (RFC 4733 section 2.5.1.4): the start packet,
// two updates with the same timestamp, and the end packet three times.
func (ph *phone) sendKey(to netip.AddrPort, pt uint8, key rune) {
	ph.t.Helper()
	code, err := dtmf.CodeOf(key)
	if err != nil {
		ph.t.Fatal(err)
	}
	for i, d := range []uint16{160, 320, 480, 640, 640, 640} {
		ev := dtmf.Event{Code: code, Volume: 10, Duration: d, End: i >= 3}
		ph.send(to, pt, ev.Marshal(make([]byte, 4)), i == 0)
	}
	ph.ts += 800
}

// recvKeys reads n key presses from ch, failing after a generous deadline.
func recvKeys(t *testing.T, ch <-chan KeyPress, n int) string {
	t.Helper()
	var got []rune
	deadline := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case k, ok := <-ch:
			if !ok {
				t.Fatalf("key channel closed after %q", string(got))
			}
			got = append(got, k.Key)
		case <-deadline:
			t.Fatalf("got keys %q, want %d", string(got), n)
		}
	}
	return string(got)
}

// noKey checks that nothing more arrives on ch for a while.
func noKey(t *testing.T, ch <-chan KeyPress) {
	t.Helper()
	select {
	case k := <-ch:
		t.Fatalf("unexpected key %q", k.Key)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestIntegrationWatchKeysOncePerPress(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	c := newCall(t, p, sdpmedia.PCMU, sdpmedia.PCMA, 101, 96)
	keys := c.a.WatchKeys()
	for _, k := range "*#*1" {
		c.pa.sendKey(c.a.LocalAddr(), 101, k)
	}
	if got := recvKeys(t, keys, 4); got != "*#*1" {
		t.Fatalf("keys %q, want *#*1", got)
	}
	// Bridged: the events also reach B (6 packets per key), with B's payload type.
	if got := c.pb.waitFor(24); len(got) != 24 || got[0].PayloadType != 96 {
		t.Fatalf("B got %d packets, want 24 events with PT 96", len(got))
	}
	// Not bridged: still watched. An old event's end packet arriving late is no new key; the
	// same key again (new timestamp) is.
	c.a.Unbridge()
	oldTS := c.pa.ts - 800
	c.pa.sendKey(c.a.LocalAddr(), 101, '5')
	saved := c.pa.ts
	c.pa.ts = oldTS
	c.pa.send(c.a.LocalAddr(), 101, dtmf.Event{Code: 1, End: true, Duration: 640}.Marshal(make([]byte, 4)), false)
	c.pa.ts = saved
	c.pa.sendKey(c.a.LocalAddr(), 101, '5')
	if got := recvKeys(t, keys, 2); got != "55" {
		t.Fatalf("keys %q, want 55", got)
	}
	// Audio, another payload type and garbage events are no keys.
	c.pa.sendTone(c.a.LocalAddr(), 440, 2)
	c.pa.send(c.a.LocalAddr(), 96, dtmf.Event{Code: 3}.Marshal(make([]byte, 4)), false)
	c.pa.ts += 800
	c.pa.send(c.a.LocalAddr(), 101, []byte{200, 0, 0, 160}, false)
	c.pa.ts += 800
	c.pa.send(c.a.LocalAddr(), 101, []byte{1}, false)
	noKey(t, keys)
	// B's keys are not A's.
	c.pb.sendKey(c.b.LocalAddr(), 96, '9')
	noKey(t, keys)
}

func TestIntegrationWatchKeysNeverBlocksAndCloses(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	c := newCall(t, p, sdpmedia.PCMU, sdpmedia.PCMU, 101, 101)
	first := c.a.WatchKeys()
	second := c.a.WatchKeys()
	if _, ok := <-first; ok {
		t.Fatal("the replaced watcher's channel is still open")
	}
	// Nobody reads: more presses than the buffer holds must not stall the relay.
	for range keyBuffer + 8 {
		c.pa.sendKey(c.a.LocalAddr(), 101, '7')
	}
	c.pa.sendTone(c.a.LocalAddr(), 440, 5)
	got := c.pb.waitFor((keyBuffer+8)*6 + 5)
	if n := len(got); n != (keyBuffer+8)*6+5 {
		t.Fatalf("B got %d packets, want every event and frame", n)
	}
	if d := c.a.keys.dropped.Load(); d != 8 {
		t.Fatalf("dropped %d presses, want 8", d)
	}
	if n := len(second); n != keyBuffer {
		t.Fatalf("%d presses buffered, want %d", n, keyBuffer)
	}
	if err := c.a.Close(); err != nil {
		t.Fatal(err)
	}
	for range second {
	}
	if _, ok := <-c.a.WatchKeys(); ok {
		t.Fatal("watching a closed leg gives an open channel")
	}
}

// TestIntegrationPlayContinuity: a party hears relayed audio, then generated music while its
// partner is away, then relayed audio again, as one RTP stream (one SSRC, consecutive sequence
// numbers, timestamps that move on).
func TestIntegrationPlayContinuity(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	c := newCall(t, p, sdpmedia.PCMA, sdpmedia.PCMU, 101, 101)
	c.pa.sendTone(c.a.LocalAddr(), 500, 5)
	c.pb.waitFor(5)

	// Bridged: no generated audio.
	if err := c.b.WriteFrame(make([]int16, codec.FrameSamples)); !errors.Is(err, ErrBridged) {
		t.Fatalf("WriteFrame while bridged: %v, want ErrBridged", err)
	}
	c.a.Unbridge()
	music := make([]int16, 4*codec.FrameSamples) // 80 ms of 1 kHz, looped
	for i := range music {
		music[i] = int16(8000 * sinTable(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	loopDone := make(chan error, 1)
	lctx, stop := context.WithCancel(ctx)
	go func() { loopDone <- writeLoop(lctx, c.b, music) }()
	got := c.pb.waitFor(5 + 25)
	stop()
	if err := <-loopDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("Loop ended with %v, want context.Canceled", err)
	}
	pcm := decodeAll(t, got[5:30], codec.PCMU)
	if l := tone.Share(pcm, 1000, codec.SampleRate); l < 0.8 {
		t.Fatalf("music share of 1 kHz = %.2f, want the looped tone", l)
	}
	Bridge(c.a, c.b)
	c.pa.sendTone(c.a.LocalAddr(), 500, 5)
	time.Sleep(100 * time.Millisecond)
	got = c.pb.packets()
	if len(got) < 35 {
		t.Fatalf("B got %d packets, want at least 35", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].SSRC != got[0].SSRC {
			t.Fatalf("packet %d SSRC %x, want %x", i, got[i].SSRC, got[0].SSRC)
		}
		if got[i].SequenceNumber != got[i-1].SequenceNumber+1 {
			t.Fatalf("packet %d seq %d after %d", i, got[i].SequenceNumber, got[i-1].SequenceNumber)
		}
		if d := got[i].Timestamp - got[i-1].Timestamp; d < codec.FrameSamples || d > 10*codec.SampleRate {
			t.Fatalf("packet %d timestamp step %d", i, d)
		}
		if got[i].PayloadType != codec.PCMU {
			t.Fatalf("packet %d PT %d", i, got[i].PayloadType)
		}
	}
	if !got[5].Marker || got[6].Marker {
		t.Error("marker bit not on the first generated packet only")
	}
	// Generated frames are paced at 20 ms: consecutive timestamps step by one frame.
	for i := 6; i < 30; i++ {
		if d := got[i].Timestamp - got[i-1].Timestamp; d != codec.FrameSamples {
			t.Fatalf("generated packet %d timestamp step %d", i, d)
		}
	}
	if !got[len(got)-5].Marker {
		t.Error("no marker on the first relayed packet after the music")
	}
}

func sinTable(i int) float64 { return math.Sin(2 * math.Pi * 1000 * float64(i) / codec.SampleRate) }

// writeLoop sends samples over and over in 20 ms frames paced by a ticker, as an application's
// player does (mediaapp.LegChannel), until ctx ends or WriteFrame fails.
func writeLoop(ctx context.Context, l *Leg, samples []int16) error {
	t := time.NewTicker(FrameInterval)
	defer t.Stop()
	frame := make([]int16, codec.FrameSamples)
	pos := 0
	for {
		for i := range frame {
			frame[i] = samples[pos%len(samples)]
			pos++
		}
		if err := l.WriteFrame(frame); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// TestIntegrationWriteFrameStates: generated audio needs a codec, frames of at most 60 ms, an
// unbridged leg and an open one.
func TestIntegrationWriteFrameStates(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newTestPool(t)
	l := newTestLeg(t, p)
	ph := newPhone(t, sdpmedia.PCMU, 1)
	if err := l.WriteFrame(make([]int16, 160)); !errors.Is(err, ErrNoCodec) {
		t.Fatalf("WriteFrame before SetRemote: %v", err)
	}
	if err := l.SetRemote(ph.media(101), sdpmedia.PCMU); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteFrame(make([]int16, 1000)); err == nil {
		t.Fatal("oversized frame accepted")
	}
	for range 3 {
		if err := l.WriteFrame(make([]int16, 160)); err != nil {
			t.Fatalf("WriteFrame: %v", err)
		}
	}
	if got := ph.waitFor(3); len(got) != 3 {
		t.Fatalf("phone got %d packets, want 3", len(got))
	}
	other := newTestLeg(t, p)
	Bridge(l, other)
	if err := l.WriteFrame(make([]int16, 160)); !errors.Is(err, ErrBridged) {
		t.Fatalf("WriteFrame while bridged: %v, want ErrBridged", err)
	}
	l.Unbridge()
	if err := l.WriteFrame(make([]int16, 160)); err != nil {
		t.Fatalf("WriteFrame after Unbridge: %v", err)
	}
	l.Close()
	if err := l.WriteFrame(make([]int16, 160)); !errors.Is(err, ErrClosed) {
		t.Fatalf("WriteFrame after Close: %v, want ErrClosed", err)
	}
}
