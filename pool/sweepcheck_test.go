package pool

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestBackgroundCheckHonoursMaxLifetime: a connection whose lifetime ends
// while it is out for a background check must not be handed to a waiter
// (or made idle) when the check succeeds: a user relying on MaxLifetime
// (credential rotation) would get a connection past it.
func TestBackgroundCheckHonoursMaxLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		slowCheck := func(ctx context.Context, c *fconn) error {
			select {
			case <-time.After(45 * time.Second): // slow but healthy
				return b.check(ctx, c)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		const life = 90 * time.Second
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{
			MaxSize: 1, MaxLifetime: life, Check: slowCheck, CheckIdleAfter: -1, CheckInterval: time.Minute,
		})
		mustAcquire(t, p).Release()
		advance(61 * time.Second) // the sweep at 60s takes the connection (aged 60s) out for its check
		synctest.Wait()
		got := leaseInBackground(t, p) // waits: the pool is full
		advance(time.Minute)           // the check ends at 105s
		l := <-got
		if l == nil {
			t.FailNow()
		}
		if c := l.Value(); c.id == 1 {
			t.Errorf("waiter got connection %d, created at 0s, after its check ended at 105s: past MaxLifetime %v", c.id, life)
		}
		l.Release()
		if s := p.Stats(); s.Destroyed.Lifetime != 1 {
			t.Errorf("Destroyed.Lifetime: got %d, want 1", s.Destroyed.Lifetime)
		}
		b.closeAndVerify(t, p)
	})
}

// TestStalledChecksDoNotHoldUpSweeps: without CheckTimeout each background
// check is bounded by CheckInterval, "so that a stalled one fails instead
// of holding up the sweep". With four stalled connections one sweep took
// four CheckIntervals, and its other work waited: here the report of a
// lease held past LeakThreshold, due at 2m, came at 5m. A sweep now starts
// no check once CheckInterval has passed since it began: the connections
// left go back to idle unchecked, for the next sweep.
func TestStalledChecksDoNotHoldUpSweeps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(5)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{
			MaxSize: 5, Check: stallCheck, CheckIdleAfter: -1, CheckInterval: time.Minute, LeakThreshold: 2 * time.Minute,
		})
		held := mustAcquire(t, p)
		var ls []*Lease[*fconn]
		for range 4 {
			ls = append(ls, mustAcquire(t, p))
		}
		for _, l := range ls {
			l.Release() // four idle connections, each stalls its check
		}
		advance(2*time.Minute + 5*time.Second) // sweeps at 30s, 60s (its checks stall), ... ; the lease is due at 2m
		synctest.Wait()
		if s := p.Stats(); s.Leaks != 1 {
			t.Errorf("Stats.Leaks at 2m5s for a lease held since 0s, LeakThreshold 2m: got %d, want 1", s.Leaks)
		}
		// One stalled check per sweep, each sweep at most CheckInterval: the
		// connections skipped are still due, checked by the next sweeps.
		advance(3 * time.Minute) // 5m5s
		synctest.Wait()
		if s := p.Stats(); s.Destroyed.Unhealthy != 4 {
			t.Errorf("Destroyed.Unhealthy at 5m5s: got %d, want 4 (one stalled check per sweep)", s.Destroyed.Unhealthy)
		}
		held.Release()
		b.closeAndVerify(t, p)
	})
}
