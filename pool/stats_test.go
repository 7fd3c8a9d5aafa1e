package pool

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// callerTally is what the callers of Acquire saw: the leases they got, the
// acquires their context ended, and how long the successful ones took.
type callerTally struct {
	mu                  sync.Mutex // protects following fields
	acquires, cancelled int64
	wait                time.Duration
}

// acquire calls p.Acquire and tallies the outcome. Other errors fail t.
func (c *callerTally) acquire(t *testing.T, p *Pool[*fconn], ctx context.Context) (*Lease[*fconn], error) {
	start := time.Now()
	l, err := p.Acquire(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		c.acquires++
		c.wait += time.Since(start) // in a bubble: exactly the time queued
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		c.cancelled++
	default:
		t.Errorf("Acquire: %v", err)
	}
	return l, err
}

// TestStatsCountReturnedLeasesOnly: Acquires and WaitTime count the leases
// returned to callers, and CancelledAcquires the acquires that returned
// their context's error. Before, a grant put back because it raced the
// waiter's deadline, and a lease whose acquire-time Check failed, were
// counted as acquires (with their wait) although no caller got them.
func TestStatsCountReturnedLeasesOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, Check: deadlineCheck(b)})
		var tally callerTally
		bg := context.Background()

		// acquireAside acquires with ctx on another goroutine, releases at
		// once what it gets, and closes the channel it returns when done.
		acquireAside := func(ctx context.Context) chan struct{} {
			done := make(chan struct{})
			go func() {
				defer close(done)
				if l, err := tally.acquire(t, p, ctx); err == nil {
					l.Release()
				}
			}()
			return done
		}

		// Grants at the waiter's deadline: the waiter either leaves the
		// queue, or gets the grant and hands it back (it raced the cancel,
		// or it is too late to check it).
		for range 32 {
			held, err := tally.acquire(t, p, bg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(bg, time.Second)
			done := acquireAside(ctx)
			synctest.Wait()
			time.AfterFunc(time.Second, held.Release)
			<-done
			cancel()
		}

		// A waiter whose granted connection fails its Check waits on and
		// gets a new one: one acquire, one second queued.
		// failHeld holds the connection, runs then, starts an acquire with
		// ctx that queues for it, and after a second hands it back broken.
		failHeld := func(ctx context.Context, then func()) {
			held, err := tally.acquire(t, p, bg)
			if err != nil {
				t.Fatal(err)
			}
			then()
			done := acquireAside(ctx)
			synctest.Wait()
			advance(time.Second)
			held.Value().healthy.Store(false)
			held.Release()
			<-done
		}
		failHeld(bg, func() {})

		// The same, but the new connection comes too late: no acquire.
		block := make(chan struct{})
		ctx, cancel := context.WithTimeout(bg, 2*time.Second)
		failHeld(ctx, func() {
			b.mu.Lock()
			b.block = block
			b.mu.Unlock()
		})
		cancel()
		b.mu.Lock()
		b.block = nil
		b.mu.Unlock()
		close(block)
		synctest.Wait()

		s := p.Stats()
		tally.mu.Lock()
		if s.Acquires != tally.acquires || s.CancelledAcquires != tally.cancelled || s.WaitTime != tally.wait {
			t.Errorf("Stats: %d acquires, %d cancelled, wait time %v; callers got %d leases, %d context errors, and waited %v",
				s.Acquires, s.CancelledAcquires, s.WaitTime, tally.acquires, tally.cancelled, tally.wait)
		}
		tally.mu.Unlock()
		if err := p.Close(bg); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}

// TestAcquiresExcludeFailedChecks: the server drops its connections; the
// next Acquire checks an idle one, which fails, and then either checks the
// second (suspect since the outage began) or gets the connection a create
// dialled meanwhile: the two race. The caller got one lease: Acquires
// grows by one, not by one per check.
func TestAcquiresExcludeFailedChecks(t *testing.T) {
	srv := startServer(t, "echo")
	p := mustNew(t, srv.dial, closeConn, &Options[net.Conn]{MaxSize: 2, Check: ping, CheckTimeout: 5 * time.Second})
	ctx := context.Background()
	l1, l2 := mustAcquire(t, p), mustAcquire(t, p)
	l1.Release()
	l2.Release()
	for range 2 {
		<-srv.accepted
	}
	srv.dropAll()
	l, err := p.Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire after the server dropped the connections: %v", err)
	}
	if err := ping(ctx, l.Value()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	l.Release()
	if s := p.Stats(); s.Acquires != 3 || s.Destroyed.Unhealthy < 1 || s.Created != 3 {
		t.Errorf("Stats: %d acquires, %d unhealthy, %d created; want 3, at least 1, 3", s.Acquires, s.Destroyed.Unhealthy, s.Created)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestWaitsCountsWaitingAcquiresOnce: Waits counts the leases returned
// after a wait (for a release or a create), once each, as pgxpool's
// EmptyAcquireCount does, so that WaitTime/Waits is their mean wait. Before,
// it counted each time an acquire queued: an acquire that queued again after
// its granted connection failed the Check counted twice, and an acquire
// whose context ended while queued counted too.
func TestWaitsCountsWaitingAcquiresOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, Check: b.check})
		bg := context.Background()
		held, err := p.Acquire(bg) // waits for its create: 1
		if err != nil {
			t.Fatal(err)
		}
		// A waiter is granted the held connection, which fails its Check:
		// it queues again and gets a new one after 1s in all: 2.
		done := make(chan error, 1)
		go func() {
			l, err := p.Acquire(bg)
			if err == nil {
				held = l
			}
			done <- err
		}()
		synctest.Wait()
		advance(time.Second)
		held.Value().healthy.Store(false)
		held.Release()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// A waiter whose context ends: no lease, not counted.
		ctx, cancel := context.WithTimeout(bg, time.Second)
		if _, err := p.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire with a full pool: %v, want DeadlineExceeded", err)
		}
		cancel()
		held.Release()
		// From idle: no wait.
		l, err := p.Acquire(bg)
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		if s := p.Stats(); s.Acquires != 3 || s.Waits != 2 || s.WaitTime != time.Second {
			t.Errorf("Stats: %d acquires, %d waits, wait time %v; want 3, 2, 1s", s.Acquires, s.Waits, s.WaitTime)
		}
		if err := p.Close(bg); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}
