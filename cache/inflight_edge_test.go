package cache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestPolicyBugDuringSetEndsFlight: a Set of a tracked value panics on a
// broken Evictor (policyBug) after storing the value; a program that
// recovers closes the cache, and the value's release must close it: the
// Set is no longer in flight (a flight left behind made every release of
// the value leave its close to a Set that never lands, and kept the value
// reachable in the tracker for good).
func TestPolicyBugDuringSetEndsFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(&Options[string, *conn]{MaxEntries: 1, Policy: brokenPolicy{}, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		a, v := &conn{name: "a"}, &conn{name: "v"}
		c.Set("a", a)
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "Evictor.Victim()") {
					t.Errorf("Set over the bound with a broken Evictor: recovered %v, want the policy-bug panic", p)
				}
			}()
			c.Set("v", v)
		}()
		c.Close()
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		synctest.Wait()
		for _, x := range []*conn{a, v} {
			if n := x.closes.Load(); n != 1 {
				t.Errorf("%s closed %d times, want 1", x.name, n)
			}
		}
		checkSettled(t, c)
	})
}

// TestBothRegistrationsLeaveBeforeEitherRelease: v, cached under "a", is
// Set under "b" meanwhile (one value under two keys); "a" is deleted while
// that Set is in flight, so the Set stores v under a registration of its
// own, and "b" is deleted too, all before the registry runs either
// release. Those two releases must close v once, not once each.
func TestBothRegistrationsLeaveBeforeEitherRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(&resource.Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = reg.Shutdown(bg) }()
		c, err := New(&Options[string, *conn]{MaxEntries: 10, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p := &parkOnRegister{parked: make(chan parkedSet)}
		c.tracker.registered = p.registered
		v := &conn{name: "v"}
		var wg sync.WaitGroup
		a := p.set(&wg, c, "a", v)
		close(a.gate)
		synctest.Wait() // v cached under a
		b := p.set(&wg, c, "b", v)
		// Hold the registry's one worker, so that both releases wait.
		block := make(chan struct{})
		id, err := reg.Register(func(context.Context) error { <-block; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.ReleaseAsync(id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		c.Delete("a") // a's registration is queued
		close(b.gate) // b stores v under its own registration
		wg.Wait()
		if got, ok := c.Get("b"); !ok || got != v {
			t.Fatalf("Get(b) = %v, %v; want v", got, ok)
		}
		c.Delete("b") // b's registration is queued too
		close(block)
		synctest.Wait()
		if n := v.closes.Load(); n != 1 {
			t.Errorf("v closed %d times, want 1", n)
		}
		checkSettled(t, c)
	})
}

// TestRegistrationPanicsWhileValueCached: v is cached under "a" when a
// Set of v under "b" panics in the registry's Observer (its Registered
// event); the registration the registry keeps for b is a duplicate of a's.
// v is closed once: when "a" leaves, not again when the registry releases
// b's registration (Shutdown), whichever comes first.
func TestRegistrationPanicsWhileValueCached(t *testing.T) {
	for _, tt := range []struct {
		name        string
		deleteFirst bool // "a" leaves (and v is closed) before the Shutdown
	}{
		{name: "a leaves first", deleteFirst: true},
		{name: "Shutdown first"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bg := context.Background()
				var registered atomic.Int32
				reg, err := resource.NewRegistry(&resource.Options{Observer: resource.ObserverFunc(func(e resource.Event) {
					if e.Type == resource.Registered && e.Kind == "cache-value" && registered.Add(1) == 2 {
						panic("observer")
					}
				})})
				if err != nil {
					t.Fatal(err)
				}
				c, err := New(&Options[string, *conn]{MaxEntries: 10, Registry: reg})
				if err != nil {
					t.Fatal(err)
				}
				v := &conn{name: "v"}
				c.Set("a", v)
				func() {
					defer func() {
						if p := recover(); p != "observer" {
							t.Errorf("Set: recovered %v, want the observer's panic", p)
						}
					}()
					c.Set("b", v)
				}()
				if got, ok := c.Get("a"); !ok || got != v {
					t.Fatalf("Get(a) = %v, %v; want v", got, ok)
				}
				if tt.deleteFirst {
					c.Delete("a")
					synctest.Wait()
				}
				if err := reg.Shutdown(bg); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
				synctest.Wait()
				if n := v.closes.Load(); n != 1 {
					t.Errorf("v closed %d times, want 1", n)
				}
				c.Close()
				checkSettled(t, c)
			})
		})
	}
}

