package relay_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// musicStream is what the receiver saw of one leg's stream.
type musicStream struct {
	n                int
	firstSeq, maxSeq uint16 // a few seconds never wrap twice
	firstTS, maxTS   uint32
}

// BenchmarkMusicLegs plays looped hold music on N relay legs at once, each through a
// mediaapp.LegChannel (the one player applications use), to one UDP receiver on 127.0.0.1, for
// 3 s per iteration (-benchtime=1x is enough). It reports the process CPU time per leg-second of
// music (cpu-ms/leg-s), lost packets (sequence-number gaps at the receiver, loss-%) and frames
// the channels' clocks skipped because their goroutines ran late (timestamp gaps, skip-%).
// For docs/PERFORMANCE.md: go test ./server/relay -run '^$' -bench BenchmarkMusicLegs -benchtime 1x
func BenchmarkMusicLegs(b *testing.B) {
	for _, n := range []int{100, 500} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchMusic(b, n, 3*time.Second) })
	}
}

func benchMusic(b *testing.B, legs int, d time.Duration) {
	ip := netip.MustParseAddr("127.0.0.1")
	pool, err := relay.NewPool(relay.Config{BindIP: ip})
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	_ = rx.SetReadBuffer(8 << 20)
	port := rx.LocalAddr().(*net.UDPAddr).Port
	music := mediaapp.HoldMusic()

	var totalCPU time.Duration
	var packets, lost, skipped, expected int
	for range b.N {
		streams := map[uint32]*musicStream{}
		var mu sync.Mutex
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			buf := make([]byte, 1500)
			for {
				n, err := rx.Read(buf)
				if err != nil {
					if errors.Is(err, net.ErrClosed) {
						return
					}
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						return
					}
					continue
				}
				if n < 12 {
					continue
				}
				seq := binary.BigEndian.Uint16(buf[2:4])
				ts := binary.BigEndian.Uint32(buf[4:8])
				ssrc := binary.BigEndian.Uint32(buf[8:12])
				mu.Lock()
				s := streams[ssrc]
				if s == nil {
					s = &musicStream{firstSeq: seq, maxSeq: seq, firstTS: ts, maxTS: ts}
					streams[ssrc] = s
				}
				s.n++
				if int16(seq-s.maxSeq) > 0 {
					s.maxSeq = seq
				}
				if int32(ts-s.maxTS) > 0 {
					s.maxTS = ts
				}
				mu.Unlock()
			}
		}()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var chans []*mediaapp.LegChannel
		m := sdpmedia.Media{Addr: ip, Port: port, Codecs: []sdpmedia.Codec{sdpmedia.PCMU}}
		for range legs {
			l, err := pool.NewLeg()
			if err != nil {
				b.Fatal(err)
			}
			if err := l.SetRemote(m, sdpmedia.PCMU); err != nil {
				b.Fatal(err)
			}
			ch := mediaapp.NewLegChannel(l, mediaapp.LegOptions{})
			chans = append(chans, ch)
			wg.Add(1)
			go func() { defer wg.Done(); _ = ch.Loop(ctx, music) }()
		}
		time.Sleep(200 * time.Millisecond) // every leg started
		cpu0 := cpuTime()
		mu.Lock()
		for k := range streams {
			delete(streams, k) // count only the measured window
		}
		mu.Unlock()
		start := time.Now()
		time.Sleep(d)
		elapsed := time.Since(start)
		totalCPU += cpuTime() - cpu0
		mu.Lock()
		for _, s := range streams {
			packets += s.n
			span := int(uint16(s.maxSeq-s.firstSeq)) + 1
			lost += max(0, span-s.n)
			frames := int((s.maxTS-s.firstTS)/160) + 1
			skipped += max(0, frames-span)
		}
		expected += legs * int(elapsed/(20*time.Millisecond))
		mu.Unlock()
		cancel()
		wg.Wait()
		for _, ch := range chans {
			_ = ch.Close()
			_ = ch.Leg().Close()
		}
		_ = rx.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		<-readDone
		_ = rx.SetReadDeadline(time.Time{})
	}
	legSeconds := float64(legs) * d.Seconds() * float64(b.N)
	b.ReportMetric(float64(totalCPU.Milliseconds())/legSeconds, "cpu-ms/leg-s")
	b.ReportMetric(100*float64(lost)/float64(max(1, packets+lost)), "loss-%")
	b.ReportMetric(100*float64(skipped)/float64(max(1, expected)), "skip-%")
	b.ReportMetric(float64(packets)/float64(max(1, expected))*100, "delivered-%")
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
