package cache_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/patinox/memory/cache"
	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/pressure/pressuretest"
	"github.com/patinox/memory/resource"
)

// rval is a cached value with some weight; it holds a resource (io.Closer),
// so a cache with a Registry tracks it.
type rval struct{ buf []byte }

func newRval() *rval       { return &rval{buf: make([]byte, 1<<10)} }
func (*rval) Close() error { return nil }

// evictions records the keys OnEvict reported and why, never the values.
type evictions struct {
	mu  sync.Mutex // protects following fields
	why map[int]cache.Reason
}

func (e *evictions) onEvict(k int, _ *rval, why cache.Reason) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.why == nil {
		e.why = map[int]cache.Reason{}
	}
	e.why[k] = why
}

func (e *evictions) of(k int) (cache.Reason, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	why, ok := e.why[k]
	return why, ok
}

// advance lets d of fake time pass in a synctest bubble.
func advanceTime(d time.Duration) { <-time.After(d) }

// collectable runs the garbage collector and reports whether w's object is
// gone.
func collectable[T any](w weak.Pointer[T]) bool {
	for range 3 {
		runtime.GC()
	}
	return w.Value() == nil
}

// removalEnd removes key 1 (whose value is watched) from c in one way.
type removalEnd struct {
	name     string
	want     []cache.Reason // OnEvict's reason for key 1: one of these
	registry bool           // the end needs a registry
	opts     func(o *cache.Options[int, *rval])
	end      func(t *testing.T, c *cache.Cache[int, *rval], e *evictions, r *resource.Registry, mon *pressure.Monitor)
}

var removalEnds = []removalEnd{
	{name: "Delete", want: []cache.Reason{cache.Deleted}, end: func(t *testing.T, c *cache.Cache[int, *rval], _ *evictions, _ *resource.Registry, _ *pressure.Monitor) {
		c.Delete(1)
	}},
	{name: "Replaced", want: []cache.Reason{cache.Replaced}, end: func(t *testing.T, c *cache.Cache[int, *rval], _ *evictions, _ *resource.Registry, _ *pressure.Monitor) {
		c.Set(1, newRval())
	}},
	{name: "ReplacedWeighted", want: []cache.Reason{cache.Replaced},
		opts: func(o *cache.Options[int, *rval]) {
			o.MaxEntries, o.MaxWeight, o.Weigher = 0, 4, func(int, *rval) int64 { return 1 }
		},
		end: func(t *testing.T, c *cache.Cache[int, *rval], _ *evictions, _ *resource.Registry, _ *pressure.Monitor) {
			c.Set(1, newRval())
		}},
	{name: "Clear", want: []cache.Reason{cache.Deleted}, end: func(t *testing.T, c *cache.Cache[int, *rval], _ *evictions, _ *resource.Registry, _ *pressure.Monitor) {
		c.Clear()
	}},
	{name: "Resize", want: []cache.Reason{cache.Capacity}, end: func(t *testing.T, c *cache.Cache[int, *rval], e *evictions, _ *resource.Registry, _ *pressure.Monitor) {
		mustOK(t, c.Resize(1, 0))
		evictByInserts(c, e) // if key 1 was the survivor
	}},
	{name: "Capacity", want: []cache.Reason{cache.Capacity}, end: func(t *testing.T, c *cache.Cache[int, *rval], e *evictions, _ *resource.Registry, _ *pressure.Monitor) {
		evictByInserts(c, e)
	}},
	{name: "TTL", want: []cache.Reason{cache.Expired},
		opts: func(o *cache.Options[int, *rval]) { o.TTL = time.Minute },
		end: func(t *testing.T, c *cache.Cache[int, *rval], _ *evictions, _ *resource.Registry, _ *pressure.Monitor) {
			advanceTime(time.Minute + 2*time.Second) // the wheel's resolution is about 1 s
			synctest.Wait()
		}},
	{name: "ExpireAfterAccess", want: []cache.Reason{cache.Expired},
		opts: func(o *cache.Options[int, *rval]) { o.ExpireAfterAccess = time.Minute },
		end: func(t *testing.T, c *cache.Cache[int, *rval], _ *evictions, _ *resource.Registry, _ *pressure.Monitor) {
			advanceTime(time.Minute + 2*time.Second)
			synctest.Wait()
		}},
	{name: "Pressure", want: []cache.Reason{cache.Pressure, cache.Capacity}, end: func(t *testing.T, c *cache.Cache[int, *rval], e *evictions, _ *resource.Registry, mon *pressure.Monitor) {
		mustOK(t, mon.Set(pressure.Critical)) // 25% of 4: one entry stays
		synctest.Wait()
		evictByInserts(c, e) // if key 1 was the survivor (then Reason Capacity)
	}},
	{name: "Registry.Reclaim", want: []cache.Reason{cache.Pressure}, registry: true,
		opts: func(o *cache.Options[int, *rval]) { // only values with a size are Reclaimable
			o.MaxEntries, o.MaxWeight, o.Weigher = 0, 4, func(int, *rval) int64 { return 1 }
		},
		end: func(t *testing.T, _ *cache.Cache[int, *rval], _ *evictions, r *resource.Registry, _ *pressure.Monitor) {
			_, err := r.Reclaim(context.Background(), 1<<40)
			mustOK(t, err)
			synctest.Wait()
		}},
	{name: "Registry.ReleaseMatching", want: []cache.Reason{cache.Pressure}, registry: true, end: func(t *testing.T, _ *cache.Cache[int, *rval], _ *evictions, r *resource.Registry, _ *pressure.Monitor) {
		mustOK(t, r.ReleaseMatching(context.Background(), func(i resource.Info) bool { return i.Kind == "cache-value" }))
		synctest.Wait()
	}},
}

