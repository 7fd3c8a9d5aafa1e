package pool

import (
	"context"
	"runtime"
	"testing"
)

// TestUnreleasedLeaseRecovered: a lease dropped without Release is found by
// the garbage collector; its connection is destroyed and its slot serves a
// waiter. Runs outside synctest: runtime cleanups run outside bubbles.
func TestUnreleasedLeaseRecovered(t *testing.T) {
	b := newBackend(1)
	events := make(chan Event, 4)
	obs := ObserverFunc(func(e Event) {
		if e.Type == EventUnreleased {
			events <- e
		}
	})
	p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, LeakThreshold: 1 << 40, Observer: obs})
	ctx := context.Background()
	func() {
		if _, err := p.Acquire(ctx); err != nil { // dropped unreleased
			t.Fatal(err)
		}
	}()
	got := leaseInBackground(t, p) // waits for the leaked slot
	var e Event
	for received := false; !received; {
		runtime.GC()
		select {
		case e = <-events:
			received = true
		default:
			runtime.Gosched()
		}
	}
	if e.Stack == "" {
		t.Error("EventUnreleased without the acquire stack (LeakThreshold is set)")
	}
	l := <-got
	if l.Value().id != 2 {
		t.Errorf("waiter got connection %d, want a new one (2)", l.Value().id)
	}
	l.Release()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Destroyed.Unreleased != 1 {
		t.Errorf("Stats.Destroyed.Unreleased = %d, want 1", s.Destroyed.Unreleased)
	}
	b.verify(t, true)
}
