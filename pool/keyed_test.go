package pool

import (
	"context"
	"errors"
	"fmt"
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
