package pool

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestDestroyErrorWrappingErrShuttingDownDestroysOnce: a tracked
// connection's destroy closes it, then fails with an error that wraps
// resource.ErrShuttingDown (here: deregistering the connection's session
// from another registry that is shutting down). Guard.Release ran that
// destroy and returns it in a *CleanupError; the pool must not read the
// error as "a Shutdown dropped the destroy" and destroy the connection a
// second time.
func TestDestroyErrorWrappingErrShuttingDownDestroysOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, nil)
		b := newBackend(1)
		var calls atomic.Int32
		destroy := func(ctx context.Context, c *fconn) error {
			calls.Add(1)
			_ = b.destroy(ctx, c)
			return resource.Classify(fmt.Errorf("deregister session: %w", resource.ErrShuttingDown), resource.Fail)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		mustAcquire(t, p).Release()
		err := p.Close(context.Background())
		if !errors.Is(err, resource.ErrShuttingDown) {
			t.Errorf("Close: got %v, want the destroy's error", err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("destroy calls: got %d, want 1", n)
		}
		if s := p.Stats(); s.Size != 0 {
			t.Errorf("after Close: Stats.Size = %d, want 0", s.Size)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.verify(t, true)
	})
}

// TestCloseDestroysWhatShutdownLeftAfterAFailedAttempt: as
// TestCloseDestroysWhatShutdownAbandoned, but the dropped cleanup had run
// one attempt already: the connection's first destroy failed with a
// transient error, the registry promised a retry (resource.AttemptFrom) and
// the pool kept the connection's slot for it; Shutdown's ctx ended before
// that retry ran, so the registry will never run it. The connection is
// live and the pool's again: Close must destroy it and free its slot.
func TestCloseDestroysWhatShutdownLeftAfterAFailedAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{Workers: 1, MaxAttempts: 3})
		b := newBackend(2)
		gate := make(chan struct{})
		var calls atomic.Int32
		destroy := func(ctx context.Context, c *fconn) error {
			switch calls.Add(1) {
			case 1: // the first connection's first attempt
				return errors.New("transient")
			case 2: // the second connection holds the only worker
				<-gate
			}
			return b.destroy(ctx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 2, Registry: r})
		bg := context.Background()
		l1 := mustAcquire(t, p)
		l2 := mustAcquire(t, p)
		l1.Release()
		l2.Release()
		sctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		shut := inBackground(func() error { return r.Shutdown(sctx) })
		synctest.Wait()      // the first destroy failed, its retry queued behind the second
		advance(time.Second) // Shutdown gives up: the retry is dropped
		if err := <-shut; err == nil {
			t.Error("Shutdown returned nil, want an error naming what it left")
		}
		close(gate)
		synctest.Wait()
		if err := p.Close(bg); err != nil {
			t.Errorf("Close: %v", err)
		}
		if s := p.Stats(); s.Size != 0 {
			t.Errorf("after Close: Stats.Size = %d, want 0", s.Size)
		}
		b.verify(t, true)
	})
}

// TestCloseDuringShutdownDestroysWhatItDropped: Close begins while a
// Shutdown destroys the pool's connections; the registry claimed both, so
// Close leaves their destroys to it (regClaimed). Shutdown's ctx then ends
// with the second destroy still queued: the registry drops it for good.
// The connection is the pool's again: Close must destroy it, not return
// with it open and its slot taken.
func TestCloseDuringShutdownDestroysWhatItDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{Workers: 1})
		b := newBackend(2)
		gate := make(chan struct{})
		var calls atomic.Int32
		destroy := func(ctx context.Context, c *fconn) error {
			if calls.Add(1) == 1 {
				<-gate // the first destroy holds the only worker, ignoring its ctx
			}
			return b.destroy(ctx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 2, Registry: r})
		bg := context.Background()
		l1 := mustAcquire(t, p)
		l2 := mustAcquire(t, p)
		l1.Release()
		l2.Release()
		sctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		shut := inBackground(func() error { return r.Shutdown(sctx) })
		synctest.Wait() // its worker waits in the first destroy
		closed := inBackground(func() error { return p.Close(bg) })
		synctest.Wait()      // Close waits for that destroy
		advance(time.Second) // Shutdown gives up: the second destroy is dropped
		if err := <-shut; err == nil {
			t.Error("Shutdown returned nil, want an error naming what it left")
		}
		close(gate)
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		if s := p.Stats(); s.Size != 0 {
			t.Errorf("after Close: Stats.Size = %d, want 0", s.Size)
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("destroy calls: got %d, want 2", n)
		}
		b.verify(t, true)
	})
}

