package mediaapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
	"github.com/vaihde/vaihde/shared/tone"
)

// Packetisation of what the endpoint sends.
const (
	FrameSamples  = codec.FrameSamples // 160 samples = 20 ms
	FrameInterval = 20 * time.Millisecond
)

// maxDatagram is the receive buffer; larger datagrams are not G.711 in 20 ms packets and dropped.
const maxDatagram = 1536

// DefaultLatchWindow is how long after SetRemote the endpoint may latch onto a source other
// than the SDP address, for NAT (relay.Latch).
const DefaultLatchWindow = relay.DefaultLatchWindow

// recordQueue is how many 20 ms frames may wait for Record's writer (5 s) before frames drop.
const recordQueue = 250

// Config of an Endpoint.
type Config struct {
	BindIP      netip.Addr    // IP to bind the RTP socket on; LocalAddr reports it
	Logger      *slog.Logger  // nil discards
	LatchWindow time.Duration // zero means DefaultLatchWindow
	// OnHangup is called by Hangup before the endpoint closes: the signalling side sends its BYE
	// there. Nil means Hangup only closes the endpoint.
	OnHangup func(ctx context.Context) error
	// Bind allocates the RTP/RTCP sockets (the relay pool's range, relay.Pool.BindPair); release
	// is called once they are closed. Nil binds an ephemeral even pair on BindIP.
	Bind func() (rtpConn, rtcpConn *net.UDPConn, release func(), err error)
}

// Stats are an endpoint's counters.
type Stats struct {
	PacketsIn, PacketsOut uint64
	Invalid               uint64 // datagrams ignored: not RTP, unknown payload type, bad event, another source
	Digits                uint64 // keys received (RFC 4733 and injected)
	Latched               netip.AddrPort
	Unauthenticated       uint64 // datagrams that failed SRTP authentication (or were plain)
	SRTP                  bool   // the party's media is SRTP (SetCrypto)
}

// remote is what SetRemote learned; replaced as a whole.
type remote struct {
	addr   netip.AddrPort
	pt     uint8 // negotiated audio payload type number
	kind   uint8 // codec.PCMU or codec.PCMA
	dtmfPT uint8
}

// Endpoint is one RTP media endpoint of a server-side application: it sends 20 ms G.711 packets
// paced by its own ticker (silence when nothing plays), decodes what arrives for Record, and turns
// RFC 4733 telephone-events into digits. It implements Channel.
//
// It owns two goroutines (sender and reader) that Close stops.
type Endpoint struct {
	cfg      Config
	log      *slog.Logger
	conn     *net.UDPConn
	rtcpConn *net.UDPConn // holds port+1 so nobody else takes it; RTCP is not read
	release  func()       // returns the ports to their pool (Config.Bind); nil: ephemeral
	local    netip.AddrPort
	digits   *digitQueue

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup

	remote atomic.Pointer[remote]
	latch  relay.Latch
	srtp   relay.SRTPSession // plain until SetCrypto names the party's key

	playMu sync.Mutex
	play   *playJob

	sinkMu sync.Mutex
	sink   chan []int16

	// Owned by the sender goroutine.
	ssrc    uint32
	seq     uint16
	ts      uint32
	sent    bool
	frame   []int16
	payload []byte
	out     []byte

	// Owned by the reader goroutine.
	hdr   rtp.Header
	dec   []byte
	pcm   []int16
	event eventState

	packetsIn, packetsOut, invalid, digitCount, unauthenticated atomic.Uint64
}

// eventState follows the telephone-event being received to report each key once.
type eventState struct {
	have, reported bool
	ts             uint32 // RTP timestamp: the same in every packet of one event (RFC 4733 2.5.1)
	code           uint8
}

// NewEndpoint binds an even RTP port (and its odd RTCP neighbour) on cfg.BindIP and starts the
// endpoint. It sends nothing until SetRemote.
func NewEndpoint(cfg Config) (*Endpoint, error) {
	if !cfg.BindIP.IsValid() {
		return nil, fmt.Errorf("new media endpoint: bind IP %v: invalid", cfg.BindIP)
	}
	e := newEndpoint(cfg)
	var (
		conn, rtcpConn *net.UDPConn
		err            error
	)
	if cfg.Bind != nil {
		conn, rtcpConn, e.release, err = cfg.Bind()
	} else {
		conn, rtcpConn, _, err = relay.BindEvenPair(cfg.BindIP)
	}
	if err != nil {
		return nil, fmt.Errorf("new media endpoint: %w", err)
	}
	e.conn, e.rtcpConn = conn, rtcpConn
	e.local = netip.AddrPortFrom(cfg.BindIP, uint16(conn.LocalAddr().(*net.UDPAddr).Port))
	e.log = e.log.With("local", e.local)
	e.wg.Add(2)
	go e.sendLoop()
	go e.readLoop()
	return e, nil
}

