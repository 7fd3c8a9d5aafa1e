package resource_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// reentrant is an Observer that calls back into its registry on every
// event: every read (Len, Info, Health, Stats, Failures, All) and, for the
// events of resources other than its own ("side"), a registration and a
// release of a side resource. Under a registry lock any of them deadlocks.
type reentrant struct {
	r atomic.Pointer[resource.Registry]

	mu   sync.Mutex // protects following fields; never held while calling r
	seen map[resource.EventType]int
	errs []string
}

const sideKind = "side"

func (o *reentrant) Observe(ev resource.Event) {
	if ev.Kind != sideKind {
		o.mu.Lock()
		o.seen[ev.Type]++
		o.mu.Unlock()
	}
	r := o.r.Load()
	_ = r.Len()
	if in, ok := r.Info(ev.ID); ok && in.ID != ev.ID {
		o.fail("Info(%v) returned %v", ev.ID, in.ID)
	}
	_ = r.Health()
	_ = r.Stats()
	_ = r.Failures()
	for range r.All() {
	}
	if ev.Kind == sideKind {
		return // its own resources' events: no further registrations
	}
	id, err := r.Register(func(context.Context) error { return nil }, resource.WithKind(sideKind))
	switch {
	case errors.Is(err, resource.ErrShuttingDown):
	case err != nil:
		o.fail("Register during %v: %v", ev.Type, err)
	default:
		if err := r.Release(context.Background(), id); err != nil {
			o.fail("Release of a side resource during %v: %v", ev.Type, err)
		}
	}
}

func (o *reentrant) fail(format string, args ...any) {
	o.mu.Lock()
	o.errs = append(o.errs, fmt.Sprintf(format, args...))
	o.mu.Unlock()
}

// watchdog aborts the test binary, with every goroutine's stack, if stop
// is not called within d of real time. It runs outside any synctest
// bubble: goroutines blocked on a sync.Mutex are not durably blocked, so a
// bubble whose goroutines deadlock on a registry lock hangs instead of
// failing with "deadlock".
func watchdog(name string, d time.Duration) (stop func() bool) {
	return time.AfterFunc(d, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("%s: no progress in %v: an observer deadlocked calling back into the registry?", name, d))
	}).Stop
}

