package pool

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestRegistryRetryKeepsSlot: the registry destroys a connection, idle or
// leased (Registry.ReleaseAsync of its ID); the first attempt fails with a
// transient error and the registry retries it an hour later. Until then
// the connection is live: its slot must stay taken, so an Acquire meanwhile
// waits instead of creating a connection past MaxSize.
func TestRegistryRetryKeepsSlot(t *testing.T) {
	tests := []struct {
		name   string
		leased bool
	}{
		{name: "idle", leased: false},
		{name: "leased", leased: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := mustRegistry(t, &resource.Options{MaxAttempts: 2, RetryBackoff: time.Hour, Workers: 1})
				b := newBackend(1)
				destroy, calls := failingFirstDestroy(b, nil)
				p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
				held := mustAcquire(t, p)
				if !tt.leased {
					held.Release() // one idle connection
				}
				if err := r.ReleaseAsync(connID(r)); err != nil {
					t.Fatal(err)
				}
				synctest.Wait() // the first attempt failed; the retry waits an hour
				if got := calls.Load(); got != 1 {
					t.Fatalf("destroy calls: got %d, want 1", got)
				}
				if tt.leased {
					held.Release() // destroyed under its holder: nothing to return
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				l, err := p.Acquire(ctx)
				cancel()
				if err == nil {
					_, _, live := b.counts()
					t.Errorf("Acquire during the registry's retry backoff: got a lease with %d connections live, want it to wait (MaxSize 1)", live)
					l.Release()
				} else if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Acquire during the registry's retry backoff: %v, want DeadlineExceeded", err)
				}
				if s := p.Stats(); s.Size != 1 || s.InUse != 0 || s.Idle != 0 {
					t.Errorf("Stats during the retry backoff: Size %d, InUse %d, Idle %d; want 1, 0, 0 (the connection is live, out of service)", s.Size, s.InUse, s.Idle)
				}
				advance(2 * time.Hour) // the retry succeeds
				synctest.Wait()
				if s := p.Stats(); s.Size != 0 || s.Destroyed.Closed != 1 {
					t.Errorf("after the retry: Size %d, Destroyed.Closed %d; want 0, 1", s.Size, s.Destroyed.Closed)
				}
				mustAcquire(t, p).Release() // the slot is free again
				b.closeAndVerify(t, p)
				if err := r.Shutdown(context.Background()); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			})
		})
	}
}

// TestKeyedRegistryRetryKeepsGlobalSlot: as TestRegistryRetryKeepsSlot for
// a Keyed at MaxTotal: while the registry's retry of key a's connection is
// pending, an Acquire for key b must not create past MaxTotal.
func TestKeyedRegistryRetryKeepsGlobalSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{MaxAttempts: 2, RetryBackoff: time.Hour, Workers: 1})
		b := &keyedBackend{live: map[string]int{}, maxTotal: 1}
		first := true
		destroy := func(ctx context.Context, c *kconn) error {
			if first { // only the registry's worker destroys here, one at a time
				first = false
				return errors.New("transient")
			}
			return b.destroy(ctx, c)
		}
		k, err := NewKeyed(b.create, destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 1, MaxTotal: 1, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		l, err := k.Acquire(context.Background(), "a")
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		if err := r.ReleaseAsync(connID(r)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		l, err = k.Acquire(ctx, "b")
		cancel()
		if err == nil {
			t.Errorf("Acquire(b) during the registry's retry of a's connection: got a lease, want it to wait (MaxTotal 1)")
			l.Release()
		}
		advance(2 * time.Hour)
		synctest.Wait()
		if l, err = k.Acquire(context.Background(), "b"); err != nil {
			t.Fatalf("Acquire(b) after the retry: %v", err)
		}
		l.Release()
		if err := k.Close(context.Background()); err != nil {
			t.Error(err)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, err := range b.errs {
			t.Error(err)
		}
		if b.total != 0 {
			t.Errorf("after Close: %d connections live, want 0", b.total)
		}
	})
}

// TestRegistryRetryKeepsSlotOfConnectionInCreation: the registry destroys
// a connection before it joined the pool (here from the registry
// Observer's Registered event, while the pool's create is still in
// Track); the first attempt fails and the retry comes an hour later. The
// create must not free the slot of that still-live connection.
func TestRegistryRetryKeepsSlotOfConnectionInCreation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := releasingNewConn(t, resource.Options{MaxAttempts: 2, RetryBackoff: time.Hour, Workers: 1}, nil)
		b := newBackend(1)
		destroy, calls := failingFirstDestroy(b, nil)
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		got := leaseInBackground(t, p)
		advance(2 * time.Minute)
		synctest.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("destroy calls: got %d, want 1", n)
		}
		if s := p.Stats(); s.Size != 1 || s.Waiting != 1 {
			t.Errorf("Stats during the retry backoff: Size %d, Waiting %d; want 1, 1", s.Size, s.Waiting)
		}
		advance(2 * time.Hour) // the retry succeeds; the waiter gets a new connection
		l := <-got
		if l == nil {
			t.FailNow()
		}
		l.Release()
		b.closeAndVerify(t, p)
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
}

