package cache

import (
	"context"
	"errors"
	"math"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// TestGetOrLoadGoexit checks that a loader that ends its goroutine with
// runtime.Goexit (t.FailNow or t.SkipNow in a test's loader) fails the
// callers waiting for it instead of leaving them, and every later
// GetOrLoad of the key, waiting forever.
func TestGetOrLoadGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newInt(t, &Options[int, int]{MaxEntries: 10})
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		_, err := c.GetOrLoad(ctx, 1, func(context.Context, int) (int, error) {
			runtime.Goexit()
			return 0, nil
		})
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("GetOrLoad with a loader calling runtime.Goexit = %v, want an error at once", err)
		}
		v, err := c.GetOrLoad(ctx, 1, func(context.Context, int) (int, error) { return 7, nil })
		if err != nil || v != 7 {
			t.Fatalf("next GetOrLoad = %d, %v; want 7, nil (errors are not cached)", v, err)
		}
		if s := c.Stats(); s.LoadFailures != 1 || s.LoadSuccesses != 1 {
			t.Fatalf("Stats loads = %d ok / %d failed, want 1 / 1", s.LoadSuccesses, s.LoadFailures)
		}
	})
}

// TestGetOrLoadNaNKeyLeavesNothing checks that loads of a key not equal to
// itself (NaN: never stored, never shared) leave no call behind: a map
// entry keyed by NaN can never be deleted, so each such GetOrLoad would
// keep its call for the life of the cache.
func TestGetOrLoadNaNKeyLeavesNothing(t *testing.T) {
	c, err := New(&Options[float64, int]{MaxEntries: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		v, err := c.GetOrLoad(context.Background(), math.NaN(), func(context.Context, float64) (int, error) { return i, nil })
		if err != nil || v != i {
			t.Fatalf("GetOrLoad(NaN) = %d, %v; want %d, nil", v, err, i)
		}
	}
	c.loads.mu.Lock()
	n := len(c.loads.calls)
	c.loads.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d loads of NaN keys still recorded after they returned, want 0", n)
	}
}

// TestOnEvictOnLoadGoroutineMayCallBack checks that OnEvict, when the
// store of a loaded value removes an entry and so runs on the load's
// goroutine, may call back into the cache like anywhere else: GetOrLoad of
// the loaded key (which its own store evicted) and Close.
func TestOnEvictOnLoadGoroutineMayCallBack(t *testing.T) {
	for _, tt := range []struct {
		name    string
		onEvict func(c *Cache[int, int], k int) error
	}{
		{"GetOrLoad of the evicted key", func(c *Cache[int, int], k int) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			_, err := c.GetOrLoad(ctx, k, func(context.Context, int) (int, error) { return 1, nil })
			return err
		}},
		{"Close", func(c *Cache[int, int], _ int) error { return c.Close() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var c *Cache[int, int]
				called := make(chan error, 1)
				c = newInt(t, &Options[int, int]{MaxWeight: 1, Weigher: func(_, v int) int64 { return int64(v) },
					OnEvict: func(k, _ int, why Reason) {
						if why == Capacity && k == 5 {
							called <- tt.onEvict(c, k)
						}
					}})
				// Weight 2 > MaxWeight: the store evicts the loaded entry at once.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
				defer cancel()
				v, err := c.GetOrLoad(ctx, 5, func(context.Context, int) (int, error) { return 2, nil })
				if err != nil || v != 2 {
					t.Fatalf("GetOrLoad = %d, %v; want 2, nil", v, err)
				}
				synctest.Wait()
				select {
				case err := <-called:
					if err != nil {
						t.Fatalf("%s from OnEvict on the load's goroutine = %v, want nil", tt.name, err)
					}
				default:
					t.Fatalf("OnEvict did not return (or was not called)")
				}
			})
		})
	}
}

// TestLoadCancelledByCloseIsErrClosed: a load that Close cancels fails
// its callers with an error matching ErrClosed (and the loader's own
// error), so that a caller, whose own context is alive, can tell the
// cache's shutdown from a failure of its own.
func TestLoadCancelledByCloseIsErrClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newInt(t, &Options[int, int]{MaxEntries: 10})
		done := loadUntilCancelled(c, 1)
		c.Close()
		if err := <-done; !errors.Is(err, ErrClosed) || !errors.Is(err, context.Canceled) {
			t.Fatalf("GetOrLoad whose load Close cancelled = %v; want an error matching ErrClosed and context.Canceled", err)
		}
	})
}
