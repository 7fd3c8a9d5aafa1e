package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// parkOnRegister, called by the cache (tracker.registered) with each
// registration it makes, parks the registering Set between its
// registration and its store until the test lets it go: Sets of one value
// in flight at once, as goroutines descheduled there would be.
type parkOnRegister struct {
	parked chan parkedSet
}

// parkedSet is a Set parked after registering id; closing gate lets it go.
type parkedSet struct {
	id   releaseID
	gate chan struct{}
}

func (p *parkOnRegister) registered(id releaseID) {
	gate := make(chan struct{})
	p.parked <- parkedSet{id, gate}
	<-gate
}

// set starts c.Set(k, v) on wg and returns it parked after its registration.
func (p *parkOnRegister) set(wg *sync.WaitGroup, c *Cache[string, *conn], k string, v *conn) parkedSet {
	wg.Go(func() { c.Set(k, v) })
	return <-p.parked
}

// setReleasedBeforeStore runs c.Set(k, v) while the registry releases
// the Set's registration between its Register and its store, and returns
// what the Set panicked with (nil if it returned).
func setReleasedBeforeStore[V any](t *testing.T, reg *resource.Registry, c *Cache[string, V], k string, v V) (recovered any) {
	t.Helper()
	p := &parkOnRegister{parked: make(chan parkedSet)}
	c.tracker.registered = p.registered
	var wg sync.WaitGroup
	wg.Go(func() {
		defer func() { recovered = recover() }()
		c.Set(k, v)
	})
	set := <-p.parked
	if err := reg.Release(context.Background(), set.id); err != nil {
		t.Fatal(err)
	}
	close(set.gate)
	wg.Wait()
	return recovered
}

// TestOneValueInFlightClosedOnce: Sets of one value that overlap in time
// share its fate as entries holding it do (TestSharedValue): the value is
// closed exactly once, and only once no key holds it, whichever of their
// registrations the registry releases (or refuses) before the stores. (It
// used to be closed by each, or closed and still cached.)
func TestOneValueInFlightClosedOnce(t *testing.T) {
	bg := context.Background()
	for _, tt := range []struct {
		name string
		// run overlaps Sets of v in flight with the registry's release or
		// refusal, and lets the parked Sets go after it.
		run        func(t *testing.T, reg *resource.Registry, c *Cache[string, *conn], p *parkOnRegister, v *conn)
		wantCached []string // keys holding v, open, at the end
	}{
		{
			name: "Shutdown releases both registrations before either store",
			run: func(t *testing.T, reg *resource.Registry, c *Cache[string, *conn], p *parkOnRegister, v *conn) {
				var wg sync.WaitGroup
				a, b := p.set(&wg, c, "a", v), p.set(&wg, c, "b", v)
				shutdown(t, reg)
				close(a.gate)
				close(b.gate)
				wg.Wait()
			},
		},
		{
			name: "one registration released by Shutdown, the other Set refused",
			run: func(t *testing.T, reg *resource.Registry, c *Cache[string, *conn], p *parkOnRegister, v *conn) {
				var wg sync.WaitGroup
				a := p.set(&wg, c, "a", v)
				shutdown(t, reg)
				c.Set("b", v) // refused: the registry has shut down
				close(a.gate)
				wg.Wait()
			},
		},
		{
			name: "one registration released, then its Set stores, then the other under a live one",
			run: func(t *testing.T, reg *resource.Registry, c *Cache[string, *conn], p *parkOnRegister, v *conn) {
				var wg sync.WaitGroup
				a, b := p.set(&wg, c, "a", v), p.set(&wg, c, "b", v)
				if err := reg.Release(bg, a.id); err != nil {
					t.Fatal(err)
				}
				close(a.gate)
				synctest.Wait()
				close(b.gate)
				wg.Wait()
			},
			wantCached: []string{"b"},
		},
		{
			name: "one registration released, the other Set stores first under a live one",
			run: func(t *testing.T, reg *resource.Registry, c *Cache[string, *conn], p *parkOnRegister, v *conn) {
				var wg sync.WaitGroup
				a, b := p.set(&wg, c, "a", v), p.set(&wg, c, "b", v)
				if err := reg.Release(bg, a.id); err != nil {
					t.Fatal(err)
				}
				close(b.gate)
				synctest.Wait()
				close(a.gate) // a then shares b's registration, as any Set of v
				wg.Wait()
			},
			wantCached: []string{"a", "b"},
		},
		{
			name: "the stored registration released while another Set of v is in flight, which stores",
			run: func(t *testing.T, reg *resource.Registry, c *Cache[string, *conn], p *parkOnRegister, v *conn) {
				var wg sync.WaitGroup
				a := p.set(&wg, c, "a", v)
				b := p.set(&wg, c, "b", v)
				close(a.gate)
				synctest.Wait() // a stored v under its registration
				if err := reg.Release(bg, a.id); err != nil {
					t.Fatal(err)
				}
				close(b.gate)
				wg.Wait()
			},
			wantCached: []string{"b"},
		},
		{
			name: "the stored registration released, then the in-flight one, before that Set stores",
			run: func(t *testing.T, reg *resource.Registry, c *Cache[string, *conn], p *parkOnRegister, v *conn) {
				var wg sync.WaitGroup
				a := p.set(&wg, c, "a", v)
				b := p.set(&wg, c, "b", v)
				close(a.gate)
				synctest.Wait()
				for _, id := range []releaseID{a.id, b.id} {
					if err := reg.Release(bg, id); err != nil {
						t.Fatal(err)
					}
				}
				close(b.gate)
				wg.Wait()
			},
		},
		{
			name: "the cache closed while both Sets are in flight",
			run: func(t *testing.T, reg *resource.Registry, c *Cache[string, *conn], p *parkOnRegister, v *conn) {
				var wg sync.WaitGroup
				a, b := p.set(&wg, c, "a", v), p.set(&wg, c, "b", v)
				if err := reg.Release(bg, a.id); err != nil {
					t.Fatal(err)
				}
				c.Close()
				close(a.gate)
				close(b.gate)
				wg.Wait()
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				reg, c := newTrackedCache[string](t)
				defer func() { _ = reg.Shutdown(bg) }()
				defer c.Close()
				p := &parkOnRegister{parked: make(chan parkedSet)}
				c.tracker.registered = p.registered
				v := &conn{name: "v"}
				tt.run(t, reg, c, p, v)
				synctest.Wait()
				for _, k := range tt.wantCached {
					if got, ok := c.Get(k); !ok || got != v {
						t.Errorf("Get(%q) = %v, %v; want v", k, got, ok)
					}
				}
				if n, want := c.Len(), len(tt.wantCached); n != want {
					t.Errorf("Len = %d, want %d", n, want)
				}
				want := int32(1)
				if len(tt.wantCached) > 0 {
					want = 0 // a key still holds it
				}
				if n := v.closes.Load(); n != want {
					t.Errorf("v closed %d times, want %d", n, want)
				}
				c.Close()
				if err := reg.Shutdown(bg); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
				synctest.Wait()
				if n := v.closes.Load(); n != 1 {
					t.Errorf("after Close and Shutdown: v closed %d times, want 1", n)
				}
				checkSettled(t, c)
			})
		})
	}
}