// TestShutdownWithRetriedDestroys: Registry.Shutdown of a pool whose
// connections (idle, leased, and one the pool retires meanwhile) each fail
// their first destroy: the retries run, Shutdown finishes, the pool is
// closed and empty, every connection destroyed once.
func TestShutdownWithRetriedDestroys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{MaxAttempts: 3, RetryBackoff: time.Second, Workers: 2})
		b := newBackend(4)
		failed := map[*fconn]bool{}
		destroy := func(ctx context.Context, c *fconn) error {
			b.mu.Lock()
			first := !failed[c]
			failed[c] = true
			b.mu.Unlock()
			if first {
				return errors.New("transient")
			}
			return b.destroy(ctx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 4, Registry: r})
		ls := []*Lease[*fconn]{mustAcquire(t, p), mustAcquire(t, p), mustAcquire(t, p), mustAcquire(t, p)}
		ls[0].Release()
		ls[1].Release()
		shut := inBackground(func() error { return r.Shutdown(context.Background()) })
		ls[2].Destroy() // the pool retires it while the registry may own it
		synctest.Wait()
		advance(time.Minute)
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ls[3].Release() // destroyed under its holder
		if s := p.Stats(); s.Size != 0 || s.InUse != 0 || s.Idle != 0 {
			t.Errorf("after Shutdown: Size %d, InUse %d, Idle %d; want 0, 0, 0", s.Size, s.InUse, s.Idle)
		}
		if err := p.Close(context.Background()); err != ErrClosed {
			t.Errorf("Close after Shutdown: got %v, want ErrClosed", err)
		}
		b.verify(t, true)
	})
}

// TestKeyedRegistryRetryStorm: acquires of three keys race the registry
// destroying connections at random (ReleaseAsync of their IDs), each destroy
// failing up to twice before the registry's retry succeeds: the backend
// never sees more than MaxTotal connections live, and none is lost.
func TestKeyedRegistryRetryStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxTotal, n = 3, 600
		r := mustRegistry(t, &resource.Options{MaxAttempts: 3, RetryBackoff: time.Millisecond, Workers: 2})
		b := &keyedBackend{live: map[string]int{}, maxTotal: maxTotal}
		var mu sync.Mutex
		fails := map[*kconn]int{}
		destroy := func(ctx context.Context, c *kconn) error {
			mu.Lock()
			fails[c]++
			fail := fails[c] <= 2 && rand.IntN(2) == 0
			mu.Unlock()
			if fail {
				return errors.New("transient")
			}
			return b.destroy(ctx, c)
		}
		k, err := NewKeyed(b.create, destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 2, MaxTotal: maxTotal, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{"a", "b", "c"}
		stop := make(chan struct{})
		killed := inBackground(func() error {
			for {
				select {
				case <-stop:
					return nil
				case <-time.After(time.Millisecond):
				}
				var ids []resource.ID
				for info := range r.All() {
					if info.Kind == "pool-conn" {
						ids = append(ids, info.ID)
					}
				}
				if len(ids) > 0 {
					_ = r.ReleaseAsync(ids[rand.IntN(len(ids))]) // ErrReleased if it lost a race
				}
			}
		})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				l, err := k.Acquire(ctx, keys[i%len(keys)])
				if err != nil {
					return // timed out behind the others
				}
				<-time.After(time.Duration(rand.IntN(3)) * time.Millisecond)
				l.Release()
			})
		}
		wg.Wait()
		close(stop)
		<-killed
		if err := k.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, err := range b.errs {
			if i < 3 {
				t.Error(err)
			}
		}
		if b.total != 0 {
			t.Errorf("after Close and Shutdown: %d connections live, want 0", b.total)
		}
	})
}

