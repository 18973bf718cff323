package media

import (
	"math"
	"time"
)

// Jitter buffer limits, in 20 ms frames.
const (
	frameDur  = 20 * time.Millisecond
	minDepth  = 1  // 20 ms
	maxDepth  = 10 // 200 ms
	hardLimit = 25 // frames held at most; beyond it the oldest are dropped
)

// JitterStats are counters for tests and diagnostics.
type JitterStats struct {
	Pushed, Played, Late, Lost, Concealed, Dropped, Resyncs int
	Jitter                                                  time.Duration // RFC 3550 interarrival jitter estimate
	Target                                                  int           // current target depth in frames
}

// Jitter is an adaptive jitter buffer for one audio stream of decoded 8 kHz samples. It orders
// packets by sequence number, conceals lost packets by repeating the last frame with a fade, and
// adapts its depth (between 20 and 200 ms) to the measured interarrival jitter. A new SSRC
// restarts it. Not safe for concurrent use: the session serialises Push and Pop.
type Jitter struct {
	rate float64 // samples per second

	ssrc    uint32
	have    bool  // a packet has been seen since the last reset
	highest int64 // highest extended sequence number seen
	next    int64 // extended sequence number to play next
	playing bool  // false while (re)buffering up to the target depth
	slots   map[int64][]int16

	// Jitter estimate (RFC 3550 section 6.4.1), in sample units.
	lastArrival time.Time
	lastTS      uint32
	jitter      float64
	target      int
	surplus     int // consecutive pops with more than target+2 frames buffered

	pending []int16 // samples of the current packet not yet handed out
	last    []int16 // last real frame, for concealment
	fade    float32
	free    [][]int16
	stats   JitterStats
}

// NewJitter returns an empty jitter buffer for a stream with the given sample rate.
func NewJitter(rate int) *Jitter {
	return &Jitter{rate: float64(rate), slots: map[int64][]int16{}, target: 2}
}

// Stats returns the counters.
func (j *Jitter) Stats() JitterStats {
	s := j.stats
	s.Jitter = time.Duration(j.jitter / j.rate * float64(time.Second))
	s.Target = j.target
	return s
}

// Target returns the current target depth in frames.
func (j *Jitter) Target() int { return j.target }

// Buffered returns the number of packets held.
func (j *Jitter) Buffered() int { return len(j.slots) }

func (j *Jitter) reset() {
	for k, v := range j.slots {
		j.free = append(j.free, v[:0])
		delete(j.slots, k)
	}
	j.have, j.playing = false, false
	j.pending = j.pending[:0]
	j.lastArrival = time.Time{}
	j.surplus = 0
}

// Push adds the decoded samples of one RTP packet. samples is copied.
func (j *Jitter) Push(ssrc uint32, seq uint16, ts uint32, samples []int16, arrival time.Time) {
	if j.have && ssrc != j.ssrc {
		j.reset()
		j.stats.Resyncs++
	}
	var ext int64
	if !j.have {
		j.have, j.ssrc = true, ssrc
		ext = int64(seq)
		j.highest = ext
		j.next = ext
	} else {
		// Unwrap against the highest sequence seen (RFC 3550 appendix A.1 style).
		delta := int64(int16(seq - uint16(j.highest)))
		ext = j.highest + delta
		if ext-j.highest > 3000 || j.highest-ext > 3000 {
			// A jump this big is a restarted sender with the same SSRC: start over.
			j.reset()
			j.stats.Resyncs++
			j.have, j.ssrc, ext, j.highest, j.next = true, ssrc, int64(seq), int64(seq), int64(seq)
		}
	}
	j.updateJitter(ts, arrival)
	if j.playing && ext < j.next {
		j.stats.Late++
		return
	}
	if _, dup := j.slots[ext]; dup {
		return
	}
	if !j.playing && ext < j.next {
		j.next = ext // an earlier packet arrived while buffering: start from it
	}
	if ext > j.highest {
		j.highest = ext
	}
	var buf []int16
	if n := len(j.free); n > 0 {
		buf = j.free[n-1][:0]
		j.free = j.free[:n-1]
	}
	j.slots[ext] = append(buf, samples...)
	j.stats.Pushed++
	for len(j.slots) > hardLimit {
		j.dropOldest()
	}
}

