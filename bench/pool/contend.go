package pool

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what Contend measured for one pool.
type Result struct {
	Acquires       int64
	PerSecond      float64
	P50, P99, P999 time.Duration // wait for Acquire
	Jain           float64       // Jain's fairness index of per-goroutine acquisitions (1 = perfectly fair)
	MinShare       float64       // the least served goroutine's acquisitions / the mean
}

// Contend runs goroutines that acquire, hold for hold and release, in a
// loop, for window. Every goroutine records its own acquisitions and wait
// times. With sleep, the holder sleeps (like a caller waiting on the network:
// the pool, not the CPU, is the bottleneck, so the pool's hand-off policy
// decides who waits); otherwise it spins (CPU-bound: the Go and OS
// schedulers then decide most of the waiting).
func Contend(p Pooler, goroutines int, window, hold time.Duration, sleep bool) Result {
	var stop atomic.Bool
	counts := make([]int64, goroutines)
	waits := make([][]time.Duration, goroutines)
	var start, wg sync.WaitGroup
	start.Add(1)
	for g := range goroutines {
		waits[g] = make([]time.Duration, 0, 1<<16)
		wg.Go(func() {
			ctx := context.Background()
			start.Wait()
			for !stop.Load() {
				t0 := time.Now()
				h, err := p.Acquire(ctx)
				if err != nil {
					panic(err)
				}
				t1 := time.Now()
				if sleep {
					time.Sleep(hold)
				} else {
					spin(t1, hold)
				}
				p.Release(h)
				counts[g]++
				waits[g] = append(waits[g], t1.Sub(t0))
			}
		})
	}
	begin := time.Now()
	start.Done()
	time.Sleep(window)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(begin)

	var all []time.Duration
	for _, w := range waits {
		all = append(all, w...)
	}
	slices.Sort(all)
	r := Result{Acquires: int64(len(all)), PerSecond: float64(len(all)) / elapsed.Seconds()}
	r.P50, r.P99, r.P999 = quantile(all, 0.50), quantile(all, 0.99), quantile(all, 0.999)
	r.Jain, r.MinShare = jain(counts)
	return r
}

func spin(from time.Time, d time.Duration) {
	for d > 0 && time.Since(from) < d {
	}
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(math.Ceil(q*float64(len(sorted))))-1)]
}

// jain returns Jain's fairness index (sum x)^2 / (n * sum x^2) and the
// smallest share relative to the mean.
func jain(xs []int64) (float64, float64) {
	var sum, sq float64
	least := math.Inf(1)
	for _, x := range xs {
		f := float64(x)
		sum += f
		sq += f * f
		least = min(least, f)
	}
	if sq == 0 {
		return 0, 0
	}
	return sum * sum / (float64(len(xs)) * sq), least / (sum / float64(len(xs)))
}
