package pool

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestRegistryShutdownOrder: connections are tracked resources that depend
// on the pool, so Shutdown destroys them (once each) before closing it.
func TestRegistryShutdownOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		b := newBackend(3)
		var p *Pool[*fconn]
		closedAtDestroy := 0
		destroy := func(ctx context.Context, c *fconn) error {
			p.mu.Lock()
			if p.closed {
				closedAtDestroy++
			}
			p.mu.Unlock()
			return b.destroy(ctx, c)
		}
		p = mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 3, Registry: r, Kind: "llm", Priority: resource.High})
		ctx := context.Background()
		l1, _ := p.Acquire(ctx)
		l2, _ := p.Acquire(ctx)
		l2.Release()
		if n := r.Len(); n != 3 {
			t.Errorf("registry holds %d resources, want 3 (the pool and 2 connections)", n)
		}
		kinds := map[string]int{}
		for info := range r.All() {
			kinds[info.Kind]++
		}
		if kinds["llm"] != 1 || kinds["llm-conn"] != 2 {
			t.Errorf("registry kinds %v, want llm:1 llm-conn:2", kinds)
		}
		if err := r.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if closedAtDestroy != 0 {
			t.Errorf("%d connections destroyed after the pool closed, want 0 (dependents first)", closedAtDestroy)
		}
		l1.Release() // its connection is gone: a no-op
		b.verify(t, true)
		if s := p.Stats(); s.Size != 0 || s.InUse != 0 || s.Idle != 0 {
			t.Errorf("after Shutdown: size %d in use %d idle %d, want 0", s.Size, s.InUse, s.Idle)
		}
		if _, err := p.Acquire(ctx); err == nil {
			t.Error("Acquire after registry Shutdown succeeded")
		}
	})
}

// TestRegistryDirectClose: closing the pool directly releases its entries.
func TestRegistryDirectClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		b := newBackend(2)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 2, Registry: r})
		l, _ := p.Acquire(context.Background())
		l.Destroy()
		l, _ = p.Acquire(context.Background())
		l.Release()
		if err := p.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := r.Len(); n != 0 {
			t.Errorf("registry holds %d resources after Close, want 0", n)
		}
		b.verify(t, true)
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRegistryReleasesConnectionBeingCreated: the registry may destroy a
// connection in the moment between its tracking and its joining the pool
// (a Registry.ReleaseMatching or Shutdown racing a create; here the
// registry's observer releases it as soon as it is registered). The pool
// must then forget it: not lease out the closed socket, and not count it in
// Size (which would let the pool exceed MaxSize later).
func TestRegistryReleasesConnectionBeingCreated(t *testing.T) {
	srv := startServer(t, "echo")
	var r *resource.Registry
	var once sync.Once
	released := make(chan error, 1)
	obs := resource.ObserverFunc(func(e resource.Event) {
		if e.Type == resource.Registered && e.Kind == "pool-conn" {
			once.Do(func() { released <- r.Release(context.Background(), e.ID) })
		}
	})
	r, err := resource.NewRegistry(&resource.Options{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	p := mustNew(t, srv.dial, closeConn, &Options[net.Conn]{MaxSize: 1, Registry: r})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := p.Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	if err := <-released; err != nil {
		t.Fatalf("registry Release of the new connection: %v", err)
	}
	if err := ping(ctx, l.Value()); err != nil {
		t.Errorf("the leased connection is unusable: %v (the registry had destroyed it)", err)
	}
	if s := p.Stats(); s.Size != 1 || s.InUse != 1 || s.Created != 2 || s.Destroyed.Closed != 1 {
		t.Errorf("Stats with one lease out: size %d, in use %d, created %d, closed %d; want 1, 1, 2, 1",
			s.Size, s.InUse, s.Created, s.Destroyed.Closed)
	}
	l.Release()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Size != 0 {
		t.Errorf("after Close: size %d, want 0", s.Size)
	}
}

// TestDestroyErrorAfterFailedTrackReported: a create that returns after the
// registry's Shutdown began cannot be tracked, so the pool destroys the new
// value at once. That destroy's error must reach someone: before, it was
// dropped (and, the pool being closed by the Shutdown, so was the Track
// error), and Shutdown reported success although a connection failed to
// close.
func TestDestroyErrorAfterFailedTrackReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{MaxAttempts: 1})
		gate := make(chan struct{})
		errClose := errors.New("close: connection reset")
		destroy := func(context.Context, *fconn) error { return errClose }
		p := mustNew(t, newBackend(1).gatedCreate(gate), destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		bg := context.Background()
		acquired := acquireInBackground(p)
		synctest.Wait() // the Acquire waits for its create
		shut := inBackground(func() error { return r.Shutdown(bg) })
		synctest.Wait() // the pool's close waits for the create
		close(gate)
		if err := <-shut; !errors.Is(err, errClose) {
			t.Errorf("Shutdown: %v, want it to wrap the destroy error %q", err, errClose)
		}
		if err := <-acquired; !errors.Is(err, ErrClosed) {
			t.Errorf("Acquire: %v, want ErrClosed", err)
		}
	})
}