// TestCloseDestroysConnectionInCreationWhoseRetryShutdownDropped: as
// TestCloseDestroysWhatShutdownLeftAfterAFailedAttempt for a connection
// that the registry began to destroy while it was being created (from the
// registry Observer's Registered event): its retries fail until a Shutdown
// whose ctx ends drops the last one. Close must destroy it.
func TestCloseDestroysConnectionInCreationWhoseRetryShutdownDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := releasingNewConn(t, resource.Options{MaxAttempts: 3, RetryBackoff: time.Hour, Workers: 1}, nil)
		b := newBackend(2)
		gate := make(chan struct{})
		var firstFails atomic.Int32
		destroy := func(ctx context.Context, c *fconn) error {
			switch {
			case c.id == 1 && firstFails.Add(1) <= 2: // its first two attempts
				return errors.New("transient")
			case c.id == 2:
				<-gate // holds the registry's only worker, ignoring its ctx
			}
			return b.destroy(ctx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 2, Registry: r})
		got := leaseInBackground(t, p)
		advance(2 * time.Minute) // the first connection's retry waits an hour; the second serves the acquire
		l := <-got
		if l == nil {
			t.FailNow()
		}
		l.Release()
		bg := context.Background()
		sctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		shut := inBackground(func() error { return r.Shutdown(sctx) })
		synctest.Wait()      // the retry failed again; its next one queued behind the second connection's destroy
		advance(time.Second) // Shutdown gives up: that retry is dropped
		if err := <-shut; err == nil {
			t.Error("Shutdown returned nil, want an error naming what it left")
		}
		close(gate)
		synctest.Wait()
		if err := p.Close(bg); err != nil {
			t.Errorf("Close: %v", err)
		}
		if s := p.Stats(); s.Size != 0 {
			t.Errorf("after Close: Stats.Size = %d, want 0", s.Size)
		}
		b.verify(t, true)
	})
}

// TestCloseAfterShutdownDestroysRetryDroppedAfterItsAttempt: a Shutdown
// destroys an idle connection; its first attempt fails and the registry
// promises a retry (the pool keeps the connection's slot for it). The
// registry's Observer is slow with that attempt's CleanupFailed event, and
// Shutdown's ctx ends before it: Shutdown returns, then its owner Closes
// the pool, after the attempt ("after the attempt") or during it, the
// destroy having asked resource.AttemptFrom before the ctx ended ("during
// the attempt": Close waits for that destroy, then goes on as it fails).
// Only after that does the registry find its scheduler stopped and drop
// the promised retry. The connection is then open, its slot taken, and
// nothing would ever destroy it: Close must wait for the registry's
// decision and destroy it.
func TestCloseAfterShutdownDestroysRetryDroppedAfterItsAttempt(t *testing.T) {
	tests := []struct {
		name   string
		during bool
	}{
		{name: "after the attempt", during: false},
		{name: "during the attempt", during: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				inObserver, observerGate := make(chan struct{}), make(chan struct{})
				obs := resource.ObserverFunc(func(e resource.Event) {
					if e.Type == resource.CleanupFailed && e.Kind == "pool-conn" {
						close(inObserver)
						<-observerGate // a slow Observer (a log sink)
					}
				})
				r := mustRegistry(t, &resource.Options{MaxAttempts: 3, Workers: 1, Observer: obs})
				b := newBackend(1)
				inDestroy, destroyGate := make(chan struct{}), make(chan struct{})
				first := true
				destroy := func(ctx context.Context, c *fconn) error {
					if !first {
						return b.destroy(ctx, c)
					}
					first = false // the registry's worker
					if tt.during {
						if _, final := resource.AttemptFrom(ctx); final {
							t.Error("first attempt: final, want a retry promised")
						}
						close(inDestroy)
						<-destroyGate // the attempt outlives Shutdown's ctx
					}
					return errors.New("transient")
				}
				p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
				mustAcquire(t, p).Release()
				bg := context.Background()
				sctx, cancel := context.WithCancel(bg)
				shut := inBackground(func() error { return r.Shutdown(sctx) })
				if tt.during {
					<-inDestroy
				} else {
					<-inObserver
				}
				cancel()
				if err := <-shut; err == nil {
					t.Error("Shutdown returned nil, want an error naming what it left")
				}
				closed := inBackground(func() error { return p.Close(bg) })
				if tt.during {
					synctest.Wait() // Close waits for the destroy under way
					close(destroyGate)
					<-inObserver
				}
				synctest.Wait()
				close(observerGate) // the registry drops the promised retry
				if err := <-closed; err != nil {
					t.Errorf("Close: %v", err)
				}
				synctest.Wait()
				if s := p.Stats(); s.Size != 0 {
					t.Errorf("after Close: Stats.Size = %d, want 0", s.Size)
				}
				b.verify(t, true)
			})
		})
	}
}
