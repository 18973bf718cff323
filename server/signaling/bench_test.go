package signaling

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRegister measures authenticated registrations (REGISTER → 401 → REGISTER with
// digest → 200) over loopback UDP, client and server in one process, with 10 users in parallel.
func BenchmarkRegister(b *testing.B) {
	ts := startServer(b, seededDB(b))
	addr := ts.Addr("udp")
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		n := next.Add(1)
		ext := fmt.Sprint(1001 + (n-1)%10)
		c := newClient(b)
		contact := fmt.Sprintf("<sip:%s@127.0.0.1:%d>", ext, 20000+n)
		for pb.Next() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			req := registerReq(addr, "UDP", ext, 600, contact)
			res, err := c.cli.Do(ctx, req)
			if err == nil && res.StatusCode == 401 {
				res, err = c.cli.DoDigestAuth(ctx, req, res, digestAuth(ext, "demo"+ext))
			}
			cancel()
			if err != nil || res.StatusCode != 200 {
				b.Errorf("register %s: %v %v", ext, res, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registers/s")
}
