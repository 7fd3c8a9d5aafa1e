package cache

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestConcurrentStrictBound hammers every policy, entry- and weight-bounded,
// from many goroutines with Get, Set, SetTTL, Delete and GetOrLoad, checking
// after every operation that the bound holds, and at the end that every
// stored value was reported to OnEvict exactly once (stores - reports = Len).
func TestConcurrentStrictBound(t *testing.T) {
	for _, p := range policies() {
		for _, weighted := range []bool{false, true} {
			name := "policy=" + p.name + "/weighted=false"
			if weighted {
				name = "policy=" + p.name + "/weighted=true"
			}
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) { hammer(t, p.policy, weighted, false) })
			})
		}
	}
}

// TestConcurrentResize adds Resize calls to the mix: the bound then holds
// against the largest capacity used.
func TestConcurrentResize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { hammer(t, TinyLFU(), false, true) })
}

func hammer(t *testing.T, p Policy, weighted, resize bool) {
	const (
		workers  = 8
		ops      = 1500
		capacity = 16
	)
	var reports, stores atomic.Int64
	o := &Options[int, int]{Policy: p, OnEvict: func(int, int, Reason) { reports.Add(1) }}
	bound := func(c *Cache[int, int]) bool { return c.Len() <= capacity }
	if weighted {
		o.MaxWeight = capacity * 4
		o.Weigher = func(_, v int) int64 { return int64(v % 7) }
		bound = func(c *Cache[int, int]) bool { return c.Weight() <= capacity*4 }
	} else {
		o.MaxEntries = capacity
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	failLoad := errors.New("no")
	load := func(_ context.Context, k int) (int, error) {
		if k%5 == 0 {
			return 0, failLoad
		}
		return k, nil
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range ops {
				k := int(r.ExpFloat64() * 20)
				switch r.IntN(10) {
				case 0, 1, 2:
					c.Set(k, i)
					stores.Add(1)
				case 3:
					c.SetTTL(k, i, time.Duration(r.IntN(3))*time.Second)
					stores.Add(1)
				case 4:
					c.Delete(k)
				case 5:
					if _, err := c.GetOrLoad(context.Background(), k, load); err != nil && !errors.Is(err, failLoad) {
						t.Errorf("GetOrLoad: %v", err)
					}
				case 6:
					if resize {
						if err := c.Resize(1+r.IntN(capacity), 0); err != nil {
							t.Errorf("Resize: %v", err)
						}
					}
				default:
					if v, ok := c.Get(k); ok && v != k && v > ops {
						t.Errorf("Get(%d) = %d: never stored", k, v)
					}
				}
				if !bound(c) {
					t.Errorf("bound exceeded: Len %d Weight %d", c.Len(), c.Weight())
					return
				}
			}
		})
	}
	wg.Wait()
	s := c.Stats()
	if got, want := stores.Load()+int64(s.LoadSuccesses)-reports.Load(), int64(c.Len()); got != want {
		t.Fatalf("stores - OnEvict reports = %d, Len() = %d", got, want)
	}
	if s.Hits+s.Misses == 0 || s.Evictions[Capacity] == 0 {
		t.Fatalf("Stats = %+v: expected hits, misses and capacity evictions", s)
	}
	c.Clear()
	if got := stores.Load() + int64(s.LoadSuccesses) - reports.Load(); got != 0 {
		t.Fatalf("after Clear, %d stored values were never reported", got)
	}
}
