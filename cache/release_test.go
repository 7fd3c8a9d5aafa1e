package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// conn is a cached value holding a resource; Close counts calls.
type conn struct {
	name   string
	closes atomic.Int32
}

func (c *conn) Close() error { c.closes.Add(1); return nil }

// blob carries a cleanup through the Cleaner interface; equal blobs are
// the same resource (n tells them apart).
type blob struct {
	cleaned *atomic.Int32
	n       int
}

func (b blob) Cleanup(context.Context) error { b.cleaned.Add(1); return nil }

func newRegistry(t *testing.T) *resource.Registry {
	t.Helper()
	r, err := resource.NewRegistry(nil)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	return r
}

// newTrackedCache returns a cache of up to 10 values whose values are
// tracked in a new registry.
func newTrackedCache[K comparable](t *testing.T) (*resource.Registry, *Cache[K, *conn]) {
	t.Helper()
	reg := newRegistry(t)
	c, err := New(&Options[K, *conn]{MaxEntries: 10, Registry: reg})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return reg, c
}

// isCacheValue matches the registrations of cached values.
func isCacheValue(i resource.Info) bool { return i.Kind == "cache-value" }

func TestRegistryReleasesRemovedValues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := newRegistry(t)
		var mu sync.Mutex
		reasons := map[string]Reason{}
		c, err := New(&Options[string, *conn]{
			MaxEntries: 2, Policy: FIFO(), Registry: reg, ReleasePriority: resource.High,
			OnEvict: func(k string, v *conn, why Reason) { mu.Lock(); reasons[v.name] = why; mu.Unlock() },
		})
		if err != nil {
			t.Fatal(err)
		}
		a, b, b2, d, e := &conn{name: "a"}, &conn{name: "b"}, &conn{name: "b2"}, &conn{name: "d"}, &conn{name: "e"}
		c.Set("a", a)
		c.Set("b", b)
		if got := reg.Len(); got != 2 {
			t.Fatalf("registry Len() = %d after two Sets, want 2", got)
		}
		c.Set("b", b)  // same value again: keeps its registration, not closed
		c.Set("b", b2) // replaced: b closed
		c.Set("d", d)  // evicts a
		c.Delete("d")  // d closed
		c.Set("e", e)
		synctest.Wait()
		for _, tt := range []struct {
			v    *conn
			want int32
		}{{a, 1}, {b, 1}, {b2, 0}, {d, 1}, {e, 0}} {
			if got := tt.v.closes.Load(); got != tt.want {
				t.Errorf("%s closed %d times, want %d", tt.v.name, got, tt.want)
			}
		}
		if got := reg.Len(); got != 2 {
			t.Fatalf("registry Len() = %d, want 2 (b2, e)", got)
		}
		c.Close()
		synctest.Wait()
		if b2.closes.Load() != 1 || e.closes.Load() != 1 || reg.Len() != 0 {
			t.Fatalf("after Close: b2 closed %d, e closed %d, registry Len %d; want 1, 1, 0", b2.closes.Load(), e.closes.Load(), reg.Len())
		}
		if reasons["a"] != Capacity || reasons["b"] != Replaced || reasons["d"] != Deleted || reasons["e"] != Deleted {
			t.Fatalf("reasons = %v", reasons)
		}
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	})
}

// TestRegistryShutdownEmptiesCache checks the other direction: values the
// registry releases on its own (Shutdown) leave the cache with Reason
// Pressure, and each cleanup runs once.
func TestRegistryShutdownEmptiesCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := newRegistry(t)
		var cleaned atomic.Int32
		var pressure atomic.Int32
		c, err := New(&Options[int, any]{
			MaxEntries: 10, Registry: reg,
			OnEvict: func(_ int, _ any, why Reason) {
				if why == Pressure {
					pressure.Add(1)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := range 5 {
			c.Set(i, blob{&cleaned, i})
		}
		c.Set(99, "plain string: not tracked")
		if got := reg.Len(); got != 5 {
			t.Fatalf("registry Len() = %d, want 5", got)
		}
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		synctest.Wait()
		if cleaned.Load() != 5 || pressure.Load() != 5 || c.Len() != 1 {
			t.Fatalf("cleaned %d, pressure evictions %d, Len %d; want 5, 5, 1", cleaned.Load(), pressure.Load(), c.Len())
		}
	})
}

// TestRegistryConcurrent stores closers from many goroutines with evictions,
// replacements, deletes and loads racing, then checks after Close and the
// registry's Shutdown that every stored value was closed exactly once.
func TestRegistryConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := newRegistry(t)
		c, err := New(&Options[int, *conn]{MaxEntries: 8, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var all []*conn
		newConn := func() *conn {
			v := &conn{}
			mu.Lock()
			all = append(all, v)
			mu.Unlock()
			return v
		}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				for i := range 400 {
					k := (i*7 + w) % 20
					switch i % 5 {
					case 0, 1:
						c.Set(k, newConn())
					case 2:
						c.Delete(k)
					case 3:
						c.GetOrLoad(context.Background(), k, func(context.Context, int) (*conn, error) { return newConn(), nil })
					case 4:
						c.Get(k)
					}
				}
			})
		}
		wg.Wait()
		live := map[*conn]bool{}
		for _, v := range c.All() {
			live[v] = true
		}
		synctest.Wait()
		for _, v := range all {
			if got := v.closes.Load(); live[v] && got != 0 {
				t.Fatalf("a cached value was closed %d times while still cached", got)
			}
		}
		c.Close()
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		for i, v := range all {
			if got := v.closes.Load(); got != 1 {
				t.Fatalf("value %d of %d closed %d times, want 1", i, len(all), got)
			}
		}
	})
}

