package pool

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestCloseFromRegistryCleanupDuringShutdown: a component that owns a pool
// with Options.Registry and registers its own Close in the same registry
// (a client type whose cleanup closes its pool) must not stall Shutdown.
// During Shutdown that cleanup runs on a registry worker; the pool's
// idle connection is already claimed by Shutdown (it is a tracked resource
// queued behind the cleanup, at a lower priority), so Close finds it
// destroyed "by the registry" and, on a0c431f, waits for that destroy
// (awaitRegistryDestroys) by joining Shutdown. With every worker in such a
// Close (Workers: 1 here; the default max(2, GOMAXPROCS) with two such
// pools), nothing runs the connection's cleanup: Shutdown waits for the
// Close, the Close for Shutdown. With context.Background() it never ends;
// Shutdown gets a one-minute deadline (synctest time) so that the deadlock
// shows as an error.
func TestCloseFromRegistryCleanupDuringShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(&resource.Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		b := newBackend(2)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 2, Registry: r, Kind: "llm", Priority: resource.Normal})
		l, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		l.Release() // one idle connection, tracked in the registry
		closeErr := make(chan error, 1)
		if _, err := r.Register(func(context.Context) error {
			err := p.Close(context.Background())
			closeErr <- err
			return err
		}, resource.WithKind("client"), resource.WithPriority(resource.High)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v; want nil", err)
		}
		if err := <-closeErr; err != nil {
			t.Errorf("Pool.Close in the client's cleanup: %v; want nil", err)
		}
		synctest.Wait()
		b.verify(t, true)
	})
}
