package resource_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// slowObserver records event types in order; it holds the first event of
// type slow at its door until the test opens gate, as a slow observer (or
// a releasing goroutine descheduled just before it reports) would.
type slowObserver struct {
	slow    resource.EventType
	entered chan struct{}
	gate    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	types   []resource.EventType
}

func (o *slowObserver) Observe(e resource.Event) {
	if e.Type == o.slow {
		o.once.Do(func() { close(o.entered); <-o.gate })
	}
	o.mu.Lock()
	o.types = append(o.types, e.Type)
	o.mu.Unlock()
}

func (o *slowObserver) seen() []resource.EventType {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.types)
}

// TestShutdownDoneIsLastEvent: observers (metrics, the demo) take
// ShutdownDone as the registry's last word. A release on a caller's
// goroutine that finishes as Shutdown begins (Release, Guard.Release,
// Detach, Reclaim) must have its event delivered before ShutdownDone, even
// though the resource left the live table before Shutdown looked at it:
// Shutdown waits for the delivery.
func TestShutdownDoneIsLastEvent(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		slow    resource.EventType // the release's last event, held back
		release func(r *resource.Registry, id resource.ID) error
		opts    []resource.Option
	}{
		{name: "Release", slow: resource.Released,
			release: func(r *resource.Registry, id resource.ID) error { return r.Release(ctx, id) }},
		{name: "Detach", slow: resource.Detached,
			release: func(r *resource.Registry, id resource.ID) error { return r.Detach(id) }},
		{name: "ReleaseMatching", slow: resource.Released,
			release: func(r *resource.Registry, _ resource.ID) error {
				return r.ReleaseMatching(ctx, func(resource.Info) bool { return true })
			}},
		{name: "Reclaim", slow: resource.Reclaimed, opts: []resource.Option{resource.Reclaimable(), resource.WithSize(10)},
			release: func(r *resource.Registry, _ resource.ID) error { _, err := r.Reclaim(ctx, 10); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				obs := &slowObserver{slow: tc.slow, entered: make(chan struct{}), gate: make(chan struct{})}
				r, err := resource.NewRegistry(&resource.Options{Observer: obs})
				if err != nil {
					t.Fatal(err)
				}
				id := mustRegister(t, r, func(context.Context) error { return nil }, tc.opts...)
				released := make(chan error, 1)
				go func() { released <- tc.release(r, id) }()
				<-obs.entered // the resource is gone from the table; its event is on its way
				shut := make(chan error, 1)
				go func() { shut <- r.Shutdown(ctx) }()
				synctest.Wait()
				select {
				case err := <-shut:
					t.Errorf("Shutdown returned (%v) before the %v event of a release it raced was delivered", err, tc.slow)
					shut <- err
				default:
				}
				close(obs.gate)
				if err := <-released; err != nil {
					t.Errorf("%s: %v", tc.name, err)
				}
				if err := <-shut; err != nil {
					t.Errorf("Shutdown: %v", err)
				}
				got := obs.seen()
				if len(got) == 0 || got[len(got)-1] != resource.ShutdownDone || !slices.Contains(got, tc.slow) {
					t.Errorf("events %v; want %v among them and ShutdownDone last", got, tc.slow)
				}
			})
		})
	}
}
