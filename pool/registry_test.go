package pool

import (
	"context"
	"net"
	"sync"
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
