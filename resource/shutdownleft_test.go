package resource_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestReleaseAfterShutdownLeftItUnfinished: a Shutdown whose ctx ended drops
// the cleanups still queued; they will never run (the *ShutdownError names
// them). A later release of one of them by its owner did nothing, and used
// to say ErrReleased ("another releaser won it"), which a caller reads as
// "someone is cleaning it up". It must match ErrShuttingDown, as a Release
// that was waiting for such a resource does, and must not match
// ErrReleased. A resource whose cleanup is still running on a worker is
// being released: ErrReleased stays right for it.
func TestReleaseAfterShutdownLeftItUnfinished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(&resource.Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		gate := make(chan struct{})
		defer close(gate)
		nop := func(context.Context) error { return nil }
		hung := mustRegister(t, r, func(context.Context) error { <-gate; return nil }, resource.WithPriority(resource.Critical))
		// Queued behind the hung one (one worker): dropped by the Shutdown.
		ids := make([]resource.ID, 4)
		for i := range ids {
			ids[i] = mustRegister(t, r, nop)
		}
		g1, err := resource.Track(r, 1, func(context.Context, int) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		g2, err := resource.Track(r, 2, func(context.Context, int) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want an error matching DeadlineExceeded", err)
		}
		bg := context.Background()
		for _, tc := range []struct {
			name     string
			call     func() error
			wantLeft bool // want ErrShuttingDown (and not ErrReleased); else ErrReleased
		}{
			{name: "Release", call: func() error { return r.Release(bg, ids[0]) }, wantLeft: true},
			{name: "ReleaseAsync", call: func() error { return r.ReleaseAsync(ids[1]) }, wantLeft: true},
			{name: "Detach", call: func() error { return r.Detach(ids[2]) }, wantLeft: true},
			{name: "Guard.Release", call: func() error { return g1.Release(bg) }, wantLeft: true},
			{name: "Guard.Detach", call: func() error { _, err := g2.Detach(); return err }, wantLeft: true},
			{name: "Release of the running one", call: func() error { return r.Release(bg, hung) }},
		} {
			err := tc.call()
			gotLeft, gotReleased := errors.Is(err, resource.ErrShuttingDown), errors.Is(err, resource.ErrReleased)
			if gotLeft != tc.wantLeft || gotReleased == tc.wantLeft {
				want := "ErrShuttingDown, not ErrReleased"
				if !tc.wantLeft {
					want = "ErrReleased"
				}
				t.Errorf("%s after the Shutdown left it unfinished = %v; want an error matching %s", tc.name, err, want)
			}
		}
		if n := r.Len(); n != 7 {
			t.Errorf("Len = %d, want 7 (the unfinished resources stay, named by the ShutdownError)", n)
		}
	})
}
