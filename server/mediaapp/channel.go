package mediaapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
	"github.com/vaihde/vaihde/shared/tone"
)

// Packetisation of what a channel sends.
const (
	FrameSamples  = codec.FrameSamples // 160 samples = 20 ms
	FrameInterval = 20 * time.Millisecond
)

// recordQueue is how many 20 ms frames may wait for Record's writer (5 s) before frames drop.
const recordQueue = 250

// maxBurst is how many frames a late tick may send at once to catch up with the clock; after a
// longer stall the missed time is skipped (the relay starts a new talkspurt) rather than sent
// as a burst.
const maxBurst = 3

// Stats are a channel's counters: the relay leg's, plus the keys the application got.
type Stats struct {
	PacketsIn, PacketsOut uint64
	Invalid               uint64 // datagrams ignored: not RTP, another source
	Digits                uint64 // keys received (RFC 4733 and SIP INFO) while the application listened
	Latched               netip.AddrPort
	Unauthenticated       uint64 // datagrams that failed SRTP authentication (or were plain)
	SRTP                  bool   // the party's media is SRTP
}

// LegOptions configure a LegChannel.
type LegOptions struct {
	Logger *slog.Logger // nil discards
	// OnHangup is called by Hangup before the channel closes: the signalling side sends its BYE
	// there. Nil means Hangup only closes the channel.
	OnHangup func(ctx context.Context) error
}

// LegChannel is a Channel on a relay leg: the call's one RTP endpoint (one port pair, one SSRC,
// continuous sequence numbers) from answer to hang-up. The application plays into the leg's
// outgoing stream, records the party's decoded audio and reads its keys (RFC 4733 and SIP INFO
// through the leg's Tap); the relay bridges the same leg to another party when the application
// hands the call over, and an application may take the leg back after Unbridge. While the leg
// is not bridged the channel sends a 20 ms frame on every tick of its own clock: the playing
// clip, or silence, so that phones and carriers always see media.
//
// It owns one goroutine (the sender) that Close stops. Close does not close the relay leg: the
// leg belongs to the call and outlives applications.
type LegChannel struct {
	leg    *relay.Leg
	opts   LegOptions
	log    *slog.Logger
	digits *digitQueue
	tap    *relay.Tap

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	playMu sync.Mutex
	play   *playJob

	sinkMu sync.Mutex
	sink   chan []int16

	frame      []int16 // owned by the sender
	digitCount atomic.Uint64
}

// NewLegChannel starts an application on leg: it takes the leg's keys and audio (its Tap) and
// its outgoing audio while the leg is not bridged.
func NewLegChannel(leg *relay.Leg, o LegOptions) *LegChannel {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &LegChannel{leg: leg, opts: o, log: o.Logger.With("component", "mediaapp", "local", leg.LocalAddr()),
		digits: newDigitQueue(), done: make(chan struct{}), frame: make([]int16, FrameSamples)}
	c.tap = &relay.Tap{Key: c.onKey, Audio: c.onAudio}
	leg.SetTap(c.tap)
	c.wg.Add(1)
	go c.sendLoop()
	return c
}

// Leg is the relay leg the channel runs on.
func (c *LegChannel) Leg() *relay.Leg { return c.leg }

// LocalAddr is the leg's RTP address.
func (c *LegChannel) LocalAddr() netip.AddrPort { return c.leg.LocalAddr() }

// LocalCrypto is the leg's own SRTP key for suite (relay.Leg.LocalCrypto).
func (c *LegChannel) LocalCrypto(tag int, suite string) (sdpmedia.Crypto, error) {
	return c.leg.LocalCrypto(tag, suite)
}

// onKey takes a key press from the leg. Keys typed while the party talks to a person are not
// the application's.
func (c *LegChannel) onKey(key rune) {
	if c.leg.Bridged() || c.closed() {
		return
	}
	c.digitCount.Add(1)
	c.digits.push(key)
	c.log.Debug("digit", "key", string(key))
}

// onAudio takes the party's decoded audio (the leg's reader goroutine) for a running Record.
func (c *LegChannel) onAudio(pcm []int16) {
	c.sinkMu.Lock()
	sink := c.sink
	c.sinkMu.Unlock()
	if sink == nil {
		return
	}
	select {
	case sink <- append([]int16(nil), pcm...):
	default: // the writer is behind: drop rather than stall the reader
	}
}

// InjectDigit queues a key received out of band (SIP INFO, application/dtmf-relay), as
// relay.Leg.PressKey does. Keys that are not DTMF are refused.
func (c *LegChannel) InjectDigit(key rune) error {
	code, err := dtmf.CodeOf(key)
	if err != nil {
		return fmt.Errorf("inject digit: %w", err)
	}
	c.leg.PressKey(dtmf.Event{Code: code}.Key())
	return nil
}

