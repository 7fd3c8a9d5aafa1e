package pool

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestKeyedRemovesEmptySubPools uses 200 keys once each: when their idle
// connections expire, their sub-pools, sweep goroutines and registry
// entries go, and the totals still count everything that happened.
func TestKeyedRemovesEmptySubPools(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		b := &keyedBackend{live: map[string]int{}, maxTotal: 1000}
		k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{
			MaxPerKey: 2, MaxTotal: 1000, MaxIdleTime: time.Minute, Registry: reg,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		synctest.Wait()
		sweeps := sweepGoroutines()
		const keys = 200
		for i := range keys {
			l, err := k.Acquire(ctx, fmt.Sprint("agent-", i))
			if err != nil {
				t.Fatal(err)
			}
			l.Release()
		}
		if got := len(k.Stats().PerKey); got != keys {
			t.Fatalf("%d sub-pools while their connections are idle, want %d", got, keys)
		}
		advance(2 * time.Minute) // every idle connection expires
		synctest.Wait()
		s := k.Stats()
		if len(s.PerKey) != 0 || s.Total.Created != keys || s.Total.Destroyed.Idle != keys || s.Total.Acquires != keys {
			t.Errorf("after expiry: %d sub-pools, total created %d, destroyed idle %d, acquires %d; want 0, %d, %d, %d",
				len(s.PerKey), s.Total.Created, s.Total.Destroyed.Idle, s.Total.Acquires, keys, keys, keys)
		}
		if n := reg.Len(); n != 0 {
			t.Errorf("registry holds %d resources after every sub-pool was removed, want 0", n)
		}
		if n := sweepGoroutines(); n > sweeps {
			t.Errorf("%d sweep goroutines after every sub-pool was removed, %d before", n, sweeps)
		}
		// A key used again gets a new sub-pool.
		l, err := k.Acquire(ctx, "agent-7")
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		if s := k.Stats(); len(s.PerKey) != 1 || s.Total.Created != keys+1 {
			t.Errorf("reused key: %d sub-pools, %d created; want 1, %d", len(s.PerKey), s.Total.Created, keys+1)
		}
		if err := k.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := reg.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// sweepGoroutines counts the goroutines running Pool.maintain, in the
// whole process (other tests' pools included).
func sweepGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "pool.(*Pool[...]).maintain(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestKeyedKeepsBusyAndFailingSubPools checks what must not be removed: a
// sub-pool with a leased connection, and one whose creates fail (it keeps
// its backoff).
func TestKeyedKeepsBusyAndFailingSubPools(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		down := errors.New("backend down")
		b := &keyedBackend{live: map[string]int{}, maxTotal: 100}
		create := func(ctx context.Context, key string) (*kconn, error) {
			if key == "down" {
				return nil, down
			}
			return b.create(ctx, key)
		}
		k, err := NewKeyed(create, b.destroy, &KeyedOptions[string, *kconn]{MaxIdleTime: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		held, err := k.Acquire(ctx, "busy")
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, time.Second)
		if _, err := k.Acquire(short, "down"); !errors.Is(err, down) {
			t.Errorf("Acquire of a down backend: %v, want it to wrap %v", err, down)
		}
		cancel()
		advance(2 * time.Minute)
		synctest.Wait()
		s := k.Stats()
		if _, ok := s.PerKey["busy"]; !ok {
			t.Error("the sub-pool of a key with a leased connection was removed")
		}
		if _, ok := s.PerKey["down"]; !ok {
			t.Error("the sub-pool of a key whose creates fail was removed (its backoff with it)")
		}
		held.Destroy() // the busy key's only connection: now it is empty
		synctest.Wait()
		if _, ok := k.Stats().PerKey["busy"]; ok {
			t.Error("the sub-pool of a key whose last connection was destroyed is still there")
		}
		if err := k.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestKeyedReapRace races acquires of a few keys against the removal of
// their sub-pools: every Destroy empties a sub-pool, so removals happen all
// the time. No acquire may fail or get another key's connection, and
// nothing may be left live.
func TestKeyedReapRace(t *testing.T) {
	b := &keyedBackend{live: map[string]int{}, maxTotal: 6}
	k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 2, MaxTotal: 6})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				key := keys[(g+i)%len(keys)]
				l, err := k.Acquire(context.Background(), key)
				if err != nil {
					t.Error(err)
					return
				}
				if l.Value().key != key {
					t.Errorf("got %q, want %q", l.Value().key, key)
				}
				if i%2 == 0 {
					l.Destroy()
				} else {
					l.Release()
				}
			}
		})
	}
	wg.Wait()
	b.closeAndVerify(t, k)
	s := k.Stats()
	b.mu.Lock()
	created := b.created
	b.mu.Unlock()
	if s.Total.Acquires != 8*300 || s.Total.Created != int64(created) {
		t.Errorf("totals: %d acquires, %d created; want %d, %d", s.Total.Acquires, s.Total.Created, 8*300, created)
	}
}
