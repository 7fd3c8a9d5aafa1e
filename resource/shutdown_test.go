package resource_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

func TestShutdownPriorityOrder(t *testing.T) {
	r, err := resource.NewRegistry(&resource.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{}
	for _, p := range []resource.Priority{resource.Low, resource.Critical, resource.Normal, resource.High, resource.Low, resource.Critical} {
		mustRegister(t, r, c.fn(p.String()), resource.WithPriority(p))
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"critical", "critical", "high", "normal", "low", "low"}
	if got := c.seq(); !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if _, err := r.Register(c.fn("late")); !errors.Is(err, resource.ErrShuttingDown) {
		t.Errorf("Register after Shutdown: %v, want ErrShuttingDown", err)
	}
	if _, err := resource.Track(r, 1, func(context.Context, int) error { return nil }); !errors.Is(err, resource.ErrShuttingDown) {
		t.Errorf("Track after Shutdown: %v, want ErrShuttingDown", err)
	}
	if h := r.Health(); h.Phase != resource.PhaseStopped || h.Live != 0 {
		t.Errorf("Health after Shutdown = %+v", h)
	}
}

// TestShutdownRegistrationOrder: with one worker, independent resources of
// one priority are released in the order they were registered, although
// they were registered within one tick of the coarse clock and land in
// different shards (whose IDs say nothing of order).
func TestShutdownRegistrationOrder(t *testing.T) {
	r, err := resource.NewRegistry(&resource.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{}
	var want []string
	var guards []*resource.Guard[int] // held: a dropped Guard is a leak, released early
	for i := range 300 {
		name := strconv.Itoa(i)
		want = append(want, name)
		if i%2 == 0 {
			mustRegister(t, r, c.fn(name))
			continue
		}
		fn := c.fn(name)
		g, err := resource.Track(r, i, func(ctx context.Context, _ int) error { return fn(ctx) })
		if err != nil {
			t.Fatal(err)
		}
		guards = append(guards, g)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(guards)
	if got := c.seq(); !slices.Equal(got, want) {
		t.Errorf("release order %v, want registration order", got)
	}
}

// TestShutdownTimeout: when ctx ends, every unfinished resource is named
// (the hung one as running, the ones behind it as queued), and failures
// during the shutdown are in the error too.
func TestShutdownTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r, err := resource.NewRegistry(&resource.Options{Workers: 1, Observer: rec})
		if err != nil {
			t.Fatal(err)
		}
		gate := make(chan struct{})
		hung := mustRegister(t, r, func(context.Context) error { <-gate; return nil }, resource.WithPriority(resource.Critical), resource.WithKind("hung"))
		// Queued behind the hung one (one worker), so it never runs.
		failed := mustRegister(t, r, func(context.Context) error { return resource.Classify(errBoom, resource.Fail) },
			resource.WithPriority(resource.High))
		var queued []resource.ID
		for i := 0; i < 3; i++ {
			queued = append(queued, mustRegister(t, r, func(context.Context) error { return nil }, resource.WithKind("q")))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = r.Shutdown(ctx)
		var se *resource.ShutdownError
		if !errors.As(err, &se) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v; want *ShutdownError with DeadlineExceeded", err)
		}
		states := map[resource.ID]resource.State{}
		for _, in := range se.Unfinished {
			states[in.ID] = in.State
		}
		if states[hung] != resource.StateRunning {
			t.Errorf("hung state %v, want running (%v)", states[hung], se)
		}
		for _, id := range append(queued, failed) {
			if states[id] != resource.StateQueued {
				t.Errorf("%v state %v, want queued", id, states[id])
			}
		}
		if len(se.Unfinished) != 5 { // hung, failed (queued behind hung), 3 queued
			t.Errorf("unfinished = %d, want 5: %v", len(se.Unfinished), se)
		}
		if !strings.Contains(se.Error(), hung.String()) || !strings.Contains(se.Error(), "hung") {
			t.Errorf("error text lacks the hung resource: %v", se)
		}
		if again := r.Shutdown(context.Background()); again != err {
			t.Errorf("second Shutdown = %v, want the same error", again)
		}
		if rec.count(resource.ShutdownStarted) != 1 || rec.count(resource.ShutdownDone) != 1 {
			t.Errorf("shutdown events: %d started, %d done", rec.count(resource.ShutdownStarted), rec.count(resource.ShutdownDone))
		}
		close(gate) // the hung cleanup returns; its worker exits
		synctest.Wait()
		if s := r.Stats(); s.Workers != 0 {
			t.Errorf("workers %d after the hung cleanup returned, want 0", s.Workers)
		}
	})
}

