package cache

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkSetEvict measures the write path that GetPut never takes: every
// Set stores a key not in the cache (each goroutine counts up from its own
// base), so into a full cache of 2^12 entries each Set is an insertion plus
// an eviction. Ours evicts synchronously (the bound is strict); otter and
// theine insert and leave eviction to their buffered maintenance.
func BenchmarkSetEvict(b *testing.B) {
	const capacity = 1 << 12
	for _, g := range []int{1, 2, 8} {
		for _, f := range Factories() {
			name := fmt.Sprintf("goroutines=%d/cache=%s", goroutines(g), f.Name)
			b.Run(name, func(b *testing.B) {
				c := f.New(capacity)
				b.Cleanup(c.Close)
				for k := range uint64(capacity) {
					c.Set(k, k)
				}
				b.ReportAllocs()
				var base atomic.Uint64
				base.Store(1)
				insert := func(next func() bool) {
					k := base.Add(1) << 40
					for next() {
						c.Set(k, k)
						k++
					}
				}
				if g == 1 {
					b.ResetTimer()
					insert(b.Loop)
					return
				}
				b.SetParallelism(max(g/runtime.GOMAXPROCS(0), 1))
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) { insert(pb.Next) })
			})
		}
	}
}