func (j *Jitter) updateJitter(ts uint32, arrival time.Time) {
	if arrival.IsZero() {
		return
	}
	if !j.lastArrival.IsZero() {
		da := arrival.Sub(j.lastArrival).Seconds() * j.rate
		dt := float64(int32(ts - j.lastTS))
		d := math.Abs(da - dt)
		if d < j.rate*2 { // ignore pauses (hold, silence suppression)
			j.jitter += (d - j.jitter) / 16
		}
	}
	j.lastArrival, j.lastTS = arrival, ts
	// Target: enough frames to cover about three times the mean deviation.
	jms := j.jitter / j.rate * 1000
	t := 1 + int(math.Ceil(3*jms/float64(frameDur/time.Millisecond)))
	j.target = min(max(t, minDepth), maxDepth)
}

func (j *Jitter) dropOldest() {
	lo := int64(math.MaxInt64)
	for k := range j.slots {
		lo = min(lo, k)
	}
	j.free = append(j.free, j.slots[lo][:0])
	delete(j.slots, lo)
	j.stats.Dropped++
	if j.next <= lo {
		j.next = lo + 1
	}
}

// lowest returns the smallest buffered sequence number.
func (j *Jitter) lowest() (int64, bool) {
	lo, ok := int64(math.MaxInt64), false
	for k := range j.slots {
		if k < lo {
			lo, ok = k, true
		}
	}
	return lo, ok
}

// Pop fills out (one playout period) and reports whether it carries received or concealed audio
// rather than silence while buffering.
func (j *Jitter) Pop(out []int16) bool {
	if !j.playing {
		if len(j.slots) < j.target || len(j.slots) == 0 {
			clear(out)
			return false
		}
		j.playing = true
		if lo, ok := j.lowest(); ok {
			j.next = lo
		}
	}
	filled, real := 0, false
	for filled < len(out) {
		if len(j.pending) > 0 {
			n := copy(out[filled:], j.pending)
			j.pending = j.pending[n:]
			filled += n
			real = true
			continue
		}
		if !j.advance() {
			break
		}
	}
	if filled < len(out) {
		if len(j.slots) == 0 && filled == 0 && j.fade < 0.05 {
			clear(out)
			j.playing = false // underrun: rebuffer up to the (possibly larger) target
			return false
		}
		j.conceal(out[filled:])
		real = true
	}
	// Latency control: if more than two frames above target for a while, drop one frame.
	if len(j.slots) > j.target+2 {
		j.surplus++
		if j.surplus >= 10 {
			j.surplus = 0
			j.skip()
		}
	} else {
		j.surplus = 0
	}
	return real
}

// advance moves the next packet into pending, or conceals a lost one. It reports false on
// underrun (nothing buffered).
func (j *Jitter) advance() bool {
	if len(j.slots) == 0 {
		return false
	}
	if lo, _ := j.lowest(); lo > j.next+maxDepth {
		// A long gap (the sender paused): jump rather than conceal hundreds of ms.
		j.next = lo
	}
	s, ok := j.slots[j.next]
	if !ok {
		// Lost: conceal one frame in its place.
		j.stats.Lost++
		j.next++
		j.pending = j.concealFrame()
		return true
	}
	delete(j.slots, j.next)
	j.next++
	j.last = append(j.last[:0], s...)
	j.fade = 1
	j.pending = append(j.pending[:0], s...)
	j.free = append(j.free, s[:0])
	j.stats.Played++
	return true
}

// skip discards the next buffered packet to shrink latency.
func (j *Jitter) skip() {
	if s, ok := j.slots[j.next]; ok {
		delete(j.slots, j.next)
		j.free = append(j.free, s[:0])
		j.stats.Dropped++
	}
	j.next++
}

// concealFrame returns the last frame faded by half each time it is repeated.
func (j *Jitter) concealFrame() []int16 {
	j.stats.Concealed++
	j.fade *= 0.5
	n := len(j.last)
	if n == 0 {
		n = 160
	}
	p := j.pending[:0]
	for i := range n {
		var v int16
		if i < len(j.last) {
			v = int16(float32(j.last[i]) * j.fade)
		}
		p = append(p, v)
	}
	return p
}

func (j *Jitter) conceal(out []int16) {
	f := j.concealFrame()
	n := copy(out, f)
	clear(out[n:])
	j.pending = j.pending[:0]
}
