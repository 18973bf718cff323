package audio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gordonklaus/portaudio"
)

// deviceRate is the rate streams are opened at when the device supports it.
const deviceRate = 48000

// System is the PortAudio backend. It owns PortAudio's initialisation: Refresh re-scans the
// devices by Terminate/Initialize, which PortAudio allows only while no stream is open, so a
// refresh requested during a call runs when the last stream closes. Safe for concurrent use.
type System struct {
	log *slog.Logger

	mu        sync.Mutex
	inited    bool
	open      int // streams currently open
	streams   map[*stream]struct{}
	pending   bool // a refresh waits for open to reach 0
	devices   []Device
	onChange  func([]Device)
	onNotice  func(Notice)
	closed    bool
	pollDone  chan struct{}
	pollStop  context.CancelFunc
	lastPaErr error
}

// DefaultPollInterval is the background device re-scan period. Re-initialising PortAudio
// every 5 s cost about 0.5–1 % of a core at idle; once a minute costs next to nothing.
const DefaultPollInterval = time.Minute

// Options configure a System.
type Options struct {
	Logger *slog.Logger
	// PollInterval is how often the device list is re-scanned for hot-plugged devices;
	// 0 means DefaultPollInterval, negative disables polling. Each re-scan re-initialises
	// PortAudio (it has no hot-plug), probing every ALSA/JACK/Pulse device, so it is skipped
	// while any stream is open, and kept rare: the UI calls Refresh when the device choosers
	// are shown, the poll only catches devices plugged in while they are not.
	PollInterval time.Duration
	// OnDevicesChanged is called (from the polling goroutine) with the new list when it changes.
	OnDevicesChanged func([]Device)
	// OnNotice is called when a chosen device could not be used and a fallback was opened.
	OnNotice func(Notice)
}

// Open initialises PortAudio and starts the device poller, which stops when ctx ends or Close
// is called.
func Open(ctx context.Context, o Options) (*System, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &System{log: o.Logger, onChange: o.OnDevicesChanged, onNotice: o.OnNotice}
	s.mu.Lock()
	err := s.initLocked()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// One line with what PortAudio found: support cases and the Windows smoke test (Wine) read it.
	ins, outs := deviceNames(s.devices)
	s.log.Info("audio devices", "inputs", strings.Join(ins, ", "), "outputs", strings.Join(outs, ", "))
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	pctx, cancel := context.WithCancel(ctx)
	s.pollStop = cancel
	s.pollDone = make(chan struct{})
	if o.PollInterval > 0 {
		go s.poll(pctx, o.PollInterval)
	} else {
		close(s.pollDone)
	}
	return s, nil
}

// Close stops the poller and terminates PortAudio. Streams still open are closed by PortAudio.
func (s *System) Close() error {
	s.pollStop()
	<-s.pollDone
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	// Close streams still open (a ringer stopping late, say) before PortAudio goes away, so
	// that their own Close later never touches a terminated stream.
	for st := range s.streams {
		st.mu.Lock()
		st.closed = true
		pa := st.pa
		st.pa = nil
		st.mu.Unlock()
		if pa != nil {
			_ = pa.Abort()
			_ = pa.Close()
		}
		select {
		case st.ready <- struct{}{}:
		default:
		}
	}
	clear(s.streams)
	if s.inited {
		s.inited = false
		if err := portaudio.Terminate(); err != nil {
			return fmt.Errorf("portaudio terminate: %w", err)
		}
	}
	return nil
}

func (s *System) poll(ctx context.Context, every time.Duration) {
	defer close(s.pollDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Refresh(); err != nil {
				s.log.Debug("audio device refresh failed", "err", err)
			}
		}
	}
}

// Devices returns the devices found by the last scan.
func (s *System) Devices() ([]Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.inited {
		return nil, fmt.Errorf("list devices: %w", s.lastErrLocked())
	}
	return slices.Clone(s.devices), nil
}

func (s *System) lastErrLocked() error {
	if s.lastPaErr != nil {
		return s.lastPaErr
	}
	return ErrClosed
}

// Refresh re-scans the devices so that devices plugged in later appear. While a stream is
// open it only marks the refresh pending (PortAudio cannot re-scan without closing streams)
// and reports false; the re-scan then runs when the last stream closes.
func (s *System) Refresh() (bool, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false, ErrClosed
	}
	if s.open > 0 {
		s.pending = true
		s.mu.Unlock()
		return false, nil
	}
	changed, list, err := s.rescanLocked()
	cb := s.onChange
	s.mu.Unlock()
	if changed && cb != nil {
		cb(list)
	}
	return true, err
}