// TestPanickingOnEvictStillReleases checks that a panic in OnEvict reaches
// the caller with no lock held and every removed value is still released.
func TestPanickingOnEvictStillReleases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := newRegistry(t)
		c, err := New(&Options[int, *conn]{MaxEntries: 4, Registry: reg,
			OnEvict: func(int, *conn, Reason) { panic("callback bug") }})
		if err != nil {
			t.Fatal(err)
		}
		vs := []*conn{{}, {}, {}}
		for i, v := range vs {
			c.Set(i, v)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Fatalf("Clear did not propagate the OnEvict panic")
				}
			}()
			c.Clear()
		}()
		c.Set(9, &conn{}) // the cache still works: no lock was left held
		synctest.Wait()
		for i, v := range vs {
			if v.closes.Load() != 1 {
				t.Fatalf("value %d closed %d times, want 1", i, v.closes.Load())
			}
		}
		func() {
			defer func() { recover() }()
			c.Close()
		}()
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRegistryReclaim checks that the registry's Reclaim (its reaction to
// memory pressure) takes cached values out of the cache, sized by weight.
func TestRegistryReclaim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := newRegistry(t)
		var pressure atomic.Int32
		c, err := New(&Options[int, *conn]{
			MaxWeight: 1000, Weigher: func(int, *conn) int64 { return 100 }, Registry: reg,
			OnEvict: func(_ int, _ *conn, why Reason) {
				if why == Pressure {
					pressure.Add(1)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		vs := make([]*conn, 6)
		for i := range vs {
			vs[i] = &conn{}
			c.Set(i, vs[i])
		}
		freed, err := reg.Reclaim(context.Background(), 250)
		if err != nil || freed < 250 {
			t.Fatalf("Reclaim = %d, %v; want >= 250 freed", freed, err)
		}
		n := int(freed / 100)
		if c.Len() != 6-n || c.Weight() != int64(600-100*n) || int(pressure.Load()) != n {
			t.Fatalf("after reclaiming %d values: Len %d, Weight %d, pressure evictions %d", n, c.Len(), c.Weight(), pressure.Load())
		}
		closed := 0
		for i, v := range vs {
			_, cached := c.Get(i)
			switch got := v.closes.Load(); {
			case got == 1 && !cached:
				closed++
			case got != 0 || !cached:
				t.Fatalf("value %d: closed %d times, cached %v", i, got, cached)
			}
		}
		if closed != n {
			t.Fatalf("%d values closed, want %d", closed, n)
		}
		c.Close()
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSharedValue: one value stored under several keys is registered once
// and released once, when the last of its entries leaves (deleting one key
// must not close a value another key still returns); the registry
// releasing it on its own removes every entry holding it.
func TestSharedValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := newRegistry(t)
		defer func() { _ = reg.Shutdown(context.Background()) }()
		c, err := New(&Options[string, *conn]{MaxEntries: 10, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		shared, other := &conn{name: "shared"}, &conn{name: "other"}
		c.Set("a", shared)
		c.Set("b", shared)
		c.Set("c", shared)
		if got := reg.Len(); got != 1 {
			t.Fatalf("one value under three keys: %d registrations, want 1", got)
		}
		c.Delete("a")
		c.Set("b", other) // b's value replaced: shared still under c
		synctest.Wait()
		if n := shared.closes.Load(); n != 0 {
			t.Fatalf("shared closed %d times while key c still holds it", n)
		}
		if v, ok := c.Get("c"); !ok || v != shared {
			t.Fatalf("Get(c) = %v, %v", v, ok)
		}
		c.Delete("c")
		synctest.Wait()
		if n := shared.closes.Load(); n != 1 {
			t.Fatalf("shared closed %d times after its last key left, want 1", n)
		}
		// The registry releases a shared value by itself: every key holding
		// it leaves the cache.
		// (Values of a cache without Weigher have no size: not Reclaimable.)
		c.Set("x", other)
		c.Set("y", other)
		if err := reg.ReleaseMatching(context.Background(), isCacheValue); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if c.Len() != 0 || other.closes.Load() != 1 {
			t.Fatalf("after ReleaseMatching: Len %d, other closed %d times; want 0 and 1", c.Len(), other.closes.Load())
		}
	})
}