// newEndpoint sets up the state without sockets (fuzzing uses it directly).
func newEndpoint(cfg Config) *Endpoint {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.LatchWindow <= 0 {
		cfg.LatchWindow = DefaultLatchWindow
	}
	e := &Endpoint{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "mediaapp"),
		digits:  newDigitQueue(),
		done:    make(chan struct{}),
		ssrc:    rand.Uint32(),
		seq:     uint16(rand.Uint32()),
		ts:      rand.Uint32(),
		frame:   make([]int16, FrameSamples),
		payload: make([]byte, 0, FrameSamples),
		out:     make([]byte, 12+FrameSamples),
		pcm:     make([]int16, 0, maxDatagram),
		dec:     make([]byte, 0, maxDatagram),
	}
	// No SDP yet: the first source within the window may latch until SetRemote says more.
	e.latch.Arm(netip.AddrPort{}, time.Now().UnixNano(), cfg.LatchWindow)
	return e
}

// LocalAddr is the RTP address to put in the SDP.
func (e *Endpoint) LocalAddr() netip.AddrPort { return e.local }

// SetRemote sets where to send and which codec to speak: c from the negotiated SDP, dtmfPT the
// telephone-event payload type of the SDP (0 means sdpmedia.DefaultDTMFPT). Until the first
// packet arrives the endpoint sends to addr; then to the packets' source (symmetric RTP; only
// addr or the one source latched for NAT is heard, see relay.Latch). Call it again after every
// re-INVITE.
func (e *Endpoint) SetRemote(addr netip.AddrPort, c sdpmedia.Codec, dtmfPT uint8) error {
	kind, err := relay.CodecKind(c)
	if err != nil {
		return fmt.Errorf("set remote: %w: %w", ErrCodec, err)
	}
	if dtmfPT == 0 {
		dtmfPT = sdpmedia.DefaultDTMFPT
	}
	if addr.IsValid() {
		addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	}
	e.remote.Store(&remote{addr: addr, pt: c.PT, kind: kind, dtmfPT: dtmfPT})
	e.latch.Arm(addr, time.Now().UnixNano(), e.cfg.LatchWindow)
	return nil
}

// LocalCrypto returns the endpoint's own SRTP key for suite, for the SDP sent to the party
// (relay.SRTPSession.LocalCrypto).
func (e *Endpoint) LocalCrypto(tag int, suite string) (sdpmedia.Crypto, error) {
	return e.srtp.LocalCrypto(tag, suite)
}

// SetCrypto makes the endpoint speak SRTP with the party when its SDP m has a usable
// a=crypto, plain RTP when it has none; RTP/SAVP without a usable one is relay.ErrCrypto.
// Call it with every SDP of the party, before SetRemote (so that nothing goes out plain).
func (e *Endpoint) SetCrypto(m sdpmedia.Media) error {
	if err := e.srtp.Set(m); err != nil {
		return fmt.Errorf("set crypto: %w", err)
	}
	return nil
}

// InjectDigit queues a key received out of band (SIP INFO, application/dtmf-relay). Keys that
// are not DTMF are ignored and reported.
func (e *Endpoint) InjectDigit(key rune) error {
	code, err := dtmf.CodeOf(key)
	if err != nil {
		return fmt.Errorf("inject digit: %w", err)
	}
	e.pushDigit(dtmf.Event{Code: code}.Key())
	return nil
}

func (e *Endpoint) pushDigit(key rune) {
	e.digitCount.Add(1)
	e.digits.push(key)
	e.log.Debug("digit", "key", string(key))
}

// Stats returns a snapshot of the counters.
func (e *Endpoint) Stats() Stats {
	s := Stats{
		PacketsIn:  e.packetsIn.Load(),
		PacketsOut: e.packetsOut.Load(),
		Invalid:    e.invalid.Load(),
		Digits:     e.digitCount.Load(),
		SRTP:       e.srtp.On(),

		Unauthenticated: e.unauthenticated.Load(),
	}
	if a, ok := e.latch.Load(); ok {
		s.Latched = a
	}
	return s
}

// Done is closed when the endpoint is closed.
func (e *Endpoint) Done() <-chan struct{} { return e.done }