func (s *System) rescanLocked() (bool, []Device, error) {
	old := s.devices
	if s.inited {
		s.inited = false
		if err := portaudio.Terminate(); err != nil {
			s.log.Debug("portaudio terminate", "err", err)
		}
	}
	if err := s.initLocked(); err != nil {
		return false, nil, err
	}
	s.pending = false
	return !slices.Equal(old, s.devices), slices.Clone(s.devices), nil
}

func (s *System) initLocked() error {
	if err := portaudio.Initialize(); err != nil {
		s.lastPaErr = fmt.Errorf("portaudio initialize: %w", err)
		return s.lastPaErr
	}
	s.inited = true
	list, err := scan()
	if err != nil {
		s.lastPaErr = err
		return err
	}
	s.devices = list
	return nil
}

func scan() ([]Device, error) {
	infos, err := portaudio.Devices()
	if err != nil {
		return nil, fmt.Errorf("portaudio devices: %w", err)
	}
	var defIn, defOut string
	if d, err := portaudio.DefaultInputDevice(); err == nil && d != nil {
		defIn = d.Name
	}
	if d, err := portaudio.DefaultOutputDevice(); err == nil && d != nil {
		defOut = d.Name
	}
	seen := map[string]bool{}
	out := make([]Device, 0, len(infos))
	for _, d := range infos {
		if d == nil || seen[d.Name] {
			continue // names must be unique for selection; keep the first host API's device
		}
		seen[d.Name] = true
		out = append(out, Device{
			Name: d.Name, Inputs: d.MaxInputChannels, Outputs: d.MaxOutputChannels,
			IsDefaultInput: d.Name == defIn, IsDefaultOutput: d.Name == defOut,
			SampleRate: d.DefaultSampleRate,
		})
	}
	return out, nil
}

// deviceNames lists the input and output devices by name, the default marked with "*".
func deviceNames(list []Device) (inputs, outputs []string) {
	for _, d := range list {
		if d.Inputs > 0 {
			inputs = append(inputs, mark(d.Name, d.IsDefaultInput))
		}
		if d.Outputs > 0 {
			outputs = append(outputs, mark(d.Name, d.IsDefaultOutput))
		}
	}
	return inputs, outputs
}

func mark(name string, def bool) string {
	if def {
		return "*" + name
	}
	return name
}

// find returns the PortAudio device called name, or the default when name is "" or missing.
// Called with s.mu held.
func (s *System) findLocked(name string, input bool) (*portaudio.DeviceInfo, error) {
	if name != "" {
		infos, err := portaudio.Devices()
		if err == nil {
			for _, d := range infos {
				if d.Name == name && ((input && d.MaxInputChannels > 0) || (!input && d.MaxOutputChannels > 0)) {
					return d, nil
				}
			}
		}
	}
	var d *portaudio.DeviceInfo
	var err error
	if input {
		d, err = portaudio.DefaultInputDevice()
	} else {
		d, err = portaudio.DefaultOutputDevice()
	}
	if err != nil || d == nil {
		return nil, fmt.Errorf("default device: %w", ErrNoDevice)
	}
	if name != "" {
		return d, fmt.Errorf("device %q: %w", name, ErrNoDevice)
	}
	return d, nil
}

