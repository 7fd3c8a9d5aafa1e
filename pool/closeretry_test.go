package pool

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestCloseCtxEndsDuringRegistryRetry: Close destroys
// an idle connection through guard.Release(ctx) with Close's ctx. Its first
// attempt fails (Retry); ctx ends during the retry backoff, the registry
// hands the retry to its scheduler and Release returns that error. The pool
// then counts the connection destroyed and frees its slot (Stats.Size 0,
// EventDestroyed) although it is still live and is destroyed by the
// registry later, after Close returned.
func TestCloseCtxEndsDuringRegistryRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{MaxAttempts: 2, RetryBackoff: time.Hour, Workers: 1})
		b := newBackend(1)
		var calls atomic.Int32
		destroy := func(ctx context.Context, c *fconn) error {
			if calls.Add(1) == 1 {
				return errors.New("transient")
			}
			return b.destroy(ctx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		mustAcquire(t, p).Release() // one idle connection
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cerr := p.Close(ctx)
		_, _, live := b.counts()
		if s := p.Stats(); s.Size < live {
			t.Errorf("after Close (%v): Stats.Size = %d with %d connections live, want Size >= live", cerr, s.Size, live)
		}
		advance(2 * time.Hour) // the registry's retry
		synctest.Wait()
		if _, _, live := b.counts(); live != 0 {
			t.Errorf("after the retry: %d connections live, want 0", live)
		}
		if s := p.Stats(); s.Size != 0 {
			t.Errorf("after the retry: Stats.Size = %d, want 0", s.Size)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.verify(t, true)
	})
}
