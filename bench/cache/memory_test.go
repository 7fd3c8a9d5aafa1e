package cache

import (
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
				c := f.New(memEntries)
				for i := range uint64(memEntries) {
					c.Set(i, i)
				}
				if w, ok := c.(interface{ Wait() }); ok {
					w.Wait() // ristretto applies Sets asynchronously
				}
				n := 0
				for i := range uint64(memEntries) {
					if _, ok := c.Get(i); ok {
						n++
					}
				}
				perEntry = float64(heap()-before) / float64(n)
				c.Close()
				runtime.KeepAlive(c)
			}
			b.ReportMetric(perEntry, "B/entry")
		})
	}
}

func heap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