func TestShutdownReportsFailures(t *testing.T) {
	r, err := resource.NewRegistry(&resource.Options{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	id := mustRegister(t, r, func(context.Context) error { return errBoom }, resource.WithKind("bad"))
	mustRegister(t, r, func(context.Context) error { return nil })
	err = r.Shutdown(context.Background())
	var se *resource.ShutdownError
	if !errors.As(err, &se) || len(se.Failed) != 1 || se.Failed[0].ID != id || se.Err != nil || len(se.Unfinished) != 0 {
		t.Fatalf("Shutdown = %#v; want one failure of %v", err, id)
	}
	if !errors.Is(err, errBoom) {
		t.Errorf("ShutdownError does not unwrap to the cause")
	}
	var ce *resource.CleanupError
	if !errors.As(err, &ce) || ce.ID != id {
		t.Errorf("errors.As CleanupError = %v", ce)
	}
}

func TestShutdownConcurrentIdempotent(t *testing.T) {
	r, err := resource.NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	for i := 0; i < 100; i++ {
		mustRegister(t, r, func(context.Context) error { calls.Add(1); return nil })
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.Shutdown(context.Background())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Shutdown %d = %v", i, err)
		}
	}
	if calls.Load() != 100 {
		t.Errorf("cleanups = %d, want 100", calls.Load())
	}
}

// TestShutdownRunsRetriesNow: a retry waiting out a long backoff runs at
// once when Shutdown begins; an in-flight synchronous Release is awaited.
func TestShutdownRunsRetriesNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(&resource.Options{MaxAttempts: 3, RetryBackoff: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		var calls, syncCalls atomic.Int32
		id := mustRegister(t, r, failing(1, errBoom, &calls))
		if err := r.ReleaseAsync(id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		syncID := mustRegister(t, r, failing(1, errBoom, &syncCalls))
		syncDone := make(chan error, 1)
		go func() { syncDone <- r.Release(context.Background(), syncID) }() // backs off for up to an hour
		synctest.Wait()
		gate := make(chan struct{})
		slow := mustRegister(t, r, func(context.Context) error { <-gate; return nil })
		relDone := make(chan error, 1)
		go func() { relDone <- r.Release(context.Background(), slow) }()
		synctest.Wait()
		start := time.Now()
		shDone := make(chan error, 1)
		go func() { shDone <- r.Shutdown(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-shDone:
			t.Fatalf("Shutdown returned %v before the in-flight Release finished", err)
		default:
		}
		close(gate)
		if err := <-shDone; err != nil {
			t.Fatal(err)
		}
		if err := <-relDone; err != nil {
			t.Fatal(err)
		}
		if err := <-syncDone; err != nil || syncCalls.Load() != 2 {
			t.Errorf("sync Release in backoff = %v after %d attempts; want nil after 2", err, syncCalls.Load())
		}
		if el := time.Since(start); el != 0 {
			t.Errorf("Shutdown waited %v of backoff, want 0", el)
		}
		if calls.Load() != 2 {
			t.Errorf("attempts %d, want 2", calls.Load())
		}
	})
}

// TestShutdownTimeoutReleaseWaitingForDependent: a Release (with no
// deadline of its own) waiting for a dependent that a timed-out Shutdown
// left queued, never to run, returns an error matching ErrShuttingDown
// instead of blocking forever; the resource is left to the ShutdownError.
func TestShutdownTimeoutReleaseWaitingForDependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(&resource.Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		gate := make(chan struct{})
		hung := mustRegister(t, r, func(context.Context) error { <-gate; return nil })
		if err := r.ReleaseAsync(hung); err != nil { // occupies the one worker
			t.Fatal(err)
		}
		synctest.Wait()
		c := &counter{}
		parent := mustRegister(t, r, c.fn("parent"))
		child := mustRegister(t, r, c.fn("child"), resource.DependsOn(parent))
		if err := r.ReleaseAsync(child); err != nil { // queued behind hung
			t.Fatal(err)
		}
		released := make(chan error, 1)
		go func() { released <- r.Release(context.Background(), parent) }()
		synctest.Wait() // Release waits for child
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var se *resource.ShutdownError
		if err := r.Shutdown(ctx); !errors.As(err, &se) || len(se.Unfinished) != 3 {
			t.Fatalf("Shutdown = %v, want a *ShutdownError naming hung, parent and child", err)
		}
		close(gate)
		synctest.Wait()
		select {
		case err := <-released:
			if !errors.Is(err, resource.ErrShuttingDown) {
				t.Errorf("Release = %v, want ErrShuttingDown", err)
			}
		default:
			t.Fatal("Release still blocked on a dependent that will never run")
		}
		if seq := c.seq(); len(seq) != 0 {
			t.Errorf("cleanups %v ran, want none (child never ran, so parent must not)", seq)
		}
	})
}