// Close stops the goroutines and closes the sockets; blocked Play, Collect and Record return
// ErrHangup. Closing twice is harmless.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		close(e.done)
		if e.conn != nil {
			e.closeErr = errors.Join(e.conn.Close(), e.rtcpConn.Close())
		}
		e.wg.Wait()
		if e.release != nil {
			e.release()
		}
		if e.closeErr != nil {
			e.closeErr = fmt.Errorf("close media endpoint %v: %w", e.local, e.closeErr)
		}
	})
	return e.closeErr
}

func (e *Endpoint) closed() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// maxBurst is how many frames a late tick may send at once to catch up with the clock; after a
// longer stall the missed time is skipped (the timestamp jumps) rather than sent as a burst.
const maxBurst = 3

// sendLoop sends a frame every 20 ms of wall-clock time: the playing clip's next 20 ms, else
// silence. A ticker drops ticks when the machine is busy, so each tick sends what is due.
func (e *Endpoint) sendLoop() {
	defer e.wg.Done()
	t := time.NewTicker(FrameInterval)
	defer t.Stop()
	start := time.Now()
	frames := 0
	for {
		select {
		case <-e.done:
			return
		case now := <-t.C:
			due := int(now.Sub(start)/FrameInterval) - frames
			if due > maxBurst {
				e.ts += uint32((due - maxBurst) * FrameSamples)
				frames += due - maxBurst
				due = maxBurst
			}
			for range due {
				e.tick()
				frames++
			}
		}
	}
}

func (e *Endpoint) tick() {
	frame := e.frame[:FrameSamples]
	clear(frame)
	e.playMu.Lock()
	if j := e.play; j != nil {
		if j.fill(frame) {
			close(j.done)
			e.play = nil
		}
	}
	e.playMu.Unlock()

	ts := e.ts
	e.ts += FrameSamples // the clock runs also while there is nowhere to send
	r := e.remote.Load()
	if r == nil {
		return
	}
	dst := r.addr
	if a, ok := e.latch.Load(); ok {
		dst = a
	}
	if !dst.IsValid() || dst.Port() == 0 {
		return
	}
	payload, err := codec.Encode(r.kind, frame, e.payload[:0])
	if err != nil {
		return
	}
	h := rtp.Header{Version: 2, Marker: !e.sent, PayloadType: r.pt, SequenceNumber: e.seq,
		Timestamp: ts, SSRC: e.ssrc}
	n, err := h.MarshalTo(e.out)
	if err != nil {
		return
	}
	pkt := append(e.out[:n], payload...)
	if err := e.srtp.WriteRTP(e.conn, pkt, dst); err != nil {
		e.log.Debug("rtp send failed", "to", dst, "err", err)
		return
	}
	e.sent = true
	e.seq++
	e.packetsOut.Add(1)
}

func (e *Endpoint) readLoop() {
	defer e.wg.Done()
	buf := make([]byte, maxDatagram)
	for {
		n, src, err := e.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || e.closed() {
				return
			}
			e.log.Debug("rtp read failed", "err", err)
			continue
		}
		if n >= maxDatagram {
			e.invalid.Add(1)
			continue
		}
		pkt, ok := e.srtp.OpenRTP(e.dec[:0], buf[:n], &e.hdr)
		if !ok {
			e.unauthenticated.Add(1)
			continue
		}
		e.handleRTP(pkt, src, time.Now().UnixNano())
	}
}

// handleRTP takes one datagram from the network. Any bytes at all are safe here.
func (e *Endpoint) handleRTP(pkt []byte, src netip.AddrPort, now int64) {
	hlen, end, ok := relay.ParseRTP(pkt, &e.hdr)
	if !ok {
		e.invalid.Add(1)
		return
	}
	payload := pkt[hlen:end]
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if !e.learnSource(src, now) {
		e.invalid.Add(1)
		return
	}
	e.packetsIn.Add(1)

	r := e.remote.Load()
	dtmfPT := uint8(sdpmedia.DefaultDTMFPT)
	if r != nil {
		dtmfPT = r.dtmfPT
	}
	pt := e.hdr.PayloadType
	switch {
	case pt == dtmfPT:
		ev, err := dtmf.Unmarshal(payload)
		if err != nil || ev.Code > 15 {
			e.invalid.Add(1)
			return
		}
		e.handleEvent(ev, e.hdr.Timestamp)
	case r != nil && pt == r.pt:
		e.deliver(r.kind, payload)
	case codec.Supported(pt):
		e.deliver(pt, payload)
	default:
		e.invalid.Add(1) // comfort noise, video, whatever: not ours
	}
}

