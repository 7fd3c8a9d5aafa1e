package pool

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestKeyedObserverPanicDoesNotWedgeKey: an Observer must not panic, but
// one that panics once on a sub-pool's Registered event (the panic reaches
// the Acquire that made the sub-pool, whose caller may recover, as
// net/http does) must not make the key unusable for ever. On a0c431f the
// panic unwinds makePool before it deletes and closes k.making[key]: every
// later Acquire of the key waits for a sub-pool that nobody makes, until its
// ctx ends (for ever with context.Background()). The second Acquire gets a
// 1 s deadline so that the hang shows as an error.
func TestKeyedObserverPanicDoesNotWedgeKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var panicked atomic.Bool
		obs := resource.ObserverFunc(func(e resource.Event) {
			if e.Type == resource.Registered && e.Kind == "pool" && panicked.CompareAndSwap(false, true) {
				panic("observer bug")
			}
		})
		r, err := resource.NewRegistry(&resource.Options{Observer: obs})
		if err != nil {
			t.Fatal(err)
		}
		b := &keyedBackend{live: map[string]int{}, maxTotal: 4}
		k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 2, MaxTotal: 4, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() { _ = recover() }()
			if l, err := k.Acquire(context.Background(), "a"); err == nil {
				l.Release()
			}
		}()
		if !panicked.Load() {
			t.Fatal("the observer did not panic: the test tests nothing")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		l, err := k.Acquire(ctx, "a")
		if err != nil {
			t.Errorf("Acquire after an Observe panic: %v, want nil", err)
		} else {
			l.Release()
		}
		b.closeAndVerify(t, k)
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
