package audio

import (
	"testing"
	"time"
)

// TestStalledTimelines replays device callback timelines through the watchdog, checked every
// 20 ms as Read and Write do, and checks when (if ever) the device is declared lost.
func TestStalledTimelines(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// every returns callbacks every 20 ms in [from, to).
	every := func(from, to time.Duration) []time.Duration {
		var cbs []time.Duration
		for d := from; d < to; d += ms(20) {
			cbs = append(cbs, d)
		}
		return cbs
	}
	tests := []struct {
		name string
		cbs  []time.Duration // callback times after the open
		// want is when the device is first declared lost, 0 for never within 10 s.
		wantMin, wantMax time.Duration
	}{
		{
			// Measured on PulseAudio's ALSA plugin: playback pre-fills 3 periods, then no
			// callback for ~1.9 s, then steady. The old watchdog declared it lost at 1.5 s.
			name: "pulse playback start-up",
			cbs:  append([]time.Duration{ms(1), ms(2), ms(3)}, every(ms(1900), 10*time.Second)...),
		},
		{
			// Measured: capture delivers nothing for ~2 s after start.
			name: "pulse capture start-up",
			cbs:  every(ms(2000), 10*time.Second),
		},
		{
			name: "slow start on a loaded machine",
			cbs:  every(ms(4500), 10*time.Second),
		},
		{
			name: "healthy from the start",
			cbs:  every(0, 10*time.Second),
		},
		{
			name:    "unplugged after running",
			cbs:     every(0, ms(3000)),
			wantMin: ms(3000) + stallAfter - ms(40), wantMax: ms(3000) + stallAfter + ms(40),
		},
		{
			name:    "unplugged after the start-up gap",
			cbs:     append([]time.Duration{ms(1), ms(2)}, every(ms(1900), ms(2600))...),
			wantMin: ms(2600) + stallAfter - ms(40), wantMax: ms(2600) + stallAfter + ms(40),
		},
		{
			name:    "never starts",
			wantMin: startTimeout, wantMax: startTimeout + ms(20),
		},
		{
			name:    "start-up burst, then nothing",
			cbs:     []time.Duration{ms(1), ms(2), ms(3)},
			wantMin: startTimeout, wantMax: startTimeout + ms(20),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opened := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var first, last time.Time
			i := 0
			var got time.Duration
			for d := time.Duration(0); d <= 10*time.Second; d += ms(20) {
				for ; i < len(tt.cbs) && tt.cbs[i] <= d; i++ {
					if first.IsZero() {
						first = opened.Add(tt.cbs[i])
					}
					last = opened.Add(tt.cbs[i])
				}
				if stalled(opened.Add(d), opened, first, last) {
					got = d
					break
				}
			}
			if tt.wantMax == 0 {
				if got != 0 {
					t.Fatalf("a healthy device was declared lost at %v", got)
				}
				return
			}
			if got < tt.wantMin || got > tt.wantMax {
				t.Fatalf("declared lost at %v, want within [%v, %v]", got, tt.wantMin, tt.wantMax)
			}
		})
	}
}

// TestProbeVerdict replays a chosen device's life through the probe's decisions: in use and
// shared, unplugged, still missing, back (not sooner than moveEvery after the last move), and a
// device that never opens twice (exclusive hardware), which is never declared gone by a probe.
func TestProbeVerdict(t *testing.T) {
	type probe struct {
		opened    bool
		sinceMove time.Duration
		want      probeAction
	}
	run := func(name string, probes []probe) {
		t.Run(name, func(t *testing.T) {
			onWanted, shared, off := true, false, false
			for i, p := range probes {
				if off {
					t.Fatalf("probe %d ran after probing was switched off", i)
				}
				got := probeVerdict(onWanted, shared, p.opened, p.sinceMove)
				if got != p.want {
					t.Fatalf("probe %d (on the device %v, shared %v, opened %v, %v since the move): %v, want %v",
						i, onWanted, shared, p.opened, p.sinceMove, got, p.want)
				}
				switch got { // what probeDone and moveTo do with it
				case probeShared:
					shared = true
				case probeExclusive:
					off = true
				case probeGone:
					onWanted = false
				case probeBack:
					onWanted, shared = true, false
				}
			}
		})
	}
	s := time.Second
	run("unplugged and back", []probe{
		{true, 30 * s, probeShared},
		{true, 32 * s, probeShared},
		{false, 34 * s, probeGone},
		{false, 2 * s, probeNothing}, // still missing
		{true, 4 * s, probeNothing},  // back, but the last move was under moveEvery ago
		{true, 6 * s, probeBack},
		{true, 2 * s, probeShared}, // shared again after the return
	})
	run("exclusive device", []probe{
		{false, 30 * s, probeExclusive},
	})
	run("exclusive after a return is not taken for an unplug", []probe{
		{true, 30 * s, probeShared},
		{false, 32 * s, probeGone},
		{true, 6 * s, probeBack},
		{false, 2 * s, probeExclusive}, // in use by us now and not shareable: watchdog only
	})
}
