package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// TestReclaimTakesOnlySizedValues: the registry's Reclaim(ctx, bytes)
// releases Reclaimable resources, cheapest priority first, until their
// sizes add up to bytes. A cached value whose size the cache does not know
// (no Weigher, or a weight of 0) would count 0 bytes: one Reclaim would
// release every such value (Low priority comes first) without getting any
// closer to its target. So only values with a known size (a Weigher's
// weight > 0) are Reclaimable; the others are left to the cache's own
// memory-pressure reaction (Options.Pressure) and to ReleaseMatching and
// Shutdown.
func TestReclaimTakesOnlySizedValues(t *testing.T) {
	for _, tt := range []struct {
		name      string
		weight    int64 // the Weigher's weight for every value; -1: no Weigher (MaxEntries)
		target    int64 // Reclaim's bytes
		wantFreed int64
		wantLeft  int  // cached values left
		wantOther bool // the other, sized resource was released
	}{
		{name: "MaxEntries", weight: -1, target: 100, wantFreed: 100, wantLeft: 5, wantOther: true},
		{name: "weight=0", weight: 0, target: 100, wantFreed: 100, wantLeft: 5, wantOther: true},
		{name: "weight=1", weight: 1, target: 3, wantFreed: 3, wantLeft: 2},
		{name: "weight=40", weight: 40, target: 100, wantFreed: 120, wantLeft: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				reg := newRegistry(t)
				defer func() { _ = reg.Shutdown(context.Background()) }()
				o := &Options[int, *conn]{MaxEntries: 10, Registry: reg} // ReleasePriority Low
				if tt.weight >= 0 {
					o.MaxEntries, o.MaxWeight = 0, 1000
					o.Weigher = func(int, *conn) int64 { return tt.weight }
				}
				c, err := New(o)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				vs := make([]*conn, 5)
				for i := range vs {
					vs[i] = &conn{}
					c.Set(i, vs[i])
				}
				var other atomic.Int32
				_, err = reg.Register(func(context.Context) error { other.Add(1); return nil },
					resource.Reclaimable(), resource.WithSize(100), resource.WithPriority(resource.Normal))
				if err != nil {
					t.Fatal(err)
				}
				freed, err := reg.Reclaim(context.Background(), tt.target)
				synctest.Wait()
				if err != nil || freed != tt.wantFreed {
					t.Errorf("Reclaim(%d) = %d, %v; want %d, nil", tt.target, freed, err, tt.wantFreed)
				}
				if got := c.Len(); got != tt.wantLeft {
					t.Errorf("after Reclaim(%d): Len = %d, want %d", tt.target, got, tt.wantLeft)
				}
				closed := 0
				for _, v := range vs {
					closed += int(v.closes.Load())
				}
				if closed != len(vs)-tt.wantLeft {
					t.Errorf("after Reclaim(%d): %d values closed, want %d", tt.target, closed, len(vs)-tt.wantLeft)
				}
				if got := other.Load() == 1; got != tt.wantOther {
					t.Errorf("after Reclaim(%d): other resource released = %v, want %v", tt.target, got, tt.wantOther)
				}
			})
		})
	}
}

// TestSetAfterRegistryShutdown: once the registry has shut down it
// registers nothing, so a value that holds a resource, handed to the cache
// by Set or by a loader, can no longer be released through it. It must not
// be cached untracked, never to be closed (the cache owns it: its user
// does not close it): it is closed at once and not stored, as by a closed
// cache, and GetOrLoad does not hand the closed value out but fails.
func TestSetAfterRegistryShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, c := newTrackedCache[int](t)
		defer c.Close()
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		set, loaded := &conn{name: "set"}, &conn{name: "loaded"}
		c.Set(1, set)
		got, err := c.GetOrLoad(context.Background(), 2, func(context.Context, int) (*conn, error) { return loaded, nil })
		if !errors.Is(err, resource.ErrShuttingDown) || got != nil {
			t.Fatalf("GetOrLoad = %v, %v; want nil and an error matching resource.ErrShuttingDown (the value was closed)", got, err)
		}
		synctest.Wait()
		for _, v := range []*conn{set, loaded} {
			if n := v.closes.Load(); n != 1 {
				t.Errorf("%s value: closed %d times after the registry shut down, want 1", v.name, n)
			}
		}
		if n := c.Len(); n != 0 {
			t.Errorf("Len = %d: a value the registry cannot release is cached", n)
		}
		c.Close()
		synctest.Wait()
		for _, v := range []*conn{set, loaded} {
			if n := v.closes.Load(); n != 1 {
				t.Errorf("%s value: closed %d times after Close, want 1", v.name, n)
			}
		}
	})
}