// handleEvent reports a key once per event: on its first end packet (the end is sent three
// times), or when a new event starts while the previous one's end packets were all lost.
func (e *Endpoint) handleEvent(ev dtmf.Event, ts uint32) {
	st := &e.event
	if st.have && ts == st.ts {
		if ev.End && !st.reported {
			st.reported = true
			e.pushDigit(dtmf.Event{Code: st.code}.Key())
		}
		return
	}
	if st.have && !st.reported {
		e.pushDigit(dtmf.Event{Code: st.code}.Key())
	}
	*st = eventState{have: true, ts: ts, code: ev.Code}
	if ev.End {
		st.reported = true
		e.pushDigit(dtmf.Event{Code: ev.Code}.Key())
	}
}

// deliver decodes audio for a running Record; without one the audio is dropped.
func (e *Endpoint) deliver(kind uint8, payload []byte) {
	e.sinkMu.Lock()
	sink := e.sink
	e.sinkMu.Unlock()
	if sink == nil || len(payload) == 0 {
		return
	}
	pcm, err := codec.Decode(kind, payload, e.pcm[:0])
	if err != nil {
		return
	}
	select {
	case sink <- append([]int16(nil), pcm...):
	default: // the writer is behind: drop rather than stall the reader
	}
}

// learnSource reports whether a packet from src is the party's (relay.Latch).
func (e *Endpoint) learnSource(src netip.AddrPort, now int64) bool {
	ok, moved := e.latch.Learn(src, now)
	if moved.IsValid() {
		e.log.Info("rtp source moved", "from", moved, "to", src)
	}
	return ok
}

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

// Play implements Channel.
func (e *Endpoint) Play(ctx context.Context, clips ...Clip) error {
	if e.closed() {
		return ErrHangup
	}
	if e.digits.pending() {
		return ErrBargeIn
	}
	total := 0
	for _, c := range clips {
		total += len(c.Samples)
	}
	if total == 0 {
		return nil
	}
	j := &playJob{clips: clips, done: make(chan struct{})}
	e.playMu.Lock()
	e.play = j
	e.playMu.Unlock()
	defer func() {
		e.playMu.Lock()
		if e.play == j {
			e.play = nil
		}
		e.playMu.Unlock()
	}()
	for {
		select {
		case <-j.done:
			return nil
		case <-e.digits.notify:
			if e.digits.pending() {
				return ErrBargeIn
			}
		case <-ctx.Done():
			return fmt.Errorf("play: %w", ctx.Err())
		case <-e.done:
			return ErrHangup
		}
	}
}

// Loop plays clip over and over (music on hold) until ctx ends; keys do not interrupt it and
// stay queued. It returns ErrHangup when the call ends, else the context's error.
func (e *Endpoint) Loop(ctx context.Context, clip Clip) error {
	if e.closed() {
		return ErrHangup
	}
	if len(clip.Samples) == 0 {
		clip = Silence(FrameInterval)
	}
	j := &playJob{clips: []Clip{clip}, loop: true, done: make(chan struct{})}
	e.playMu.Lock()
	e.play = j
	e.playMu.Unlock()
	defer func() {
		e.playMu.Lock()
		if e.play == j {
			e.play = nil
		}
		e.playMu.Unlock()
	}()
	select {
	case <-ctx.Done():
		return fmt.Errorf("loop: %w", ctx.Err())
	case <-e.done:
		return ErrHangup
	}
}

// Collect implements Channel.
func (e *Endpoint) Collect(ctx context.Context, o CollectOptions) (string, error) {
	return collect(ctx, e.digits, e.done, o)
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

// Record implements Channel.
func (e *Endpoint) Record(ctx context.Context, w io.Writer, o RecordOptions) (Recording, error) {
	if e.closed() {
		return Recording{Reason: StopHangup}, ErrHangup
	}
	sink := make(chan []int16, recordQueue)
	e.sinkMu.Lock()
	e.sink = sink
	e.sinkMu.Unlock()
	defer func() {
		e.sinkMu.Lock()
		e.sink = nil
		e.sinkMu.Unlock()
	}()
	return record(ctx, w, o, recordSource{frames: sink, digits: e.digits, done: e.done})
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

// Hangup implements Channel: it runs Config.OnHangup (the BYE) and closes the endpoint.
func (e *Endpoint) Hangup(ctx context.Context) error {
	var err error
	if e.cfg.OnHangup != nil && !e.closed() {
		if herr := e.cfg.OnHangup(ctx); herr != nil {
			err = fmt.Errorf("hangup: %w", herr)
		}
	}
	return errors.Join(err, e.Close())
}

var _ Channel = (*Endpoint)(nil)
