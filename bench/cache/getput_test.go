package cache

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Caffeine's GetPutBenchmark sizes: 2^15 pre-drawn keys over SIZE/3 items,
// in a cache of twice SIZE entries (everything fits: the benchmark measures
// the cost of operations, not of misses).
const (
	size  = 2 << 14
	mask  = size - 1
	items = size / 3
)

// BenchmarkGetPut runs every cache on the same workload: goroutines walk the
// pre-drawn scrambled-Zipf keys from random offsets, reading for reads% of
// operations and writing otherwise.
func BenchmarkGetPut(b *testing.B) {
	keys := ScrambledZipf(size, items, 1)
	for _, reads := range []int{100, 75, 50, 25, 0} {
		for _, g := range []int{1, 2, 8} {
			for _, f := range Factories() {
				name := fmt.Sprintf("reads=%d/goroutines=%d/cache=%s", reads, goroutines(g), f.Name)
				b.Run(name, func(b *testing.B) { runFilled(b, f.New(2*size), keys, reads, g) })
			}
		}
	}
}

// runFilled sets every key in c (closed when b ends), then runs the mix
// from g goroutines (1: a plain loop; more: RunParallel).
func runFilled(b *testing.B, c Cache, keys []uint64, reads, g int) {
	b.Cleanup(c.Close)
	for _, k := range keys {
		c.Set(k, k)
	}
	b.ReportAllocs()
	if g == 1 {
		b.ResetTimer()
		run(b, c, keys, reads, rand.IntN(size), b.Loop)
		return
	}
	b.SetParallelism(max(g/runtime.GOMAXPROCS(0), 1))
	var seed atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 7))
		run(b, c, keys, reads, r.IntN(size), pb.Next)
	})
}

// goroutines returns how many goroutines RunParallel uses for a request of g.
func goroutines(g int) int {
	if g == 1 {
		return 1
	}
	return max(g/runtime.GOMAXPROCS(0), 1) * runtime.GOMAXPROCS(0)
}

var sink atomic.Uint64

func run(b *testing.B, c Cache, keys []uint64, reads, i int, next func() bool) {
	var hits uint64
	op := 0
	for next() {
		k := keys[i&mask]
		i++
		if op < reads {
			if _, ok := c.Get(k); ok {
				hits++
			}
		} else {
			c.Set(k, k)
		}
		if op++; op == 100 {
			op = 0
		}
	}
	sink.Add(hits)
}

// BenchmarkGetFull is GetPut's read-only case in a cache that is full: its
// capacity is the number of distinct keys, so every read hits but, unlike
// GetPut (where the cache stays under half full), the caches that record
// hits for their policy only past half full (ours, Caffeine's, otter's) do.
func BenchmarkGetFull(b *testing.B) {
	keys := ScrambledZipf(size, items, 1)
	distinct := map[uint64]bool{}
	for _, k := range keys {
		distinct[k] = true
	}
	for _, g := range []int{1, 2, 8} {
		for _, f := range Factories() {
			b.Run(fmt.Sprintf("goroutines=%d/cache=%s", goroutines(g), f.Name), func(b *testing.B) {
				runFilled(b, f.New(len(distinct)), keys, 100, g)
			})
		}
	}
}
