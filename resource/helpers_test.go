package resource_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/patinox/memory/resource"
)

// newRegistry returns a registry that is shut down (and must shut down
// cleanly) when the test ends.
func newRegistry(t testing.TB, o *resource.Options) *resource.Registry {
	t.Helper()
	r, err := resource.NewRegistry(o)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown at cleanup: %v", err)
		}
	})
	return r
}

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []resource.Event
}

func (r *recorder) Observe(e resource.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) of(t resource.EventType) []resource.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []resource.Event
	for _, e := range r.events {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) count(t resource.EventType) int { return len(r.of(t)) }

// counter counts cleanup calls per name.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
	order []string
}

func (c *counter) fn(name string) func(context.Context) error {
	return func(context.Context) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.calls == nil {
			c.calls = map[string]int{}
		}
		c.calls[name]++
		c.order = append(c.order, name)
		return nil
	}
}

func (c *counter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

func (c *counter) seq() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.order...)
}

var errBoom = errors.New("boom")

// failing returns a cleanup that fails n times with err, then succeeds.
func failing(n int, err error, calls *atomic.Int32) func(context.Context) error {
	return func(context.Context) error {
		if int(calls.Add(1)) <= n {
			return err
		}
		return nil
	}
}

func mustRegister(t testing.TB, r *resource.Registry, fn func(context.Context) error, opts ...resource.Option) resource.ID {
	t.Helper()
	id, err := r.Register(fn, opts...)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return id
}
