package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

type keyedBackend struct {
	mu       sync.Mutex // protects following fields
	live     map[string]int
	total    int
	peak     int
	created  int
	errs     []error
	maxTotal int
}

type kconn struct {
	key string
	id  int
}

func (b *keyedBackend) create(_ context.Context, key string) (*kconn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.created++
	b.live[key]++
	b.total++
	b.peak = max(b.peak, b.total)
	if b.total > b.maxTotal {
		b.errs = append(b.errs, fmt.Errorf("%d live, MaxTotal %d", b.total, b.maxTotal))
	}
	return &kconn{key: key, id: b.created}, nil
}

func (b *keyedBackend) destroy(_ context.Context, c *kconn) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.live[c.key]--
	b.total--
	return nil
}

func TestKeyedEvictsColdKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &keyedBackend{live: map[string]int{}, maxTotal: 3}
		k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 2, MaxTotal: 3})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// cold: two idle connections; hot: one held.
		c1, _ := k.Acquire(ctx, "cold")
		c2, _ := k.Acquire(ctx, "cold")
		c1.Release()
		c2.Release()
		h1, err := k.Acquire(ctx, "hot")
		if err != nil {
			t.Fatal(err)
		}
		// The cap is reached: the next hot acquire evicts a cold idle one.
		h2, err := k.Acquire(ctx, "hot")
		if err != nil {
			t.Fatal(err)
		}
		if h2.Value().key != "hot" {
			t.Errorf("got a connection for %q, want hot", h2.Value().key)
		}
		// MaxPerKey: a third hot acquire must wait even though cold has idle.
		if _, err := k.TryAcquire(ctx, "hot"); !errors.Is(err, ErrExhausted) {
			t.Errorf("TryAcquire beyond MaxPerKey: %v, want ErrExhausted", err)
		}
		synctest.Wait()
		s := k.Stats()
		if s.PerKey["cold"].Destroyed.Evicted != 1 || s.PerKey["cold"].Idle != 1 || s.PerKey["hot"].InUse != 2 || s.Total.Size != 3 {
			t.Errorf("stats: cold evicted %d idle %d, hot in use %d, total size %d; want 1, 1, 2, 3",
				s.PerKey["cold"].Destroyed.Evicted, s.PerKey["cold"].Idle, s.PerKey["hot"].InUse, s.Total.Size)
		}
		h1.Release()
		h2.Release()
		if err := k.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := k.Close(ctx); !errors.Is(err, ErrClosed) {
			t.Errorf("second Close: %v, want ErrClosed", err)
		}
		if _, err := k.Acquire(ctx, "hot"); !errors.Is(err, ErrClosed) {
			t.Errorf("Acquire after Close: %v, want ErrClosed", err)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, err := range b.errs {
			t.Error(err)
		}
		if b.total != 0 {
			t.Errorf("%d live after Close, want 0", b.total)
		}
	})
}

// TestKeyedStorm: many goroutines on several keys never exceed MaxTotal or
// MaxPerKey, and everything is destroyed at Close.
func TestKeyedStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &keyedBackend{live: map[string]int{}, maxTotal: 5}
		k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 3, MaxTotal: 5})
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{"a", "b", "c", "d"}
		var wg sync.WaitGroup
		for i := range 400 {
			wg.Go(func() {
				key := keys[i%len(keys)]
				l, err := k.Acquire(context.Background(), key)
				if err != nil {
					t.Error(err)
					return
				}
				if l.Value().key != key {
					t.Errorf("got %q, want %q", l.Value().key, key)
				}
				if s := k.Stats(); s.PerKey[key].Size > 3 {
					t.Errorf("key %s size %d > MaxPerKey", key, s.PerKey[key].Size)
				}
				l.Release()
			})
		}
		wg.Wait()
		b.closeAndVerify(t, k)
	})
}

// closeAndVerify closes k and fails t if the backend saw more live
// connections than its cap at any time, or has any left.
func (b *keyedBackend) closeAndVerify(t *testing.T, k *Keyed[string, *kconn]) {
	t.Helper()
	if err := k.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, err := range b.errs {
		t.Error(err)
	}
	if b.total != 0 {
		t.Errorf("%d live after Close, want 0", b.total)
	}
}

// newKeyedBackend returns a Keyed of at most maxPerKey connections a key
// and maxTotal in all, on a backend that checks maxTotal.
func newKeyedBackend(t *testing.T, maxPerKey, maxTotal int) (*keyedBackend, *Keyed[string, *kconn]) {
	t.Helper()
	b := &keyedBackend{live: map[string]int{}, maxTotal: maxTotal}
	k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: maxPerKey, MaxTotal: maxTotal})
	if err != nil {
		t.Fatal(err)
	}
	return b, k
}