// evictByInserts inserts new keys, each read a few times so that TinyLFU
// admits them, until key 1 has been evicted.
func evictByInserts(c *cache.Cache[int, *rval], e *evictions) {
	for k := 100; k < 100_000; k++ {
		if _, ok := e.of(1); ok {
			return
		}
		c.Set(k, newRval())
		for range 4 {
			c.Get(k)
		}
	}
}

// TestRemovedValueIsCollected: a value that left an open cache (deleted,
// replaced, evicted, expired, given back under memory pressure, released by
// the registry) becomes collectable while the cache, which lives as long as
// the service, stays open: neither the slot table, nor the access buffers
// that a run of Gets filled, nor the policy, the timer wheel, the free
// list or the registry tracking may keep it reachable.
func TestRemovedValueIsCollected(t *testing.T) {
	policies := []struct {
		name string
		p    func() cache.Policy
	}{{"TinyLFU", cache.TinyLFU}, {"LRU", cache.LRU}, {"LFU", cache.LFU}, {"FIFO", cache.FIFO}}
	for _, end := range removalEnds {
		for _, pol := range policies {
			for _, registry := range []bool{false, true} {
				if end.registry && !registry {
					continue
				}
				name := end.name + "/" + pol.name
				if registry {
					name += "/registry"
				}
				t.Run(name, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						testRemovedValue(t, end, pol.p(), registry)
					})
				})
			}
		}
	}
}

func testRemovedValue(t *testing.T, end removalEnd, p cache.Policy, registry bool) {
	var r *resource.Registry
	if registry {
		r = newTestRegistry(t)
	}
	mon := pressuretest.Manual(t)
	var e evictions
	o := &cache.Options[int, *rval]{MaxEntries: 4, Policy: p, OnEvict: e.onEvict, Registry: r, Pressure: mon}
	if end.opts != nil {
		end.opts(o)
	}
	c, err := cache.New(o)
	mustOK(t, err)
	defer c.Close()
	w := func() weak.Pointer[rval] {
		v := newRval()
		c.Set(1, v)
		for range 100 { // fill the access buffers with key 1's slot
			c.Get(1)
		}
		for k := 2; k <= 4; k++ {
			c.Set(k, newRval())
		}
		return weak.Make(v)
	}()
	end.end(t, c, &e, r, mon)
	synctest.Wait() // the registry's workers release what left
	if why, ok := e.of(1); !ok || !slices.Contains(end.want, why) {
		t.Fatalf("OnEvict for key 1: %v, %v; want one of %v, true", why, ok, end.want)
	}
	if !collectable(w) {
		t.Errorf("a value that left the cache (%v) is still reachable while the cache is open", end.want)
	}
}

