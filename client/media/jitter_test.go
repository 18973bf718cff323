package media

import (
	"testing"
	"time"
)

// frameOf returns a 160-sample frame filled with v so tests can see which packet played.
func frameOf(v int16) []int16 {
	f := make([]int16, 160)
	for i := range f {
		f[i] = v
	}
	return f
}

// playAll pops n frames and returns the first sample of each.
func playAll(j *Jitter, n int) []int16 {
	out := make([]int16, 160)
	var got []int16
	for range n {
		j.Pop(out)
		got = append(got, out[0])
	}
	return got
}

func TestJitterReorders(t *testing.T) {
	j := NewJitter(8000)
	t0 := time.Unix(0, 0)
	order := []uint16{0, 2, 1, 3, 5, 4}
	for i, s := range order {
		j.Push(1, 65533+s, uint32(s)*160, frameOf(int16(100+s)), t0.Add(time.Duration(i)*frameDur))
	}
	got := playAll(j, 6)
	for i, v := range got {
		if v != int16(100+i) {
			t.Fatalf("played %v, want 100..105 in order (sequence wraps at 65535)", got)
		}
	}
}

func TestJitterConcealsLoss(t *testing.T) {
	j := NewJitter(8000)
	t0 := time.Unix(0, 0)
	for _, s := range []uint16{10, 11, 13, 14} { // 12 lost
		j.Push(7, s, uint32(s)*160, frameOf(1000), t0.Add(time.Duration(s)*frameDur))
	}
	got := playAll(j, 4)
	if got[0] != 1000 || got[1] != 1000 || got[3] != 1000 {
		t.Fatalf("played %v", got)
	}
	if got[2] != 500 {
		t.Fatalf("lost frame concealed as %d, want the last frame faded to 500", got[2])
	}
	if st := j.Stats(); st.Lost != 1 || st.Concealed != 1 {
		t.Fatalf("stats %+v, want 1 lost and concealed", st)
	}
}

func TestJitterDropsLatePackets(t *testing.T) {
	j := NewJitter(8000)
	t0 := time.Unix(0, 0)
	for s := uint16(0); s < 4; s++ {
		j.Push(7, s, uint32(s)*160, frameOf(int16(s)), t0.Add(time.Duration(s)*frameDur))
	}
	playAll(j, 3)
	j.Push(7, 1, 160, frameOf(99), t0.Add(5*frameDur)) // already played
	if st := j.Stats(); st.Late != 1 {
		t.Fatalf("late = %d, want 1", st.Late)
	}
	if got := playAll(j, 1); got[0] != 3 {
		t.Fatalf("played %v after a late packet, want 3", got)
	}
}

func TestJitterAdaptsToJitter(t *testing.T) {
	tests := []struct {
		name     string
		spread   time.Duration // arrival deviation alternates ±spread
		min, max int           // expected target depth in frames
	}{
		{"steady network keeps shallow", 0, 1, 2},
		{"±10 ms jitter deepens to about 80 ms", 10 * time.Millisecond, 3, 5},
		{"huge jitter is capped at 200 ms", 400 * time.Millisecond, maxDepth, maxDepth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := NewJitter(8000)
			t0 := time.Unix(0, 0)
			out := make([]int16, 160)
			for s := range 300 {
				dev := tc.spread
				if s%2 == 0 {
					dev = -tc.spread
				}
				j.Push(9, uint16(s), uint32(s)*160, frameOf(1), t0.Add(time.Duration(s)*frameDur+dev))
				j.Pop(out)
			}
			if got := j.Target(); got < tc.min || got > tc.max {
				t.Fatalf("target %d frames (jitter %v), want %d..%d", got, j.Stats().Jitter, tc.min, tc.max)
			}
		})
	}
}

func TestJitterResyncsOnSSRCChange(t *testing.T) {
	j := NewJitter(8000)
	t0 := time.Unix(0, 0)
	for s := uint16(100); s < 104; s++ {
		j.Push(1, s, uint32(s)*160, frameOf(1), t0.Add(time.Duration(s)*frameDur))
	}
	playAll(j, 2)
	// A new source (e.g. after a transfer) starts with an unrelated sequence number.
	for s := uint16(5); s < 9; s++ {
		j.Push(2, s, uint32(s)*160, frameOf(2), t0.Add(time.Duration(100+s)*frameDur))
	}
	got := playAll(j, 4)
	for _, v := range got {
		if v != 2 {
			t.Fatalf("played %v after SSRC change, want the new stream only", got)
		}
	}
	if st := j.Stats(); st.Resyncs != 1 {
		t.Fatalf("resyncs %d, want 1", st.Resyncs)
	}
}

func TestJitterUnderrunRebuffers(t *testing.T) {
	j := NewJitter(8000)
	t0 := time.Unix(0, 0)
	j.Push(1, 0, 0, frameOf(50), t0)
	j.Push(1, 1, 160, frameOf(50), t0.Add(frameDur))
	got := playAll(j, 10)
	if got[0] != 50 || got[1] != 50 {
		t.Fatalf("played %v", got)
	}
	if got[9] != 0 {
		t.Fatalf("after a long underrun the output is %d, want silence", got[9])
	}
	// The stream resumes later (hold ended); it must play again.
	for s := uint16(60); s < 64; s++ {
		j.Push(1, s, uint32(s)*160, frameOf(70), t0.Add(time.Duration(s)*frameDur))
	}
	if got := playAll(j, 3); got[2] != 70 {
		t.Fatalf("after resuming played %v", got)
	}
}

// FuzzJitter feeds arbitrary packet sequences: the buffer must never panic or grow unbounded.
func FuzzJitter(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{255, 0, 255, 0, 128, 7, 7, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		j := NewJitter(8000)
		out := make([]int16, 160)
		t0 := time.Unix(0, 0)
		for i := 0; i+3 < len(data); i += 4 {
			seq := uint16(data[i])<<8 | uint16(data[i+1])
			n := int(data[i+2]) * 4 // payload lengths from 0 to 1020 samples
			ssrc := uint32(data[i+3] % 3)
			j.Push(ssrc, seq, uint32(seq)*160, make([]int16, n), t0.Add(time.Duration(i)*time.Millisecond))
			j.Pop(out)
			if j.Buffered() > hardLimit {
				t.Fatalf("buffer holds %d packets", j.Buffered())
			}
		}
	})
}
