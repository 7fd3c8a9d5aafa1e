package resource

import (
	"context"
	"errors"
	"testing"
)

// TestStaleGuardAfterRecycle: once a LeaksOff Guard's entry has been
// recycled for a new resource, every method of the old Guard and every
// by-ID call with the old ID fails or does nothing, and the new resource is
// untouched.
func TestStaleGuardAfterRecycle(t *testing.T) {
	r, err := NewRegistry(&Options{Leaks: LeaksOff})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	ctx := context.Background()
	var calls [2]int
	cleanup := func(_ context.Context, i int) error { calls[i]++; return nil }
	// sync.Pool may drop an entry (always under -race, one Put in four),
	// so try until the new Guard got the old one's entry.
	var old, cur *Guard[int]
	for range 1000 {
		calls = [2]int{}
		o, err := Track(r, 0, cleanup)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Release(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := Track(r, 1, cleanup, WithKind("new"))
		if err != nil {
			t.Fatal(err)
		}
		if c.e == o.e {
			old, cur = o, c
			break
		}
		if err := c.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if old == nil {
		t.Fatal("no entry was recycled in 1000 Track/Release pairs")
	}
	if old.ID() == cur.ID() {
		t.Fatalf("recycled entry kept ID %v", old.ID())
	}
	if err := old.Release(ctx); !errors.Is(err, ErrReleased) {
		t.Errorf("stale Release: %v, want ErrReleased", err)
	}
	if _, err := old.Detach(); !errors.Is(err, ErrReleased) {
		t.Errorf("stale Detach: %v, want ErrReleased", err)
	}
	old.ReleaseAsync()
	old.Touch()
	if err := r.Release(ctx, old.ID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Release(old ID): %v, want ErrNotFound", err)
	}
	if err := r.Detach(old.ID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Detach(old ID): %v, want ErrNotFound", err)
	}
	if _, ok := r.Info(old.ID()); ok {
		t.Error("Info(old ID) found a resource")
	}
	in, ok := r.Info(cur.ID())
	if !ok || in.State != StateLive || in.Kind != "new" {
		t.Fatalf("Info(new ID) = %+v, %v; want the live resource of kind new", in, ok)
	}
	if calls != [2]int{1, 0} {
		t.Fatalf("cleanup calls %v after stale operations, want [1 0]", calls)
	}
	if err := cur.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if calls != [2]int{1, 1} {
		t.Fatalf("cleanup calls %v, want [1 1]", calls)
	}
}

// TestNotRecycled: entries that something else may still reference are
// never recycled.
func TestNotRecycled(t *testing.T) {
	r, err := NewRegistry(&Options{Leaks: LeaksOff})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Shutdown(context.Background()) }()
	ctx := context.Background()
	nop := func(context.Context, int) error { return nil }
	parent, err := Track(r, 0, nop)
	if err != nil {
		t.Fatal(err)
	}
	child, err := Track(r, 1, nop, DependsOn(parent.ID()))
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := Track(r, 2, nop, WithTTL(1<<40))
	if err != nil {
		t.Fatal(err)
	}
	failing, err := Track(r, 3, func(context.Context, int) error { return Classify(errors.New("no"), Fail) })
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := parent.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ttl.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := failing.Release(ctx); err == nil {
		t.Fatal("failing cleanup succeeded")
	}
	for name, g := range map[string]*Guard[int]{"parent (had a dependent)": parent, "child (has options)": child, "ttl": ttl, "failed": failing} {
		if g.e.inc != g.inc || g.e.st() != stDone {
			t.Errorf("%s: entry recycled (incarnation %d, state %d), want kept as done", name, g.e.inc, g.e.st())
		}
	}
}
