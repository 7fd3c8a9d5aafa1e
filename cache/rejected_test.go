package cache_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/cache"
	"github.com/patinox/memory/resource"
)

// closeCounter is a value holding a resource: it counts its closes.
type closeCounter struct{ closes atomic.Int32 }

func (c *closeCounter) Close() error { c.closes.Add(1); return nil }

// TestGetOrLoadRejectedByPolicy: a Policy may turn the newest entry away
// (its Evictor returns it as the victim: "admission rejected it"). A
// loaded value that holds a resource is then released by its own store;
// GetOrLoad must fail with ErrRejected, not hand out a value being closed.
func TestGetOrLoadRejectedByPolicy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := cache.New(&cache.Options[string, *closeCounter]{MaxEntries: 1, Policy: mru{}, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		c.Set("a", &closeCounter{})
		v := &closeCounter{}
		got, err := c.GetOrLoad(bg, "k", func(context.Context, string) (*closeCounter, error) { return v, nil })
		synctest.Wait()
		if got != nil || !errors.Is(err, cache.ErrRejected) {
			t.Errorf("GetOrLoad = %v, %v; want nil, ErrRejected (v closed %d times)", got, err, v.closes.Load())
		}
		if n := v.closes.Load(); n != 1 {
			t.Errorf("v closed %d times, want 1", n)
		}
		if err := c.Close(); err != nil {
			t.Error(err)
		}
		if err := reg.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
}