// mustAcquireKey acquires a lease of key, failing t at once if it cannot.
func mustAcquireKey(t *testing.T, k *Keyed[string, *kconn], key string) *Lease[*kconn] {
	t.Helper()
	l, err := k.Acquire(context.Background(), key)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", key, err)
	}
	return l
}

// useInBackground starts an Acquire of key on a new goroutine, which
// releases the lease at once; the Acquire's error arrives on the returned
// channel.
func useInBackground(k *Keyed[string, *kconn], key string) <-chan error {
	return inBackground(func() error {
		l, err := k.Acquire(context.Background(), key)
		if err == nil {
			l.Release()
		}
		return err
	})
}

// TestKeyedRegistryObserverCallsBack: a registry observer that calls into
// the Keyed (here Stats, on the Registered event of a key's new sub-pool)
// does not deadlock it: the sub-pool is not registered under the Keyed's
// lock.
func TestKeyedRegistryObserverCallsBack(t *testing.T) {
	var k *Keyed[string, *kconn]
	obs := resource.ObserverFunc(func(e resource.Event) {
		if e.Type == resource.Registered && e.Kind == "pool" {
			_ = k.Stats()
		}
	})
	r, err := resource.NewRegistry(&resource.Options{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	b := &keyedBackend{live: map[string]int{}, maxTotal: 10}
	k, err = NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 2, MaxTotal: 10, Registry: r})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		l, err := k.Acquire(context.Background(), "a")
		if err == nil {
			l.Release()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Acquire: %v", err)
		}
	case <-time.After(10 * time.Second): // a wall-clock bound: the deadlock is on a mutex, which synctest does not detect
		t.Fatal("Acquire of a new key did not return: the observer's call into the Keyed deadlocked")
	}
	if err := k.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestKeyedReplacesSubPoolClosedByRegistry: a key's sub-pool closed through
// the registry (ReleaseMatching on kind "pool", as an operator shedding
// resources would) while the Keyed stays open is dropped: its queued
// Acquire and every later one get a fresh sub-pool, with real connections
// to a loopback server, instead of ErrClosed for ever.
func TestKeyedReplacesSubPoolClosedByRegistry(t *testing.T) {
	srv := startServer(t, "echo")
	r, err := resource.NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	dial := func(ctx context.Context, _ string) (net.Conn, error) { return srv.dial(ctx) }
	k, err := NewKeyed(dial, closeConn, &KeyedOptions[string, net.Conn]{MaxPerKey: 1, Registry: r})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	held, err := k.Acquire(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// A second Acquire of the key waits (MaxPerKey 1): the sub-pool is not
	// empty, so the registry's release of its connection does not remove it.
	waiter := make(chan error, 1)
	go func() {
		l, err := k.Acquire(ctx, "a")
		if err == nil {
			err = ping(ctx, l.Value())
			l.Release()
		}
		waiter <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); k.Stats().PerKey["a"].Waiting != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the second Acquire did not queue")
		}
		runtime.Gosched()
	}
	if err := r.ReleaseMatching(ctx, func(i resource.Info) bool { return i.Kind == "pool" }); err != nil {
		t.Fatalf("ReleaseMatching: %v", err)
	}
	held.Release() // its connection was destroyed by the registry: a no-op
	if err := <-waiter; err != nil {
		t.Errorf("Acquire queued when the registry closed the key's sub-pool: %v", err)
	}
	for i := range 2 {
		l, err := k.TryAcquire(ctx, "a")
		if err != nil {
			t.Fatalf("TryAcquire %d after the registry closed the key's sub-pool: %v", i, err)
		}
		if err := ping(ctx, l.Value()); err != nil {
			t.Errorf("ping: %v", err)
		}
		l.Release()
	}
	k.mu.Lock()
	closing := len(k.closing)
	k.mu.Unlock()
	if closing != 0 {
		t.Errorf("the Keyed still holds %d closed sub-pools", closing)
	}
	s := k.Stats()
	if ps := s.PerKey["a"]; ps.Size != 1 || ps.Idle != 1 || s.Total.Acquires != 4 || s.Total.Size != 1 {
		t.Errorf("Stats: key a size %d idle %d, total acquires %d size %d; want 1, 1, 4, 1",
			ps.Size, ps.Idle, s.Total.Acquires, s.Total.Size)
	}
	kinds := map[string]int{}
	for info := range r.All() {
		kinds[info.Kind]++
	}
	if kinds["pool"] != 1 || kinds["pool-conn"] != 1 {
		t.Errorf("registry kinds %v, want pool:1 pool-conn:1 (the fresh sub-pool)", kinds)
	}
	if err := k.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := r.Len(); n != 0 {
		t.Errorf("registry holds %d resources after Close, want 0", n)
	}
}

