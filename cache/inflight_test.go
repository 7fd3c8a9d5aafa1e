package cache

import (
	"context"
	"sync"
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
			})
		})
	}
}

// shutdown shuts reg down, failing t on an error.
func shutdown(t *testing.T, reg *resource.Registry) {
	t.Helper()
	if err := reg.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}
