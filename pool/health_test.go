package pool

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestLifetimeWithJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(4)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 4, MaxLifetime: time.Hour, LifetimeJitter: 10 * time.Minute})
		ctx := context.Background()
		var ls []*Lease[*fconn]
		for range 4 {
			l, _ := p.Acquire(ctx)
			ls = append(ls, l)
		}
		for _, l := range ls {
			if life := l.c.expires.Sub(l.c.created); life < time.Hour || life >= time.Hour+10*time.Minute {
				t.Errorf("lifetime %v, want in [1h, 1h10m)", life)
			}
			l.Release()
		}
		advance(59 * time.Minute)
		synctest.Wait()
		if s := p.Stats(); s.Idle != 4 || s.Destroyed.Lifetime != 0 {
			t.Errorf("after 59m: idle %d, lifetime-destroyed %d; want 4, 0", s.Idle, s.Destroyed.Lifetime)
		}
		advance(11*time.Minute + time.Hour/2) // past every jittered lifetime plus a sweep
		synctest.Wait()
		if s := p.Stats(); s.Idle != 0 || s.Destroyed.Lifetime != 4 || s.Size != 0 {
			t.Errorf("after 1h40m: idle %d, size %d, lifetime-destroyed %d; want 0, 0, 4", s.Idle, s.Size, s.Destroyed.Lifetime)
		}
		p.Close(ctx)
		b.verify(t, true)
	})
}

func TestIdleTimeoutKeepsMinIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(5)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 5, MinIdle: 1, MaxIdleTime: time.Minute})
		ctx := context.Background()
		var ls []*Lease[*fconn]
		for range 4 {
			l, _ := p.Acquire(ctx)
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Release()
		}
		synctest.Wait()
		advance(2 * time.Minute)
		synctest.Wait()
		s := p.Stats()
		if s.Idle != 1 || s.Destroyed.Idle < 3 {
			t.Errorf("after idling: idle %d, idle-destroyed %d; want 1 (MinIdle), >= 3", s.Idle, s.Destroyed.Idle)
		}
		p.Close(ctx)
		b.verify(t, true)
	})
}

// TestBackoffSingleProbe: while creates fail, only one create is in flight
// at a time and the attempts back off exponentially; the acquire that times
// out reports the last create error.
func TestBackoffSingleProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(0)
		b.failNext = 1 << 30
		var mu sync.Mutex
		var attempts []time.Time
		create := func(ctx context.Context) (*fconn, error) {
			mu.Lock()
			attempts = append(attempts, time.Now())
			mu.Unlock()
			return b.create(ctx)
		}
		p := mustNew(t, create, b.destroy, &Options[*fconn]{MaxSize: 8, CreateBackoff: time.Second, MaxCreateBackoff: 8 * time.Second})
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		errs := make(chan error, 10)
		for range 10 {
			go func() {
				_, err := p.Acquire(ctx)
				errs <- err
			}()
		}
		for range 10 {
			err := <-errs
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errDown) {
				t.Fatalf("Acquire while creates fail: %v, want DeadlineExceeded wrapping %v", err, errDown)
			}
		}
		// Before the first failure the pool does not know the backend is
		// down: it may start one create per waiter queued so far (at most 8,
		// MaxSize), all at the start. After that, single probes: with 1s
		// doubling to 8s and equal jitter, 30s allow 5 to 8 of them, spaced
		// by the backoff, never one per waiter.
		mu.Lock()
		batch := 0
		for batch < len(attempts) && attempts[batch] == start {
			batch++
		}
		probes := attempts[batch:]
		mu.Unlock()
		if batch < 1 || batch > 8 {
			t.Errorf("%d creates at the start, want 1..8", batch)
		}
		if n := len(probes); n < 5 || n > 8 {
			t.Errorf("%d probing creates in 30s, want 5..8", n)
		}
		prev := start
		for i, a := range probes {
			gap := a.Sub(prev)
			if lo := min(time.Second<<i, 8*time.Second) / 2; gap < lo {
				t.Errorf("probe %d came %v after the previous attempt, want >= %v", i, gap, lo)
			}
			prev = a
		}
		s := p.Stats()
		if s.CancelledAcquires != 10 || s.Waiting != 0 {
			t.Errorf("Stats: cancelled %d waiting %d, want 10, 0", s.CancelledAcquires, s.Waiting)
		}
		// The backend comes back: the next probe succeeds and serves.
		b.mu.Lock()
		b.failNext = 0
		b.mu.Unlock()
		l, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatalf("Acquire after recovery: %v", err)
		}
		l.Release()
		p.Close(context.Background())
		b.verify(t, true)
	})
}

func TestCreateTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(0)
		b.block = make(chan struct{}) // never closed: creates hang until their ctx ends
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, CreateTimeout: time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		_, err := p.Acquire(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire: %v, want DeadlineExceeded", err)
		}
		if s := p.Stats(); s.CreateFailures != 1 {
			t.Errorf("Stats.CreateFailures = %d, want 1 (the create timed out after 1s)", s.CreateFailures)
		}
		p.Close(context.Background())
	})
}

// TestCancelledCreateGoesToNextWaiter: a create started for an acquire that
// gave up finishes and serves the next waiter.
func TestCancelledCreateGoesToNextWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		b.block = make(chan struct{})
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1})
		ctx1, cancel1 := context.WithCancel(context.Background())
		errs := make(chan error)
		go func() {
			_, err := p.Acquire(ctx1)
			errs <- err
		}()
		synctest.Wait()
		cancel1()
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Acquire: %v", err)
		}
		got := leaseInBackground(t, p)
		synctest.Wait()
		if s := p.Stats(); s.Creating != 1 || s.Size != 1 {
			t.Errorf("Stats: creating %d size %d, want 1, 1 (no second create)", s.Creating, s.Size)
		}
		close(b.block)
		l := <-got
		l.Release()
		p.Close(context.Background())
		b.verify(t, true)
		if c, _, _ := b.counts(); c != 1 {
			t.Errorf("created %d connections, want 1", c)
		}
	})
}

// TestOutageFlush: a failed create marks an outage; the idle connections
// from before it are validated on their next acquire (not pinged one by one
// in the background), so the bad ones are destroyed and a good one returned.
func TestOutageFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(4)
		checks := 0
		check := func(ctx context.Context, c *fconn) error { checks++; return b.check(ctx, c) }
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 4, Check: check, CheckIdleAfter: time.Hour})
		ctx := context.Background()
		var ls []*Lease[*fconn]
		for range 3 {
			l, _ := p.Acquire(ctx)
			ls = append(ls, l)
		}
		b.mu.Lock()
		b.failNext = 1
		b.mu.Unlock()
		if _, err := p.TryAcquire(ctx); !errors.Is(err, errDown) {
			t.Fatalf("TryAcquire with a failing create: %v, want %v", err, errDown)
		}
		ls[0].Value().healthy.Store(false) // the backend restarted
		ls[1].Value().healthy.Store(false)
		for _, l := range ls {
			l.Release()
		}
		if checks != 0 {
			t.Fatalf("%d checks before any acquire, want 0", checks)
		}
		l, err := p.Acquire(ctx) // the most recent idle: ls[2], good
		if err != nil || l.Value() != ls[2].Value() || checks != 1 {
			t.Fatalf("first Acquire after the outage: %v (id %d), %d checks; want connection %d after 1 check", err, l.Value().id, checks, ls[2].Value().id)
		}
		l2, err := p.Acquire(ctx) // ls[1] and ls[0] fail their checks; a new one is created
		if err != nil || !l2.Value().healthy.Load() || checks != 3 {
			t.Fatalf("second Acquire: %v, healthy %v, %d checks; want a healthy connection after 3 checks", err, l2.Value().healthy.Load(), checks)
		}
		l.Release()
		l2.Release()
		synctest.Wait()
		if s := p.Stats(); s.Destroyed.Unhealthy != 2 || s.Created != 4 {
			t.Errorf("Stats: unhealthy %d created %d, want 2, 4", s.Destroyed.Unhealthy, s.Created)
		}
		p.Close(ctx)
		b.verify(t, true)
	})
}

// TestOutageFlushWithoutCheck: without a Check, a failed create flushes the
// idle connections; the refill then backs off and recovers.
func TestOutageFlushWithoutCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(4)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 4, MinIdle: 2})
		synctest.Wait()
		b.mu.Lock()
		b.failNext = 1
		b.mu.Unlock()
		l, err := p.Acquire(context.Background()) // refill for MinIdle fails
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if s := p.Stats(); s.Destroyed.Flushed != 1 || s.CreateFailures != 1 {
			t.Errorf("after a failed create: flushed %d, create failures %d; want 1, 1", s.Destroyed.Flushed, s.CreateFailures)
		}
		advance(time.Second) // past the backoff
		synctest.Wait()
		if s := p.Stats(); s.Idle != 2 {
			t.Errorf("after the backoff: idle %d, want 2 (MinIdle)", s.Idle)
		}
		l.Release()
		p.Close(context.Background())
		b.verify(t, true)
	})
}

func TestCheckInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(3)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 3, MinIdle: 2, Check: b.check, CheckIdleAfter: -1, CheckInterval: time.Minute})
		synctest.Wait()
		if s := p.Stats(); s.Idle != 2 {
			t.Fatalf("MinIdle refill: idle %d, want 2", s.Idle)
		}
		p.mu.Lock()
		p.idle[0].value.healthy.Store(false)
		p.mu.Unlock()
		advance(90 * time.Second)
		synctest.Wait()
		s := p.Stats()
		if s.Destroyed.Unhealthy != 1 || s.Idle != 2 || s.Created != 3 {
			t.Errorf("after a check: unhealthy %d idle %d created %d; want 1, 2, 3", s.Destroyed.Unhealthy, s.Idle, s.Created)
		}
		p.Close(context.Background())
		b.verify(t, true)
	})
}

// TestBackgroundCheckKeepsIdleTime: background checks (CheckInterval)
// shorter than MaxIdleTime do not make an idle connection look used: it is
// destroyed (reason IdleTimeout) once it stayed idle MaxIdleTime, with the
// options of the example in ARCHITECTURE.md (CheckInterval 1m, MaxIdleTime
// 10m).
// A connection that was checked in the background recently is not checked
// again on acquire (CheckIdleAfter counts from its last check).
func TestBackgroundCheckKeepsIdleTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(2)
		var mu sync.Mutex
		n := 0
		check := func(ctx context.Context, c *fconn) error {
			mu.Lock()
			n++
			mu.Unlock()
			return b.check(ctx, c)
		}
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 2, Check: check, CheckIdleAfter: 5 * time.Minute,
			CheckInterval: time.Minute, MaxIdleTime: 10 * time.Minute})
		ctx := context.Background()
		l, err := p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		advance(6 * time.Minute) // idle 6m, checked in the background < 1m ago
		synctest.Wait()
		mu.Lock()
		before := n
		mu.Unlock()
		if before == 0 {
			t.Fatal("no background check in 6 minutes")
		}
		l, err = p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		after := n
		mu.Unlock()
		if after != before {
			t.Error("Acquire checked a connection checked in the background less than 1m ago (CheckIdleAfter 5m)")
		}
		l.Release()
		advance(21 * time.Minute) // idle 21m: past MaxIdleTime plus a sweep, with checks every minute meanwhile
		synctest.Wait()
		if s := p.Stats(); s.Idle != 0 || s.Size != 0 || s.Destroyed.Idle != 1 {
			t.Errorf("after 21m idle (MaxIdleTime 10m, CheckInterval 1m): idle %d, size %d, idle-destroyed %d; want 0, 0, 1",
				s.Idle, s.Size, s.Destroyed.Idle)
		}
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}

// TestLeakNotReportedBeforeRecorded: a lease granted but whose acquirer
// has not yet run (a hand-off to a waiter not yet scheduled) is not
// reported as leaked on the strength of the previous lease's acquire time:
// that would send EventLeak, with the previous holder's stack and a Held
// spanning the idle time, for a lease just taken, and never its
// EventLeakReturned. The test holds that window open by calling the steps
// of Acquire one by one.
func TestLeakNotReportedBeforeRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		leaks := make(chan Event, 4)
		obs := ObserverFunc(func(e Event) {
			if e.Type == EventLeak {
				leaks <- e
			}
		})
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, LeakThreshold: time.Minute, Observer: obs})
		ctx := context.Background()
		l, err := p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		advance(10 * time.Minute) // idle, its last acquire 10m ago
		synctest.Wait()
		l, err = p.acquireOnce(ctx, true, new(acquiring)) // granted; Acquire has not recorded it yet
		if err != nil {
			t.Fatal(err)
		}
		p.sweep()
		p.recordAcquire(l.c)
		l.Release()
		synctest.Wait()
		select {
		case e := <-leaks:
			t.Errorf("EventLeak (held %v) for a lease taken just now", e.Held)
		default:
		}
		if s := p.Stats(); s.Leaks != 0 {
			t.Errorf("Stats.Leaks = %d, want 0", s.Leaks)
		}
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}

func TestResetFailureDestroys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(2)
		reset := func(_ context.Context, c *fconn) error {
			if c.id == 1 {
				return errDown
			}
			return nil
		}
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 2, Reset: reset})
		l, _ := p.Acquire(context.Background())
		l.Release()
		synctest.Wait()
		if s := p.Stats(); s.Destroyed.ResetFailed != 1 || s.Idle != 0 || s.Size != 0 {
			t.Errorf("Stats: reset-failed %d idle %d size %d, want 1, 0, 0", s.Destroyed.ResetFailed, s.Idle, s.Size)
		}
		p.Close(context.Background())
		b.verify(t, true)
	})
}

func TestLeakThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		events := make(chan Event, 10)
		obs := ObserverFunc(func(e Event) {
			if e.Type == EventLeak || e.Type == EventLeakReturned {
				events <- e
			}
		})
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, LeakThreshold: time.Second, Observer: obs})
		l, _ := p.Acquire(context.Background())
		advance(2 * time.Second)
		e := <-events
		if e.Type != EventLeak || e.Held < time.Second || !strings.Contains(e.Stack, "TestLeakThreshold") {
			t.Errorf("leak event %v held %v stack %q; want a leak held >= 1s with this test in the stack", e.Type, e.Held, e.Stack)
		}
		l.Release()
		if e := <-events; e.Type != EventLeakReturned || e.Held < 2*time.Second {
			t.Errorf("event %v held %v, want leak returned held >= 2s", e.Type, e.Held)
		}
		if s := p.Stats(); s.Leaks != 1 {
			t.Errorf("Stats.Leaks = %d, want 1", s.Leaks)
		}
		p.Close(context.Background())
	})
}

func TestResize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(0)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 4})
		ctx := context.Background()
		var ls []*Lease[*fconn]
		for range 4 {
			l, _ := p.Acquire(ctx)
			ls = append(ls, l)
		}
		ls[0].Release()
		ls[1].Release()
		if err := p.Resize(1); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if s := p.Stats(); s.Size != 2 || s.Idle != 0 {
			t.Errorf("after shrink: size %d idle %d, want 2 (the leased), 0", s.Size, s.Idle)
		}
		ls[2].Release()
		synctest.Wait()
		if s := p.Stats(); s.Size != 1 || s.Destroyed.Shrunk != 3 {
			t.Errorf("after release: size %d shrunk %d, want 1, 3", s.Size, s.Destroyed.Shrunk)
		}
		if err := p.Resize(0); err == nil {
			t.Error("Resize(0): no error")
		}
		ls[3].Release()
		p.Close(ctx)
		b.verify(t, true)
	})
}

// TestCheckCancelled: an acquire whose context ends during the check gets
// no lease, and the connection (its check cut short) is not reused.
func TestCheckCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		check := func(ctx context.Context, _ *fconn) error {
			<-ctx.Done()
			return ctx.Err()
		}
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, Check: check})
		l, _ := p.Acquire(context.Background())
		l.Release()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		l, err := p.Acquire(ctx)
		if l != nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire with a check outliving ctx: %v, %v; want nil, DeadlineExceeded", l, err)
		}
		synctest.Wait()
		if s := p.Stats(); s.Destroyed.Broken != 1 || s.Size != 0 {
			t.Errorf("Stats: broken %d size %d, want 1, 0", s.Destroyed.Broken, s.Size)
		}
		p.Close(context.Background())
		b.verify(t, true)
	})
}

// deadlineCheck is b's Check as a ping whose socket deadline is ctx's: it
// fails at once, sending nothing, once that deadline has passed.
func deadlineCheck(b *backend) func(ctx context.Context, c *fconn) error {
	return func(ctx context.Context, c *fconn) error {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return os.ErrDeadlineExceeded
		}
		return b.check(ctx, c)
	}
}

// TestGrantAtDeadlineKeepsConnection: a connection handed to a waiter at
// the instant its deadline passes must not be destroyed: the waiter's
// check (a ping honouring ctx) cannot run, the connection is untouched, so
// it goes back to the pool instead of being closed and replaced. (A
// waiter woken late, under load, past its deadline is the same case.) A
// cancelled Acquire never loses a connection (ARCHITECTURE.md).
func TestGrantAtDeadlineKeepsConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, Check: deadlineCheck(b)})
		const rounds = 64
		for range rounds {
			held, err := p.Acquire(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			got := make(chan struct{})
			go func() {
				defer close(got)
				if l, err := p.Acquire(ctx); err == nil {
					l.Release()
				}
			}()
			synctest.Wait()                           // the waiter is queued
			time.AfterFunc(time.Second, held.Release) // the grant comes as the deadline passes
			<-got
			cancel()
		}
		s := p.Stats()
		if s.Destroyed.Total() != 0 || s.Created != 1 {
			t.Errorf("%d grants at the waiter's deadline: %d connections destroyed (%d broken, %d unhealthy), %d created; want 0, 1",
				rounds, s.Destroyed.Total(), s.Destroyed.Broken, s.Destroyed.Unhealthy, s.Created)
		}
		if err := p.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}
