package resource_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// gatedObserver records events; it holds the Registered event of kind
// "gated" at its door until the test opens the gate, as a slow observer
// (or a registering goroutine that is descheduled right after publishing
// the resource) would.
type gatedObserver struct {
	entered chan struct{}
	gate    chan struct{}
	mu      sync.Mutex
	events  []resource.Event
}

func (o *gatedObserver) Observe(e resource.Event) {
	if e.Type == resource.Registered && e.Kind == "gated" {
		close(o.entered)
		<-o.gate
	}
	o.mu.Lock()
	o.events = append(o.events, e)
	o.mu.Unlock()
}

// gated returns the types of the events of kind "gated", in order.
func (o *gatedObserver) gated() []resource.EventType {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []resource.EventType
	for _, e := range o.events {
		if e.Kind == "gated" {
			out = append(out, e.Type)
		}
	}
	return out
}

// TestRegisteredIsFirstEvent: an observer that keeps the set of live
// resources (add on Registered, delete on Released) must see a resource's
// Registered before any other of its events, or it keeps a resource that
// is gone forever. Nothing may release a resource before its Registered
// event has been delivered: not ReleaseMatching, Reclaim, a TTL or
// Shutdown, which all find resources in the live table, where a new one
// appears before its registration returns.
func TestRegisteredIsFirstEvent(t *testing.T) {
	releasers := []struct {
		name string
		run  func(r *resource.Registry)
	}{
		{"ReleaseMatching", func(r *resource.Registry) {
			_ = r.ReleaseMatching(context.Background(), func(resource.Info) bool { return true })
		}},
		{"Reclaim", func(r *resource.Registry) { _, _ = r.Reclaim(context.Background(), 0) }},
		{"TTL", func(*resource.Registry) { advance(time.Hour) }},
		{"Shutdown", func(r *resource.Registry) { _ = r.Shutdown(context.Background()) }},
	}
	forms := []string{"Register", "DependsOn", "Track"} // Track: LeaksOff with plain options (recycle.go's path)
	for _, rel := range releasers {
		for _, form := range forms {
			deps := form == "DependsOn"
			if form == "Track" && (rel.name == "Reclaim" || rel.name == "TTL") {
				continue // needs options that are not plain
			}
			t.Run(rel.name+"/"+form, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					obs := &gatedObserver{entered: make(chan struct{}), gate: make(chan struct{})}
					r := newRegistry(t, &resource.Options{Observer: obs, Leaks: resource.LeaksOff})
					opts := []resource.Option{resource.WithKind("gated"), resource.Reclaimable(), resource.WithTTL(time.Minute)}
					if deps {
						opts = append(opts, resource.DependsOn(mustRegister(t, r, func(context.Context) error { return nil })))
					}
					var id resource.ID
					var err error
					done := make(chan struct{})
					go func() {
						defer close(done)
						if form == "Track" {
							var g *resource.Guard[int]
							g, err = resource.Track(r, 1, func(context.Context, int) error { return nil }, resource.WithKind("gated"))
							if err == nil {
								id = g.ID()
							}
							return
						}
						id, err = r.Register(func(context.Context) error { return nil }, opts...)
					}()
					<-obs.entered
					// The releaser runs while the event is held; it may
					// wait for the new resource (a dependency of it is
					// released after it; Shutdown waits for everything).
					released := make(chan struct{})
					go func() {
						defer close(released)
						rel.run(r)
					}()
					synctest.Wait()
					close(obs.gate)
					<-done
					<-released
					// DependsOn on a resource claimed while linking is
					// refused (see the package's caveats).
					if err != nil && !(deps && (errors.Is(err, resource.ErrReleased) || errors.Is(err, resource.ErrShuttingDown))) {
						t.Fatalf("Register: %v", err)
					}
					if err := r.Shutdown(context.Background()); err != nil {
						t.Fatalf("Shutdown: %v", err)
					}
					// A registration refused after its Registered event
					// ends with Detached (its cleanup never runs).
					end := resource.Released
					if err != nil {
						end = resource.Detached
					}
					got := obs.gated()
					if len(got) < 2 || got[0] != resource.Registered || !slices.Contains(got, end) {
						t.Errorf("events of %v (Register err %v): %v; want Registered first, then %v", id, err, got, end)
					}
				})
			})
		}
	}
}

