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

// TestKeyedTryAcquireEvictsWhileItsCreateAwaitsRegistryRetry: as
// TestKeyedTryAcquireDoesNotWaitForRegistryRetry, but another key holds an
// idle connection: the Keyed is at MaxTotal because the connection the
// registry began to destroy keeps its slot until the retry an hour later.
// Keyed.TryAcquire at MaxTotal evicts the idle connection of another key
// (ErrExhausted only with none to evict): it must evict it and succeed,
// as it would had the registry not taken its connection.
func TestKeyedTryAcquireEvictsWhileItsCreateAwaitsRegistryRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var armed atomic.Bool
		r := releasingNewConn(t, resource.Options{MaxAttempts: 2, RetryBackoff: time.Hour, Workers: 1}, &armed)
		b := &keyedBackend{live: map[string]int{}, maxTotal: 2}
		var failNext atomic.Bool
		destroy := func(ctx context.Context, c *kconn) error {
			if c.key == "a" && failNext.CompareAndSwap(true, false) { // the observer's Release
				return errors.New("transient")
			}
			return b.destroy(ctx, c)
		}
		k, err := NewKeyed(b.create, destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 2, MaxTotal: 2, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		bg := context.Background()
		lb, err := k.Acquire(bg, "b")
		if err != nil {
			t.Fatal(err)
		}
		lb.Release() // idle, evictable
		armed.Store(true)
		failNext.Store(true)
		tried := inBackground(func() error {
			l, err := k.TryAcquire(bg, "a")
			if err == nil {
				l.Release()
			}
			return err
		})
		advance(2 * time.Minute) // the create is done; the registry's retry waits an hour
		synctest.Wait()
		select {
		case err := <-tried:
			if err != nil {
				t.Errorf("TryAcquire: got %v, want a lease (key b's idle connection evicted)", err)
			}
		default:
			t.Errorf("TryAcquire still waits after its create ended, for the registry's retry")
			advance(2 * time.Hour)
			<-tried
		}
		advance(2 * time.Hour) // the retry succeeds
		synctest.Wait()
		if err := k.Close(bg); err != nil {
			t.Error(err)
		}
		if err := r.Shutdown(bg); err != nil {
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

// TestKeyedTryAcquireOwedDoesNotEvictForNothing: as
// TestKeyedTryAcquireEvictsWhileItsCreateAwaitsRegistryRetry, but while
// the TryAcquire's create runs an Acquire of the same key queues behind it
// and takes the last MaxTotal slot for its own create. When the registry
// has taken the TryAcquire's connection, a TryAcquire that retried would
// find that Acquire waiting and fail ErrExhausted (it does not create
// while others wait): it must not evict key b's idle connection first,
// destroying it for nothing.
func TestKeyedTryAcquireOwedDoesNotEvictForNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var armed atomic.Bool
		r := releasingNewConn(t, resource.Options{MaxAttempts: 2, RetryBackoff: time.Hour, Workers: 1}, &armed)
		b := &keyedBackend{live: map[string]int{}, maxTotal: 3}
		gate := make(chan struct{})
		var gateNext atomic.Bool
		create := func(ctx context.Context, key string) (*kconn, error) {
			if gateNext.CompareAndSwap(true, false) {
				<-gate
			}
			return b.create(ctx, key)
		}
		var failNext atomic.Bool
		destroy := func(ctx context.Context, c *kconn) error {
			if c.key == "a" && failNext.CompareAndSwap(true, false) { // the observer's Release
				return errors.New("transient")
			}
			return b.destroy(ctx, c)
		}
		k, err := NewKeyed(create, destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 3, MaxTotal: 3, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		bg := context.Background()
		lb, err := k.Acquire(bg, "b")
		if err != nil {
			t.Fatal(err)
		}
		lb.Release() // idle, evictable
		armed.Store(true)
		failNext.Store(true)
		tried := inBackground(func() error {
			l, err := k.TryAcquire(bg, "a")
			if err == nil {
				l.Release()
			}
			return err
		})
		synctest.Wait() // its create is in the registry's Release (a minute)
		gateNext.Store(true)
		acquired := inBackground(func() error {
			l, err := k.Acquire(bg, "a")
			if err == nil {
				l.Release()
			}
			return err
		})
		synctest.Wait()          // the Acquire queued; its create holds the last slot
		advance(2 * time.Minute) // the TryAcquire's create is done; the retry waits an hour
		synctest.Wait()
		select {
		case err := <-tried:
			if !errors.Is(err, ErrExhausted) {
				t.Errorf("TryAcquire: got %v, want ErrExhausted", err)
			}
		default:
			t.Fatal("TryAcquire still waits")
		}
		if s := k.Stats(); s.Total.Destroyed.Evicted != 0 {
			t.Errorf("key b's idle connection evicted for a TryAcquire that failed anyway: Destroyed.Evicted = %d, want 0", s.Total.Destroyed.Evicted)
		}
		close(gate)
		if err := <-acquired; err != nil {
			t.Errorf("Acquire: %v", err)
		}
		advance(2 * time.Hour) // the retry succeeds
		synctest.Wait()
		if err := k.Close(bg); err != nil {
			t.Error(err)
		}
		if err := r.Shutdown(bg); err != nil {
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
