package pool

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestCloseWhoseCtxEndsStillReclaimsWhatShutdownDropped: Close begins
// during a Shutdown that holds the registry's only worker in one
// connection's destroy (which ignores its ctx) with the other's queued; the
// registry claimed both, so Close leaves them to it. Shutdown's ctx ends
// (the queued destroy is dropped for good), then Close's: Close gives up
// on the destroy still running, but must still destroy the one the
// registry dropped rather than return with it open and its slot taken.
// The order in which Close looks at the two is random: several runs.
func TestCloseWhoseCtxEndsStillReclaimsWhatShutdownDropped(t *testing.T) {
	for i := range 16 {
		t.Run(fmt.Sprintf("run=%d", i), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := mustRegistry(t, &resource.Options{Workers: 1})
				b := newBackend(2)
				gate := make(chan struct{})
				var calls atomic.Int32
				destroy := func(ctx context.Context, c *fconn) error {
					if calls.Add(1) == 1 {
						<-gate // holds the only worker, ignoring its ctx
					}
					return b.destroy(ctx, c)
				}
				p := mustNew(t, b.create, destroy, &Options[*fconn]{MaxSize: 2, Registry: r})
				bg := context.Background()
				l1 := mustAcquire(t, p)
				l2 := mustAcquire(t, p)
				l1.Release()
				l2.Release()
				sctx, scancel := context.WithTimeout(bg, time.Second)
				defer scancel()
				shut := inBackground(func() error { return r.Shutdown(sctx) })
				synctest.Wait() // its worker waits in the first destroy
				cctx, ccancel := context.WithTimeout(bg, 2*time.Second)
				defer ccancel()
				closed := inBackground(func() error { return p.Close(cctx) })
				synctest.Wait()      // Close waits for that destroy
				advance(time.Second) // Shutdown gives up: the second destroy is dropped
				if err := <-shut; err == nil {
					t.Error("Shutdown returned nil, want an error naming what it left")
				}
				if err := <-closed; err == nil { // its ctx ended with the first destroy running
					t.Error("Close returned nil, want an error naming the destroy still running")
				}
				if n := calls.Load(); n != 2 {
					t.Errorf("destroy calls when Close returned: got %d, want 2 (the dropped one destroyed by Close)", n)
				}
				close(gate)
				synctest.Wait()
				if s := p.Stats(); s.Size != 0 {
					t.Errorf("after Close: Stats.Size = %d, want 0", s.Size)
				}
				b.verify(t, true)
			})
		})
	}
}