// checkSettled fails t if c still counts Sets in flight or releases
// whose cleanup has not run (inflight.go, tracker.closing).
func checkSettled[K comparable](t *testing.T, c *Cache[K, *conn]) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tracker.flights.mu.Lock()
	defer c.tracker.flights.mu.Unlock()
	if n, m := len(c.tracker.flights.m), len(c.tracker.closing)+len(c.tracker.closingIDs); n != 0 || m != 0 {
		t.Errorf("flights left: %d, pending releases left: %d; want 0, 0", n, m)
	}
}

// closedOnceAfterShutdown shuts reg down, waits for its cleanups, and
// fails t unless v was closed exactly once and c has settled everything.
func closedOnceAfterShutdown[K comparable](t *testing.T, reg *resource.Registry, c *Cache[K, *conn], v *conn) {
	t.Helper()
	if err := reg.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	synctest.Wait()
	if n := v.closes.Load(); n != 1 {
		t.Errorf("v closed %d times, want 1", n)
	}
	checkSettled(t, c)
}

// shutdown shuts reg down, failing t on an error.
func shutdown(t *testing.T, reg *resource.Registry) {
	t.Helper()
	if err := reg.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestEvictedWhileAnotherSetInFlight: v, cached under "a", is evicted
// while a Set of v under "b" is in flight; the registry runs the release
// of a's registration only after b stored v under its own. v is cached
// under b: that release must not close it (Get would return a closed
// value, closed again when b leaves).
func TestEvictedWhileAnotherSetInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(&resource.Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = reg.Shutdown(bg) }()
		c, err := New(&Options[string, *conn]{MaxEntries: 1, Policy: FIFO(), Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p := &parkOnRegister{parked: make(chan parkedSet)}
		c.tracker.registered = p.registered
		v, other := &conn{name: "v"}, &conn{name: "other"}
		var wg sync.WaitGroup
		a := p.set(&wg, c, "a", v)
		close(a.gate)
		synctest.Wait() // v cached under a
		b := p.set(&wg, c, "b", v)
		// Hold the registry's one worker, so that a's release waits.
		block := make(chan struct{})
		id, err := reg.Register(func(context.Context) error { <-block; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.ReleaseAsync(id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		o := p.set(&wg, c, "other", other) // evicts a: its registration is queued
		close(o.gate)
		synctest.Wait()
		close(b.gate) // b stores v under its own registration (evicting other)
		synctest.Wait()
		close(block) // a's release runs now
		wg.Wait()
		synctest.Wait()
		if got, ok := c.Get("b"); !ok || got != v {
			t.Errorf("Get(b) = %v, %v; want v", got, ok)
		}
		if n := v.closes.Load(); n != 0 {
			t.Errorf("v closed %d times while cached under b, want 0", n)
		}
		c.Close()
		if err := reg.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		synctest.Wait()
		if n := v.closes.Load(); n != 1 {
			t.Errorf("after Close and Shutdown: v closed %d times, want 1", n)
		}
		checkSettled(t, c)
	})
}

// TestClosedWhileAnotherSetInFlight: v, cached under "a", and a Set of v
// under "b" in flight when the cache is closed: the Set stores nothing and
// gives v up, and Close releases a's registration. v is closed once,
// whether that release runs while the Set is in flight or after it.
func TestClosedWhileAnotherSetInFlight(t *testing.T) {
	for _, tt := range []struct {
		name          string
		releaseLagged bool // a's release runs after the Set of b returned
	}{
		{name: "release during the Set"},
		{name: "release after the Set", releaseLagged: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
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
				p := &parkOnRegister{parked: make(chan parkedSet)}
				c.tracker.registered = p.registered
				v := &conn{name: "v"}
				var wg sync.WaitGroup
				a := p.set(&wg, c, "a", v)
				close(a.gate)
				synctest.Wait()
				b := p.set(&wg, c, "b", v)
				block := make(chan struct{})
				if tt.releaseLagged { // hold the registry's one worker
					id, err := reg.Register(func(context.Context) error { <-block; return nil })
					if err != nil {
						t.Fatal(err)
					}
					if err := reg.ReleaseAsync(id); err != nil {
						t.Fatal(err)
					}
				} else {
					close(block)
				}
				synctest.Wait()
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				close(b.gate)
				wg.Wait()
				if tt.releaseLagged {
					close(block)
				}
				closedOnceAfterShutdown(t, reg, c, v)
			})
		})
	}
}

