package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestOptionsValidation(t *testing.T) {
	check := func(context.Context, int) error { return nil }
	tests := []struct {
		name  string
		opts  Options[int]
		field string // "" means valid
	}{
		{name: "zero", opts: Options[int]{}},
		{name: "negative max", opts: Options[int]{MaxSize: -1}, field: "MaxSize"},
		{name: "negative min idle", opts: Options[int]{MinIdle: -1}, field: "MinIdle"},
		{name: "min idle above max", opts: Options[int]{MinIdle: 5, MaxSize: 2}, field: "MinIdle"},
		{name: "negative lifetime", opts: Options[int]{MaxLifetime: -time.Second}, field: "MaxLifetime"},
		{name: "jitter without lifetime", opts: Options[int]{LifetimeJitter: time.Second}, field: "LifetimeJitter"},
		{name: "interval without check", opts: Options[int]{CheckInterval: time.Second}, field: "CheckInterval"},
		{name: "interval with check", opts: Options[int]{CheckInterval: time.Second, Check: check}},
		{name: "negative leak threshold", opts: Options[int]{LeakThreshold: -1}, field: "LeakThreshold"},
		{name: "backoff inverted", opts: Options[int]{CreateBackoff: time.Second, MaxCreateBackoff: time.Millisecond}, field: "MaxCreateBackoff"},
		{name: "bad priority", opts: Options[int]{Priority: 7}, field: "Priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(func(context.Context) (int, error) { return 1, nil },
				func(context.Context, int) error { return nil }, &tt.opts)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("New: %v, want no error", err)
				}
				if err := p.Close(context.Background()); err != nil {
					t.Errorf("Close: %v", err)
				}
				return
			}
			if err == nil {
				p.Close(context.Background())
				t.Fatalf("New: no error, want one naming %s", tt.field)
			}
			if !strings.Contains(err.Error(), "Options."+tt.field) {
				t.Errorf("New: error %q does not name Options.%s", err, tt.field)
			}
		})
	}
}

// TestEchoServer uses a real loopback TCP server: leases carry working
// connections, and connections are reused.
func TestEchoServer(t *testing.T) {
	srv := startServer(t, "echo")
	p := mustNew(t, srv.dial, closeConn, &Options[net.Conn]{MaxSize: 2, Check: ping, CheckTimeout: 5 * time.Second})
	ctx := context.Background()
	for range 10 {
		l, err := p.Acquire(ctx)
		if err != nil {
			t.Fatalf("Acquire: %v", err)
		}
		if err := ping(ctx, l.Value()); err != nil {
			t.Fatalf("ping: %v", err)
		}
		l.Release()
	}
	s := p.Stats()
	if s.Created != 1 || s.Acquires != 10 || s.Idle != 1 {
		t.Errorf("Stats: created %d, acquires %d, idle %d; want 1, 10, 1", s.Created, s.Acquires, s.Idle)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
	if _, err := p.Acquire(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Acquire after Close: %v, want ErrClosed", err)
	}
}

// TestServerDropsConnections: the server drops every connection; the check
// on acquire notices, destroys the broken ones and dials fresh ones.
func TestServerDropsConnections(t *testing.T) {
	srv := startServer(t, "echo")
	p := mustNew(t, srv.dial, closeConn, &Options[net.Conn]{MaxSize: 4, Check: ping, CheckTimeout: 5 * time.Second})
	defer p.Close(context.Background())
	ctx := context.Background()
	var ls []*Lease[net.Conn]
	for range 3 {
		l, err := p.Acquire(ctx)
		if err != nil {
			t.Fatalf("Acquire: %v", err)
		}
		ls = append(ls, l)
	}
	for _, l := range ls {
		l.Release()
	}
	for range 3 {
		<-srv.accepted // the server knows all three before it drops them
	}
	srv.dropAll()
	for range 3 {
		l, err := p.Acquire(ctx)
		if err != nil {
			t.Fatalf("Acquire after drop: %v", err)
		}
		if err := ping(ctx, l.Value()); err != nil {
			t.Fatalf("ping after drop: %v", err)
		}
		defer l.Release()
	}
	if s := p.Stats(); s.Destroyed.Unhealthy < 1 || s.Created < 4 {
		t.Errorf("Stats: unhealthy %d, created %d; want >= 1 unhealthy and >= 4 created", s.Destroyed.Unhealthy, s.Created)
	}
}

// TestStallingServer: the server accepts but never answers, so the check of
// a reused connection times out (CheckTimeout) and the connection is
// replaced instead of blocking the acquire.
func TestStallingServer(t *testing.T) {
	srv := startServer(t, "stall")
	p := mustNew(t, srv.dial, closeConn, &Options[net.Conn]{MaxSize: 1, Check: ping, CheckTimeout: 20 * time.Millisecond})
	defer p.Close(context.Background())
	ctx := context.Background()
	l, err := p.Acquire(ctx) // fresh: not checked
	if err != nil {
		t.Fatal(err)
	}
	first := l.Value()
	l.Release()
	l, err = p.Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire from a stalling server: %v", err)
	}
	if l.Value() == first {
		t.Error("Acquire returned the connection whose check timed out")
	}
	l.Release()
	if s := p.Stats(); s.Destroyed.Unhealthy != 1 || s.Created != 2 {
		t.Errorf("Stats: unhealthy %d created %d, want 1, 2", s.Destroyed.Unhealthy, s.Created)
	}
}

