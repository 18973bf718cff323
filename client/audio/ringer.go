package audio

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"
)

// Tone is a repeating on/off pattern of a sine tone.
type Tone struct {
	Freq   float64       // Hz
	On     time.Duration // tone length
	Off    time.Duration // silence after it
	Repeat int           // times to play the cadence; 0 = until stopped
}

// RingTone is the European (and Finnish) ringing cadence: 425 Hz, 1 s on, 4 s off.
var RingTone = Tone{Freq: 425, On: time.Second, Off: 4 * time.Second}

// WaitingTone is the short call-waiting beep: 425 Hz, two 150 ms beeps.
var WaitingTone = Tone{Freq: 425, On: 150 * time.Millisecond, Off: 150 * time.Millisecond, Repeat: 2}

// Ringer plays the ring tone and the call-waiting beep on devices of its own, independent of
// the headset used for talking: on one device, or on several at once (the computer speaker and
// the headset, so a call is heard with the headset on or off). Safe for concurrent use; Stop
// ends its goroutines.
type Ringer struct {
	backend Backend
	log     *slog.Logger

	mu     sync.Mutex
	volume float64
	cancel context.CancelFunc
	done   chan struct{}
}

// NewRinger returns a ringer that opens its sinks through b.
func NewRinger(b Backend, log *slog.Logger) *Ringer {
	if log == nil {
		log = slog.Default()
	}
	return &Ringer{backend: b, log: log, volume: 0.5}
}

// SetVolume sets the ring volume from 0 (silent) to 1 (full scale).
func (r *Ringer) SetVolume(v float64) {
	r.mu.Lock()
	r.volume = min(max(v, 0), 1)
	r.mu.Unlock()
}

// Ring starts the ring tone on every device given ("" = default) at once, until Stop. It
// replaces any tone playing. No device at all rings on the default device.
func (r *Ringer) Ring(devices ...string) { r.PlayOn(devices, RingTone) }

// Beep plays the call-waiting beep once on device.
func (r *Ringer) Beep(device string) { r.Play(device, WaitingTone) }

// Play plays t on device, replacing any tone already playing.
func (r *Ringer) Play(device string, t Tone) { r.PlayOn([]string{device}, t) }

// PlayOn plays t on each of devices concurrently (duplicates once; none means the default
// device), replacing any tone already playing. A device that fails does not silence the others.
func (r *Ringer) PlayOn(devices []string, t Tone) {
	r.Stop()
	devices = uniqueDevices(devices)
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r.cancel, r.done = cancel, done
	vol := r.volume
	var wg sync.WaitGroup
	for _, d := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.play(ctx, d, t, vol)
		}()
	}
	go func() { // owned by done: Stop cancels ctx and waits for it
		wg.Wait()
		close(done)
	}()
}

// uniqueDevices drops repeated names, keeping the order; an empty list becomes the default.
func uniqueDevices(devices []string) []string {
	out := make([]string, 0, max(len(devices), 1))
	for _, d := range devices {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		out = append(out, "")
	}
	return out
}

// Stop silences the ringer and waits for its goroutine to finish.
func (r *Ringer) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel, r.done = nil, nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Ringing reports whether a tone is playing.
func (r *Ringer) Ringing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil {
		return false
	}
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

func (r *Ringer) play(ctx context.Context, device string, t Tone, vol float64) {
	sink, err := r.backend.OpenSink(device)
	if err != nil {
		r.log.Warn("ring device unavailable", "device", device, "err", err)
		return
	}
	defer sink.Close()
	gen := NewToneGenerator(t, vol)
	frame := make([]int16, FrameSamples)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if !gen.Next(frame) {
			// Let the queued tail play out before closing the device.
			select {
			case <-ctx.Done():
			case <-time.After(120 * time.Millisecond):
			}
			return
		}
		if err := sink.Write(frame); err != nil {
			r.log.Warn("ring playback failed", "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// ToneGenerator renders a Tone into 8 kHz frames.
type ToneGenerator struct {
	t     Tone
	amp   float64
	n     int // sample index within the cadence
	count int // cadences completed
}

// NewToneGenerator returns a generator of t at volume vol (0..1).
func NewToneGenerator(t Tone, vol float64) *ToneGenerator {
	return &ToneGenerator{t: t, amp: vol * 32767 * 0.7}
}

// Next fills frame and reports false when a finite tone has finished.
func (g *ToneGenerator) Next(frame []int16) bool {
	if g.t.Repeat > 0 && g.count >= g.t.Repeat {
		return false
	}
	on := int(g.t.On.Seconds() * SampleRate)
	period := on + int(g.t.Off.Seconds()*SampleRate)
	if period <= 0 {
		return false
	}
	for i := range frame {
		if g.n < on {
			// 5 ms ramps avoid clicks at the edges of each burst.
			env := math.Min(1, math.Min(float64(g.n), float64(on-g.n))/40)
			frame[i] = int16(g.amp * env * math.Sin(2*math.Pi*g.t.Freq*float64(g.n)/SampleRate))
		} else {
			frame[i] = 0
		}
		g.n++
		if g.n >= period {
			g.n = 0
			g.count++
			if g.t.Repeat > 0 && g.count >= g.t.Repeat {
				clear(frame[i+1:])
				return true
			}
		}
	}
	return true
}
