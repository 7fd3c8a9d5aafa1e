package cache

import (
	"fmt"
	"runtime"
	"testing"
)

const memEntries = 1 << 20

// BenchmarkMemory reports the heap bytes per entry of a cache holding 1M
// (2^20) uint64→uint64 entries, measured as the HeapAlloc delta after
// runtime.GC divided by the entries actually held. Run with -benchtime=1x.
func BenchmarkMemory(b *testing.B) {
	b.Run("cache=map", func(b *testing.B) {
		var perEntry float64
		for b.Loop() {
			before := heap()
			m := make(map[uint64]uint64)
			for i := range uint64(memEntries) {
				m[i] = i
			}
			perEntry = float64(heap()-before) / float64(len(m))
			runtime.KeepAlive(m)
		}
		b.ReportMetric(perEntry, "B/entry")
	})
	for _, f := range Factories() {
		b.Run("cache="+f.Name, func(b *testing.B) {
			var perEntry float64
			for b.Loop() {
				before := heap()
				c := filled(f, memEntries)
				perEntry = float64(heap()-before) / float64(held(c, memEntries))
				c.Close()
				runtime.KeepAlive(c)
			}
			b.ReportMetric(perEntry, "B/entry")
		})
	}
}

// filled returns a cache of f's kind bounded to n entries after n
// insertions of distinct keys (it holds as many as it admitted).
func filled(f Factory, n int) Cache {
	c := f.New(n)
	for i := range uint64(n) {
		c.Set(i, i)
	}
	settle(c)
	return c
}

// BenchmarkSmallMemory reports the heap KiB of a full cache bounded to
// 100, 1,000 and 10,000 uint64→uint64 entries (KiB/cache) and per entry
// held (B/entry): a service with one cache per agent, tenant or session
// holds hundreds of these. Measured as BenchmarkMemory; run with
// -benchtime=1x.
func BenchmarkSmallMemory(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		for _, f := range Factories() {
			b.Run(fmt.Sprintf("entries=%d/cache=%s", n, f.Name), func(b *testing.B) {
				var size int64
				var h int
				for b.Loop() {
					before := heap()
					c := filled(f, n)
					size = heap() - before
					h = held(c, n)
					c.Close()
					runtime.KeepAlive(c)
				}
				b.ReportMetric(float64(size)/1024, "KiB/cache")
				b.ReportMetric(float64(size)/float64(h), "B/entry")
			})
		}
	}
}

// settle waits for the writes a cache applies asynchronously (ristretto).
func settle(c Cache) {
	if w, ok := c.(interface{ Wait() }); ok {
		w.Wait()
	}
}

// held counts the keys below n that c holds.
func held(c Cache, n int) int {
	h := 0
	for i := range uint64(n) {
		if _, ok := c.Get(i); ok {
			h++
		}
	}
	return h
}

func heap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkShrunkMemory fills each cache with 1M uint64 entries, deletes
// all but the last 10,000 and reports, after runtime.GC, the MiB it held
// full (full-MiB) and after the deletions (kept-MiB), and kept-MiB as a
// percentage of full-MiB (kept-%). A service whose working set shrinks
// after a burst keeps the difference between kept-MiB and what 10,000
// entries need for as long as the cache lives.
func BenchmarkShrunkMemory(b *testing.B) {
	const keep = 10_000
	report := func(b *testing.B, full, kept int64) {
		b.ReportMetric(float64(full)/(1<<20), "full-MiB")
		b.ReportMetric(float64(kept)/(1<<20), "kept-MiB")
		b.ReportMetric(100*float64(kept)/float64(full), "kept-%")
	}
	b.Run("cache=map", func(b *testing.B) {
		var full, kept int64
		for b.Loop() {
			before := heap()
			m := make(map[uint64]uint64)
			for i := range uint64(memEntries) {
				m[i] = i
			}
			full = heap() - before
			for i := range uint64(memEntries - keep) {
				delete(m, i)
			}
			kept = heap() - before
			runtime.KeepAlive(m)
		}
		report(b, full, kept)
	})
	for _, f := range Factories() {
		b.Run("cache="+f.Name, func(b *testing.B) {
			var full, kept int64
			for b.Loop() {
				before := heap()
				c := filled(f, memEntries)
				full = heap() - before
				for i := range uint64(memEntries - keep) {
					c.Delete(i)
				}
				settle(c)
				if n := held(c, memEntries); n > keep {
					b.Fatalf("%d entries left after deleting all but %d", n, keep)
				}
				kept = heap() - before
				c.Close()
				runtime.KeepAlive(c)
			}
			report(b, full, kept)
		})
	}
}