// TestOverlappingSetsRandomized: rounds of one to three overlapping Sets
// (Set, SetTTL, GetOrLoad) of a fresh value under random keys, parked
// between their registration and their store while random operations run
// (Delete, Clear, Resize, expiry, Registry.ReleaseMatching and Reclaim,
// and once each, Close and the registry's Shutdown), more of them racing
// the stores, with an OnEvict that deletes another key and a registry
// whose one worker is held through some rounds (releases lag). After each
// round, with everything settled, every value handed to the cache is
// closed exactly once if no entry holds it and not at all if one does;
// after Close and Shutdown, each is closed once and the in-flight tables
// are empty. Each value is Set only in its round: a Set after it left
// would be a new hand-off, closed again (see Options.Registry).
func TestOverlappingSetsRandomized(t *testing.T) {
	for seed := range uint64(150) {
		synctest.Test(t, func(t *testing.T) {
			runOverlappingSets(t, rand.New(rand.NewPCG(seed, 7)), seed)
		})
	}
}

// overlapOps are the operations TestOverlappingSetsRandomized races with
// the Sets; the last two run once at most.
var overlapOps = []func(c *Cache[int, *conn], reg *resource.Registry, key int){
	func(c *Cache[int, *conn], _ *resource.Registry, key int) { c.Delete(key) },
	func(_ *Cache[int, *conn], reg *resource.Registry, _ int) {
		_ = reg.ReleaseMatching(context.Background(), isCacheValue)
	},
	func(c *Cache[int, *conn], _ *resource.Registry, _ int) { c.Clear() },
	func(_ *Cache[int, *conn], reg *resource.Registry, _ int) { _, _ = reg.Reclaim(context.Background(), 2) },
	func(c *Cache[int, *conn], _ *resource.Registry, key int) {
		_ = c.Resize(0, int64(1+key))
		_ = c.Resize(0, 4)
	},
	func(*Cache[int, *conn], *resource.Registry, int) { <-time.After(2 * time.Second) }, // expiry
	func(c *Cache[int, *conn], _ *resource.Registry, _ int) { c.Close() },
	func(_ *Cache[int, *conn], reg *resource.Registry, _ int) {
		// Not awaited: it waits for the held worker.
		go func() { _ = reg.Shutdown(context.Background()) }()
	},
}