// Stats returns a snapshot of the counters.
func (c *LegChannel) Stats() Stats {
	st := c.leg.Stats()
	return Stats{PacketsIn: st.PacketsIn, PacketsOut: st.PacketsOut, Invalid: st.Invalid + st.Dropped,
		Digits: c.digitCount.Load(), Latched: st.Latched, Unauthenticated: st.Unauthenticated, SRTP: st.SRTP}
}

// Done is closed when the channel is closed.
func (c *LegChannel) Done() <-chan struct{} { return c.done }

// Close ends the application's hold on the leg: the sender stops, the tap is removed and
// blocked Play, Collect and Record return ErrHangup. The leg itself stays open. Closing twice
// is harmless.
func (c *LegChannel) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		c.leg.ClearTap(c.tap)
		c.wg.Wait()
	})
	return nil
}

func (c *LegChannel) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// sendLoop sends a frame every 20 ms of wall-clock time while the leg is not bridged: the
// playing clip's next 20 ms, else silence. A ticker drops ticks when the machine is busy, so
// each tick sends what is due.
func (c *LegChannel) sendLoop() {
	defer c.wg.Done()
	t := time.NewTicker(FrameInterval)
	defer t.Stop()
	start := time.Now()
	frames := 0
	for {
		select {
		case <-c.done:
			return
		case now := <-t.C:
			due := int(now.Sub(start)/FrameInterval) - frames
			if due > maxBurst {
				c.skip(due - maxBurst)
				frames += due - maxBurst
				due = maxBurst
			}
			for range due {
				c.tick()
				frames++
			}
		}
	}
}

// skip moves the playing clip on by n frames that were not sent.
func (c *LegChannel) skip(n int) {
	for range n {
		c.next(c.frame)
	}
}

// next fills frame with the next 20 ms of the playing clip (silence when none plays).
func (c *LegChannel) next(frame []int16) {
	clear(frame)
	c.playMu.Lock()
	if j := c.play; j != nil {
		if j.fill(frame) {
			close(j.done)
			c.play = nil
		}
	}
	c.playMu.Unlock()
}

func (c *LegChannel) tick() {
	frame := c.frame[:FrameSamples]
	if c.leg.Bridged() {
		// The partner's audio is the party's now; a clip still playing runs on, unheard,
		// so that a Play waiting for it ends.
		c.next(frame)
		return
	}
	c.next(frame)
	err := c.leg.WriteFrame(frame)
	if err != nil && !errors.Is(err, relay.ErrBridged) && !errors.Is(err, relay.ErrNoCodec) {
		if errors.Is(err, relay.ErrClosed) {
			return
		}
		c.log.Debug("rtp send failed", "err", err)
	}
}

// start makes j the playing job; the returned func removes it again if still current.
func (c *LegChannel) start(j *playJob) func() {
	c.playMu.Lock()
	c.play = j
	c.playMu.Unlock()
	return func() {
		c.playMu.Lock()
		if c.play == j {
			c.play = nil
		}
		c.playMu.Unlock()
	}
}

// hungUp reports the end of the call: the channel or the leg closed.
func (c *LegChannel) hungUp() bool { return c.closed() || c.leg.Closed() }

// Play implements Channel.
func (c *LegChannel) Play(ctx context.Context, clips ...Clip) error {
	if c.hungUp() {
		return ErrHangup
	}
	if c.digits.pending() {
		return ErrBargeIn
	}
	total := 0
	for _, cl := range clips {
		total += len(cl.Samples)
	}
	if total == 0 {
		return nil
	}
	j := &playJob{clips: clips, done: make(chan struct{})}
	defer c.start(j)()
	for {
		select {
		case <-j.done:
			return nil
		case <-c.digits.notify:
			if c.digits.pending() {
				return ErrBargeIn
			}
		case <-ctx.Done():
			return fmt.Errorf("play: %w", ctx.Err())
		case <-c.done:
			return ErrHangup
		}
	}
}

// Loop plays clip over and over (music on hold, ringback) until ctx ends; keys do not
// interrupt it and stay queued. It returns ErrHangup when the call ends, else the context's
// error.
func (c *LegChannel) Loop(ctx context.Context, clip Clip) error {
	if c.hungUp() {
		return ErrHangup
	}
	if len(clip.Samples) == 0 {
		clip = Silence(FrameInterval)
	}
	j := &playJob{clips: []Clip{clip}, loop: true, done: make(chan struct{})}
	defer c.start(j)()
	select {
	case <-ctx.Done():
		return fmt.Errorf("loop: %w", ctx.Err())
	case <-c.done:
		return ErrHangup
	}
}

// Collect implements Channel.
func (c *LegChannel) Collect(ctx context.Context, o CollectOptions) (string, error) {
	if c.hungUp() {
		return "", ErrHangup
	}
	return collect(ctx, c.digits, c.done, o)
}

// Record implements Channel.
func (c *LegChannel) Record(ctx context.Context, w io.Writer, o RecordOptions) (Recording, error) {
	if c.hungUp() {
		return Recording{Reason: StopHangup}, ErrHangup
	}
	sink := make(chan []int16, recordQueue)
	c.sinkMu.Lock()
	c.sink = sink
	c.sinkMu.Unlock()
	defer func() {
		c.sinkMu.Lock()
		c.sink = nil
		c.sinkMu.Unlock()
	}()
	return record(ctx, w, o, recordSource{frames: sink, digits: c.digits, done: c.done})
}