// TestCloseDuringLoadOfCachedValue: a load under "b" returns v, cached
// under "a", as Close cancels it. Close waits for the load to store, which
// finds the cache closed and gives v up, and then releases a's
// registration: v is closed once.
func TestCloseDuringLoadOfCachedValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, c := newTrackedCache[string](t)
		defer func() { _ = reg.Shutdown(bg) }()
		v := &conn{name: "v"}
		c.Set("a", v)
		loading := make(chan struct{})
		done := make(chan error)
		go func() {
			_, err := c.GetOrLoad(bg, "b", func(ctx context.Context, _ string) (*conn, error) {
				close(loading)
				<-ctx.Done() // Close cancels the load; it returns v anyway
				return v, nil
			})
			done <- err
		}()
		<-loading
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("GetOrLoad: %v, want ErrClosed", err)
		}
		closedOnceAfterShutdown(t, reg, c, v)
	})
}

// TestSetWhoseRegistrationPanics: the registry's Observer panics on the
// Registered event of a Set's value; the panic reaches the Set's caller,
// and the registration lives on (the registry makes it live). Its release
// by Shutdown must still close the value: the Set is no longer in flight.
func TestSetWhoseRegistrationPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var panicked atomic.Bool
		reg, err := resource.NewRegistry(&resource.Options{Observer: resource.ObserverFunc(func(e resource.Event) {
			if e.Type == resource.Registered && e.Kind == "cache-value" && panicked.CompareAndSwap(false, true) {
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
		func() {
			defer func() {
				if p := recover(); p != "observer" {
					t.Errorf("Set: recovered %v, want the observer's panic", p)
				}
			}()
			c.Set("a", v)
		}()
		c.Close()
		closedOnceAfterShutdown(t, reg, c, v)
	})
}

// TestSetOnClosedCacheDetachPanics: a Set on a closed cache gives its
// value up and drops the value's registration (Detach); the registry's
// Observer panics on that Detached event. The value is still closed: the
// cache owned it, and the dropped registration never closes it.
func TestSetOnClosedCacheDetachPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, err := resource.NewRegistry(&resource.Options{Observer: resource.ObserverFunc(func(e resource.Event) {
			if e.Type == resource.Detached && e.Kind == "cache-value" {
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
		c.Close()
		v := &conn{name: "v"}
		func() {
			defer func() {
				if p := recover(); p != "observer" {
					t.Errorf("Set: recovered %v, want the observer's panic", p)
				}
			}()
			c.Set("a", v)
		}()
		closedOnceAfterShutdown(t, reg, c, v)
	})
}
