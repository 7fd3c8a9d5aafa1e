package pool

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// TestCloseDuringShutdownWaitsForRunningDestroy: Pool.Close, called while
// Registry.Shutdown destroys the pool's idle connection, must (per its
// doc: "Close waits for in-flight ... destroys") return only once that
// destroy is done. Since 5e07b85 it returns at once while the registry
// shuts down (awaitRegistryDestroys skips the wait): the connection is
// still live and still counted in Stats.Size.
func TestCloseDuringShutdownWaitsForRunningDestroy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		b := newBackend(1)
		gate, destroying := make(chan struct{}), make(chan struct{}, 1)
		destroy := func(ctx context.Context, c *fconn) error {
			destroying <- struct{}{}
			<-gate
			return b.destroy(ctx, c)
		}
		p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		ctx := context.Background()
		l, err := p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l.Release() // idle, tracked
		shut := make(chan error, 1)
		go func() { shut <- r.Shutdown(ctx) }()
		<-destroying // Shutdown runs the connection's destroy
		closed := make(chan error, 1)
		go func() { closed <- p.Close(ctx) }()
		synctest.Wait()
		select {
		case err := <-closed:
			_, _, live := b.counts()
			t.Errorf("Close returned %v while the registry still destroys its connection: %d live, Stats.Size %d", err, live, p.Stats().Size)
			close(gate)
		default:
			close(gate)
			if err := <-closed; err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if s := p.Stats(); s.Size != 0 || s.Destroyed.Closed != 1 {
			t.Errorf("after Shutdown: Size %d, Destroyed.Closed %d; want 0, 1", s.Size, s.Destroyed.Closed)
		}
		b.verify(t, true)
	})
}