// TestShutdownTimeoutReleaseWaitingForRunningDependent: a Release waiting
// for a dependent that another caller is still releasing goes on waiting
// after a Shutdown whose context ended (nothing it waits for was dropped),
// and then releases its resource in order.
func TestShutdownTimeoutReleaseWaitingForRunningDependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		c := &counter{}
		gate := make(chan struct{})
		parent := mustRegister(t, r, c.fn("parent"))
		child := mustRegister(t, r, func(ctx context.Context) error { <-gate; return c.fn("child")(ctx) }, resource.DependsOn(parent))
		childDone := make(chan error, 1)
		go func() { childDone <- r.Release(context.Background(), child) }()
		synctest.Wait()
		parentDone := make(chan error, 1)
		go func() { parentDone <- r.Release(context.Background(), parent) }()
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var se *resource.ShutdownError
		if err := r.Shutdown(ctx); !errors.As(err, &se) || len(se.Unfinished) != 2 {
			t.Fatalf("Shutdown = %v, want a *ShutdownError naming parent and child", err)
		}
		synctest.Wait()
		select {
		case err := <-parentDone:
			t.Fatalf("Release(parent) = %v before its dependent finished", err)
		default:
		}
		close(gate)
		if err := <-childDone; err != nil {
			t.Errorf("Release(child) = %v", err)
		}
		if err := <-parentDone; err != nil {
			t.Errorf("Release(parent) = %v", err)
		}
		if seq := c.seq(); !slices.Equal(seq, []string{"child", "parent"}) {
			t.Errorf("order %v, want [child parent]", seq)
		}
	})
}

// TestShutdownTimeoutAbandonsWaiters: when a timed-out Shutdown drops a
// queued cleanup, the resource the scheduler keeps waiting for it is left
// unfinished too, and a Release waiting for that one returns an error
// matching ErrShuttingDown instead of blocking forever.
func TestShutdownTimeoutAbandonsWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(&resource.Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		c := &counter{}
		hang, free := make(chan struct{}), make(chan struct{})
		hung := func(context.Context) error { <-hang; return nil }
		for _, gate := range []chan struct{}{hang, free} { // both workers busy
			id := mustRegister(t, r, func(context.Context) error { <-gate; return nil }, resource.WithPriority(resource.Critical))
			if err := r.ReleaseAsync(id); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		grand := mustRegister(t, r, c.fn("grand"))
		parent := mustRegister(t, r, c.fn("parent"), resource.DependsOn(grand), resource.WithPriority(resource.Critical))
		mustRegister(t, r, c.fn("child"), resource.DependsOn(parent), resource.WithPriority(resource.Low))
		h2 := mustRegister(t, r, hung, resource.WithPriority(resource.Critical))
		for _, id := range []resource.ID{parent, h2} {
			if err := r.ReleaseAsync(id); err != nil {
				t.Fatal(err)
			}
		}
		// A worker frees up: parent queues child and waits for it; the
		// worker then takes h2 (Critical) and hangs; child stays queued.
		close(free)
		synctest.Wait()
		if in, _ := r.Info(parent); in.State != resource.StateWaiting {
			t.Fatalf("parent %v, want waiting", in.State)
		}
		released := make(chan error, 1)
		go func() { released <- r.Release(context.Background(), grand) }()
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
		}
		synctest.Wait()
		select {
		case err := <-released:
			if !errors.Is(err, resource.ErrShuttingDown) {
				t.Errorf("Release(grand) = %v, want ErrShuttingDown", err)
			}
		default:
			t.Error("Release(grand) still blocked on a parent that waits for a dropped child")
		}
		if seq := c.seq(); len(seq) != 0 {
			t.Errorf("cleanups %v ran, want none", seq)
		}
		close(hang) // the hung cleanups return; their workers exit
		synctest.Wait()
		if s := r.Stats(); s.Workers != 0 {
			t.Errorf("workers %d after the hung cleanups returned, want 0", s.Workers)
		}
	})
}