// TestKeyedSubPoolClosedByRegistryRace: goroutines acquire one key while
// the registry closes its sub-pool again and again. No acquire fails, the
// totals never go down and count every lease, and nothing is left live.
func TestKeyedSubPoolClosedByRegistryRace(t *testing.T) {
	r, err := resource.NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	b := &keyedBackend{live: map[string]int{}, maxTotal: 6}
	k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 2, MaxTotal: 6, Registry: r})
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, rounds = 6, 300
	stop := make(chan struct{})
	var releasers, acquirers sync.WaitGroup
	releasers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = r.ReleaseMatching(context.Background(), func(i resource.Info) bool { return i.Kind == "pool" })
		}
	})
	releasers.Go(func() {
		var last int64
		for {
			select {
			case <-stop:
				return
			default:
			}
			n := k.Stats().Total.Acquires
			if n < last {
				t.Errorf("Total.Acquires went down from %d to %d", last, n)
				return
			}
			last = n
		}
	})
	for range goroutines {
		acquirers.Go(func() {
			for range rounds {
				l, err := k.Acquire(context.Background(), "a")
				if err != nil {
					t.Errorf("Acquire: %v", err)
					return
				}
				l.Release()
			}
		})
	}
	acquirers.Wait()
	close(stop)
	releasers.Wait()
	b.closeAndVerify(t, k)
	if s := k.Stats(); s.Total.Acquires != goroutines*rounds || s.Total.Size != 0 {
		t.Errorf("totals after Close: %d acquires, size %d; want %d, 0", s.Total.Acquires, s.Total.Size, goroutines*rounds)
	}
}

// TestKeyedSubPoolClosedAsItIsRegistered: the registry may close a key's new
// sub-pool before the Keyed has put it in its map (here its observer
// releases it as it is registered; a ReleaseMatching running meanwhile does
// the same). The Acquire gets a fresh sub-pool, and the closed one is not
// kept.
func TestKeyedSubPoolClosedAsItIsRegistered(t *testing.T) {
	var r *resource.Registry
	var once sync.Once
	released := make(chan error, 1)
	obs := resource.ObserverFunc(func(e resource.Event) {
		if e.Type == resource.Registered && e.Kind == "pool" {
			once.Do(func() { released <- r.Release(context.Background(), e.ID) })
		}
	})
	r, err := resource.NewRegistry(&resource.Options{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	b := &keyedBackend{live: map[string]int{}, maxTotal: 4}
	k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 2, MaxTotal: 4, Registry: r, MaxIdleTime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	l, err := k.Acquire(context.Background(), "a")
	if err != nil {
		t.Fatalf("Acquire of a key whose first sub-pool the registry closed: %v", err)
	}
	if err := <-released; err != nil {
		t.Fatalf("registry Release of the sub-pool: %v", err)
	}
	l.Release()
	k.mu.Lock()
	closing, pools := len(k.closing), len(k.pools)
	k.mu.Unlock()
	if closing != 0 || pools != 1 {
		t.Errorf("the Keyed holds %d closed sub-pools and %d sub-pools, want 0 and 1", closing, pools)
	}
	if s := k.Stats(); s.Total.Acquires != 1 || s.Total.Created != 1 {
		t.Errorf("totals: %d acquires, %d created; want 1, 1", s.Total.Acquires, s.Total.Created)
	}
	b.closeAndVerify(t, k)
}

// TestKeyedCloseWhileRegistryClosesSubPool: Keyed.Close meeting a sub-pool
// that the registry is closing (here its close waits for a create) waits
// for it, and does not report that sub-pool's ErrClosed as its own failure.
func TestKeyedCloseWhileRegistryClosesSubPool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, nil)
		gate := make(chan struct{})
		create := func(_ context.Context, key string) (*kconn, error) {
			<-gate // a create that ignores its context
			return &kconn{key: key}, nil
		}
		destroy := func(context.Context, *kconn) error { return nil }
		k, err := NewKeyed(create, destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 1, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		released := registryClosesSubPoolDuringCreate(t, k, r)
		closed := inBackground(func() error { return k.Close(context.Background()) })
		synctest.Wait() // Close waits for the registry's close of the sub-pool
		close(gate)
		if err := <-closed; err != nil {
			t.Errorf("Keyed.Close while the registry closes a sub-pool: %v, want nil", err)
		}
		if err := <-released; err != nil {
			t.Errorf("ReleaseMatching: %v", err)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
