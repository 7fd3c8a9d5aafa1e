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
