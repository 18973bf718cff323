package mediaapp

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/shared/sdpmedia"
	"github.com/vaihde/vaihde/shared/tone"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// newTestPool is a relay pool on loopback with ephemeral ports, closed with the test.
func newTestPool(t *testing.T) *relay.Pool {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test over loopback sockets")
	}
	pool, err := relay.NewPool(relay.Config{BindIP: loopback})
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

// newTestEndpoint is a LegChannel on a fresh relay leg (the call's one RTP endpoint).
func newTestEndpoint(t *testing.T, o LegOptions) *LegChannel {
	t.Helper()
	l, err := newTestPool(t).NewLeg()
	if err != nil {
		t.Fatalf("NewLeg: %v", err)
	}
	e := NewLegChannel(l, o)
	t.Cleanup(func() { e.Close(); l.Close() })
	return e
}

// setRemote gives the channel's leg the party's SDP: addr, codec c, telephone-event 101.
func setRemote(t *testing.T, e *LegChannel, addr netip.AddrPort, c sdpmedia.Codec) {
	t.Helper()
	m := sdpmedia.Media{Addr: addr.Addr(), Port: int(addr.Port()), Codecs: []sdpmedia.Codec{c}, DTMFPT: sdpmedia.DefaultDTMFPT}
	if err := e.Leg().SetRemote(m, c); err != nil {
		t.Fatalf("SetRemote: %v", err)
	}
}

