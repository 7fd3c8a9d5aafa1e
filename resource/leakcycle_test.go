package resource_test

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/patinox/memory/resource"
)

// selfRef is a value that holds its own Guard, as a connection wrapper that
// releases itself does.
type selfRef struct {
	g   *resource.Guard[*selfRef]
	buf []byte
}

// TestReleasedGuardIsCollected: however a leak-watched resource ends, its
// Guard and value become collectable once nothing else holds them, even
// when the value points back to its Guard. The leak detector's runtime
// cleanup keeps its argument (the entry, hence the value) reachable while
// it exists; if a path other than the Guard's own methods left it in
// place, such a cycle would keep the Guard, the value and, through the
// entry, the registry alive for good.
func TestReleasedGuardIsCollected(t *testing.T) {
	ends := []struct {
		name string
		end  func(t *testing.T, r *resource.Registry, g *resource.Guard[*selfRef])
	}{
		{"Guard.Release", func(t *testing.T, _ *resource.Registry, g *resource.Guard[*selfRef]) {
			mustOK(t, g.Release(context.Background()))
		}},
		{"Guard.ReleaseAsync", func(t *testing.T, _ *resource.Registry, g *resource.Guard[*selfRef]) { g.ReleaseAsync() }},
		{"Guard.Detach", func(t *testing.T, _ *resource.Registry, g *resource.Guard[*selfRef]) {
			_, err := g.Detach()
			mustOK(t, err)
		}},
		{"Registry.Release", func(t *testing.T, r *resource.Registry, g *resource.Guard[*selfRef]) {
			mustOK(t, r.Release(context.Background(), g.ID()))
		}},
		{"Registry.ReleaseAsync", func(t *testing.T, r *resource.Registry, g *resource.Guard[*selfRef]) {
			mustOK(t, r.ReleaseAsync(g.ID()))
		}},
		{"Registry.Detach", func(t *testing.T, r *resource.Registry, g *resource.Guard[*selfRef]) { mustOK(t, r.Detach(g.ID())) }},
		{"TTL", func(t *testing.T, _ *resource.Registry, _ *resource.Guard[*selfRef]) { advance(2 * time.Second) }},
		{"Reclaim", func(t *testing.T, r *resource.Registry, _ *resource.Guard[*selfRef]) {
			_, err := r.Reclaim(context.Background(), 0)
			mustOK(t, err)
		}},
		{"Shutdown", func(t *testing.T, r *resource.Registry, _ *resource.Guard[*selfRef]) {
			mustOK(t, r.Shutdown(context.Background()))
		}},
	}
	for _, end := range ends {
		t.Run(end.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRegistry(t, &resource.Options{Leaks: resource.LeaksAll})
				w := trackSelfRef(t, r, func(g *resource.Guard[*selfRef]) { end.end(t, r, g) })
				synctest.Wait()
				for range 3 {
					runtime.GC()
				}
				if w.Value() != nil {
					t.Errorf("after %s the value (and its Guard) is still reachable", end.name)
				}
				if s := r.Stats(); s.Leaked != 0 {
					t.Errorf("%d leaks reported for a resource that ended by %s", s.Leaked, end.name)
				}
			})
		})
	}
}

// trackSelfRef tracks a selfRef with a 1 s TTL, lets end finish it and
// returns a weak pointer to the value; the Guard is not used after end.
func trackSelfRef(t *testing.T, r *resource.Registry, end func(*resource.Guard[*selfRef])) weak.Pointer[selfRef] {
	t.Helper()
	v := &selfRef{buf: make([]byte, 1<<10)}
	g, err := resource.Track(r, v, func(context.Context, *selfRef) error { return nil },
		resource.WithTTL(time.Second), resource.Reclaimable())
	if err != nil {
		t.Fatal(err)
	}
	v.g = g
	end(g)
	return weak.Make(v)
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
