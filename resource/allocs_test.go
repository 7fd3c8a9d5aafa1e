package resource_test

import (
	"context"
	"testing"

	"github.com/patinox/memory/resource"
)

func TestOptionsDoNotAllocate(t *testing.T) {
	r := newRegistry(t, &resource.Options{Leaks: resource.LeaksOff})
	c := new(int)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		g, err := resource.Track(r, c, closeConn, resource.WithKind("conn"), resource.WithPriority(resource.High), resource.WithSize(10))
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Release(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("Track+Release with kind, priority and size options: %v allocations, want 1", allocs)
	}
}