func TestTryAcquire(t *testing.T) {
	b := newBackend(1)
	p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1})
	ctx := context.Background()
	l, err := p.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("TryAcquire on empty pool: %v", err)
	}
	if _, err := p.TryAcquire(ctx); !errors.Is(err, ErrExhausted) {
		t.Errorf("TryAcquire on full pool: %v, want ErrExhausted", err)
	}
	l.Release()
	l2, err := p.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("TryAcquire with one idle: %v", err)
	}
	if l2.Value() != l.Value() {
		t.Errorf("TryAcquire returned connection %d, want the idle one %d", l2.Value().id, l.Value().id)
	}
	l2.Release()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b.verify(t, true)
}

func TestTryAcquireCreateError(t *testing.T) {
	b := newBackend(0)
	b.failNext = 1
	p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1})
	defer p.Close(context.Background())
	_, err := p.TryAcquire(context.Background())
	if !errors.Is(err, errDown) {
		t.Fatalf("TryAcquire with a failing create: %v, want it to wrap %v", err, errDown)
	}
}

// TestFIFO: waiters are served in the order they queued.
func TestFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1})
		ctx := context.Background()
		held, err := p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const n = 20
		order := make(chan int, n)
		for i := range n {
			go func() {
				l, err := p.Acquire(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				order <- i
				l.Release()
			}()
			synctest.Wait() // i is queued before i+1 starts
		}
		held.Release()
		for want := range n {
			if got := <-order; got != want {
				t.Fatalf("waiter %d served in position %d", got, want)
			}
		}
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}

// TestReleaserDoesNotBarge: a goroutine that releases and at once acquires
// again queues behind the waiter it handed its connection to.
func TestReleaserDoesNotBarge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1})
		ctx := context.Background()
		l, _ := p.Acquire(ctx)
		got := leaseInBackground(t, p)
		synctest.Wait()
		l.Release()
		if _, err := p.TryAcquire(ctx); !errors.Is(err, ErrExhausted) {
			t.Errorf("TryAcquire right after a hand-off: %v, want ErrExhausted", err)
		}
		(<-got).Release()
		p.Close(ctx)
	})
}

func TestCloseWakesWaitersAndWaitsForLeases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1})
		ctx := context.Background()
		l, _ := p.Acquire(ctx)
		waitErr := make(chan error)
		go func() {
			_, err := p.Acquire(ctx)
			waitErr <- err
		}()
		synctest.Wait()
		closed := make(chan error)
		go func() { closed <- p.Close(ctx) }()
		if err := <-waitErr; !errors.Is(err, ErrClosed) {
			t.Errorf("waiter woken by Close: %v, want ErrClosed", err)
		}
		synctest.Wait()
		select {
		case err := <-closed:
			t.Fatalf("Close returned %v while a lease was out", err)
		default:
		}
		l.Release()
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		b.verify(t, true)
		if s := p.Stats(); s.Destroyed.Closed != 1 {
			t.Errorf("Stats.Destroyed.Closed = %d, want 1", s.Destroyed.Closed)
		}
	})
}

func TestCloseDeadlineDestroysLeased(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(2)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 2})
		l1, _ := p.Acquire(context.Background())
		l2, _ := p.Acquire(context.Background())
		l2.Release()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := p.Close(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 leases") {
			t.Errorf("Close with a lease out: %v, want an error about 1 lease wrapping DeadlineExceeded", err)
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("Close took %v, want 1s (its deadline)", got)
		}
		l1.Release() // no-op now
		b.verify(t, true)
	})
}

// TestDroppingServer: a real server that closes every connection at once.
// Creates (dial + handshake) fail, the pool backs off, and an acquire that
// times out meanwhile reports the last create error along with its own.
func TestDroppingServer(t *testing.T) {
	srv := startServer(t, "drop")
	dialAndPing := func(ctx context.Context) (net.Conn, error) {
		c, err := srv.dial(ctx)
		if err != nil {
			return nil, err
		}
		if err := ping(ctx, c); err != nil {
			c.Close()
			return nil, fmt.Errorf("handshake: %w", err)
		}
		return c, nil
	}
	p := mustNew(t, dialAndPing, closeConn, &Options[net.Conn]{MaxSize: 2, CreateTimeout: time.Second, CreateBackoff: 5 * time.Millisecond})
	defer p.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := p.Acquire(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "handshake") {
		t.Fatalf("Acquire from a dropping server: %v; want DeadlineExceeded and the handshake error", err)
	}
	if s := p.Stats(); s.CreateFailures < 1 || s.Size != 0 && s.Creating != s.Size {
		t.Errorf("Stats: create failures %d, size %d, creating %d", s.CreateFailures, s.Size, s.Creating)
	}
}

