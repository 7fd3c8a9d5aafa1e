package tinylfu

import (
	"fmt"
	"testing"
)

// The policy is single-threaded by contract (the cache serializes calls),
// so these benchmarks run on one goroutine.

func BenchmarkHit(b *testing.B) {
	for _, capacity := range []int64{1_000, 100_000} {
		b.Run(fmt.Sprintf("capacity=%d", capacity), func(b *testing.B) {
			h := newHarness(b, capacity)
			for k := range capacity {
				h.add(mix(uint64(k)), 1)
			}
			slots := make([]uint32, 0, capacity)
			for s := range h.live {
				slots = append(slots, s)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				h.p.Hit(slots[i%len(slots)])
				i++
			}
		})
	}
}

// BenchmarkAdd measures an insertion into a full cache: Add, then one
// Victim and Remove.
func BenchmarkAdd(b *testing.B) {
	for _, capacity := range []int64{1_000, 100_000} {
		b.Run(fmt.Sprintf("capacity=%d", capacity), func(b *testing.B) {
			p := New(capacity)
			for s := range uint32(capacity) {
				p.Add(s, mix(uint64(s)), 1)
			}
			b.ReportAllocs()
			k := uint64(capacity)
			for b.Loop() {
				v, ok := p.Victim()
				if !ok {
					b.Fatal("no victim")
				}
				p.Remove(v)
				p.Add(v, mix(k), 1)
				k++
			}
		})
	}
}