// TestReleaseByIDDuringRegistered: while a resource's Registered event is
// delivered nothing else can claim it, but the observer itself may release
// it by its ID (as a test that injects a release racing a registration
// does): the release runs the cleanup once, and the registration still
// succeeds.
func TestReleaseByIDDuringRegistered(t *testing.T) {
	for _, form := range []string{"Register", "DependsOn", "Track"} {
		t.Run(form, func(t *testing.T) {
			var r *resource.Registry
			released := make(chan error, 1)
			obs := resource.ObserverFunc(func(e resource.Event) {
				if e.Type == resource.Registered && e.Kind == "gated" {
					released <- r.Release(context.Background(), e.ID)
				}
			})
			r = newRegistry(t, &resource.Options{Observer: obs, Leaks: resource.LeaksOff})
			var calls atomic.Int32
			cleanup := func(context.Context) error { calls.Add(1); return nil }
			var err error
			switch form {
			case "Register":
				_, err = r.Register(cleanup, resource.WithKind("gated"))
			case "DependsOn":
				dep := mustRegister(t, r, func(context.Context) error { return nil })
				_, err = r.Register(cleanup, resource.WithKind("gated"), resource.DependsOn(dep))
			case "Track":
				_, err = resource.Track(r, 0, func(ctx context.Context, _ int) error { return cleanup(ctx) }, resource.WithKind("gated"))
			}
			mustOK(t, err)
			if err := <-released; err != nil || calls.Load() != 1 {
				t.Errorf("Release by ID in the Registered event = %v, cleanup ran %d times; want nil, 1", err, calls.Load())
			}
		})
	}
}

// TestNewIdleResourceLooksJustTouched: a resource with an idle timeout is
// in the table (Info, All, Reclaim's candidates) from the instant it is
// published; its last touch must already be its birth then, not the
// registry's epoch (which made it look idle since the registry began:
// Reclaim's least recently used, or already expired). The observer looks
// at it in its Registered event.
func TestNewIdleResourceLooksJustTouched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *resource.Registry
		var got resource.Info
		obs := resource.ObserverFunc(func(e resource.Event) {
			if e.Type == resource.Registered {
				got, _ = r.Info(e.ID)
			}
		})
		r = newRegistry(t, &resource.Options{Observer: obs})
		advance(time.Hour)
		mustRegister(t, r, func(context.Context) error { return nil }, resource.WithIdleTimeout(time.Minute))
		if !got.LastTouch.Equal(got.Created) {
			t.Errorf("Info in the Registered event: LastTouch %v, Created %v; want equal", got.LastTouch, got.Created)
		}
	})
}

// TestObserverReleasesDependencyDuringRegistered: an observer may release
// other resources in any event, among them one that the resource being
// announced depends on. That release must not wait for the announced
// resource, whose registration waits for the observer to return: it
// deadlocked. The registration is then refused (the resource it depends
// on is gone) and ends with Detached; its cleanup never runs.
func TestObserverReleasesDependencyDuringRegistered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *resource.Registry
		var parent resource.ID
		released := make(chan error, 1)
		rec := &recorder{}
		obs := resource.ObserverFunc(func(e resource.Event) {
			rec.Observe(e)
			if e.Type == resource.Registered && e.Kind == "child" {
				released <- r.Release(context.Background(), parent)
			}
		})
		r = newRegistry(t, &resource.Options{Observer: obs})
		var parentCleaned, childCleaned atomic.Int32
		parent = mustRegister(t, r, func(context.Context) error { parentCleaned.Add(1); return nil })
		child, err := r.Register(func(context.Context) error { childCleaned.Add(1); return nil },
			resource.WithKind("child"), resource.DependsOn(parent))
		if rerr := <-released; rerr != nil || parentCleaned.Load() != 1 {
			t.Errorf("Release of the dependency in the Registered event = %v, its cleanup ran %d times; want nil, 1", rerr, parentCleaned.Load())
		}
		if !errors.Is(err, resource.ErrReleased) || childCleaned.Load() != 0 {
			t.Errorf("Register = %v, %v, cleanup ran %d times; want ErrReleased, 0 runs", child, err, childCleaned.Load())
		}
		var types []resource.EventType
		rec.mu.Lock()
		for _, e := range rec.events {
			if e.Kind == "child" {
				types = append(types, e.Type)
			}
		}
		rec.mu.Unlock()
		if want := []resource.EventType{resource.Registered, resource.Detached}; !slices.Equal(types, want) {
			t.Errorf("events of the refused registration: %v, want %v", types, want)
		}
		if r.Len() != 0 {
			t.Errorf("Len = %d, want 0", r.Len())
		}
	})
}

