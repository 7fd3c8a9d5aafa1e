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

// TestCloseDuringShutdownAfterRetriedRegistryDestroy: the registry claims a
// connection (Registry.Release of its ID), the pool retires it meanwhile
// (Lease.Destroy), so runDestroy leaves its accounting to the registry's
// cleanup (regClaimed). That cleanup's first attempt fails (a transient
// error, classified Retry); forget does the accounting then. The retry
// calls regStart again, which counts regRunning++ a second time for the
// same connection, and its forget returns early (regRan): regRunning stays
// at 1 forever. A later Close during Shutdown waits for regRunning to reach
// 0 (awaitRegistryDestroys) and so hangs until its ctx ends, and Shutdown
// waits for that Close (the pool's registry cleanup waits for p.done).
func TestCloseDuringShutdownAfterRetriedRegistryDestroy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{MaxAttempts: 2, RetryBackoff: time.Millisecond, Workers: 1})
		b := newBackend(1)
		var calls atomic.Int32
		gate, destroying := make(chan struct{}), make(chan struct{}, 1)
		destroy := func(ctx context.Context, c *fconn) error {
			if calls.Add(1) == 1 {
				destroying <- struct{}{}
				<-gate
				return errors.New("transient")
			}
			return b.destroy(ctx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		ctx := context.Background()
		l := mustAcquire(t, p)
		var id resource.ID
		for info := range r.All() {
			if info.Kind == "pool-conn" {
				id = info.ID
			}
		}
		released := inBackground(func() error { return r.Release(ctx, id) })
		<-destroying // the registry's cleanup of the connection has begun
		l.Destroy()  // the pool retires it: Release says ErrReleased, regClaimed
		synctest.Wait()
		close(gate) // first attempt fails, the retry succeeds
		<-released
		synctest.Wait()
		advance(time.Second) // any retry backoff
		if got := calls.Load(); got != 2 {
			t.Fatalf("destroy calls: got %d, want 2 (one failed attempt, one retry)", got)
		}
		if s := p.Stats(); s.Size != 0 {
			t.Fatalf("Stats.Size after the registry destroyed the connection: got %d, want 0", s.Size)
		}

		// Shutdown begins; a High cleanup holds its only worker (so the
		// pool is not closed by it yet) in PhaseDraining while
		// the owner closes the (empty) pool.
		hold, holding := make(chan struct{}), make(chan struct{})
		if _, err := r.Register(func(context.Context) error {
			close(holding)
			<-hold
			return nil
		}, resource.WithPriority(resource.High)); err != nil {
			t.Fatal(err)
		}
		sctx, scancel := context.WithTimeout(ctx, time.Hour)
		defer scancel()
		shut := inBackground(func() error { return r.Shutdown(sctx) })
		<-holding
		cctx, ccancel := context.WithTimeout(ctx, time.Minute)
		defer ccancel()
		start := time.Now()
		err := p.Close(cctx)
		if err != nil || time.Since(start) > 0 {
			t.Errorf("Close of an empty pool during Shutdown: got %v after %v, want nil at once", err, time.Since(start))
		}
		close(hold)
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.verify(t, true)
	})
}
