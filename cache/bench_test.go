package cache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Quick regression benchmarks; the comparison with peers is in the bench
// module (bench/cache).

func benchCache(b *testing.B, n int) *Cache[uint64, uint64] {
	c, err := New(&Options[uint64, uint64]{MaxEntries: n})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	for i := range uint64(n) {
		c.Set(i, i)
	}
	return c
}

func BenchmarkGet(b *testing.B) {
	c := benchCache(b, 1<<14)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := rand.Uint64()
		for pb.Next() {
			c.Get(k & (1<<14 - 1))
			k++
		}
	})
}

func BenchmarkSet(b *testing.B) {
	c := benchCache(b, 1<<14)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := rand.Uint64()
		for pb.Next() {
			c.Set(k&(1<<15-1), k) // half the keys are new: evictions
			k++
		}
	})
}

func BenchmarkGetOrLoadHit(b *testing.B) {
	c := benchCache(b, 1<<10)
	load := func(context.Context, uint64) (uint64, error) { return 0, nil }
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var i uint64
	for b.Loop() {
		c.GetOrLoad(ctx, i&(1<<10-1), load)
		i++
	}
}

// BenchmarkSetReplace replaces values of present keys (the fast path), with
// no TTL and with a TTL that every replacement moves later.
func BenchmarkSetReplace(b *testing.B) {
	for _, tt := range []struct {
		name string
		ttl  time.Duration
	}{{"ttl=none", 0}, {"ttl=1h", time.Hour}} {
		b.Run(tt.name, func(b *testing.B) {
			c, err := New(&Options[uint64, uint64]{MaxEntries: 1 << 14, TTL: tt.ttl})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { c.Close() })
			for i := range uint64(1 << 14) {
				c.Set(i, i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				k := rand.Uint64()
				for pb.Next() {
					c.Set(k&(1<<14-1), k)
					k++
				}
			})
		})
	}
}

// plainEvictor hides an Evictor's SlotMover methods: a cache using it never
// compacts.
type plainEvictor struct{ Evictor }

type plainPolicy struct{ Policy }

func (p plainPolicy) NewEvictor(capacity int64) Evictor {
	return plainEvictor{p.Policy.NewEvictor(capacity)}
}

// BenchmarkCompact times a Resize from 2^20 entries down to a fifth: the
// pause of the maintenance operation that crosses the compaction line,
// with compaction (compact=on: the remaining entries move to the lowest
// slots) and without (compact=off, an Evictor that is not a SlotMover).
// ms/resize is the pause; the filling is not timed.
func BenchmarkCompact(b *testing.B) {
	const n = 1 << 20
	for _, p := range []namedPolicy{{"lru", LRU()}, {"tinylfu", TinyLFU()}} {
		for _, on := range []bool{true, false} {
			pol := p.policy
			if !on {
				pol = plainPolicy{pol}
			}
			b.Run(fmt.Sprintf("policy=%s/compact=%v", p.name, map[bool]string{true: "on", false: "off"}[on]), func(b *testing.B) {
				var total time.Duration
				for b.Loop() {
					b.StopTimer()
					c, err := New(&Options[uint64, uint64]{MaxEntries: n, Policy: pol})
					if err != nil {
						b.Fatal(err)
					}
					for k := range uint64(n) {
						c.Set(k, k)
					}
					b.StartTimer()
					t0 := time.Now()
					_ = c.Resize(n/5, 0)
					total += time.Since(t0)
					b.StopTimer()
					if on != (c.slots == uint32(n/5)) {
						b.Fatalf("compact=%v but %d slots for %d entries", on, c.slots, c.Len())
					}
					c.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/resize")
			})
		}
	}
}

// BenchmarkWriteBiased measures what the reader bias costs a writer: a Set
// that replaces a value in a shard that reads have biased (it revokes the
// bias and looks at every stripe) against one in a shard that is not
// biased. Each op is biasAfter reads and one Set; ns/set times the Set
// alone.
func BenchmarkWriteBiased(b *testing.B) {
	for _, biased := range []bool{false, true} {
		b.Run(fmt.Sprintf("biased=%v", biased), func(b *testing.B) {
			c := benchCache(b, 1<<10)
			sh := c.shardOf(c.hash(0))
			reads := int(c.biasAfter())
			if !biased {
				reads-- // one short of the bias
			}
			var set time.Duration
			for b.Loop() {
				for range reads {
					c.Get(0)
				}
				if sh.biased.Load() != biased {
					b.Fatalf("biased = %v, want %v", !biased, biased)
				}
				t0 := time.Now()
				c.Set(0, 0)
				set += time.Since(t0)
			}
			b.ReportMetric(float64(set.Nanoseconds())/float64(b.N), "ns/set")
		})
	}
}