// TestSetDuringRegistryShutdownSharedValue: a value still held under its
// registration while the registry shuts down (its release waits for a
// dependent's) and Set again under another key, which the registry
// refuses, is closed once, by the shutdown, not also by the refusal.
func TestSetDuringRegistryShutdownSharedValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, c := newTrackedCache[int](t)
		defer c.Close()
		v := &conn{name: "v"}
		c.Set(1, v)
		var id resource.ID
		for i := range reg.All() {
			id = i.ID
		}
		unblock := make(chan struct{})
		if _, err := reg.Register(func(context.Context) error { <-unblock; return nil }, resource.DependsOn(id)); err != nil {
			t.Fatal(err)
		}
		shut := make(chan error)
		go func() { shut <- reg.Shutdown(context.Background()) }()
		synctest.Wait() // Shutdown waits for the dependent's cleanup before v's
		if _, err := reg.Register(func(context.Context) error { return nil }); err == nil {
			t.Error("Register succeeded during Shutdown")
		}
		c.Set(2, v) // refused: v is still held under key 1's registration
		synctest.Wait()
		if n := v.closes.Load(); n != 0 {
			t.Errorf("v closed %d times while key 1 holds it under a live registration", n)
		}
		close(unblock)
		if err := <-shut; err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n, l := v.closes.Load(), c.Len(); n != 1 || l != 0 {
			t.Fatalf("after Shutdown: v closed %d times, Len %d; want 1, 0", n, l)
		}
	})
}

// TestLoadStoredIntoClosedCacheFails: a load that finishes after Close
// (its loader ignores the context) finds the cache closed; its value, which
// holds a resource, is released instead of stored, so GetOrLoad must fail
// with ErrClosed rather than return a closed value.
func TestLoadStoredIntoClosedCacheFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, c := newTrackedCache[int](t)
		v, unblock := &conn{name: "late"}, make(chan struct{})
		type result struct {
			v   *conn
			err error
		}
		res := make(chan result)
		go func() {
			got, err := c.GetOrLoad(context.Background(), 1, func(context.Context, int) (*conn, error) {
				<-unblock // ignores its context
				return v, nil
			})
			res <- result{got, err}
		}()
		synctest.Wait()
		closed := make(chan struct{})
		go func() { c.Close(); close(closed) }()
		synctest.Wait() // Close has cancelled the load and waits for it
		close(unblock)
		r := <-res
		<-closed
		synctest.Wait() // the registry's worker releases the value
		if !errors.Is(r.err, ErrClosed) || r.v != nil {
			t.Errorf("GetOrLoad = %v, %v; want nil and an error matching ErrClosed", r.v, r.err)
		}
		if n := v.closes.Load(); n != 1 {
			t.Errorf("late value closed %d times, want 1", n)
		}
	})
}

// TestLoadReleasedBeforeStoredFails: a loaded value that the registry
// releases between its registration and its store (Shutdown or
// ReleaseMatching on another goroutine winning the race) is closed and not
// cached; GetOrLoad must fail with resource.ErrReleased instead of handing
// out the closed value.
func TestLoadReleasedBeforeStoredFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, c := newTrackedCache[string](t)
		defer c.Close()
		obs := &releaseOnRegister{reg: reg}
		obs.armed.Store(true)
		c.tracker.registered = obs.registered
		v := &conn{name: "v"}
		got, err := c.GetOrLoad(context.Background(), "k", func(context.Context, string) (*conn, error) { return v, nil })
		if !errors.Is(err, resource.ErrReleased) || got != nil {
			t.Errorf("GetOrLoad = %v, %v; want nil and an error matching resource.ErrReleased", got, err)
		}
		synctest.Wait()
		if n := v.closes.Load(); n != 1 {
			t.Errorf("value closed %d times, want 1", n)
		}
		if _, ok := c.Get("k"); ok {
			t.Error("Get found the released value")
		}
	})
}
