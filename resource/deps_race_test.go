package resource_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patinox/memory/resource"
)

// TestFailedRegistrationWakesWaitingDependency: a registration with
// DependsOn that fails because a resource it depends on was claimed while
// it was linking (ReleaseAsync) is taken out again; if the scheduler had
// already made that resource wait for the new one, it must be woken and
// cleaned up, not left waiting forever. The race is retried until it is
// seen both ways or a wall-clock deadline passes.
func TestFailedRegistrationWakesWaitingDependency(t *testing.T) {
	deadline := time.Now().Add(2 * time.Second)
	refused := 0
	for i := 0; time.Now().Before(deadline) && refused < 30; i++ {
		r, err := resource.NewRegistry(&resource.Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		nop := func(context.Context) error { return nil }
		// Many dependencies widen the window in which the new resource
		// is linked to p but not yet live.
		deps := make([]resource.ID, 0, 201)
		p := mustRegister(t, r, nop)
		deps = append(deps, p)
		for range 200 {
			deps = append(deps, mustRegister(t, r, nop))
		}
		n := r.Len()
		var wg sync.WaitGroup
		var regErr error
		var registered atomic.Bool
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, regErr = r.Register(nop, resource.DependsOn(deps...))
			registered.Store(true)
		}()
		go func() {
			defer wg.Done()
			for r.Len() == n && !registered.Load() { // until the new resource is in the table
			}
			if err := r.ReleaseAsync(p); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		if errors.Is(regErr, resource.ErrReleased) {
			refused++
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = r.Shutdown(ctx)
		cancel()
		if err != nil {
			t.Fatalf("iteration %d (registration err %v): Shutdown = %v", i, regErr, err)
		}
	}
	t.Logf("%d registrations refused", refused)
}