// TestClosedCacheIsCollected: once closed, a cache (and every value it
// held) can be collected while the registry and the pressure monitor it
// used stay alive, whatever was in flight at Close: an armed expiry timer,
// the grow-back timer of the pressure reaction, a GetOrLoad, tracked
// values. A timer left armed is a root until it fires, a subscription or a
// registry entry left in place is one for good.
func TestClosedCacheIsCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newTestRegistry(t)
		mon := pressuretest.Manual(t)
		wc, wv := func() (weak.Pointer[cache.Cache[int, *rval]], weak.Pointer[rval]) {
			c, err := cache.New(&cache.Options[int, *rval]{MaxEntries: 8, TTL: time.Hour, Registry: r, Pressure: mon})
			mustOK(t, err)
			v := newRval()
			c.Set(1, v) // arms the expiry timer
			c.SetTTL(2, newRval(), 0)
			// High, then Normal: the cache grows back by steps on a timer,
			// armed at Close.
			mustOK(t, mon.Set(pressure.High))
			synctest.Wait()
			mustOK(t, mon.Set(pressure.Normal))
			advanceTime(mon.Interval()) // the subscriber's next delivery
			synctest.Wait()
			if me, _ := c.Limits(); me == 8 {
				t.Fatal("the cache is back at its full bound: the grow-back timer is not armed")
			}
			loading := make(chan struct{})
			loaded := make(chan error)
			go func() {
				_, err := c.GetOrLoad(context.Background(), 3, func(ctx context.Context, _ int) (*rval, error) {
					close(loading)
					<-ctx.Done() // Close cancels it
					return nil, ctx.Err()
				})
				loaded <- err
			}()
			<-loading
			mustOK(t, c.Close())
			if err := <-loaded; err == nil {
				t.Error("a load cancelled by Close returned no error")
			}
			return weak.Make(c), weak.Make(v)
		}()
		synctest.Wait() // the registry's workers release the values
		// A stopped timer stays in the bubble's timer heap until the fake
		// clock next moves (outside a bubble the runtime drops it at once).
		// A millisecond fires none of the cache's timers: the expiry timer
		// is an hour away, the grow-back timer a monitor interval (1 s).
		advanceTime(time.Millisecond)
		if !collectable(wc) {
			t.Error("a closed cache is still reachable")
		}
		if !collectable(wv) {
			t.Error("a value of a closed cache is still reachable")
		}
		if n := r.Len(); n != 0 {
			t.Errorf("registry holds %d resources after Close, want 0", n)
		}
	})
}

// TestDroppedCacheIsCollected: a cache its owner drops without Close, with
// an expiry timer an hour away, the grow-back timer of its pressure
// reaction armed and a pressure subscription, is collected with its values:
// timers and subscription hold it weakly. (Values tracked in a Registry
// would keep it, as documented; this cache has none.)
func TestDroppedCacheIsCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		wc, wv := func() (weak.Pointer[cache.Cache[int, *rval]], weak.Pointer[rval]) {
			c, err := cache.New(&cache.Options[int, *rval]{MaxEntries: 8, TTL: time.Hour, Pressure: mon})
			mustOK(t, err)
			v := newRval()
			c.Set(1, v)
			mustOK(t, mon.Set(pressure.High))
			synctest.Wait()
			mustOK(t, mon.Set(pressure.Normal))
			advanceTime(mon.Interval())
			synctest.Wait()
			if me, _ := c.Limits(); me == 8 {
				t.Fatal("the cache is back at its full bound: the grow-back timer is not armed")
			}
			return weak.Make(c), weak.Make(v)
		}()
		if !collectable(wc) {
			t.Error("a dropped, unclosed cache is still reachable")
		}
		if !collectable(wv) {
			t.Error("a value of a dropped, unclosed cache is still reachable")
		}
		// Its timers fire later and find nothing to do.
		advanceTime(2 * time.Hour)
	})
}

func newTestRegistry(t *testing.T) *resource.Registry {
	t.Helper()
	r, err := resource.NewRegistry(nil)
	mustOK(t, err)
	t.Cleanup(func() { mustOK(t, r.Shutdown(context.Background())) })
	return r
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
