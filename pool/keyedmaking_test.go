package pool

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// TestKeyedCloseWhileSubPoolBeingMade: Keyed.Close "returns once
// every sub-pool is closed". A sub-pool being made (its registration's
// Registered event under way) is in neither k.pools nor k.closing: Close
// returns while it is still open, its registration live.
func TestKeyedCloseWhileSubPoolBeingMade(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate, inObs := make(chan struct{}), make(chan struct{})
		obs := resource.ObserverFunc(func(e resource.Event) {
			if e.Type == resource.Registered && e.Kind == "pool" {
				close(inObs)
				<-gate
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
		acq := make(chan error, 1)
		go func() {
			l, err := k.Acquire(context.Background(), "a")
			if err == nil {
				l.Release()
			}
			acq <- err
		}()
		<-inObs
		closed := make(chan error, 1)
		go func() { closed <- k.Close(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-closed:
			t.Errorf("Keyed.Close returned (%v) while key a's sub-pool is being made; registry holds %d resources", err, r.Len())
			close(gate)
		default:
			close(gate)
			if err := <-closed; err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		<-acq
		synctest.Wait()
		if n := r.Len(); n != 0 {
			t.Errorf("after Close and the acquire: %d resources live in the registry, want 0", n)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestKeyedWaitingCountsSubPoolBeingMade: Stats.Waiting is "acquires
// waiting now". Acquires of a key whose sub-pool is being made (here its
// registration's Registered event is slow) wait as much as queued ones:
// Total.Waiting counts them (PerKey cannot: the key has no sub-pool yet).
func TestKeyedWaitingCountsSubPoolBeingMade(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate, inObs := make(chan struct{}), make(chan struct{})
		obs := resource.ObserverFunc(func(e resource.Event) {
			if e.Type == resource.Registered && e.Kind == "pool" {
				close(inObs)
				<-gate
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
		acquired := make(chan error, 2)
		acquire := func() {
			l, err := k.Acquire(context.Background(), "a")
			if err == nil {
				l.Release()
			}
			acquired <- err
		}
		go acquire() // makes a's sub-pool
		<-inObs
		go acquire() // waits for it
		synctest.Wait()
		if got := k.Stats().Total.Waiting; got != 2 {
			t.Errorf("Total.Waiting with two acquires waiting for key a's sub-pool: got %d, want 2", got)
		}
		close(gate)
		for range 2 {
			if err := <-acquired; err != nil {
				t.Error(err)
			}
		}
		if got := k.Stats().Total.Waiting; got != 0 {
			t.Errorf("Total.Waiting after both acquires returned: got %d, want 0", got)
		}
		if err := k.Close(context.Background()); err != nil {
			t.Error(err)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