// connected returns a channel speaking PCMU to a fresh peer.
func connected(t *testing.T) (*LegChannel, *peer) {
	t.Helper()
	e := newTestEndpoint(t, LegOptions{})
	p := newPeer(t)
	setRemote(t, e, p.addr(), sdpmedia.PCMU)
	return e, p
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIntegrationEndpointEvenPort(t *testing.T) {
	e := newTestEndpoint(t, LegOptions{})
	if e.LocalAddr().Port()%2 != 0 || e.LocalAddr().Addr() != loopback {
		t.Fatalf("LocalAddr %v: want an even port on 127.0.0.1", e.LocalAddr())
	}
}

func TestIntegrationPlayToneArrivesAsTone(t *testing.T) {
	e, p := connected(t)
	ctx := testCtx(t)
	played := make(chan error, 1)
	go func() { played <- e.Play(ctx, Silence(100*time.Millisecond), Tone(1000, time.Second)) }()

	// Silence first, then 50 frames of tone, then silence again: 80 packets hold all of it.
	pkts := p.receive(80, 10*time.Second)
	if len(pkts) < 80 {
		t.Fatalf("received %d packets, want 80", len(pkts))
	}
	var audio []int16
	for i, r := range pkts {
		if r.hdr.PayloadType != 0 || r.hdr.SSRC != pkts[0].hdr.SSRC {
			t.Fatalf("packet %d: PT %d SSRC %x, want PT 0 and one SSRC", i, r.hdr.PayloadType, r.hdr.SSRC)
		}
		if i > 0 {
			if r.hdr.SequenceNumber != pkts[i-1].hdr.SequenceNumber+1 {
				t.Fatalf("packet %d: seq %d after %d", i, r.hdr.SequenceNumber, pkts[i-1].hdr.SequenceNumber)
			}
			// The clock runs in whole frames; a late tick still moves it by multiples of 160.
			if d := r.hdr.Timestamp - pkts[i-1].hdr.Timestamp; d == 0 || d%FrameSamples != 0 {
				t.Fatalf("packet %d: timestamp step %d", i, d)
			}
		}
		if len(r.pcm) != FrameSamples {
			t.Fatalf("packet %d: %d samples, want %d", i, len(r.pcm), FrameSamples)
		}
		if tone.RMS(r.pcm) > 0.05 {
			audio = append(audio, r.pcm...)
		}
	}
	if got := len(audio) / FrameSamples; got < 48 || got > 51 {
		t.Errorf("%d frames of tone, want about 50 (1 s)", got)
	}
	if s := tone.Share(audio, 1000, SampleRate); s < 0.9 {
		t.Errorf("share of 1 kHz in received audio = %.2f, want > 0.9", s)
	}
	if l := tone.Level(audio, 1000, SampleRate); l < 0.15 {
		t.Errorf("1 kHz level %.3f, want about 0.22", l)
	}
	select {
	case err := <-played:
		if err != nil {
			t.Fatalf("Play: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Play did not return after the clip")
	}
}

func TestIntegrationLatchesOntoSource(t *testing.T) {
	e := newTestEndpoint(t, LegOptions{})
	p := newPeer(t)
	// The SDP names a port nobody listens on (a phone behind NAT): the first packet from the
	// phone teaches the endpoint where to send.
	wrong := netip.AddrPortFrom(loopback, 9)
	setRemote(t, e, wrong, sdpmedia.PCMA)
	p.sendAudio(e.LocalAddr(), make([]int16, FrameSamples))
	pkts := p.receive(5, 5*time.Second)
	if len(pkts) < 5 {
		t.Fatalf("after latching received %d packets, want 5", len(pkts))
	}
	if pkts[0].hdr.PayloadType != 8 {
		t.Errorf("payload type %d, want 8 (PCMA)", pkts[0].hdr.PayloadType)
	}
	if got := e.Stats().Latched; got != p.addr() {
		t.Errorf("latched %v, want %v", got, p.addr())
	}
}

func TestIntegrationCollectRFC4733(t *testing.T) {
	e, p := connected(t)
	ctx := testCtx(t)
	goSend(t, func() {
		for _, k := range "4711#9" {
			p.sendDigit(e.LocalAddr(), k)
		}
	})
	got, err := e.Collect(ctx, CollectOptions{Max: 10, FirstTimeout: 5 * time.Second, InterTimeout: 3 * time.Second})
	if err != nil || got != "4711" {
		t.Fatalf("Collect = %q, %v; want 4711 (repeated end packets counted once)", got, err)
	}
	// The key after the terminator stays queued for the next entry.
	got, err = e.Collect(ctx, CollectOptions{Max: 1})
	if err != nil || got != "9" {
		t.Fatalf("second Collect = %q, %v; want 9", got, err)
	}
	if n := e.Stats().Digits; n != 6 {
		t.Errorf("Stats.Digits = %d, want 6", n)
	}
}

func TestIntegrationCollectTimeouts(t *testing.T) {
	e, p := connected(t)
	ctx := testCtx(t)
	start := time.Now()
	got, err := e.Collect(ctx, CollectOptions{Max: 4, FirstTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) || got != "" {
		t.Fatalf("Collect with no keys = %q, %v; want ErrTimeout", got, err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("first-digit timeout after %v, want 300ms", d)
	}
	// Two keys, then nothing: the inter-digit timeout completes the entry.
	goSend(t, func() {
		p.sendDigit(e.LocalAddr(), '1')
		p.sendDigit(e.LocalAddr(), '2')
	})
	got, err = e.Collect(ctx, CollectOptions{Max: 4, FirstTimeout: 5 * time.Second, InterTimeout: 400 * time.Millisecond})
	if err != nil || got != "12" {
		t.Fatalf("Collect = %q, %v; want 12 after the inter-digit timeout", got, err)
	}
}

func TestIntegrationInjectDigitSIPINFO(t *testing.T) {
	e := newTestEndpoint(t, LegOptions{})
	for _, k := range "*5a" {
		if err := e.InjectDigit(k); err != nil {
			t.Fatalf("InjectDigit(%q): %v", k, err)
		}
	}
	if err := e.InjectDigit('x'); err == nil {
		t.Error("InjectDigit('x') accepted a non-key")
	}
	got, err := e.Collect(testCtx(t), CollectOptions{Max: 3})
	if err != nil || got != "*5A" {
		t.Fatalf("Collect = %q, %v; want *5A", got, err)
	}
}

func TestIntegrationPlayBargeIn(t *testing.T) {
	e, p := connected(t)
	ctx := testCtx(t)
	goSend(t, func() {
		time.Sleep(300 * time.Millisecond)
		p.sendDigit(e.LocalAddr(), '5')
	})
	start := time.Now()
	err := e.Play(ctx, Tone(440, 10*time.Second))
	if !errors.Is(err, ErrBargeIn) {
		t.Fatalf("Play = %v, want ErrBargeIn", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("barge-in took %v", d)
	}
	got, err := e.Collect(ctx, CollectOptions{Max: 1})
	if err != nil || got != "5" {
		t.Fatalf("Collect after barge-in = %q, %v; want 5", got, err)
	}
	// With a key already queued, the next prompt is skipped at once (type-ahead).
	if err := e.InjectDigit('1'); err != nil {
		t.Fatal(err)
	}
	if err := e.Play(ctx, Tone(440, 10*time.Second)); !errors.Is(err, ErrBargeIn) {
		t.Fatalf("Play with a queued key = %v, want ErrBargeIn", err)
	}
}

// startRecord runs Record in the background once the endpoint is listening for audio.
func startRecord(t *testing.T, e *LegChannel, w any, o RecordOptions) <-chan recordResult {
	t.Helper()
	ch := make(chan recordResult, 1)
	go func() {
		var rec Recording
		var err error
		switch w := w.(type) {
		case *os.File:
			rec, err = e.Record(testCtx(t), w, o)
		case *bytes.Buffer:
			rec, err = e.Record(testCtx(t), w, o)
		}
		ch <- recordResult{rec, err}
	}()
	waitFor(t, "recording to start", 5*time.Second, e.recording)
	return ch
}

type recordResult struct {
	rec Recording
	err error
}

func awaitRecord(t *testing.T, ch <-chan recordResult) Recording {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Record: %v", r.err)
		}
		return r.rec
	case <-time.After(20 * time.Second):
		t.Fatal("Record did not stop")
	}
	return Recording{}
}

func TestIntegrationRecordToneToWAV(t *testing.T) {
	e, p := connected(t)
	path := filepath.Join(t.TempDir(), "msg.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ch := startRecord(t, e, f, RecordOptions{Max: 10 * time.Second, Silence: 700 * time.Millisecond})
	p.sendAudio(e.LocalAddr(), Tone(440, time.Second).Samples)
	rec := awaitRecord(t, ch)
	if rec.Reason != StopSilence {
		t.Errorf("reason %s, want %s (the phone stopped sending)", rec.Reason, StopSilence)
	}
	clip, err := LoadWAV(path)
	if err != nil {
		t.Fatalf("LoadWAV: %v", err)
	}
	if d := len(clip.Samples) - SampleRate; d < -FrameSamples || d > FrameSamples {
		t.Errorf("recorded %d samples, want 8000 ± one packet", len(clip.Samples))
	}
	if len(clip.Samples) != rec.Samples {
		t.Errorf("WAV holds %d samples, Recording says %d", len(clip.Samples), rec.Samples)
	}
	if s := tone.Share(clip.Samples, 440, SampleRate); s < 0.9 {
		t.Errorf("share of 440 Hz in the recording = %.2f, want > 0.9", s)
	}
}

func TestIntegrationRecordStopsOnSilence(t *testing.T) {
	e, p := connected(t)
	var buf bytes.Buffer
	ch := startRecord(t, e, &buf, RecordOptions{Max: 20 * time.Second, Silence: time.Second})
	goSend(t, func() {
		// Speech, then a phone that keeps sending silent packets (it does not stop RTP).
		p.sendAudio(e.LocalAddr(), Tone(440, 400*time.Millisecond).Samples)
		p.sendAudio(e.LocalAddr(), make([]int16, 4*SampleRate))
	})
	rec := awaitRecord(t, ch)
	if rec.Reason != StopSilence {
		t.Fatalf("reason %s, want %s", rec.Reason, StopSilence)
	}
	if rec.Duration < 1200*time.Millisecond || rec.Duration > 2500*time.Millisecond {
		t.Errorf("duration %v, want about 1.4 s (0.4 s speech + 1 s silence)", rec.Duration)
	}
	got, err := ReadWAV(&buf)
	if err != nil || len(got) != rec.Samples {
		t.Fatalf("ReadWAV of plain-writer recording: %d samples, %v; want %d", len(got), err, rec.Samples)
	}
}

func TestIntegrationRecordStopsAtMaxLength(t *testing.T) {
	e, p := connected(t)
	var buf bytes.Buffer
	ch := startRecord(t, e, &buf, RecordOptions{Max: time.Second, Silence: 5 * time.Second})
	goSend(t, func() { p.sendAudio(e.LocalAddr(), Tone(440, 3*time.Second).Samples) })
	rec := awaitRecord(t, ch)
	if rec.Reason != StopMaxLength || rec.Samples != SampleRate {
		t.Fatalf("Recording %+v, want max-length with exactly 8000 samples", rec)
	}
}

func TestIntegrationRecordStopsOnHash(t *testing.T) {
	e, p := connected(t)
	var buf bytes.Buffer
	ch := startRecord(t, e, &buf, RecordOptions{Max: 20 * time.Second})
	p.sendAudio(e.LocalAddr(), Tone(440, 500*time.Millisecond).Samples)
	p.sendDigit(e.LocalAddr(), '#')
	rec := awaitRecord(t, ch)
	if rec.Reason != StopDigit || rec.Digit != '#' {
		t.Fatalf("Recording %+v, want stop on #", rec)
	}
}

func TestIntegrationHangupEndsFlow(t *testing.T) {
	var byes int
	e := newTestEndpoint(t, LegOptions{OnHangup: func(context.Context) error { byes++; return nil }})
	ctx := testCtx(t)
	res := make(chan error, 1)
	go func() {
		_, err := e.Collect(ctx, CollectOptions{FirstTimeout: 20 * time.Second})
		res <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := e.Hangup(ctx); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	select {
	case err := <-res:
		if !errors.Is(err, ErrHangup) {
			t.Fatalf("Collect after hangup = %v, want ErrHangup", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Collect still blocked after hangup")
	}
	if byes != 1 {
		t.Errorf("OnHangup called %d times, want 1", byes)
	}
	if err := e.Play(ctx, Tone(440, time.Second)); !errors.Is(err, ErrHangup) {
		t.Errorf("Play after hangup = %v, want ErrHangup", err)
	}
}

func TestIntegrationCloseStopsGoroutines(t *testing.T) {
	pool := newTestPool(t)
	base := runtime.NumGoroutine()
	p := newPeer(t)
	var eps []*LegChannel
	for range 4 {
		l, err := pool.NewLeg()
		if err != nil {
			t.Fatal(err)
		}
		e := NewLegChannel(l, LegOptions{})
		setRemote(t, e, p.addr(), sdpmedia.PCMU)
		eps = append(eps, e)
	}
	ctx := testCtx(t)
	for _, e := range eps {
		if err := e.Play(ctx, Tone(440, 60*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if n := runtime.NumGoroutine(); n < base+12 {
		t.Fatalf("%d goroutines with 4 channels open, baseline %d: expected 3 each (sender, leg readers)", n, base)
	}
	for _, e := range eps {
		if err := e.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := e.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	// The channels' senders are gone; the legs (the call's media) stay until closed.
	waitFor(t, "senders stopped", 5*time.Second, func() bool { return runtime.NumGoroutine() <= base+8 })
	for _, e := range eps {
		if e.Leg().Closed() {
			t.Fatal("closing the channel closed the relay leg")
		}
		e.Leg().Close()
	}
	waitFor(t, "goroutines back to baseline", 5*time.Second, func() bool {
		return runtime.NumGoroutine() <= base
	})
}

func TestIntegrationLoopMusicOnHold(t *testing.T) {
	e, p := connected(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	looped := make(chan error, 1)
	go func() { looped <- e.Loop(ctx, Tone(1000, 100*time.Millisecond)) }()
	if err := e.InjectDigit('5'); err != nil { // keys do not stop music on hold
		t.Fatal(err)
	}
	// Skip the silence sent before Loop started, then 30 frames (six rounds of the clip).
	var music []int16
	deadline := time.Now().Add(10 * time.Second)
	for len(music) < 30*FrameSamples && time.Now().Before(deadline) {
		for _, r := range p.receive(1, time.Second) {
			if len(music) > 0 || tone.RMS(r.pcm) > 0.05 {
				music = append(music, r.pcm...)
			}
		}
	}
	if len(music) < 30*FrameSamples {
		t.Fatalf("received %d samples of music", len(music))
	}
	if s := tone.Share(music, 1000, SampleRate); s < 0.9 {
		t.Errorf("share of 1 kHz over six rounds of the loop = %.2f, want > 0.9 (no gaps)", s)
	}
	select {
	case err := <-looped:
		t.Fatalf("Loop returned early: %v", err)
	default:
	}
	cancel()
	select {
	case err := <-looped:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Loop = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Loop did not stop on cancel")
	}
	if got, err := e.Collect(testCtx(t), CollectOptions{Max: 1}); got != "5" || err != nil {
		t.Errorf("key pressed during the music: Collect = %q, %v; want 5", got, err)
	}
}