// TestRegistryRetryKeepsSlotWhenDestroyAsksToo: as TestRegistryRetryKeepsSlot,
// but the destroy asks resource.AttemptFrom itself (to log the attempt)
// and the release's context ends before the pool asks in turn. The
// registry promised the retry to the first question; the pool must hear
// the same answer and keep the slot, not count the still-open connection
// destroyed and let an Acquire create past MaxSize.
func TestRegistryRetryKeepsSlotWhenDestroyAsksToo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{MaxAttempts: 2, RetryBackoff: time.Hour, Workers: 1})
		b := newBackend(1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		first := true
		destroy := func(actx context.Context, c *fconn) error {
			if first { // only the registry's cleanup destroys here
				first = false
				if _, final := resource.AttemptFrom(actx); final {
					t.Errorf("first attempt: final, want a retry promised")
				}
				cancel() // the releaser gives up while the attempt fails
				return errors.New("transient")
			}
			return b.destroy(actx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		mustAcquire(t, p).Release()
		_ = r.Release(ctx, connID(r)) // fails; the retry, an hour later, goes to the scheduler
		actx, acancel := context.WithTimeout(context.Background(), time.Minute)
		l, err := p.Acquire(actx)
		acancel()
		if err == nil {
			_, _, live := b.counts()
			t.Errorf("Acquire during the registry's retry backoff: got a lease with %d connections live, want it to wait (MaxSize 1)", live)
			l.Release()
		}
		advance(2 * time.Hour) // the retry succeeds
		synctest.Wait()
		b.closeAndVerify(t, p)
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
}

// TestTryAcquireDoesNotWaitForRegistryRetry: a TryAcquire creates a
// connection that the registry destroys before it joins the pool (here
// from the registry Observer's Registered event); the destroy fails and
// the registry retries it an hour later, so the connection keeps the
// pool's only slot. TryAcquire waits for its create, but not for a
// release: it must return ErrExhausted then, not wait for the registry's
// retry to free the slot.
func TestTryAcquireDoesNotWaitForRegistryRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := releasingNewConn(t, resource.Options{MaxAttempts: 2, RetryBackoff: time.Hour, Workers: 1}, nil)
		b := newBackend(1)
		destroy, _ := failingFirstDestroy(b, nil)
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		tried := inBackground(func() error {
			l, err := p.TryAcquire(context.Background())
			if err == nil {
				l.Release()
			}
			return err
		})
		advance(2 * time.Minute) // the create is done; the registry's retry waits an hour
		synctest.Wait()
		select {
		case err := <-tried:
			if !errors.Is(err, ErrExhausted) {
				t.Errorf("TryAcquire: got %v, want ErrExhausted", err)
			}
		default:
			t.Errorf("TryAcquire still waits after its create ended, for the registry's retry to free the slot")
			advance(2 * time.Hour)
			<-tried
		}
		advance(2 * time.Hour) // the retry succeeds
		synctest.Wait()
		b.closeAndVerify(t, p)
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
}

// TestKeyedTryAcquireDoesNotWaitForRegistryRetry: as
// TestTryAcquireDoesNotWaitForRegistryRetry for a Keyed whose key is below
// MaxPerKey but which is at MaxTotal: the connection the registry began to
// destroy keeps the only global slot until the retry an hour later, so
// TryAcquire must return ErrExhausted, not wait for that slot.
func TestKeyedTryAcquireDoesNotWaitForRegistryRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := releasingNewConn(t, resource.Options{MaxAttempts: 2, RetryBackoff: time.Hour, Workers: 1}, nil)
		b := &keyedBackend{live: map[string]int{}, maxTotal: 1}
		first := true
		destroy := func(ctx context.Context, c *kconn) error {
			if first { // the observer's Release, then the registry's worker
				first = false
				return errors.New("transient")
			}
			return b.destroy(ctx, c)
		}
		k, err := NewKeyed(b.create, destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 2, MaxTotal: 1, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		tried := inBackground(func() error {
			l, err := k.TryAcquire(context.Background(), "a")
			if err == nil {
				l.Release()
			}
			return err
		})
		advance(2 * time.Minute) // the create is done; the registry's retry waits an hour
		synctest.Wait()
		select {
		case err := <-tried:
			if !errors.Is(err, ErrExhausted) {
				t.Errorf("TryAcquire: got %v, want ErrExhausted", err)
			}
		default:
			t.Errorf("TryAcquire still waits after its create ended, for the registry's retry to free the global slot")
			advance(2 * time.Hour)
			<-tried
		}
		advance(2 * time.Hour) // the retry succeeds
		synctest.Wait()
		if err := k.Close(context.Background()); err != nil {
			t.Error(err)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, err := range b.errs {
			t.Error(err)
		}
		if b.total != 0 {
			t.Errorf("after Close: %d connections live, want 0", b.total)
		}
	})
}
