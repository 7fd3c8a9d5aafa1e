package cache

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// releaseOnRegister, called by the cache (tracker.registered) with each
// registration it makes, records it and, once armed, releases the next one
// at once, on the registering goroutine, before the Set stores the value:
// the registry's own release (Reclaim, ReleaseMatching, Shutdown on
// another goroutine) winning the race against the Set that registered it.
// (A registry Observer cannot do this: the registry makes a resource
// claimable only once Observe has returned for its Registered event.)
type releaseOnRegister struct {
	reg   *resource.Registry
	armed atomic.Bool
	last  atomic.Uint64 // the last ID registered
}

func (o *releaseOnRegister) registered(id releaseID) {
	o.last.Store(uint64(id))
	if o.armed.CompareAndSwap(true, false) {
		if err := o.reg.Release(context.Background(), id); err != nil {
			panic(err) // the test would not test what it says
		}
	}
}

// TestRegistryReleaseRacesSet checks that a value the registry releases
// while a Set of it is still on its way into the cache is never left in
// the cache closed, and that a value shared by several entries is closed
// exactly once when a duplicate registration of it is released.
func TestRegistryReleaseRacesSet(t *testing.T) {
	type evicted struct {
		key string
		why Reason
	}
	for _, tt := range []struct {
		name string
		// run stores values; obs.armed releases the next registration, and
		// replaced (called from OnEvict(Replaced)) may release one too.
		run func(c *Cache[string, *conn], obs *releaseOnRegister, v *conn)
		// replaced runs in OnEvict for a Replaced value.
		replaced   func(c *Cache[string, *conn], obs *releaseOnRegister)
		wantCached []string // keys that must still hold v, open
		wantGone   []string // keys that must not be cached
		wantEvict  []evicted
	}{{
		name: "released before stored",
		run: func(c *Cache[string, *conn], obs *releaseOnRegister, v *conn) {
			obs.armed.Store(true)
			c.Set("k", v)
		},
		wantGone:  []string{"k"},
		wantEvict: []evicted{{"k", Pressure}},
	}, {
		name: "second key's registration released before stored",
		run: func(c *Cache[string, *conn], obs *releaseOnRegister, v *conn) {
			c.Set("a", v)
			obs.armed.Store(true)
			c.Set("b", v) // the same value: it stays owned by a's registration
		},
		wantCached: []string{"a", "b"},
	}, {
		name: "duplicate registration released before detached",
		run: func(c *Cache[string, *conn], obs *releaseOnRegister, v *conn) {
			c.Set("k", v)
			c.Set("k", v) // same value again: the new registration is dropped
		},
		replaced: func(_ *Cache[string, *conn], obs *releaseOnRegister) {
			// Between the Set's unlock and its detach of the duplicate,
			// the registry releases the duplicate.
			_ = obs.reg.Release(context.Background(), resource.ID(obs.last.Load()))
		},
		wantCached: []string{"k"},
		wantEvict:  []evicted{{"k", Replaced}},
	}, {
		name: "duplicate registration released after the value left",
		run: func(c *Cache[string, *conn], obs *releaseOnRegister, v *conn) {
			c.Set("k", v)
			c.Set("k", v)
		},
		replaced: func(c *Cache[string, *conn], obs *releaseOnRegister) {
			c.Delete("k") // the value leaves and is released (closed)
			_ = obs.reg.Release(context.Background(), resource.ID(obs.last.Load()))
		},
		wantGone:  []string{"k"},
		wantEvict: []evicted{{"k", Replaced}, {"k", Deleted}},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				reg, err := resource.NewRegistry(nil)
				if err != nil {
					t.Fatal(err)
				}
				obs := &releaseOnRegister{reg: reg}
				var mu sync.Mutex
				var got []evicted
				var c *Cache[string, *conn]
				c, err = New(&Options[string, *conn]{MaxEntries: 10, Policy: LRU(), Registry: reg,
					OnEvict: func(k string, _ *conn, why Reason) {
						mu.Lock()
						got = append(got, evicted{k, why})
						mu.Unlock()
						if why == Replaced && tt.replaced != nil {
							tt.replaced(c, obs)
						}
					}})
				if err != nil {
					t.Fatal(err)
				}
				c.tracker.registered = obs.registered
				v := &conn{name: "v"}
				tt.run(c, obs, v)
				synctest.Wait()
				for _, k := range tt.wantCached {
					if got, ok := c.Get(k); !ok || got != v {
						t.Errorf("Get(%q) = %v, %v; want the value, true", k, got, ok)
					}
				}
				for _, k := range tt.wantGone {
					if _, ok := c.Get(k); ok {
						t.Errorf("Get(%q) found a value the registry released (closed %d times)", k, v.closes.Load())
					}
				}
				if n := v.closes.Load(); len(tt.wantCached) > 0 && n != 0 {
					t.Errorf("value closed %d times while still cached, want 0", n)
				}
				mu.Lock()
				if !slices.Equal(got, tt.wantEvict) {
					t.Errorf("OnEvict calls = %v, want %v", got, tt.wantEvict)
				}
				mu.Unlock()
				c.Close()
				if err := reg.Shutdown(context.Background()); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
				if n := v.closes.Load(); n != 1 {
					t.Errorf("after Close and Shutdown the value was closed %d times, want 1", n)
				}
			})
		})
	}
}

// TestRegistryReleaseMatchingRacesSets runs Sets against the registry
// releasing every cached value on its own (ReleaseMatching, as an operator
// or Shutdown does) and checks that no closed value stays in the cache and
// that every value is closed exactly once in the end. It retries the race
// until a wall-clock deadline.
func TestRegistryReleaseMatchingRacesSets(t *testing.T) {
	all := func(resource.Info) bool { return true }
	deadline := time.Now().Add(time.Second)
	for round := 0; time.Now().Before(deadline); round++ {
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(&Options[int, *conn]{MaxEntries: 1 << 12, Policy: LRU(), Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		vs := make([]*conn, 200)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range vs {
				vs[i] = &conn{}
				c.Set(i, vs[i])
			}
		}()
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			if err := reg.ReleaseMatching(context.Background(), all); err != nil {
				t.Fatalf("ReleaseMatching: %v", err)
			}
		}
		for k, v := range c.All() {
			if n := v.closes.Load(); n != 0 {
				t.Fatalf("round %d: key %d holds a value the registry closed (%d times)", round, k, n)
			}
		}
		c.Close()
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		for i, v := range vs {
			if n := v.closes.Load(); n != 1 {
				t.Fatalf("round %d: value %d closed %d times, want 1", round, i, n)
			}
		}
	}
}
