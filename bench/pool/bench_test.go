package pool

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

var shapes = []struct{ goroutines, conns int }{{1, 8}, {8, 8}, {8, 2}, {64, 8}}

// BenchmarkAcquireRelease measures one Acquire plus one Release per op.
// goroutines=1 runs on the benchmark goroutine (uncontended); the others
// use RunParallel with exactly that many goroutines.
func BenchmarkAcquireRelease(b *testing.B) {
	for _, s := range shapes {
		for _, peer := range Peers {
			name := fmt.Sprintf("goroutines=%d/conns=%d/pool=%s", s.goroutines, s.conns, peer.Name)
			b.Run(name, func(b *testing.B) {
				p := peer.New(s.conns)
				defer p.Close()
				ctx := context.Background()
				b.ReportAllocs()
				if s.goroutines == 1 {
					for b.Loop() {
						h, err := p.Acquire(ctx)
						if err != nil {
							b.Fatal(err)
						}
						p.Release(h)
					}
					return
				}
				b.SetParallelism(max(1, s.goroutines/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						h, err := p.Acquire(ctx)
						if err != nil {
							b.Error(err)
							return
						}
						p.Release(h)
					}
				})
			})
		}
	}
}

// BenchmarkContention reports wait-time quantiles and Jain's fairness index
// for 32 goroutines sharing 4 connections, each holding a connection for
// 20µs (sleeping, as on a network call, or spinning), over a 1s window
// per iteration.
func BenchmarkContention(b *testing.B) {
	for _, hold := range []string{"sleep", "spin"} {
		for _, peer := range Peers {
			b.Run("goroutines=32/conns=4/hold="+hold+"/pool="+peer.Name, func(b *testing.B) {
				contend(b, peer.New, hold == "sleep")
			})
		}
	}
}

func contend(b *testing.B, newPool func(int) Pooler, sleep bool) {
	var r Result
	for b.Loop() {
		p := newPool(4)
		r = Contend(p, 32, time.Second, 20*time.Microsecond, sleep)
		p.Close()
	}
	b.ReportMetric(float64(r.P99.Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(r.P999.Nanoseconds()), "p99.9-ns")
	b.ReportMetric(r.Jain, "jain")
	b.ReportMetric(r.PerSecond, "acq/s")
}
