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
		destroy, _ := failingFirstDestroy(b, nil)
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
		gate, destroying := make(chan struct{}), make(chan struct{}, 1)
		destroy, calls := failingFirstDestroy(b, func() {
			destroying <- struct{}{}
			<-gate
		})
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		ctx := context.Background()
		l := mustAcquire(t, p)
		id := connID(r)
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

// failingFirstDestroy returns a destroy for b whose first call fails with
// a transient error (the registry retries it), after calling before if it
// is not nil, and the count of its calls.
func failingFirstDestroy(b *backend, before func()) (func(context.Context, *fconn) error, *atomic.Int32) {
	calls := new(atomic.Int32)
	return func(ctx context.Context, c *fconn) error {
		if calls.Add(1) == 1 {
			if before != nil {
				before()
			}
			return errors.New("transient")
		}
		return b.destroy(ctx, c)
	}, calls
}

// connID returns the registry ID of the (last listed) connection of kind
// pool-conn in r.
func connID(r *resource.Registry) resource.ID {
	var id resource.ID
	for info := range r.All() {
		if info.Kind == "pool-conn" {
			id = info.ID
		}
	}
	return id
}

// releasingNewConn returns a registry with options o and an Observer that
// releases the first connection registered while armed is true (nil: the
// very first), from its Registered event: on the goroutine creating it,
// before the pool adds it. The release waits a minute at most, so when
// its destroy fails the retry goes to the registry's scheduler.
func releasingNewConn(t testing.TB, o resource.Options, armed *atomic.Bool) *resource.Registry {
	t.Helper()
	if armed == nil {
		armed = new(atomic.Bool)
		armed.Store(true)
	}
	var r *resource.Registry
	o.Observer = resource.ObserverFunc(func(e resource.Event) {
		if e.Type != resource.Registered || e.Kind != "pool-conn" || !armed.CompareAndSwap(true, false) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = r.Release(ctx, e.ID) // fails, its retry handed to the scheduler after a minute
	})
	r = mustRegistry(t, &o)
	return r
}
