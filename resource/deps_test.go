package resource_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

func TestReleaseReleasesDependentsFirst(t *testing.T) {
	for _, async := range []bool{false, true} {
		name := "sync"
		if async {
			name = "async"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRegistry(t, nil)
				c := &counter{}
				a := mustRegister(t, r, c.fn("a"))
				b := mustRegister(t, r, c.fn("b"), resource.DependsOn(a))
				mustRegister(t, r, c.fn("c"), resource.DependsOn(b))
				mustRegister(t, r, c.fn("d"), resource.DependsOn(a), resource.WithPriority(resource.Critical))
				other := mustRegister(t, r, c.fn("other"))
				if async {
					if err := r.ReleaseAsync(a); err != nil {
						t.Fatal(err)
					}
					synctest.Wait()
				} else if err := r.Release(context.Background(), a); err != nil {
					t.Fatal(err)
				}
				seq := c.seq()
				if len(seq) != 4 || seq[3] != "a" || slices.Index(seq, "c") > slices.Index(seq, "b") {
					t.Errorf("order %v: want c before b, and a last of four", seq)
				}
				if r.Len() != 1 {
					t.Errorf("Len = %d, want 1 (other)", r.Len())
				}
				if err := r.Release(context.Background(), other); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

func TestDependsOnReleased(t *testing.T) {
	r := newRegistry(t, nil)
	a := mustRegister(t, r, func(context.Context) error { return nil })
	if err := r.Release(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Register(func(context.Context) error { return nil }, resource.DependsOn(a)); !errors.Is(err, resource.ErrNotFound) {
		t.Errorf("DependsOn released: err = %v, want ErrNotFound", err)
	}
	gate := make(chan struct{})
	b := mustRegister(t, r, func(context.Context) error { <-gate; return nil })
	if err := r.ReleaseAsync(b); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Register(func(context.Context) error { return nil }, resource.DependsOn(b)); !errors.Is(err, resource.ErrReleased) {
		t.Errorf("DependsOn a resource being released: err = %v, want ErrReleased", err)
	}
	close(gate)
	if r.Len() > 1 {
		t.Errorf("Len = %d, failed registration left an entry", r.Len())
	}
}

// TestReleaseWaitsForInFlightDependent: a dependent already being released
// elsewhere is awaited; if the caller's ctx ends first, the parent is handed
// to the scheduler and still released after it.
func TestReleaseWaitsForInFlightDependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, nil)
		c := &counter{}
		gate := make(chan struct{})
		p := mustRegister(t, r, c.fn("parent"))
		d := mustRegister(t, r, func(ctx context.Context) error { <-gate; return c.fn("dep")(ctx) }, resource.DependsOn(p))
		if err := r.ReleaseAsync(d); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := r.Release(ctx, p); !errors.Is(err, context.Canceled) {
			t.Errorf("Release with cancelled ctx = %v, want Canceled", err)
		}
		synctest.Wait()
		if in, _ := r.Info(p); in.State != resource.StateWaiting {
			t.Errorf("parent state %v, want waiting", in.State)
		}
		if s := r.Stats(); s.Waiting != 1 {
			t.Errorf("Stats.Waiting = %d, want 1", s.Waiting)
		}
		close(gate)
		synctest.Wait()
		if seq := c.seq(); !slices.Equal(seq, []string{"dep", "parent"}) {
			t.Errorf("order %v, want [dep parent]", seq)
		}
	})
}

// TestShutdownRandomDAG: on a random dependency DAG, Shutdown starts every
// cleanup only after all of its dependents have finished.
func TestShutdownRandomDAG(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		r, err := resource.NewRegistry(&resource.Options{Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		const n = 150
		var mu sync.Mutex
		clock := 0
		start := make([]int, n)
		end := make([]int, n)
		ids := make([]resource.ID, n)
		var deps [][]int
		for i := 0; i < n; i++ {
			var ds []int
			var dids []resource.ID
			for j := 0; j < i; j++ {
				if rng.IntN(i+1) < 2 {
					ds = append(ds, j)
					dids = append(dids, ids[j])
				}
			}
			deps = append(deps, ds)
			i := i
			ids[i] = mustRegister(t, r, func(context.Context) error {
				mu.Lock()
				clock++
				start[i] = clock
				mu.Unlock()
				mu.Lock()
				clock++
				end[i] = clock
				mu.Unlock()
				return nil
			}, resource.DependsOn(dids...), resource.WithPriority(resource.Priority(rng.IntN(4))))
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i, ds := range deps {
			for _, j := range ds { // i depends on j: i must end before j starts
				if end[i] == 0 || start[j] == 0 || end[i] > start[j] {
					t.Fatalf("seed %d: %d (end %d) depends on %d (start %d)", seed, i, end[i], j, start[j])
				}
			}
		}
		if s := r.Stats(); s.Succeeded != n || s.Live != 0 {
			t.Errorf("Succeeded %d live %d, want %d 0", s.Succeeded, s.Live, n)
		}
	}
}

// TestReleaseDependentHandedOffKeepsOrder: when a dependent released on the
// caller's goroutine is handed to the scheduler (the caller's ctx ended
// during its retry backoff), the resource it depends on must not be cleaned
// up before it: it waits on the scheduler too.
func TestReleaseDependentHandedOffKeepsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{MaxAttempts: 3, RetryBackoff: time.Minute})
		c := &counter{}
		var calls atomic.Int32
		p := mustRegister(t, r, c.fn("parent"))
		dep := failing(1, errBoom, &calls)
		mustRegister(t, r, func(ctx context.Context) error {
			if err := dep(ctx); err != nil {
				return err
			}
			return c.fn("dep")(ctx)
		}, resource.DependsOn(p))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := r.Release(ctx, p)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Release = %v, want DeadlineExceeded", err)
		}
		if seq := c.seq(); len(seq) != 0 {
			t.Errorf("after Release returned: cleanups %v, want none (dep waits out its backoff, parent waits for dep)", seq)
		}
		advance(time.Hour)
		synctest.Wait()
		if seq := c.seq(); !slices.Equal(seq, []string{"dep", "parent"}) {
			t.Errorf("order %v, want [dep parent]", seq)
		}
		if r.Len() != 0 {
			t.Errorf("Len = %d, want 0", r.Len())
		}
	})
}
