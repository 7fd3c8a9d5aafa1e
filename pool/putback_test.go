package pool

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// pastDeadlineCtx is a context whose deadline has passed while its timer
// has not run yet (Err still nil): the state ended() looks for.
type pastDeadlineCtx struct {
	context.Context
	dl time.Time
}

func (c pastDeadlineCtx) Deadline() (time.Time, bool) { return c.dl, true }

// useOnce acquires and releases a connection of p, waits idle, then has
// an acquire whose deadline has passed take it and give it back unused.
func useOnce(t *testing.T, p *Pool[*int], idle time.Duration) {
	t.Helper()
	acquireRelease(t, p)
	<-time.After(idle)
	late := pastDeadlineCtx{Context: context.Background(), dl: time.Now()}
	if _, err := p.Acquire(late); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire past its deadline: %v, want DeadlineExceeded", err)
	}
}

// acquireRelease acquires a connection of p and releases it.
func acquireRelease(t *testing.T, p *Pool[*int]) {
	t.Helper()
	l, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
}

// newIntPool returns a pool of *int connections with options o, closed
// when the test ends.
func newIntPool(t *testing.T, o *Options[*int]) *Pool[*int] {
	create := func(context.Context) (*int, error) { return new(int), nil }
	destroy := func(context.Context, *int) error { return nil }
	p := mustNew(t, create, destroy, o)
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// TestPutBackKeepsIdleTime: a long-idle connection due for its
// acquire-time Check, taken by an acquire whose deadline has passed, goes
// back to the pool unchecked (putBack). It has been idle all along: the
// next Acquire must still Check it (putLocked used to restart its idle time).
func TestPutBackKeepsIdleTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var checks atomic.Int32
		p := newIntPool(t, &Options[*int]{
			MaxSize:        1,
			CheckIdleAfter: time.Minute,
			Check:          func(context.Context, *int) error { checks.Add(1); return nil },
		})
		useOnce(t, p, 10*time.Minute) // idle, unchecked, for 10 minutes
		acquireRelease(t, p)
		if n := checks.Load(); n != 1 {
			t.Errorf("connection idle 10m (CheckIdleAfter 1m) leased with %d Checks, want 1", n)
		}
	})
}

// TestPutBackKeepsMaxIdleTime: the same with MaxIdleTime: an acquire that
// gives the connection back unused must not make it look freshly used.
func TestPutBackKeepsMaxIdleTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newIntPool(t, &Options[*int]{
			MaxSize:        1,
			MaxIdleTime:    3 * time.Minute,
			CheckIdleAfter: time.Minute,
			Check:          func(context.Context, *int) error { return nil },
		})
		useOnce(t, p, 2*time.Minute)
		<-time.After(2 * time.Minute) // last use 4 minutes ago
		acquireRelease(t, p)
		if s := p.Stats(); s.Destroyed.Idle != 1 || s.Created != 2 {
			t.Errorf("last used 4m ago (MaxIdleTime 3m): %d idle-timeout destroys, %d created; want 1, 2", s.Destroyed.Idle, s.Created)
		}
	})
}
