package cache

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
)

// TestCompactionKeepsReadersRight races readers against writers whose
// deletions and resizes make the cache move entries between slots all the
// time (compactEager): every value a Get returns must be one stored for
// that key (values are key*1000 + version), and after the writers stop,
// every key must read back its last stored value.
func TestCompactionKeepsReadersRight(t *testing.T) {
	for _, p := range []namedPolicy{{"lru", LRU()}, {"lfu", LFU()}, {"tinylfu", TinyLFU()}} {
		t.Run("policy="+p.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { raceCompaction(t, p.policy) })
		})
	}
}

func raceCompaction(t *testing.T, p Policy) {
	const keys, capacity, ops = 200, 64, 600
	c, err := New(&Options[int, int]{MaxEntries: capacity, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.compactEager = true
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := rng.IntN(keys)
				if v, ok := c.Get(k); ok && v/1000 != k {
					t.Errorf("Get(%d) = %d: another key's value", k, v)
					return
				}
			}
		})
	}
	var mu sync.Mutex
	last := map[int]int{} // the writers' last Set or Delete (-1) per key
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range ops {
				k := rng.IntN(keys)
				mu.Lock()
				switch rng.IntN(8) {
				case 0:
					c.Delete(k)
					last[k] = -1
				case 1:
					if err := c.Resize(1+rng.IntN(capacity), 0); err != nil {
						t.Errorf("Resize: %v", err)
					}
				default:
					v := k*1000 + i%1000
					c.Set(k, v)
					last[k] = v
				}
				mu.Unlock()
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	for k, v := range c.All() {
		if last[k] != v {
			t.Errorf("after the race, key %d holds %d, last stored %d", k, v, last[k])
		}
	}
	if c.Len() == 0 {
		t.Fatal("the cache ended empty: nothing was checked")
	}
}

// TestCompactionGivesMemoryBack fills a cache with 200,000 entries (uint64
// keys and values: no memory outside the cache's own structures), resizes
// it to a quarter (memory pressure at Critical) or to 1,000 entries, and
// checks that the memory the entries took shrinks in proportion: its
// slot-indexed structures (chunks, the policy's per-slot state, the live
// bitset, the free list) follow the entries.
func TestCompactionGivesMemoryBack(t *testing.T) {
	for _, tc := range []struct {
		p        namedPolicy
		small    int
		maxShare float64 // of the full cache's memory
	}{
		{namedPolicy{"lru", LRU()}, 1000, 0.05},
		{namedPolicy{"lfu", LFU()}, 1000, 0.05},
		{namedPolicy{"tinylfu", TinyLFU()}, 1000, 0.05},
		{namedPolicy{"tinylfu", TinyLFU()}, 50_000, 0.35},
	} {
		p, small := tc.p, tc.small
		t.Run(fmt.Sprintf("policy=%s/to=%d", p.name, small), func(t *testing.T) {
			const n = 200_000
			before := heapAlloc()
			c, err := New(&Options[uint64, uint64]{MaxEntries: n, Policy: p.policy})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for k := range uint64(n) {
				c.Set(k, k)
			}
			full := heapAlloc()
			if err := c.Resize(small, 0); err != nil {
				t.Fatal(err)
			}
			after := heapAlloc()
			if c.Len() != small {
				t.Fatalf("Len() = %d after Resize(%d)", c.Len(), small)
			}
			used, kept := full-before, after-before
			t.Logf("%d entries: %.1f B/entry; after Resize(%d): %.1f%% of it kept",
				n, float64(used)/n, small, 100*float64(kept)/float64(used))
			if share := float64(kept) / float64(used); share > tc.maxShare {
				t.Errorf("after Resize(%d) the cache keeps %d of the %d bytes it took for %d entries: %.1f%%, want ≤ %.0f%%",
					small, kept, used, n, 100*share, 100*tc.maxShare)
			}
			runtime.KeepAlive(c)
		})
	}
}

func heapAlloc() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

func ExampleSlotMover() {
	// The built-in policies can follow entries that the cache moves
	// between slots when it compacts them after shrinking.
	for _, p := range []Policy{LRU(), LFU(), FIFO(), TinyLFU()} {
		_, ok := p.NewEvictor(100).(SlotMover)
		fmt.Println(ok)
	}
	// Output:
	// true
	// true
	// true
	// true
}

// TestEvictorWithoutMoveKeepsSlots checks that a cache whose Evictor is not
// a SlotMover (a user's policy) never moves entries: after most of them
// are deleted it keeps its slot range, and the rest still read back; and
// that with a built-in policy the same cache compacts, each time half its
// slots are free, down to below compactMinSlots.
func TestEvictorWithoutMoveKeepsSlots(t *testing.T) {
	const n = 4 * compactMinSlots
	for _, tc := range []struct {
		name      string
		policy    Policy
		compacted bool
	}{
		{"user evictor", plainPolicy{LRU()}, false},
		{"lru", LRU(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewShrunk(t, tc.policy, n, 10)
			if compacted := c.slots < compactMinSlots; compacted != tc.compacted || !compacted && c.slots != n {
				t.Errorf("%d slots after deleting all but 10 of %d entries; want compacted=%v", c.slots, n, tc.compacted)
			}
			for k := n - 10; k < n; k++ {
				if v, ok := c.Get(k); !ok || v != -k {
					t.Errorf("Get(%d) = %d, %v; want %d, true", k, v, ok, -k)
				}
			}
		})
	}
}

// NewShrunk returns a cache of n entries with policy p in which keys 0 to
// n-1 were set (key k to -k) and all but the last keep deleted: the path on
// which a cache compacts. It is closed when t ends. Exported for the
// package's external tests.
func NewShrunk(t testing.TB, p Policy, n, keep int) *Cache[int, int] {
	t.Helper()
	c, err := New(&Options[int, int]{MaxEntries: n, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for k := range n {
		c.Set(k, -k)
	}
	for k := range n - keep {
		c.Delete(k)
	}
	return c
}