// recording reports whether a Record is taking audio (tests).
func (c *LegChannel) recording() bool {
	c.sinkMu.Lock()
	defer c.sinkMu.Unlock()
	return c.sink != nil
}

// Hangup implements Channel: it runs LegOptions.OnHangup (the BYE) and closes the channel.
func (c *LegChannel) Hangup(ctx context.Context) error {
	var err error
	if c.opts.OnHangup != nil && !c.closed() {
		if herr := c.opts.OnHangup(ctx); herr != nil {
			err = fmt.Errorf("hangup: %w", herr)
		}
	}
	return errors.Join(err, c.Close())
}

var _ Channel = (*LegChannel)(nil)

// playJob is what the sender plays; fill runs on the sender goroutine under playMu.
type playJob struct {
	clips []Clip
	i     int // current clip
	pos   int // next sample in it
	loop  bool
	done  chan struct{}
}

// fill copies the next frame into frame (already silent) and reports whether the job is over.
func (j *playJob) fill(frame []int16) bool {
	n := 0
	for n < len(frame) && j.i < len(j.clips) {
		c := j.clips[j.i].Samples
		k := copy(frame[n:], c[j.pos:])
		n += k
		j.pos += k
		if j.pos >= len(c) {
			j.i++
			j.pos = 0
			if j.loop && j.i == len(j.clips) {
				j.i = 0
			}
		}
	}
	return j.i >= len(j.clips)
}

// collect is Collect over any digit queue; done reports hangup.
func collect(ctx context.Context, q *digitQueue, done <-chan struct{}, o CollectOptions) (string, error) {
	o = o.withDefaults()
	var got []rune
	timer := time.NewTimer(o.FirstTimeout)
	defer timer.Stop()
	for {
		for {
			r, ok := q.pop()
			if !ok {
				break
			}
			if r == o.Terminator {
				return string(got), nil
			}
			got = append(got, r)
			if len(got) >= o.Max {
				q.dropIf(o.Terminator) // "1234#" for four digits leaves no stray '#'
				return string(got), nil
			}
			timer.Reset(o.InterTimeout)
		}
		select {
		case <-q.notify:
		case <-timer.C:
			if len(got) == 0 {
				return "", ErrTimeout
			}
			return string(got), nil
		case <-ctx.Done():
			return string(got), fmt.Errorf("collect: %w", ctx.Err())
		case <-done:
			return string(got), ErrHangup
		}
	}
}

// recordSource is where record gets audio, keys and the end of the call from.
type recordSource struct {
	frames <-chan []int16
	digits *digitQueue
	done   <-chan struct{}
}

// silenceCheck is how often record looks at the silence clock.
const silenceCheck = 50 * time.Millisecond

func record(ctx context.Context, w io.Writer, o RecordOptions, src recordSource) (rec Recording, err error) {
	o = o.withDefaults()
	out, err := newSampleSink(w)
	if err != nil {
		return Recording{}, fmt.Errorf("record: %w", err)
	}
	defer func() {
		rec.Duration = samplesDuration(rec.Samples)
		if cerr := out.finish(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("record: %w", cerr))
		}
	}()
	maxSamples := durationSamples(o.Max)
	// Wall-clock backstop for when audio stops arriving (hold, a dead phone).
	backstop := time.NewTimer(o.Max + 10*FrameInterval)
	defer backstop.Stop()
	check := time.NewTicker(silenceCheck)
	defer check.Stop()
	lastVoice := time.Now()
	for {
		select {
		case f := <-src.frames:
			if rest := maxSamples - rec.Samples; len(f) > rest {
				f = f[:rest]
			}
			if err := out.write(f); err != nil {
				return rec, fmt.Errorf("record: %w", err)
			}
			rec.Samples += len(f)
			if tone.RMS(f) >= o.SilenceLevel {
				lastVoice = time.Now()
			}
			if rec.Samples >= maxSamples {
				rec.Reason = StopMaxLength
				return rec, nil
			}
		case <-src.digits.notify:
			for {
				r, ok := src.digits.pop()
				if !ok {
					break
				}
				if strings.ContainsRune(o.StopDigits, r) {
					rec.Reason, rec.Digit = StopDigit, r
					return rec, nil
				}
			}
		case <-check.C:
			if o.Silence > 0 && time.Since(lastVoice) >= o.Silence {
				rec.Reason = StopSilence
				return rec, nil
			}
		case <-backstop.C:
			rec.Reason = StopMaxLength
			return rec, nil
		case <-ctx.Done():
			rec.Reason = StopCanceled
			return rec, fmt.Errorf("record: %w", ctx.Err())
		case <-src.done:
			rec.Reason = StopHangup
			return rec, ErrHangup
		}
	}
}
