package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestGetOrLoadDedup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newInt(t, &Options[int, int]{MaxEntries: 10})
		var calls atomic.Int32
		release := make(chan struct{})
		load := func(ctx context.Context, k int) (int, error) {
			calls.Add(1)
			<-release
			return k * 10, nil
		}
		const callers = 8
		var wg sync.WaitGroup
		results := make([]int, callers)
		for i := range callers {
			wg.Go(func() {
				v, err := c.GetOrLoad(context.Background(), 7, load)
				if err != nil {
					t.Errorf("GetOrLoad: %v", err)
				}
				results[i] = v
			})
		}
		synctest.Wait() // every caller is waiting on the one load
		if got := calls.Load(); got != 1 {
			t.Fatalf("loader called %d times while running, want 1", got)
		}
		close(release)
		wg.Wait()
		for i, v := range results {
			if v != 70 {
				t.Fatalf("caller %d got %d, want 70", i, v)
			}
		}
		if v, ok := c.Get(7); !ok || v != 70 {
			t.Fatalf("Get(7) = %d, %v after load, want 70, true", v, ok)
		}
		s := c.Stats()
		if s.LoadSuccesses != 1 || s.LoadFailures != 0 {
			t.Fatalf("Stats loads = %d ok / %d failed, want 1 / 0", s.LoadSuccesses, s.LoadFailures)
		}
	})
}

func TestGetOrLoadErrorNotCached(t *testing.T) {
	c := newInt(t, &Options[int, int]{MaxEntries: 10})
	boom := errors.New("boom")
	calls := 0
	load := func(ctx context.Context, k int) (int, error) {
		calls++
		if calls == 1 {
			return 0, boom
		}
		return 5, nil
	}
	if _, err := c.GetOrLoad(context.Background(), 1, load); !errors.Is(err, boom) {
		t.Fatalf("first GetOrLoad error = %v, want boom", err)
	}
	if _, ok := c.Get(1); ok {
		t.Fatalf("failed load was cached")
	}
	if v, err := c.GetOrLoad(context.Background(), 1, load); err != nil || v != 5 {
		t.Fatalf("second GetOrLoad = %d, %v, want 5, nil", v, err)
	}
	if v, err := c.GetOrLoad(context.Background(), 1, load); err != nil || v != 5 || calls != 2 {
		t.Fatalf("third GetOrLoad = %d, %v with %d loads, want a hit", v, err, calls)
	}
	s := c.Stats()
	if s.LoadSuccesses != 1 || s.LoadFailures != 1 || s.Hits != 1 || s.Misses != 3 {
		t.Fatalf("Stats = %+v, want 1 load ok, 1 failed, 1 hit, 3 misses (one from Get)", s)
	}
}

func TestGetOrLoadPanic(t *testing.T) {
	c := newInt(t, &Options[int, int]{MaxEntries: 10})
	_, err := c.GetOrLoad(context.Background(), 1, func(context.Context, int) (int, error) { panic("kaput") })
	if err == nil || !strings.Contains(err.Error(), "kaput") {
		t.Fatalf("GetOrLoad error = %v, want the panic", err)
	}
}

// TestGetOrLoadCancelledWaiter checks that a caller whose context ends
// returns at once while the load goes on for the others and is stored.
func TestGetOrLoadCancelledWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newInt(t, &Options[int, int]{MaxEntries: 10})
		release := make(chan struct{})
		var loadCtxErr error
		load := func(ctx context.Context, k int) (int, error) {
			<-release
			loadCtxErr = ctx.Err()
			return 42, nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		first := make(chan error, 1)
		go func() {
			_, err := c.GetOrLoad(ctx, 1, load)
			first <- err
		}()
		second := make(chan int, 1)
		go func() {
			v, _ := c.GetOrLoad(context.Background(), 1, load)
			second <- v
		}()
		synctest.Wait()
		cancel()
		if err := <-first; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled caller got %v, want context.Canceled", err)
		}
		close(release)
		if v := <-second; v != 42 {
			t.Fatalf("other caller got %d, want 42", v)
		}
		if loadCtxErr != nil {
			t.Fatalf("load saw ctx error %v, want none", loadCtxErr)
		}
		if v, ok := c.Get(1); !ok || v != 42 {
			t.Fatalf("Get(1) = %d, %v, want 42, true", v, ok)
		}
	})
}

// loadUntilCancelled starts a GetOrLoad of key whose loader runs until
// its context ends, and returns once the loader runs; GetOrLoad's error
// arrives on the returned channel.
func loadUntilCancelled(c *Cache[int, int], key int) <-chan error {
	started, done := make(chan struct{}), make(chan error, 1)
	go func() {
		_, err := c.GetOrLoad(context.Background(), key, func(ctx context.Context, _ int) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		done <- err
	}()
	<-started
	return done
}

// TestCloseCancelsLoads checks that Close cancels running loads and waits
// for them, and that GetOrLoad afterwards fails with ErrClosed.
func TestCloseCancelsLoads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(&Options[int, int]{MaxEntries: 10, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		done := loadUntilCancelled(c, 1)
		c.Close()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("load during Close returned %v, want context.Canceled", err)
		}
		if _, err := c.GetOrLoad(context.Background(), 1, nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("GetOrLoad after Close = %v, want ErrClosed", err)
		}
	})
}