// TestCloseWaitsForDestroysClaimedByRegistry: Close racing the registry's
// Shutdown (an application stopping both) finds connections that the
// Shutdown has claimed but not yet destroyed (here its single worker is
// stuck in the first destroy). Close must return only once they are
// destroyed, and not count them as gone before. Before, Release told the
// pool "already released", which it took for "destroyed": Close returned
// at once, with both connections still open and Stats.Size 0.
func TestCloseWaitsForDestroysClaimedByRegistry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{Workers: 1})
		b := newBackend(2)
		gate := make(chan struct{})
		destroy := func(ctx context.Context, c *fconn) error {
			<-gate
			return b.destroy(ctx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 2, Registry: r})
		bg := context.Background()
		l1, l2 := mustAcquire(t, p), mustAcquire(t, p)
		l1.Release()
		l2.Release()
		released := inBackground(func() error {
			return r.ReleaseMatching(bg, func(in resource.Info) bool { return in.Kind == "pool-conn" })
		})
		synctest.Wait() // the registry claimed both connections; it waits in a destroy
		closed := inBackground(func() error { return p.Close(bg) })
		synctest.Wait()
		select {
		case err := <-closed:
			_, _, live := b.counts()
			t.Errorf("Close returned (%v) with %d connections live, their destroys pending in the registry (Stats.Size %d)", err, live, p.Stats().Size)
			close(gate)
		default:
			if s := p.Stats(); s.Size != 2 {
				t.Errorf("Stats.Size %d while both connections are being destroyed, want 2", s.Size)
			}
			close(gate)
			if err := <-closed; err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		if s := p.Stats(); s.Size != 0 || s.Destroyed.Closed != 2 {
			t.Errorf("after Close: size %d, destroyed (closed) %d; want 0, 2", s.Size, s.Destroyed.Closed)
		}
		if err := <-released; err != nil {
			t.Errorf("ReleaseMatching: %v", err)
		}
		if err := r.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.verify(t, true)
	})
}

// TestCloseAfterShutdownAbandonedDestroys: a Shutdown whose context ended
// left a claimed connection's destroy unrun (it never runs). A Close with no
// deadline must not wait for it for ever: it waits only for the destroy
// that runs (as a Close without a registry would), not the abandoned one.
func TestCloseAfterShutdownAbandonedDestroys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{Workers: 1})
		b := newBackend(2)
		gate := make(chan struct{})
		destroy := func(ctx context.Context, c *fconn) error {
			<-gate // ignores its context
			return b.destroy(ctx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 2, Registry: r})
		bg := context.Background()
		l1, _ := p.Acquire(bg)
		l2, _ := p.Acquire(bg)
		l1.Release()
		l2.Release()
		sctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		shut := inBackground(func() error { return r.Shutdown(sctx) })
		synctest.Wait() // its worker waits in the first destroy
		closed := inBackground(func() error { return p.Close(bg) })
		synctest.Wait()
		advance(time.Second) // Shutdown gives up: the second destroy never runs
		if err := <-shut; err == nil {
			t.Error("Shutdown returned nil, want an error naming what it left")
		}
		synctest.Wait()
		select {
		case err := <-closed:
			t.Errorf("Close returned (%v) while the first destroy still runs", err)
		default:
		}
		close(gate) // the stuck worker finishes; the abandoned destroy is not awaited
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		synctest.Wait()
	})
}

