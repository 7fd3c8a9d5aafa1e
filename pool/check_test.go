package pool

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestCheckIdleAfterSkipsHandOff: with CheckIdleAfter, a connection
// released straight to a waiter was not idle, and is not checked, however
// long it was in use. Before, the hand-off measured its idle time from
// when it was last idle (before the lease that just ended), so a
// connection passed from lease to lease under contention was pinged on
// every acquire once CheckIdleAfter had passed.
func TestCheckIdleAfterSkipsHandOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		var checks int
		check := func(ctx context.Context, c *fconn) error {
			checks++ // the acquiring goroutine, one at a time (MaxSize 1)
			return b.check(ctx, c)
		}
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, Check: check, CheckIdleAfter: time.Second})
		ctx := context.Background()
		l, err := p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 { // each lease held 2s, handed to the next waiter
			got := leaseInBackground(t, p)
			synctest.Wait()
			advance(2 * time.Second)
			l.Release()
			if l = <-got; l == nil {
				t.FailNow()
			}
		}
		if checks != 0 {
			t.Errorf("%d checks of a connection handed from lease to lease, want 0", checks)
		}
		l.Release()
		advance(2 * time.Second) // now idle past CheckIdleAfter: checked
		l, err = p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		if checks != 1 {
			t.Errorf("%d checks after an idle period past CheckIdleAfter, want 1", checks)
		}
		b.closeAndVerify(t, p)
	})
}

// stallCheck is the Check of a half-open connection: the ping never
// returns before its context ends.
func stallCheck(ctx context.Context, _ *fconn) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestStalledBackgroundCheckDoesNotBlockAcquire: an Acquire on a pool with
// room does not wait for a background check that stalls (a half-open
// connection, no CheckTimeout): it creates a connection. Before, the
// connection out for its check counted as one coming back, so the Acquire
// waited for the check until its own deadline.
func TestStalledBackgroundCheckDoesNotBlockAcquire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(2)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 2, Check: stallCheck, CheckIdleAfter: -1, CheckInterval: time.Minute})
		mustAcquire(t, p).Release()
		advance(90 * time.Second) // the sweep checks the idle connection: it stalls
		synctest.Wait()
		actx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		l, err := p.Acquire(actx)
		cancel()
		if err != nil {
			t.Errorf("Acquire with room for a connection, one out for a stalled background check: %v", err)
		} else {
			l.Release()
		}
		b.closeAndVerify(t, p)
	})
}

// TestStalledBackgroundCheckTimesOut: without CheckTimeout, a background
// check is bounded by CheckInterval: a stalled one fails (the connection is
// destroyed as Unhealthy) and the sweep goes on with its other work (here
// MaxIdleTime). Before, it waited for ever, and with it every later sweep:
// no expiry, no leak report, no check until Close.
func TestStalledBackgroundCheckTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(2)
		var stall atomic.Bool
		check := func(ctx context.Context, c *fconn) error {
			if stall.Load() {
				return stallCheck(ctx, c)
			}
			return nil
		}
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{
			MaxSize: 2, Check: check, CheckIdleAfter: -1, CheckInterval: time.Minute, MaxIdleTime: 10 * time.Minute,
		})
		l1, l2 := mustAcquire(t, p), mustAcquire(t, p)
		l1.Release()
		stall.Store(true)
		advance(90 * time.Second) // l1's connection is checked: it stalls
		synctest.Wait()
		stall.Store(false)
		l2.Release()
		advance(20 * time.Minute) // the stalled check times out; l2's connection idles out
		synctest.Wait()
		if s := p.Stats(); s.Destroyed.Unhealthy != 1 || s.Destroyed.Idle != 1 || s.Size != 0 {
			t.Errorf("unhealthy %d, idle-destroyed %d, size %d; want 1, 1, 0", s.Destroyed.Unhealthy, s.Destroyed.Idle, s.Size)
		}
		b.closeAndVerify(t, p)
	})
}

// TestCloseDuringBackgroundCheckIsNoOutage: Close cancels a background
// check in flight; that says nothing about the backend, so no EventOutage
// (as for the creates Close cancels). Before, the cancelled check's error
// was reported as an outage.
func TestCloseDuringBackgroundCheckIsNoOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		var outages atomic.Int64
		obs := ObserverFunc(func(e Event) {
			if e.Type == EventOutage {
				outages.Add(1)
			}
		})
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{
			MaxSize: 1, Check: stallCheck, CheckIdleAfter: -1, CheckInterval: time.Minute, CheckTimeout: time.Hour, Observer: obs,
		})
		mustAcquire(t, p).Release()
		advance(90 * time.Second) // the sweep's check of the idle connection waits
		synctest.Wait()
		if err := p.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := outages.Load(); n != 0 {
			t.Errorf("%d EventOutage for a check that Close cancelled, want 0", n)
		}
		b.verify(t, true)
	})
}
