package pool

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestRegistryCleanupDuringOwnerClose: the owner's Close is under
// way (held up by a create that ignores its context) when Shutdown runs
// the pool's registry cleanup, whose attempt ends at CleanupTimeout. That
// cleanup returns nil when its context ends before the owner's Close has
// finished: the registry counts the pool as released and Shutdown returns
// nil, while the pool is still closing.
func TestRegistryCleanupDuringOwnerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(&resource.Options{CleanupTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		b := newBackend(1)
		gate, creating := make(chan struct{}), make(chan struct{}, 1)
		create := func(ctx context.Context) (*fconn, error) {
			creating <- struct{}{}
			<-gate // ignores ctx
			return b.create(ctx)
		}
		p := mustNew(t, create, b.destroy, &Options[*fconn]{MaxSize: 1, Registry: r})
		actx, cancel := context.WithCancel(context.Background())
		acq := make(chan error, 1)
		go func() { _, err := p.Acquire(actx); acq <- err }()
		<-creating
		cancel()
		<-acq
		closed := make(chan error, 1)
		go func() { closed <- p.Close(context.Background()) }()
		synctest.Wait() // the owner's Close waits for the create
		shutErr := r.Shutdown(context.Background())
		select {
		case <-closed:
		default:
			if shutErr == nil {
				t.Error("Shutdown returned nil while the pool's Close had not finished (its registry cleanup timed out)")
			} else {
				t.Logf("Shutdown: %v", shutErr)
			}
		}
		close(gate)
		if err := <-closed; err != nil {
			t.Errorf("owner's Close: %v", err)
		}
		b.verify(t, true)
	})
}
