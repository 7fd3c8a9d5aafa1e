package resource

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func noopCleanup(context.Context, *int) error { return nil }

// advance moves a synctest bubble's clock forward by d.
func advance(d time.Duration) { <-time.After(d) }

// newLeaksOff returns a LeaksOff registry shut down when t ends.
func newLeaksOff(t *testing.T) *Registry {
	t.Helper()
	r, err := NewRegistry(&Options{Leaks: LeaksOff})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return r
}

// bornOf returns the registry clock reading of a live resource's birth.
func bornOf(t *testing.T, r *Registry, id ID) time.Duration {
	t.Helper()
	info, ok := r.Info(id)
	if !ok {
		t.Fatalf("Info(%v): not found", id)
	}
	return info.Created.Sub(r.epoch)
}

// A plain resource's birth comes from the coarse clock: exact when the
// clock was idle, at most one tick behind while it runs, never ahead.
func TestCoarseBirthTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newLeaksOff(t)
		track := func(opts ...Option) *Guard[*int] {
			g, err := Track(r, new(int), noopCleanup, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		advance(5 * time.Second)
		g1 := track() // idle clock: read exactly, and armed
		if got := bornOf(t, r, g1.ID()); got != 5*time.Second {
			t.Fatalf("first birth = %v, want 5s", got)
		}
		advance(coarseTick / 2)
		g2 := track() // within the tick: the armed reading
		if got := bornOf(t, r, g2.ID()); got != 5*time.Second {
			t.Fatalf("birth half a tick later = %v, want 5s (the coarse reading)", got)
		}
		labelled := track(WithLabels("k", "v")) // not recycled, still coarse
		if got := bornOf(t, r, labelled.ID()); got != 5*time.Second {
			t.Fatalf("birth with labels = %v, want 5s (the coarse reading)", got)
		}
		ttl := track(WithTTL(time.Hour)) // due relative to its birth: exact
		if got := bornOf(t, r, ttl.ID()); got != 5*time.Second+coarseTick/2 {
			t.Fatalf("birth with a TTL = %v, want the exact 5.0005s", got)
		}
		advance(coarseTick) // one tick passed: the clock advanced
		g3 := track()
		if got, want := bornOf(t, r, g3.ID()), 5*time.Second+coarseTick; got != want {
			t.Fatalf("birth after a tick = %v, want %v", got, want)
		}
		if age := r.mustInfo(t, g3.ID()).Age; age < 0 || age > coarseTick {
			t.Fatalf("Age right after Track = %v, want within [0, %v]", age, coarseTick)
		}
		for _, g := range []*Guard[*int]{g1, g2, g3, labelled, ttl} {
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func (r *Registry) mustInfo(t *testing.T, id ID) Info {
	t.Helper()
	info, ok := r.Info(id)
	if !ok {
		t.Fatalf("Info(%v): not found", id)
	}
	return info
}

// The coarse clock's timer runs only while the clock is read: a tick
// without a read stops it, so an idle registry is never woken.
func TestCoarseClockStopsWhenIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newLeaksOff(t)
		if s := r.clock.state.Load(); s != coarseIdle {
			t.Fatalf("new registry: clock state %d, want idle", s)
		}
		for range 3 {
			g, err := Track(r, new(int), noopCleanup)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if s := r.clock.state.Load(); s == coarseIdle {
			t.Fatal("clock idle right after use")
		}
		advance(2*coarseTick + time.Microsecond)
		synctest.Wait()
		if s := r.clock.state.Load(); s != coarseIdle {
			t.Fatalf("clock state %d two ticks after the last read, want idle", s)
		}
		// Idle for an hour: the next reading is exact again.
		advance(time.Hour)
		if got, want := r.coarseNow(), int64(time.Hour+2*coarseTick+time.Microsecond); got != want {
			t.Fatalf("reading after an idle hour = %v, want %v", time.Duration(got), time.Duration(want))
		}
	})
}

// An attempt with a long timeout may start on the coarse clock: its
// deadline is at most a tick early, never late. A short timeout is exact.
func TestCoarseAttemptDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newLeaksOff(t)
		deadlineOf := func(opts ...Option) time.Duration {
			var dl time.Time
			g, err := Track(r, new(int), func(ctx context.Context, _ *int) error {
				dl, _ = ctx.Deadline()
				return nil
			}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			advance(coarseTick / 2)
			start := time.Since(r.epoch)
			if err := g.Release(context.Background()); err != nil {
				t.Fatal(err)
			}
			return dl.Sub(r.epoch) - start
		}
		for range 20 { // several, so that some are not latency samples
			if d := deadlineOf(); d > 30*time.Second || d < 30*time.Second-coarseTick {
				t.Fatalf("default timeout: deadline %v after the attempt's start, want within a tick before 30s", d)
			}
			if d := deadlineOf(WithCleanupTimeout(100 * time.Millisecond)); d != 100*time.Millisecond {
				t.Fatalf("short timeout: deadline %v after the attempt's start, want exactly 100ms", d)
			}
		}
	})
}

// Shutdown stops the coarse clock for good: later readings are exact.
func TestCoarseClockStopsAtShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := NewRegistry(&Options{Leaks: LeaksOff})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Track(r, new(int), noopCleanup); err != nil {
			t.Fatal(err)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s := r.clock.state.Load(); s != coarseStopped {
			t.Fatalf("clock state %d after Shutdown, want stopped", s)
		}
		advance(coarseTick / 2)
		if got, want := r.coarseNow(), r.now(); got != want {
			t.Fatalf("reading after Shutdown = %v, want the exact %v", time.Duration(got), time.Duration(want))
		}
		advance(10 * coarseTick)
		synctest.Wait() // no tick left running: the bubble ends clean
	})
}

// Concurrent readers, ticks and Shutdown on the real clock (for -race):
// readings never run ahead of the system clock.
func TestCoarseClockConcurrent(t *testing.T) {
	r, err := NewRegistry(&Options{Leaks: LeaksOff})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			deadline := r.now() + int64(20*coarseTick)
			for r.now() < deadline {
				c := r.coarseNow()
				if now := r.now(); c > now {
					t.Errorf("coarse reading %v ahead of the clock %v", c, now)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestCoarseClockNeverFreezes: a tick that finds the clock unread lets it
// go idle, unless a reader marks it used at that very moment: then the
// tick must keep its timer running. Left "used" with no timer armed, the
// clock would return the same reading for good (every later Track would
// be born then, and every attempt with a timeout of a second or more
// would get a deadline in the past). The test plays the timer: it runs a
// tick and a read at the same instant, many times (a race, so a bounded
// wall-clock loop), and checks that no tick ever leaves the clock used.
func TestCoarseClockNeverFreezes(t *testing.T) {
	r, err := NewRegistry(&Options{Leaks: LeaksOff})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	c := &r.clock
	tries := 0
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); tries++ {
		c.timer.Stop()
		c.state.Store(coarseArmed) // armed, not read since the last tick
		var start atomic.Bool
		var wg sync.WaitGroup
		wg.Go(func() {
			for !start.Load() {
			}
			r.coarseNow()
		})
		start.Store(true)
		r.tickCoarse()
		wg.Wait()
		// Used only if the read came between the tick's two steps: the
		// tick must then have armed its timer.
		if c.state.Load() == coarseUsed {
			if !c.timer.Stop() {
				t.Fatalf("after %d tries: a tick left the clock used with no timer armed: it would never advance again", tries)
			}
		}
	}
	c.timer.Stop()
	c.state.Store(coarseIdle)
}
