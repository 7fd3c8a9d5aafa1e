package pool

import (
	"context"
	"testing"
	"testing/synctest"
)

// TestKeyedSecondCloseWaitsForFirst: Keyed.Close "returns once every
// sub-pool is closed"; a Close that finds another Close under way (two
// owners, e.g. a registry cleanup and a deferred Close) returns ErrClosed
// at once, while the first is still destroying the connections. Pool.Close
// waits for the close under way in that case (awaitDone).
func TestKeyedSecondCloseWaitsForFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(1)
		gate, destroying := make(chan struct{}), make(chan struct{}, 1)
		destroy := func(ctx context.Context, c *fconn) error {
			destroying <- struct{}{}
			<-gate
			return b.destroy(ctx, c)
		}
		k, err := NewKeyed(func(ctx context.Context, _ string) (*fconn, error) { return b.create(ctx) }, destroy,
			&KeyedOptions[string, *fconn]{MaxPerKey: 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		l, err := k.Acquire(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		first := inBackground(func() error { return k.Close(ctx) })
		<-destroying // the first Close destroys the idle connection
		second := inBackground(func() error { return k.Close(ctx) })
		synctest.Wait()
		select {
		case err := <-second:
			_, _, live := b.counts()
			t.Errorf("second Close returned %v while the first still destroys: %d live connection(s)", err, live)
		default:
		}
		close(gate)
		if err := <-first; err != nil {
			t.Errorf("first Close: %v", err)
		}
		b.verify(t, true)
	})
}