// poolWaitingForCreate returns a pool of one connection, tracked in r,
// whose create waits for gate (ignoring its context), and an Acquire of it
// that waits for that create; the Acquire's error arrives on the returned
// channel.
func poolWaitingForCreate(t *testing.T, r *resource.Registry, gate <-chan struct{}) (*backend, *Pool[*fconn], <-chan error) {
	t.Helper()
	b := newBackend(1)
	p := mustNew(t, b.gatedCreate(gate), b.destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
	acquired := acquireInBackground(p)
	synctest.Wait() // the Acquire waits for its create
	return b, p, acquired
}

// TestCloseWaitsForCloseInProgress: a Close that finds the pool already
// being closed (here by the registry, whose close waits for a create)
// returns ErrClosed only once that close has finished, as a concurrent
// pgxpool Close blocks until the pool is closed. Before, it returned at
// once, while the pool still had a create and a connection to destroy.
func TestCloseWaitsForCloseInProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, gate := mustRegistry(t, nil), make(chan struct{})
		b, p, acquired := poolWaitingForCreate(t, r, gate)
		bg := context.Background()
		released := inBackground(func() error { return r.ReleaseMatching(bg, func(resource.Info) bool { return true }) })
		synctest.Wait() // the registry's close of the pool waits for the create
		closed := inBackground(func() error { return p.Close(bg) })
		synctest.Wait()
		err := blockedUntil(t, gate, closed, "Close returned (%v) while the registry's close of the pool was still waiting for a create")
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Close of a pool closed meanwhile: %v, want ErrClosed", err)
		}
		b.verify(t, true)
		if err := <-acquired; !errors.Is(err, ErrClosed) {
			t.Errorf("Acquire: %v, want ErrClosed", err)
		}
		if err := <-released; err != nil {
			t.Errorf("ReleaseMatching: %v", err)
		}
		if err := r.Shutdown(bg); err != nil {
			t.Fatal(err)
		}
	})
}

// TestShutdownWaitsForPoolCloseInProgress: the registry's Shutdown meets a
// pool that its owner is closing (that Close waits for a create): the
// pool's entry is done only when the pool is closed, so Shutdown returns
// only then.
func TestShutdownWaitsForPoolCloseInProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, gate := mustRegistry(t, nil), make(chan struct{})
		b, p, acquired := poolWaitingForCreate(t, r, gate)
		bg := context.Background()
		closed := inBackground(func() error { return p.Close(bg) })
		synctest.Wait() // Close waits for the create
		shut := inBackground(func() error { return r.Shutdown(bg) })
		synctest.Wait()
		if err := blockedUntil(t, gate, shut, "Shutdown returned (%v) while the pool's Close was still waiting for a create"); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.verify(t, true)
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-acquired; !errors.Is(err, ErrClosed) {
			t.Errorf("Acquire: %v, want ErrClosed", err)
		}
	})
}

// TestCloseDestroysWhatShutdownAbandoned: a Shutdown whose context ended
// dropped a connection's queued destroy, which the registry will never run.
// A later Close must destroy that connection itself: before, Guard.Release
// told the pool "already released" (or, later, "shutting down") and the
// pool counted the connection gone while it stayed open.
func TestCloseDestroysWhatShutdownAbandoned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, &resource.Options{Workers: 1})
		b := newBackend(2)
		gate := make(chan struct{})
		var n atomic.Int32
		destroy := func(ctx context.Context, c *fconn) error {
			if n.Add(1) == 1 {
				<-gate // the first destroy holds the registry's only worker
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
		synctest.Wait()      // its worker waits in the first destroy
		advance(time.Second) // Shutdown gives up: the second destroy is dropped
		if err := <-shut; err == nil {
			t.Error("Shutdown returned nil, want an error naming what it left")
		}
		close(gate)
		synctest.Wait()
		if err := p.Close(bg); err != nil {
			t.Errorf("Close: %v", err)
		}
		b.verify(t, true)
	})
}