// TestDependsOnDuringRegistered: an observer may register a resource that
// depends on the one being announced (it knows its ID from the event). The
// announced resource cannot be claimed by anyone else yet, but it is in
// the registry: the registration must succeed (it failed with ErrReleased),
// and releasing the announced resource releases the dependent first.
func TestDependsOnDuringRegistered(t *testing.T) {
	for _, form := range []string{"Register", "DependsOn"} {
		t.Run(form, func(t *testing.T) {
			var r *resource.Registry
			c := &counter{}
			regErr := make(chan error, 1)
			obs := resource.ObserverFunc(func(e resource.Event) {
				if e.Type == resource.Registered && e.Kind == "parent" {
					_, err := r.Register(c.fn("child"), resource.WithKind("child"), resource.DependsOn(e.ID))
					regErr <- err
				}
			})
			r = newRegistry(t, &resource.Options{Observer: obs})
			opts := []resource.Option{resource.WithKind("parent")}
			if form == "DependsOn" {
				opts = append(opts, resource.DependsOn(mustRegister(t, r, c.fn("grandparent"))))
			}
			parent := mustRegister(t, r, c.fn("parent"), opts...)
			if err := <-regErr; err != nil {
				t.Fatalf("Register with DependsOn(the announced resource) = %v, want nil", err)
			}
			mustOK(t, r.Release(context.Background(), parent))
			if got := c.seq(); !slices.Equal(got, []string{"child", "parent"}) {
				t.Errorf("cleanups %v, want [child parent]", got)
			}
		})
	}
}

// TestDependsOnRacingShutdownFails: a registration racing Shutdown either
// fails with ErrShuttingDown or is released by Shutdown. A DependsOn
// registration whose dependency Shutdown claimed before it could link to
// it failed with ErrReleased instead (the package caveats promise
// ErrShuttingDown once Shutdown began). The observer holds the new
// resource's Registered event while Shutdown releases the dependency.
func TestDependsOnRacingShutdownFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := &gatedObserver{entered: make(chan struct{}), gate: make(chan struct{})}
		r, err := resource.NewRegistry(&resource.Options{Observer: obs})
		if err != nil {
			t.Fatal(err)
		}
		var parentCleaned, childCleaned atomic.Int32
		parent := mustRegister(t, r, func(context.Context) error { parentCleaned.Add(1); return nil })
		regErr := make(chan error, 1)
		go func() {
			_, err := r.Register(func(context.Context) error { childCleaned.Add(1); return nil },
				resource.WithKind("gated"), resource.DependsOn(parent))
			regErr <- err
		}()
		<-obs.entered
		shut := make(chan error, 1)
		go func() { shut <- r.Shutdown(context.Background()) }()
		synctest.Wait() // Shutdown has claimed the dependency and waits for the new resource
		close(obs.gate)
		err = <-regErr
		if err := <-shut; err != nil {
			t.Errorf("Shutdown = %v", err)
		}
		switch {
		case err == nil && childCleaned.Load() == 1: // released by Shutdown
		case errors.Is(err, resource.ErrShuttingDown) && childCleaned.Load() == 0:
		default:
			t.Errorf("Register racing Shutdown = %v, cleanup ran %d times; want ErrShuttingDown (0 runs) or nil (1 run)", err, childCleaned.Load())
		}
		if parentCleaned.Load() != 1 {
			t.Errorf("dependency cleaned %d times, want 1", parentCleaned.Load())
		}
	})
}
