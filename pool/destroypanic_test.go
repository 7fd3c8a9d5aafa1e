package pool

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestTryAcquireEvictPanicFreesSlot: without a
// registry, TryAcquire at MaxTotal evicts another key's idle connection on
// its own goroutine (evictIdleKeepingSlot). If that destroy panics, the
// panic reaches the caller with the victim's size, retiring and global slot
// never given back: key a's sub-pool counts a connection forever and
// MaxTotal is never reachable again (TryAcquire: ErrExhausted; Acquire
// waits forever).
func TestTryAcquireEvictPanicFreesSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &keyedBackend{live: map[string]int{}, maxTotal: 1}
		var calls atomic.Int32
		destroy := func(ctx context.Context, c *kconn) error {
			if calls.Add(1) == 1 {
				panic("destroy bug")
			}
			return b.destroy(ctx, c)
		}
		k, err := NewKeyed(b.create, destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 1, MaxTotal: 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		l, err := k.Acquire(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		l.Release() // a: one idle connection, the only global slot
		func() {
			defer func() {
				if v := recover(); v != "destroy bug" {
					t.Errorf("TryAcquire(b) evicting a's connection: recovered %v, want the destroy's panic", v)
				}
			}()
			if l, err := k.TryAcquire(ctx, "b"); err == nil {
				l.Release()
			}
		}()
		synctest.Wait()
		if s := k.Stats().Total; s.Size != 0 {
			t.Errorf("after the panicking destroy: Stats.Total.Size = %d, want 0 (the connection is gone from the pool)", s.Size)
		}
		l, err = k.TryAcquire(ctx, "b")
		if err != nil {
			t.Errorf("TryAcquire(b) with no connection left in the Keyed: got %v, want a lease", err)
		} else {
			l.Release()
		}
		if err := k.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// TestCloseOnWorkerWhileConnQueued: in the Running
// phase, a connection's cleanup is queued on the registry's scheduler
// (ReleaseAsync of its ID) while the only worker runs another resource's
// cleanup that Closes the pool. Close retires the idle connection, finds it
// claimed (regPending) and waits for the queued cleanup, which needs the
// worker Close is holding: Close stalls until its ctx ends (CleanupTimeout,
// 30s by default) and then fails.
func TestCloseOnWorkerWhileConnQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{Workers: 1})
		b := newBackend(1)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		mustAcquire(t, p).Release() // one idle connection
		id := connID(r)
		gate := make(chan struct{})
		type result struct {
			err     error
			elapsed time.Duration
		}
		closed := make(chan result, 1)
		owner, err := r.Register(func(ctx context.Context) error {
			<-gate
			start := time.Now()
			err := p.Close(ctx)
			closed <- result{err, time.Since(start)}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.ReleaseAsync(owner); err != nil { // takes the only worker
			t.Fatal(err)
		}
		synctest.Wait()
		if err := r.ReleaseAsync(id); err != nil { // queued behind it
			t.Fatal(err)
		}
		synctest.Wait()
		close(gate)
		res := <-closed
		if res.err != nil || res.elapsed > 0 {
			t.Errorf("Close on the registry's only worker, connection's cleanup queued: got %v after %v, want nil at once", res.err, res.elapsed)
		}
		synctest.Wait()
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.verify(t, true)
	})
}