// OpenSource opens capture on the named device ("" = default).
func (s *System) OpenSource(device string) (Source, error) {
	st, err := s.openStream(device, true)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// OpenSink opens playback on the named device ("" = default).
func (s *System) OpenSink(device string) (Sink, error) {
	st, err := s.openStream(device, false)
	if err != nil {
		return nil, err
	}
	return st, nil
}

func (s *System) openStream(device string, input bool) (*stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if !s.inited {
		if err := s.initLocked(); err != nil {
			return nil, err
		}
	}
	dev, ferr := s.findLocked(device, input)
	if dev == nil {
		return nil, ferr
	}
	st, err := s.openOnLocked(dev, input, nil)
	if err != nil && dev.Name != "" && device != "" && ferr == nil {
		// The named device exists but refused: try the default before giving up.
		ferr = err
		if def, derr := s.findLocked("", input); derr == nil {
			dev = def
			st, err = s.openOnLocked(dev, input, nil)
		}
	}
	if err != nil {
		return nil, err
	}
	if ferr != nil && s.onNotice != nil {
		n := Notice{Requested: device, Used: dev.Name, Err: ferr}
		go s.onNotice(n) // never call out with the lock held
	}
	st.want, st.onWanted = device, ferr == nil
	s.open++
	if s.streams == nil {
		s.streams = map[*stream]struct{}{}
	}
	s.streams[st] = struct{}{}
	return st, nil
}

// openOnLocked opens dev at 48 kHz, or at its native rate if that fails. st is reused when a
// stream moves to another device; nil makes a new one.
func (s *System) openOnLocked(dev *portaudio.DeviceInfo, input bool, st *stream) (*stream, error) {
	rates := []float64{deviceRate}
	if dev.DefaultSampleRate > 0 && dev.DefaultSampleRate != deviceRate {
		rates = append(rates, dev.DefaultSampleRate)
	}
	if st == nil {
		st = &stream{sys: s, input: input, ready: make(chan struct{}, 1), probeRes: make(chan error, 1)}
		st.probeCtx, st.probeCancel = context.WithCancel(context.Background())
	}
	var lastErr error
	for _, rate := range rates {
		st.configure(int(rate))
		p := portaudio.StreamParameters{SampleRate: rate, FramesPerBuffer: int(rate) / 50}
		dp := portaudio.StreamDeviceParameters{Device: dev, Channels: 1}
		var cb any
		if input {
			dp.Latency = dev.DefaultLowInputLatency
			p.Input = dp
			cb = st.capture
		} else {
			dp.Latency = dev.DefaultLowOutputLatency
			p.Output = dp
			cb = st.play
		}
		ps, err := portaudio.OpenStream(p, cb)
		if err != nil {
			lastErr = fmt.Errorf("open %q at %.0f Hz: %w", dev.Name, rate, err)
			continue
		}
		st.openedAt = time.Now()
		st.firstCB.Store(0)
		st.lastCB.Store(0)
		if err := ps.Start(); err != nil {
			ps.Close()
			lastErr = fmt.Errorf("start %q: %w", dev.Name, err)
			continue
		}
		st.mu.Lock()
		st.pa = ps
		st.name = dev.Name
		st.mu.Unlock()
		return st, nil
	}
	return nil, lastErr
}

// errStalled reports a device that stopped delivering or taking audio (unplugged).
var errStalled = errors.New("audio: device stopped responding")

// Watchdog timing. A device is judged only once it has been seen running in real time:
// PulseAudio's ALSA plugin starts a stream with a burst (playback pre-fills 2–3 periods, capture
// none) and then delivers no callback at all for 1.4–2 s while Pulse sets the stream up, which a
// plain "no callback for stallAfter since open" check took for an unplugged device on every call.
const (
	// stallAfter is how long without a callback counts as a lost device once it ran.
	stallAfter = 1500 * time.Millisecond
	// runningAfter is how long callbacks must have been arriving before the device counts as
	// running; a start-up burst spans a few milliseconds only.
	runningAfter = 500 * time.Millisecond
	// startTimeout is how long a device may take to start running at all.
	startTimeout = 6 * time.Second
	// moveEvery limits device moves to one per period.
	moveEvery = 5 * time.Second
	// probeEvery is how often a stream on a chosen device checks that the device is still
	// there (or, on the fallback, back again) by opening it a second time, in a child process
	// (probechild.go) that costs about 0.1 s of CPU: every 3 s is some 3 % of a core in a call.
	probeEvery = 3 * time.Second
)

// errGone reports a chosen device that can no longer be opened although its stream still runs:
// the sound server (PulseAudio, PipeWire) moved the stream to another device when the device
// went away, so the callbacks never stopped.
var errGone = errors.New("audio: device removed")

// stalled reports whether a device opened at openedAt, with first and last callbacks at
// firstCB and lastCB (zero: none yet), has stopped responding at now.
func stalled(now, openedAt, firstCB, lastCB time.Time) bool {
	if firstCB.IsZero() || lastCB.Sub(firstCB) < runningAfter {
		// Still starting: only a device that never gets going is lost.
		return now.Sub(openedAt) >= startTimeout
	}
	return now.Sub(lastCB) >= stallAfter
}

func unixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// callback records that the device called back; called first by every PortAudio callback.
func (st *stream) callback() {
	now := time.Now().UnixNano()
	st.firstCB.CompareAndSwap(0, now)
	st.lastCB.Store(now)
}

// checkStall moves a stream whose device went silent (unplugged) to the default device and
// reports it. Called from the Read or Write goroutine.
func (st *stream) checkStall() {
	now := time.Now()
	if now.Sub(st.lastMove) >= moveEvery &&
		stalled(now, st.openedAt, unixNano(st.firstCB.Load()), unixNano(st.lastCB.Load())) {
		st.lastMove = now
		st.moveToDefault(errStalled)
		return
	}
	if st.probing {
		select {
		case err := <-st.probeRes:
			st.probing = false
			st.probeDone(now, err)
		default:
		}
		return
	}
	if st.want != "" && !st.probeOff && now.Sub(st.lastProbe) >= probeEvery {
		st.lastProbe = now
		st.probing = true
		go func(want string, input bool) { st.probeRes <- probeInChild(st.probeCtx, want, input) }(st.want, st.input)
	}
}

// probeDone acts on a probe of the device the user chose, which opened it a second time
// (without starting it) in a child process: a device that can no longer be opened was
// unplugged, even when a sound server keeps the stream running on another device; one that
// opens again while the stream is on the fallback is back, and the stream returns to it. A
// device that refuses a second open while in use (exclusive hardware) is left to the stall
// watchdog.
func (st *stream) probeDone(now time.Time, err error) {
	s := st.sys
	switch probeVerdict(st.onWanted, st.probeOK, err == nil, now.Sub(st.lastMove)) {
	case probeShared:
		st.probeOK = true
	case probeExclusive:
		st.probeOff = true
		s.log.Debug("audio device cannot be opened twice; only the stall watchdog watches it", "device", st.want, "err", err)
	case probeGone:
		st.lastMove = now
		st.moveToDefault(fmt.Errorf("%w: %w", errGone, err))
	case probeBack:
		// This process's PortAudio lists the devices it found at start (it cannot re-scan
		// while a stream is open), so a device it never listed is taken up by the next call.
		s.mu.Lock()
		dev := s.namedLocked(st.want, st.input)
		s.mu.Unlock()
		if dev == nil {
			s.log.Info("audio device back but not known to this session; used from the next call", "device", st.want)
			return
		}
		st.lastMove = now
		st.moveBack(dev)
	}
}

// probeAction is what a probe of the chosen device leads to.
type probeAction int

const (
	probeNothing   probeAction = iota
	probeShared                // on the device, which opens a second time: later failures mean it is gone
	probeExclusive             // on the device, which never opened a second time: stop probing it
	probeGone                  // on the device, which opened before and no longer does: unplugged
	probeBack                  // on the fallback, and the device opens again: return to it
)

// probeVerdict decides on a probe: onWanted is whether the stream is on the chosen device,
// shared whether the device has opened a second time while in use, opened whether it opened
// now, sinceMove the time since the stream last moved (moves are at most one per moveEvery).
func probeVerdict(onWanted, shared, opened bool, sinceMove time.Duration) probeAction {
	switch {
	case onWanted && opened:
		return probeShared
	case onWanted && !shared:
		return probeExclusive
	case onWanted:
		return probeGone
	case opened && sinceMove >= moveEvery:
		return probeBack
	}
	return probeNothing
}

// namedLocked returns the listed device called name with channels in the direction, or nil.
func (s *System) namedLocked(name string, input bool) *portaudio.DeviceInfo {
	infos, err := portaudio.Devices()
	if err != nil {
		return nil
	}
	for _, d := range infos {
		if d.Name == name && ((input && d.MaxInputChannels > 0) || (!input && d.MaxOutputChannels > 0)) {
			return d
		}
	}
	return nil
}

// probeOpen opens dev and closes it again at once. Called with s.mu held, or in the probe child.
func probeOpen(dev *portaudio.DeviceInfo, input bool) error {
	rate := float64(deviceRate)
	p := portaudio.StreamParameters{SampleRate: rate, FramesPerBuffer: int(rate) / 50}
	dp := portaudio.StreamDeviceParameters{Device: dev, Channels: 1}
	var cb any
	if input {
		dp.Latency, p.Input, cb = dev.DefaultLowInputLatency, dp, func([]int16) {}
	} else {
		dp.Latency, p.Output, cb = dev.DefaultLowOutputLatency, dp, func(out []int16) { clear(out) }
	}
	ps, err := portaudio.OpenStream(p, cb)
	if err != nil && dev.DefaultSampleRate > 0 && dev.DefaultSampleRate != rate {
		p.SampleRate, p.FramesPerBuffer = dev.DefaultSampleRate, int(dev.DefaultSampleRate)/50
		ps, err = portaudio.OpenStream(p, cb)
	}
	if err != nil {
		return fmt.Errorf("probe %q: %w", dev.Name, err)
	}
	return ps.Close()
}

// moveToDefault closes the PortAudio stream and reopens the default device in its place.
func (st *stream) moveToDefault(why error) {
	used, err := st.moveTo(nil)
	if err != nil {
		err = errors.Join(why, err)
	} else {
		err = why
	}
	st.sys.log.Warn("audio device lost; moved to the default device", "from", st.want, "to", used, "err", err)
	if cb := st.sys.onNotice; cb != nil {
		go cb(Notice{Requested: st.want, Used: used, Err: err})
	}
}

// moveBack returns the stream to the chosen device dev, which is back.
func (st *stream) moveBack(dev *portaudio.DeviceInfo) {
	used, err := st.moveTo(dev)
	if err != nil {
		st.sys.log.Warn("audio device back but not usable", "device", st.want, "err", err)
		return
	}
	st.sys.log.Info("audio device back; moved to it", "device", used)
	if cb := st.sys.onNotice; cb != nil {
		go cb(Notice{Requested: st.want, Used: used, Returned: true})
	}
}

// moveTo closes the PortAudio stream and reopens it on dev (nil: the default device), or on
// the default device when dev fails. It reports the device now used.
func (st *stream) moveTo(dev *portaudio.DeviceInfo) (string, error) {
	s := st.sys
	s.mu.Lock()
	defer s.mu.Unlock()
	st.mu.Lock()
	closed, old := st.closed, st.pa
	st.pa = nil
	st.mu.Unlock()
	if closed || s.closed {
		return "", ErrClosed
	}
	if old != nil {
		_ = old.Abort()
		_ = old.Close()
	}
	var err error
	if dev != nil {
		if _, err = s.openOnLocked(dev, st.input, st); err == nil {
			// Whether this device allows a second open while in use is found out again.
			st.onWanted, st.probeOK = true, false
			return dev.Name, nil
		}
	}
	st.onWanted = false
	def, ferr := s.findLocked("", st.input)
	if def == nil {
		return "", errors.Join(err, ferr)
	}
	if _, oerr := s.openOnLocked(def, st.input, st); oerr != nil {
		return "", errors.Join(err, oerr)
	}
	return def.Name, err
}

// released is called when a stream closes; it runs a pending refresh.
func (s *System) released(st *stream) {
	s.mu.Lock()
	delete(s.streams, st)
	s.open--
	var changed bool
	var list []Device
	if s.open == 0 && s.pending && !s.closed {
		var err error
		changed, list, err = s.rescanLocked()
		if err != nil {
			s.log.Warn("audio device refresh failed", "err", err)
		}
	}
	cb := s.onChange
	s.mu.Unlock()
	if changed && cb != nil {
		cb(list)
	}
}

// stream is one PortAudio capture or playback stream with a ring buffer between the
// real-time callback and the 8 kHz frame API.
type stream struct {
	sys   *System
	input bool

	mu     sync.Mutex // held only briefly: copying samples, swapping the device
	pa     *portaudio.Stream
	name   string
	rate   int
	ring   *ring // device-rate samples
	closed bool
	ready  chan struct{}
	// UnixNano of the first and the last callback since the device was (re)opened; 0 = none.
	firstCB, lastCB atomic.Int64

	// Used only by the single Read or Write caller.
	rs       *Resampler
	devBuf   []int16
	openedAt time.Time
	lastMove time.Time
	// want is the device the user chose ("" = default); onWanted is whether the stream is on
	// it (not on the fallback). probeOK: the device opened a second time while in use, so a
	// failed probe means it is gone; probeOff: it never did, so it is not probed.
	want      string
	onWanted  bool
	probeOK   bool
	probeOff  bool
	lastProbe time.Time
	// probing: a probe runs (probeInChild) and answers on probeRes; probeCtx ends it when the
	// stream closes.
	probing     bool
	probeRes    chan error
	probeCtx    context.Context
	probeCancel context.CancelFunc
	closeMu     sync.Mutex
}

// configure sizes the buffers for a device rate: 200 ms of capture slack, 120 ms of playback
// queue before the oldest audio is dropped.
func (st *stream) configure(rate int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.rate = rate
	if st.input {
		st.ring = newRing(rate / 5)
		st.rs = NewResampler(rate, SampleRate)
	} else {
		st.ring = newRing(rate * 12 / 100)
		st.rs = NewResampler(SampleRate, rate)
	}
}

// capture is the PortAudio input callback: copy and signal, nothing else.
func (st *stream) capture(in []int16) {
	st.callback()
	st.mu.Lock()
	st.ring.write(in, true)
	st.mu.Unlock()
	select {
	case st.ready <- struct{}{}:
	default:
	}
}

// play is the PortAudio output callback: copy queued audio, silence for any shortfall.
func (st *stream) play(out []int16) {
	st.callback()
	st.mu.Lock()
	n := st.ring.read(out)
	st.mu.Unlock()
	clear(out[n:])
}

// Read implements Source.
func (st *stream) Read(frame []int16) error {
	st.checkStall()
	st.mu.Lock()
	need := len(frame) * st.rate / SampleRate
	st.mu.Unlock()
	if cap(st.devBuf) < need {
		st.devBuf = make([]int16, need)
	}
	buf := st.devBuf[:need]
	var rs *Resampler
	for {
		st.mu.Lock()
		closed := st.closed
		have := st.ring.len()
		if have >= need && !closed {
			st.ring.read(buf)
		}
		rs = st.rs
		st.mu.Unlock()
		if closed {
			return ErrClosed
		}
		if have >= need {
			break
		}
		select {
		case <-st.ready:
		case <-time.After(500 * time.Millisecond):
			// A stalled device (unplugged mid-call) must not hang the caller forever.
			clear(frame)
			return nil
		}
	}
	out := rs.Process(buf, frame[:0])
	if len(out) < len(frame) {
		clear(frame[len(out):])
	}
	return nil
}

// Write implements Sink.
func (st *stream) Write(frame []int16) error {
	st.checkStall()
	st.mu.Lock()
	rs := st.rs
	st.mu.Unlock()
	st.devBuf = rs.Process(frame, st.devBuf[:0])
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	st.ring.write(st.devBuf, true)
	return nil
}

// Close stops and closes the stream; a pending device refresh may then run.
func (st *stream) Close() error {
	st.closeMu.Lock()
	defer st.closeMu.Unlock()
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil
	}
	st.closed = true
	st.mu.Unlock()
	if st.probeCancel != nil {
		st.probeCancel()
	}
	select {
	case st.ready <- struct{}{}:
	default:
	}
	st.sys.mu.Lock() // serialise with a device move
	st.mu.Lock()
	pa := st.pa
	st.pa = nil
	st.mu.Unlock()
	var err error
	if pa != nil {
		err = pa.Stop()
		if cerr := pa.Close(); err == nil {
			err = cerr
		}
	}
	st.sys.mu.Unlock()
	st.sys.released(st)
	if err != nil {
		return fmt.Errorf("close audio stream %q: %w", st.name, err)
	}
	return nil
}

// ring is a fixed-size FIFO of samples; writing past capacity drops the oldest samples.
type ring struct {
	buf        []int16
	head, size int
}

func newRing(n int) *ring { return &ring{buf: make([]int16, n)} }

func (r *ring) len() int { return r.size }

func (r *ring) write(p []int16, dropOld bool) {
	if len(p) >= len(r.buf) {
		p = p[len(p)-len(r.buf):]
		r.head, r.size = 0, 0
	}
	if over := r.size + len(p) - len(r.buf); over > 0 {
		r.head = (r.head + over) % len(r.buf)
		r.size -= over
	}
	tail := (r.head + r.size) % len(r.buf)
	n := copy(r.buf[tail:], p)
	copy(r.buf, p[n:])
	r.size += len(p)
}

func (r *ring) read(p []int16) int {
	n := min(len(p), r.size)
	first := copy(p[:n], r.buf[r.head:])
	if first < n {
		copy(p[first:n], r.buf)
	}
	r.head = (r.head + n) % len(r.buf)
	r.size -= n
	return n
}