// TestObserverCallsBackIntoRegistry: an Observer never runs under a
// registry lock, whatever emits the event: it may call any method but
// Shutdown (Len, Info, Health, Stats, Failures, All, Register, Release of
// other resources) on every event of Release, ReleaseAsync, Detach,
// fallback, failed cleanups, TTL and idle expiry, Reclaim,
// ReleaseMatching, dependencies and Shutdown.
func TestObserverCallsBackIntoRegistry(t *testing.T) {
	nop := func(context.Context) error { return nil }
	nopT := func(context.Context, int) error { return nil }
	errFallback := resource.Classify(errBoom, resource.Fallback)
	kind := resource.WithKind("main")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, r *resource.Registry)
		want []resource.EventType // each seen at least once, besides Registered
	}{
		{name: "Release", want: []resource.EventType{resource.Released},
			run: func(t *testing.T, r *resource.Registry) {
				check(t, r.Release(ctx, mustRegister(t, r, nop, kind)))
				g, err := resource.Track(r, 1, nopT, kind)
				check(t, err)
				check(t, g.Release(ctx))
				g, err = resource.Track(r, 1, nopT, kind)
				check(t, err)
				check(t, g.Close())
			}},
		{name: "ReleaseAsync", want: []resource.EventType{resource.Released},
			run: func(t *testing.T, r *resource.Registry) {
				check(t, r.ReleaseAsync(mustRegister(t, r, nop, kind)))
				g, err := resource.Track(r, 1, nopT, kind)
				check(t, err)
				g.ReleaseAsync()
				synctest.Wait()
			}},
		{name: "Detach", want: []resource.EventType{resource.Detached},
			run: func(t *testing.T, r *resource.Registry) {
				check(t, r.Detach(mustRegister(t, r, nop, kind)))
				g, err := resource.Track(r, 1, nopT, kind)
				check(t, err)
				_, err = g.Detach()
				check(t, err)
			}},
		{name: "Fallback", want: []resource.EventType{resource.CleanupFailed, resource.FellBack, resource.Released, resource.GaveUp},
			run: func(t *testing.T, r *resource.Registry) {
				fails := func(context.Context) error { return errFallback }
				check(t, r.Release(ctx, mustRegister(t, r, fails, kind, resource.WithFallback(nop))))
				id := mustRegister(t, r, fails, kind, resource.WithFallback(fails))
				if err := r.Release(ctx, id); !errors.Is(err, errBoom) {
					t.Errorf("Release with a failing fallback = %v, want %v", err, errBoom)
				}
			}},
		{name: "FailedCleanup", want: []resource.EventType{resource.CleanupFailed, resource.Retrying, resource.GaveUp},
			run: func(t *testing.T, r *resource.Registry) {
				boom := func(context.Context) error { return errBoom }
				if err := r.Release(ctx, mustRegister(t, r, boom, kind)); !errors.Is(err, errBoom) {
					t.Errorf("Release = %v, want %v", err, errBoom)
				}
				check(t, r.ReleaseAsync(mustRegister(t, r, boom, kind))) // retries on workers and timers
				panics := func(context.Context) error { panic("oops") }
				check(t, r.ReleaseAsync(mustRegister(t, r, panics, kind)))
				advance(time.Hour)
				synctest.Wait()
			}},
		{name: "Expiry", want: []resource.EventType{resource.Expired, resource.Released},
			run: func(t *testing.T, r *resource.Registry) {
				mustRegister(t, r, nop, kind, resource.WithTTL(time.Minute))
				mustRegister(t, r, nop, kind, resource.WithIdleTimeout(time.Minute))
				advance(2 * time.Minute)
				synctest.Wait()
			}},
		{name: "Reclaim", want: []resource.EventType{resource.Reclaimed, resource.Released},
			run: func(t *testing.T, r *resource.Registry) {
				mustRegister(t, r, nop, kind, resource.Reclaimable(), resource.WithSize(10))
				mustRegister(t, r, nop, kind, resource.ReclaimWith(func(context.Context) (int64, error) { return 5, nil }))
				_, err := r.Reclaim(ctx, 0)
				check(t, err)
			}},
		{name: "ReleaseMatching", want: []resource.EventType{resource.Released},
			run: func(t *testing.T, r *resource.Registry) {
				parent := mustRegister(t, r, nop, kind)
				mustRegister(t, r, nop, kind, resource.DependsOn(parent))
				mustRegister(t, r, nop, kind)
				check(t, r.ReleaseMatching(ctx, func(in resource.Info) bool { return in.Kind == "main" }))
			}},
		{name: "DependsOn", want: []resource.EventType{resource.Released},
			run: func(t *testing.T, r *resource.Registry) {
				parent := mustRegister(t, r, nop, kind)
				child := mustRegister(t, r, nop, kind, resource.DependsOn(parent))
				mustRegister(t, r, nop, kind, resource.DependsOn(child))
				check(t, r.Release(ctx, parent))
				parent = mustRegister(t, r, nop, kind)
				mustRegister(t, r, nop, kind, resource.DependsOn(parent))
				check(t, r.ReleaseAsync(parent)) // the scheduler's dependency order
				synctest.Wait()
			}},
		{name: "Shutdown", want: []resource.EventType{resource.ShutdownStarted, resource.Released, resource.GaveUp, resource.ShutdownDone},
			run: func(t *testing.T, r *resource.Registry) {
				parent := mustRegister(t, r, nop, kind)
				mustRegister(t, r, nop, kind, resource.DependsOn(parent))
				mustRegister(t, r, func(context.Context) error { return errBoom }, kind)
				mustRegister(t, r, nop, kind, resource.WithTTL(time.Hour))
				g, err := resource.Track(r, 1, nopT, kind)
				check(t, err)
				if err := r.Shutdown(ctx); !errors.Is(err, errBoom) {
					t.Errorf("Shutdown = %v, want the failure %v", err, errBoom)
				}
				runtime.KeepAlive(g) // not leaked: released by Shutdown
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer watchdog(t.Name(), 30*time.Second)()
			synctest.Test(t, func(t *testing.T) {
				obs := &reentrant{seen: map[resource.EventType]int{}}
				r, err := resource.NewRegistry(&resource.Options{Observer: obs, Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				obs.r.Store(r)
				tc.run(t, r)
				if err := r.Shutdown(ctx); err != nil && tc.name != "Shutdown" {
					t.Errorf("Shutdown: %v", err)
				}
				obs.mu.Lock()
				defer obs.mu.Unlock()
				for _, e := range obs.errs {
					t.Error(e)
				}
				for _, ev := range append([]resource.EventType{resource.Registered}, tc.want...) {
					if obs.seen[ev] == 0 {
						t.Errorf("no %v event (seen %v): the scenario did not exercise it", ev, obs.seen)
					}
				}
			})
		})
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
