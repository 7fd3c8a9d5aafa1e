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

// TestPutBackKeepsIdleTime: a long-idle connection due for its
// acquire-time Check, taken by an acquire whose deadline has passed, goes
// back to the pool unchecked (putBack). It has been idle all along: the
// next Acquire must still Check it (putLocked used to restart its idle time).
func TestPutBackKeepsIdleTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var checks atomic.Int32
		create := func(context.Context) (*int, error) { return new(int), nil }
		destroy := func(context.Context, *int) error { return nil }
		p, err := New(create, destroy, &Options[*int]{
			MaxSize:        1,
			CheckIdleAfter: time.Minute,
			Check:          func(context.Context, *int) error { checks.Add(1); return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(context.Background())
		l, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		<-time.After(10 * time.Minute) // idle, unchecked, for 10 minutes

		late := pastDeadlineCtx{Context: context.Background(), dl: time.Now()}
		if _, err := p.Acquire(late); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire past its deadline: %v, want DeadlineExceeded", err)
		}
		l, err = p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		if n := checks.Load(); n != 1 {
			t.Errorf("connection idle 10m (CheckIdleAfter 1m) leased with %d Checks, want 1", n)
		}
	})
}

// TestPutBackKeepsMaxIdleTime: the same with MaxIdleTime: an acquire that
// gives the connection back unused must not make it look freshly used.
func TestPutBackKeepsMaxIdleTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		create := func(context.Context) (*int, error) { return new(int), nil }
		destroy := func(context.Context, *int) error { return nil }
		p, err := New(create, destroy, &Options[*int]{
			MaxSize:        1,
			MaxIdleTime:    3 * time.Minute,
			CheckIdleAfter: time.Minute,
			Check:          func(context.Context, *int) error { return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(context.Background())
		l, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		<-time.After(2 * time.Minute)
		late := pastDeadlineCtx{Context: context.Background(), dl: time.Now()}
		if _, err := p.Acquire(late); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire past its deadline: %v, want DeadlineExceeded", err)
		}
		<-time.After(2 * time.Minute) // last use 4 minutes ago
		l, err = p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		if s := p.Stats(); s.Destroyed.Idle != 1 || s.Created != 2 {
			t.Errorf("last used 4m ago (MaxIdleTime 3m): %d idle-timeout destroys, %d created; want 1, 2", s.Destroyed.Idle, s.Created)
		}
	})
}
