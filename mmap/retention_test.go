//go:build linux || darwin

package mmap_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"weak"

	"github.com/patinox/memory/mmap"
	"github.com/patinox/memory/resource"
)

// TestClosedMapIsCollected: however a tracked Map ends (its own Close,
// the registry's Release, ReleaseMatching or Shutdown), the Map becomes
// collectable while the registry, which outlives it in a service, stays
// alive: the registry's entry, whose cleanup closes over the Map, must be
// gone. A Map that was grown or reclaimed before it ended is no exception.
func TestClosedMapIsCollected(t *testing.T) {
	ends := []struct {
		name string
		end  func(t *testing.T, r *resource.Registry, m *mmap.Map)
	}{
		{"Close", func(t *testing.T, _ *resource.Registry, m *mmap.Map) { mustOK(t, m.Close()) }},
		{"Registry.Release", func(t *testing.T, r *resource.Registry, m *mmap.Map) {
			id, _ := m.ID()
			mustOK(t, r.Release(context.Background(), id))
		}},
		{"Registry.ReleaseMatching", func(t *testing.T, r *resource.Registry, _ *mmap.Map) {
			mustOK(t, r.ReleaseMatching(context.Background(), func(i resource.Info) bool { return i.Kind == "mmap" }))
		}},
		{"Registry.Shutdown", func(t *testing.T, r *resource.Registry, _ *mmap.Map) {
			mustOK(t, r.Shutdown(context.Background()))
		}},
	}
	uses := []struct {
		name string
		mode mmap.Mode
		o    mmap.Options
		use  func(t *testing.T, r *resource.Registry, m *mmap.Map)
	}{
		{"ReadOnly", mmap.ReadOnly, mmap.Options{}, func(*testing.T, *resource.Registry, *mmap.Map) {}},
		{"Reclaimed", mmap.ReadOnly, mmap.Options{Reclaimable: true}, func(t *testing.T, r *resource.Registry, _ *mmap.Map) {
			_, err := r.Reclaim(context.Background(), 1<<40)
			mustOK(t, err)
		}},
		{"Grown", mmap.ReadWrite, mmap.Options{}, func(t *testing.T, _ *resource.Registry, m *mmap.Map) {
			mustOK(t, m.Grow(int64(4*page)))
		}},
	}
	for _, use := range uses {
		for _, end := range ends {
			t.Run(use.name+"/"+end.name, func(t *testing.T) {
				r, err := resource.NewRegistry(nil)
				mustOK(t, err)
				path := tempFile(t, pattern(2*page))
				o := use.o
				o.Registry = r
				w := func() weak.Pointer[mmap.Map] {
					f, err := os.OpenFile(path, os.O_RDWR, 0)
					mustOK(t, err)
					defer f.Close()
					m, err := mmap.OpenFile(f, 0, -1, use.mode, &o)
					mustOK(t, err)
					use.use(t, r, m)
					mustOK(t, m.View(func([]byte) error { return nil }))
					end.end(t, r, m)
					mustOK(t, m.Close()) // idempotent; after the registry's release, nothing to do
					return weak.Make(m)
				}()
				for range 3 {
					runtime.GC()
				}
				if w.Value() != nil {
					t.Errorf("a Map ended by %s is still reachable", end.name)
				}
				if n := r.Len(); n != 0 {
					t.Errorf("registry holds %d resources, want 0", n)
				}
				mustOK(t, r.Shutdown(context.Background()))
			})
		}
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
