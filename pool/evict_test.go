package pool

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestKeyedEvictorSkipsVictimLeasedMeanwhile: the idle connection the
// evictor chose (of the coldest key) is leased before it evicts it. It must
// evict another key's idle connection for the waiter at MaxTotal. Before,
// it gave up until the next kick, and the waiter stalled while the leased
// connection was held, next to an idle connection it could have had.
func TestKeyedEvictorSkipsVictimLeasedMeanwhile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, k := newKeyedBackend(t, 2, 2)
		ctx := context.Background()
		for _, key := range []string{"cold", "warm"} {
			mustAcquireKey(t, k, key).Release()
			advance(time.Second) // cold was used before warm
		}
		var taken *Lease[*kconn]
		var err error
		var once sync.Once
		k.testHookEvict = func() {
			once.Do(func() {
				// Between the evictor's choice of cold and its eviction.
				taken, err = k.TryAcquire(ctx, "cold")
			})
		}
		got := useInBackground(k, "new") // at MaxTotal: needs an eviction
		synctest.Wait()
		if err != nil || taken == nil {
			t.Fatalf("the hook's TryAcquire of the victim: %v", err)
		}
		select {
		case err := <-got:
			if err != nil {
				t.Errorf("Acquire at MaxTotal: %v", err)
			}
			synctest.Wait()
			// warm's sub-pool, emptied by the eviction, is gone.
			if s := k.Stats(); s.Total.Destroyed.Evicted != 1 || s.PerKey["cold"].InUse != 1 || s.PerKey["warm"].Size != 0 {
				t.Errorf("evicted %d, cold in use %d, warm size %d; want 1, 1, 0",
					s.Total.Destroyed.Evicted, s.PerKey["cold"].InUse, s.PerKey["warm"].Size)
			}
			taken.Release()
		default:
			t.Error("Acquire at MaxTotal stalls: warm's idle connection was not evicted after the chosen victim was leased")
			taken.Release() // the next kick: the waiter gets its connection now
			<-got
		}
		b.closeAndVerify(t, k)
	})
}

// TestKeyedTryAcquireAtMaxTotal: TryAcquire of a key at MaxTotal, while
// another key has an idle connection, evicts that connection (as Acquire
// would) and creates one for its own key. Before, it queued the eviction,
// returned ErrExhausted, and the eviction destroyed a connection for
// nobody.
func TestKeyedTryAcquireAtMaxTotal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, k := newKeyedBackend(t, 2, 2)
		ctx := context.Background()
		held := mustAcquireKey(t, k, "a")
		mustAcquireKey(t, k, "a").Release() // idle
		l, err := k.TryAcquire(ctx, "b")
		synctest.Wait()
		s := k.Stats()
		if a := s.PerKey["a"]; err != nil || a.Destroyed.Evicted != 1 || a.Idle != 0 || s.Total.Size != 2 {
			t.Errorf("TryAcquire at MaxTotal with an idle connection of another key: %v; a: evicted %d, idle %d; total size %d; want nil, 1, 0, 2",
				err, a.Destroyed.Evicted, a.Idle, s.Total.Size)
		}
		if err == nil {
			if l.Value().key != "b" {
				t.Errorf("TryAcquire got a connection for %q, want b", l.Value().key)
			}
			// Nothing idle anywhere: ErrExhausted, and no eviction.
			if _, err := k.TryAcquire(ctx, "c"); err != ErrExhausted {
				t.Errorf("TryAcquire at MaxTotal with nothing idle: %v, want ErrExhausted", err)
			}
			l.Release()
		}
		held.Release()
		b.closeAndVerify(t, k)
	})
}

// TestKeyedEvictorSparesIdleWhenWaiterServed: a waiter at MaxTotal that is
// served by a release of its own key (here between the evictor's choice of
// a victim and its eviction) no longer needs room: the evictor must not
// destroy another key's idle connection for nobody.
func TestKeyedEvictorSparesIdleWhenWaiterServed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, k := newKeyedBackend(t, 2, 2)
		ctx := context.Background()
		mustAcquireKey(t, k, "idle").Release()
		held := mustAcquireKey(t, k, "busy")
		var once sync.Once
		k.testHookEvict = func() { once.Do(held.Release) } // serves the waiter
		// At MaxTotal: asks for an eviction.
		got := useInBackground(k, "busy")
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if s := k.Stats(); s.Total.Destroyed.Evicted != 0 || s.PerKey["idle"].Idle != 1 {
			t.Errorf("evicted %d, idle key's idle connections %d; want 0, 1 (the waiter was served by a release)",
				s.Total.Destroyed.Evicted, s.PerKey["idle"].Idle)
		}
		// Nobody waits for room now: a TryAcquire of another key evicts.
		if l, err := k.TryAcquire(ctx, "new"); err != nil {
			t.Errorf("TryAcquire at MaxTotal, two idle connections, nobody waiting: %v", err)
		} else {
			l.Release()
		}
		b.closeAndVerify(t, k)
	})
}

// TestKeyedTryAcquireDefersToWaitingKey: at MaxTotal, while another key's
// Acquire waits for room (the evictor is about to make it), TryAcquire does
// not take the idle connection for itself: it returns ErrExhausted, and the
// waiter gets the room.
func TestKeyedTryAcquireDefersToWaitingKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, k := newKeyedBackend(t, 2, 2)
		ctx := context.Background()
		mustAcquireKey(t, k, "idle").Release()
		held := mustAcquireKey(t, k, "busy")
		hold := make(chan struct{})
		var once sync.Once
		k.testHookEvict = func() { once.Do(func() { <-hold }) } // the evictor is slow
		// Waits for room.
		got := useInBackground(k, "busy")
		synctest.Wait()
		if l, err := k.TryAcquire(ctx, "other"); err != ErrExhausted {
			t.Errorf("TryAcquire while another key waits for room: %v, want ErrExhausted", err)
			if err == nil {
				l.Release()
			}
		}
		close(hold)
		if err := <-got; err != nil {
			t.Errorf("the waiting Acquire: %v", err)
		}
		held.Release()
		b.closeAndVerify(t, k)
	})
}
