package pool

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestKeyedCloseFromDestroyOnGoroutineDuringShutdown: the documented
// workaround (go k.Close(ctx) from destroy) completes during Shutdown.
func TestKeyedCloseFromDestroyOnGoroutineDuringShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRegistry(t, nil)
		b := newBackend(1)
		var k *Keyed[string, *fconn]
		closeErr := make(chan error, 1)
		var once sync.Once
		destroy := func(ctx context.Context, c *fconn) error {
			once.Do(func() { go func() { closeErr <- k.Close(context.Background()) }() })
			return b.destroy(ctx, c)
		}
		var err error
		k, err = NewKeyed(func(ctx context.Context, _ string) (*fconn, error) { return b.create(ctx) }, destroy,
			&KeyedOptions[string, *fconn]{MaxPerKey: 1, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		l, err := k.Acquire(context.Background(), "a")
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		sctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()
		if err := r.Shutdown(sctx); err != nil || time.Since(start) > 0 {
			t.Errorf("Shutdown: %v after %v; want nil at once", err, time.Since(start))
		}
		if err := <-closeErr; err != nil {
			t.Errorf("Keyed.Close started by the connection's destroy: %v; want nil", err)
		}
		synctest.Wait()
		b.verify(t, true)
	})
}