// TestTryAcquireRecoversAfterCreateFailure: a pool used only with
// TryAcquire (nobody waits, MinIdle 0) probes the backend again once the
// backoff after a failed create has passed, instead of reporting
// ErrExhausted forever although the backend is back.
func TestTryAcquireRecoversAfterCreateFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		b.failNext = 1
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1, CreateBackoff: time.Second, MaxCreateBackoff: time.Second})
		ctx := context.Background()
		if _, err := p.TryAcquire(ctx); !errors.Is(err, errDown) {
			t.Fatalf("TryAcquire with a failing create: %v, want it to wrap %v", err, errDown)
		}
		// Within the backoff: fail fast without a create.
		if _, err := p.TryAcquire(ctx); !errors.Is(err, ErrExhausted) {
			t.Errorf("TryAcquire during the backoff: %v, want ErrExhausted", err)
		}
		if c, _, _ := b.counts(); c != 0 {
			t.Errorf("TryAcquire during the backoff created %d connections, want 0", c)
		}
		advance(time.Minute) // the backend is back (failNext used up), the backoff long past
		l, err := p.TryAcquire(ctx)
		if err != nil {
			t.Fatalf("TryAcquire after the backoff, backend back: %v, want a lease", err)
		}
		l.Release()
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}

// TestAcquireTimeoutWithCause: an Acquire whose context has a custom cause
// (context.WithTimeoutCause) fails with an error that matches both
// ctx.Err() (as the documentation and database/sql users expect) and the
// cause, whether or not creates are failing meanwhile, and Close's error
// about leases left out matches both too.
func TestAcquireTimeoutWithCause(t *testing.T) {
	errSLO := errors.New("request SLO exceeded")
	tests := []struct {
		name    string
		failing bool // creates fail (else the pool is full)
	}{
		{name: "full"},
		{name: "creates failing", failing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBackend(1)
				p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 1})
				var held *Lease[*fconn]
				if tt.failing {
					b.failNext = 1 << 30
				} else {
					var err error
					if held, err = p.Acquire(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				ctx, cancel := context.WithTimeoutCause(context.Background(), time.Second, errSLO)
				defer cancel()
				_, err := p.Acquire(ctx)
				if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errSLO) {
					t.Errorf("Acquire: %v; want it to match context.DeadlineExceeded and the cause %v", err, errSLO)
				}
				if tt.failing && !errors.Is(err, errDown) {
					t.Errorf("Acquire: %v; want it to wrap the create error %v", err, errDown)
				}
				if _, err := p.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errSLO) {
					t.Errorf("Acquire with an ended context: %v; want it to match context.DeadlineExceeded and %v", err, errSLO)
				}
				err = p.Close(ctx)
				if held != nil && (!errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errSLO)) {
					t.Errorf("Close with a lease out: %v; want it to match context.DeadlineExceeded and %v", err, errSLO)
				}
				b.verify(t, true)
			})
		})
	}
}

// TestCheckCutByAcquireDeadline: a Check that fails because the acquire's
// own deadline passed (a ping whose socket deadline is the context's, on a
// server that does not answer in time) says nothing about the backend: the
// connection is destroyed as Broken, and no outage begins. The socket's
// deadline can fire before the context's timer has cancelled it, so
// ctx.Err() alone cannot tell; the test repeats the race.
func TestCheckCutByAcquireDeadline(t *testing.T) {
	srv := startServer(t, "stall")
	var mu sync.Mutex
	var outageErrs []error
	obs := ObserverFunc(func(e Event) {
		if e.Type == EventOutage {
			mu.Lock()
			outageErrs = append(outageErrs, e.Err)
			mu.Unlock()
		}
	})
	p := mustNew(t, srv.dial, closeConn, &Options[net.Conn]{MaxSize: 1, Check: ping, Observer: obs})
	const rounds = 40
	succeeded, uncut := 0, 0
	for range rounds {
		if p.Stats().Idle == 0 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			l, err := p.Acquire(ctx) // fresh (nothing idle): not checked
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			l.Release()
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		l, err := p.Acquire(ctx) // checked: the ping stalls until the deadline
		cancel()
		switch {
		case err == nil:
			l.Destroy() // the check failed as Unhealthy and a new connection was made
			succeeded++
		case !errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("Acquire: %v, want DeadlineExceeded", err)
		case p.Stats().Idle == 1:
			// The deadline passed before the check began (a loaded
			// machine): the connection went back unchecked, and the next
			// round checks it.
			uncut++
		}
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	mu.Lock()
	defer mu.Unlock()
	cut := int64(rounds - uncut)
	if s.Destroyed.Unhealthy != 0 || len(outageErrs) != 0 || s.Destroyed.Broken != cut+int64(succeeded) || succeeded != 0 || cut == 0 {
		t.Errorf("%d checks cut by the acquire's deadline: unhealthy %d, broken %d, outages %d (first: %v), acquires that succeeded after their deadline %d; want 0, %d, 0, 0",
			cut, s.Destroyed.Unhealthy, s.Destroyed.Broken-int64(succeeded), len(outageErrs), firstErr(outageErrs), succeeded, cut)
	}
}

func firstErr(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}
