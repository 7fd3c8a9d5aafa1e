package pool

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// TestKeyedCloseWaitsForSubPoolClosedByRegistry: Keyed.Close returns only
// once every sub-pool is closed, including one that the registry is closing
// (here its close waits for a create) and that an Acquire replaced
// meanwhile: every connection the Keyed made is destroyed by then. Before,
// Close returned without waiting for it, leaving its create and the destroy
// of its connection running.
func TestKeyedCloseWaitsForSubPoolClosedByRegistry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, nil)
		gate := make(chan struct{})
		var live, creates atomic.Int64
		create := func(_ context.Context, key string) (*kconn, error) {
			if creates.Add(1) == 1 {
				<-gate // a create that ignores its context
			}
			live.Add(1)
			return &kconn{key: key}, nil
		}
		destroy := func(context.Context, *kconn) error {
			live.Add(-1)
			return nil
		}
		k, err := NewKeyed(create, destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 1, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		bg := context.Background()
		released := registryClosesSubPoolDuringCreate(t, k, r)
		// The key's next Acquire drops that sub-pool and makes a new one.
		l, err := k.Acquire(bg, "a")
		if err != nil {
			t.Fatalf("Acquire while the registry closes the key's sub-pool: %v", err)
		}
		l.Release()
		closed := inBackground(func() error { return k.Close(bg) })
		synctest.Wait()
		err = blockedUntil(t, gate, closed, "Keyed.Close returned (%v) while the registry was still closing a sub-pool whose create runs")
		if err != nil {
			t.Errorf("Keyed.Close: %v", err)
		}
		if n := live.Load(); n != 0 {
			t.Errorf("%d connections live when Keyed.Close returned, want 0", n)
		}
		if err := <-released; err != nil {
			t.Errorf("ReleaseMatching: %v", err)
		}
		if err := r.Shutdown(bg); err != nil {
			t.Fatal(err)
		}
	})
}

// registryClosesSubPoolDuringCreate makes r close key "a"'s sub-pool of k
// while that close waits for a create (k's create must hold it, ignoring
// its context): an Acquire of "a" starts the create and is cancelled, then
// ReleaseMatching releases the sub-pool. It returns once the sub-pool's
// close waits; ReleaseMatching's error arrives on the returned channel.
func registryClosesSubPoolDuringCreate(t *testing.T, k *Keyed[string, *kconn], r *resource.Registry) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	acquired := inBackground(func() error {
		_, err := k.Acquire(ctx, "a")
		return err
	})
	synctest.Wait() // the Acquire waits for its create
	cancel()
	if err := <-acquired; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Acquire: %v, want context.Canceled", err)
	}
	released := inBackground(func() error {
		return r.ReleaseMatching(context.Background(), func(i resource.Info) bool { return i.Kind == "pool" })
	})
	synctest.Wait() // the sub-pool's close waits for the create
	return released
}

// TestKeyedNewKeyBurstMakesOneSubPool: many first acquires of a new key at
// once make one sub-pool. Before, each made, registered and started its own,
// and all but one were closed again: a burst of registrations, registry
// events and goroutines for nothing.
func TestKeyedNewKeyBurstMakesOneSubPool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		var registered atomic.Int64
		obs := resource.ObserverFunc(func(e resource.Event) {
			if e.Type == resource.Registered && e.Kind == "pool" {
				registered.Add(1)
				<-gate // a slow observer: the burst arrives meanwhile
			}
		})
		r, err := resource.NewRegistry(&resource.Options{Observer: obs})
		if err != nil {
			t.Fatal(err)
		}
		b := &keyedBackend{live: map[string]int{}, maxTotal: 8}
		k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 8, MaxTotal: 8, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		const burst = 8
		errs := make(chan error, burst)
		for range burst {
			go func() {
				l, err := k.Acquire(context.Background(), "new")
				if err == nil {
					l.Release()
				}
				errs <- err
			}()
		}
		synctest.Wait() // every Acquire is in (or waits for) a registration
		// One more gives up while it waits for the sub-pool.
		ctx, cancel := context.WithCancel(context.Background())
		cancelled := make(chan error, 1)
		go func() {
			_, err := k.Acquire(ctx, "new")
			cancelled <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-cancelled; !errors.Is(err, context.Canceled) {
			t.Errorf("Acquire cancelled while the key's sub-pool is made: %v, want context.Canceled", err)
		}
		close(gate)
		for range burst {
			if err := <-errs; err != nil {
				t.Errorf("Acquire: %v", err)
			}
		}
		if n := registered.Load(); n != 1 {
			t.Errorf("%d sub-pools registered for one new key, want 1", n)
		}
		s := k.Stats()
		if s.Total.Acquires != burst || s.Total.CancelledAcquires != 1 || len(s.PerKey) != 1 {
			t.Errorf("%d acquires, %d cancelled, %d sub-pools; want %d, 1, 1", s.Total.Acquires, s.Total.CancelledAcquires, len(s.PerKey), burst)
		}
		b.closeAndVerify(t, k)
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
