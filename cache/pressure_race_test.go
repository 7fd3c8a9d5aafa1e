package cache

import (
	"sync"
	"testing"
	"time"

	"github.com/patinox/memory/pressure"
)

// TestPressureGrowBackRacesRise runs a grow-back step (the timer's, at
// Normal) against the monitor delivering High at the same moment (both
// come one monitor interval after the last delivery) and checks that the
// cache ends at High's bound: a step that saw Normal must not raise the
// bound after High lowered it. It retries the race until a wall-clock
// deadline.
func TestPressureGrowBackRacesRise(t *testing.T) {
	const interval = time.Hour // the grow timer never fires here
	deadline := time.Now().Add(time.Second)
	for round := 0; time.Now().Before(deadline); round++ {
		c, err := New(&Options[int, int]{MaxEntries: 100, Policy: LRU()})
		if err != nil {
			t.Fatal(err)
		}
		c.onPressure(pressure.High, interval)    // bound 50
		c.pressLvl.Store(int32(pressure.Normal)) // Normal delivered: growing back
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { <-start; c.growBack(interval) })
		wg.Go(func() { <-start; c.onPressure(pressure.High, interval) })
		close(start)
		wg.Wait()
		if got, _ := c.Limits(); got != 50 {
			t.Fatalf("round %d: bound %d after High raced a grow-back step, want 50", round, got)
		}
		c.Close()
	}
}