func runOverlappingSets(t *testing.T, rng *rand.Rand, seed uint64) {
	bg := context.Background()
	reg, err := resource.NewRegistry(&resource.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var c *Cache[int, *conn]
	onEvict := func(k int, _ *conn, why Reason) {
		if k%3 == 0 && why != Replaced {
			c.Delete((k + 1) % 6)
		}
	}
	c, err = New(&Options[int, *conn]{MaxWeight: 4, Weigher: func(int, *conn) int64 { return 1 }, Registry: reg, OnEvict: onEvict})
	if err != nil {
		t.Fatal(err)
	}
	var gate atomic.Pointer[chan struct{}]
	c.tracker.registered = func(releaseID) { <-*gate.Load() }
	var handed []*conn
	shut := false
	once := map[int]bool{}
	runOps := func(wg *sync.WaitGroup) {
		for range rng.IntN(3) {
			op, key := rng.IntN(len(overlapOps)-2), rng.IntN(6)
			if rng.IntN(50) == 0 { // Close or Shutdown, once each
				op = len(overlapOps) - 1 - rng.IntN(2)
				if once[op] {
					continue
				}
				once[op], shut = true, shut || op == len(overlapOps)-1
			}
			wg.Go(func() { overlapOps[op](c, reg, key) })
		}
	}
	for round := range 30 {
		g := make(chan struct{})
		gate.Store(&g)
		v := &conn{name: fmt.Sprint("v", round)}
		var taken atomic.Bool // a Set, or a load, handed v to the cache
		var block chan struct{}
		if !shut && rng.IntN(2) == 0 { // hold the registry's one worker
			block = make(chan struct{})
			id, err := reg.Register(func(context.Context) error { <-block; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if err := reg.ReleaseAsync(id); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		sets := 1 + rng.IntN(3)
		if shut { // refused, Sets do not overlap: each would close v
			sets = 1
		}
		for range sets {
			key, how := rng.IntN(6), rng.IntN(3)
			wg.Go(func() {
				switch how {
				case 0:
					taken.Store(true)
					c.Set(key, v)
				case 1:
					taken.Store(true)
					c.SetTTL(key, v, time.Second)
				default:
					_, _ = c.GetOrLoad(bg, key, func(context.Context, int) (*conn, error) {
						taken.Store(true)
						return v, nil
					})
				}
			})
		}
		synctest.Wait() // the Sets are parked after their registrations
		runOps(&wg)
		synctest.Wait()
		runOps(&wg) // these race with the stores
		close(g)
		wg.Wait()
		if taken.Load() {
			handed = append(handed, v)
		}
		if block != nil {
			close(block)
		}
		synctest.Wait()
		cached := cachedValues(c)
		for _, x := range handed {
			if n := x.closes.Load(); cached[x] && n != 0 || !cached[x] && n != 1 {
				t.Fatalf("seed %d, round %d: %s cached %v, closed %d times", seed, round, x.name, cached[x], n)
			}
		}
	}
	c.Close()
	if err := reg.Shutdown(bg); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	synctest.Wait()
	for _, x := range handed {
		if n := x.closes.Load(); n != 1 {
			t.Errorf("seed %d: %s closed %d times, want 1", seed, x.name, n)
		}
	}
	checkSettled(t, c)
}

// cachedValues returns the values c's entries hold, expired or not.
func cachedValues(c *Cache[int, *conn]) map[*conn]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[*conn]bool{}
	for s := range c.slots {
		if c.liveLocked(s) {
			m[c.chunkOf(s).kv[s&(chunkLen-1)].value] = true
		}
	}
	return m
}

// TestRegistrationPanicsWhileAnotherSetInFlight: a Set of v under "a"
// panics in the registry's Observer (its Registered event) while a Set of
// v under "b" is in flight; that one stores v under its own registration,
// and "b" leaves. v is closed once, when the last of the two
// registrations is released: the one the registry keeps for "a" closes
// it at Shutdown, so b's release must leave v open.
func TestRegistrationPanicsWhileAnotherSetInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var registered atomic.Int32
		reg, err := resource.NewRegistry(&resource.Options{Observer: resource.ObserverFunc(func(e resource.Event) {
			if e.Type == resource.Registered && e.Kind == "cache-value" && registered.Add(1) == 2 {
				panic("observer")
			}
		})})
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(&Options[string, *conn]{MaxEntries: 10, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		p := &parkOnRegister{parked: make(chan parkedSet)}
		c.tracker.registered = p.registered
		v := &conn{name: "v"}
		var wg sync.WaitGroup
		b := p.set(&wg, c, "b", v)
		func() {
			defer func() {
				if p := recover(); p != "observer" {
					t.Errorf("Set: recovered %v, want the observer's panic", p)
				}
			}()
			c.Set("a", v)
		}()
		close(b.gate)
		wg.Wait()
		if got, ok := c.Get("b"); !ok || got != v {
			t.Fatalf("Get(b) = %v, %v; want v", got, ok)
		}
		c.Delete("b")
		synctest.Wait()
		if n := v.closes.Load(); n > 1 {
			t.Errorf("after b left: v closed %d times, want at most 1", n)
		}
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		synctest.Wait()
		if n := v.closes.Load(); n != 1 {
			t.Errorf("after Shutdown: v closed %d times, want 1", n)
		}
		c.Close()
		checkSettled(t, c)
	})
}

// TestPolicyBugAfterRegistrationReleased: the registry releases the
// registration of a Set of v before the Set stores it, then the store
// panics on a broken Evictor (policyBug). v, stored under a registration
// the registry no longer holds, must not stay cached, and must be closed
// once: no release of that registration will ever run again.
func TestPolicyBugAfterRegistrationReleased(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(&Options[string, *conn]{MaxEntries: 1, Policy: brokenPolicy{}, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		a, v := &conn{name: "a"}, &conn{name: "v"}
		c.Set("a", a)
		recovered := setReleasedBeforeStore(t, reg, c, "v", v)
		if recovered == nil || !strings.Contains(fmt.Sprint(recovered), "Evictor.Victim()") {
			t.Fatalf("Set: recovered %v, want the policy-bug panic", recovered)
		}
		synctest.Wait()
		if got, ok := c.Get("v"); ok && v.closes.Load() != 0 {
			t.Errorf("Get(v) = %v, %v: a closed value", got, ok)
		}
		c.Close()
		if err := reg.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		synctest.Wait()
		for _, x := range []*conn{a, v} {
			if n := x.closes.Load(); n != 1 {
				t.Errorf("%s closed %d times, want 1", x.name, n)
			}
		}
		checkSettled(t, c)
	})
}

// ncConn is a tracked value that is not comparable: registered per Set.
type ncConn struct {
	c *conn
	_ []int
}

func (n ncConn) Close() error { return n.c.Close() }

// TestPolicyBugAfterRegistrationReleasedUncomparable: as
// TestPolicyBugAfterRegistrationReleased, for a value that is not
// comparable (no flight): the release closed it before the store, which
// must not leave it cached, closed, for Get to return.
func TestPolicyBugAfterRegistrationReleasedUncomparable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(&Options[string, ncConn]{MaxEntries: 1, Policy: brokenPolicy{}, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		a, v := ncConn{c: &conn{name: "a"}}, ncConn{c: &conn{name: "v"}}
		c.Set("a", a)
		recovered := setReleasedBeforeStore(t, reg, c, "v", v)
		if recovered == nil || !strings.Contains(fmt.Sprint(recovered), "Evictor.Victim()") {
			t.Fatalf("Set: recovered %v, want the policy-bug panic", recovered)
		}
		synctest.Wait()
		if got, ok := c.Get("v"); ok {
			t.Errorf("Get(v) hit (closed %d times) after the registry released it", got.c.closes.Load())
		}
		c.Close()
		if err := reg.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		synctest.Wait()
		for _, x := range []ncConn{a, v} {
			if n := x.c.closes.Load(); n != 1 {
				t.Errorf("%s closed %d times, want 1", x.c.name, n)
			}
		}
	})
}
