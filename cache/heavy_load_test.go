package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// TestGetOrLoadTooHeavyTracked: a loaded value that holds a resource and
// weighs more than MaxWeight is evicted, so released and closed, by its
// own store. GetOrLoad must not hand it out: every waiter of the load gets
// ErrTooHeavy (naming the weight and the bound), and the value is closed
// once.
func TestGetOrLoadTooHeavyTracked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(&Options[string, *conn]{MaxWeight: 1, Weigher: func(string, *conn) int64 { return 2 }, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		v := &conn{name: "v"}
		gate := make(chan struct{})
		load := func(context.Context, string) (*conn, error) { <-gate; return v, nil }
		const waiters = 3
		var wg sync.WaitGroup
		got := make([]*conn, waiters)
		errs := make([]error, waiters)
		for i := range waiters {
			wg.Go(func() { got[i], errs[i] = c.GetOrLoad(bg, "k", load) })
		}
		synctest.Wait() // all waiting on the one load
		close(gate)
		wg.Wait()
		synctest.Wait()
		for i := range waiters {
			if got[i] != nil || !errors.Is(errs[i], ErrTooHeavy) {
				t.Errorf("waiter %d: GetOrLoad = %v, %v; want nil, ErrTooHeavy (v closed %d times)", i, got[i], errs[i], v.closes.Load())
				continue
			}
			if want := "weight 2 over the bound 1"; !strings.Contains(errs[i].Error(), want) {
				t.Errorf("waiter %d: error %q does not contain %q", i, errs[i], want)
			}
		}
		if n := v.closes.Load(); n != 1 {
			t.Errorf("v closed %d times, want 1", n)
		}
		if _, ok := c.Get("k"); ok {
			t.Error("Get(k) hit after the heavy value was evicted")
		}
		c.Close()
		if err := reg.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if n := v.closes.Load(); n != 1 {
			t.Errorf("after Shutdown: v closed %d times, want 1", n)
		}
	})
}

// TestGetOrLoadTooHeavyUntracked: without a Registry the cache never
// closes a value, so a value heavier than MaxWeight is still returned
// (and not cached), as before.
func TestGetOrLoadTooHeavyUntracked(t *testing.T) {
	c, err := New(&Options[string, *conn]{MaxWeight: 1, Weigher: func(string, *conn) int64 { return 2 }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v := &conn{name: "v"}
	got, err := c.GetOrLoad(context.Background(), "k", func(context.Context, string) (*conn, error) { return v, nil })
	if got != v || err != nil {
		t.Fatalf("GetOrLoad = %v, %v; want v, nil", got, err)
	}
	if _, ok := c.Get("k"); ok {
		t.Error("Get(k) hit: a value heavier than MaxWeight stayed cached")
	}
	if n := v.closes.Load(); n != 0 {
		t.Errorf("untracked v closed %d times, want 0", n)
	}
}

// TestGetOrLoadTooHeavyHeldElsewhere: a loaded value too heavy to stay
// under its key, and also cached under another key (one registration),
// fails GetOrLoad with ErrTooHeavy as any tracked value too heavy, but
// is not closed: the other entry still holds it.
func TestGetOrLoadTooHeavyHeldElsewhere(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		weigh := func(k string, _ *conn) int64 {
			if k == "heavy" {
				return 3
			}
			return 1
		}
		c, err := New(&Options[string, *conn]{MaxWeight: 2, Weigher: weigh, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		v := &conn{name: "v"}
		c.Set("a", v)
		got, err := c.GetOrLoad(bg, "heavy", func(context.Context, string) (*conn, error) { return v, nil })
		if got != nil || !errors.Is(err, ErrTooHeavy) {
			t.Errorf("GetOrLoad = %v, %v; want nil, ErrTooHeavy", got, err)
		} else if want := "weight 3 over the bound 2"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
		synctest.Wait()
		if n := v.closes.Load(); n != 0 {
			t.Errorf("v closed %d times while entry a holds it, want 0", n)
		}
		if g, ok := c.Get("a"); g != v || !ok {
			t.Errorf("Get(a) = %v, %v; want v, true", g, ok)
		}
		c.Close()
		if err := reg.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if n := v.closes.Load(); n != 1 {
			t.Errorf("after Close: v closed %d times, want 1", n)
		}
	})
}

// TestTooHeavyReleasedBeforeStored: the registry releases the
// registration of a Set of a value heavier than MaxWeight before the
// store, which then evicts it at once: nothing holds v any more, so it
// must be closed, once.
func TestTooHeavyReleasedBeforeStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(&Options[string, *conn]{MaxWeight: 1, Weigher: func(string, *conn) int64 { return 2 }, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		v := &conn{name: "v"}
		p := &parkOnRegister{parked: make(chan parkedSet)}
		c.tracker.registered = p.registered
		var wg sync.WaitGroup
		set := p.set(&wg, c, "v", v)
		if err := reg.Release(bg, set.id); err != nil {
			t.Fatal(err)
		}
		close(set.gate)
		wg.Wait()
		synctest.Wait()
		if n := v.closes.Load(); n != 1 {
			t.Errorf("v closed %d times once the Set returned, want 1", n)
		}
		c.Close()
		if err := reg.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		synctest.Wait()
		if n := v.closes.Load(); n != 1 {
			t.Errorf("after Shutdown: v closed %d times, want 1", n)
		}
		checkSettled(t, c)
	})
}
