package pool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// gatedKeyedBackend counts live connections across keys; destroying a
// connection of key "cold" waits for gate.
type gatedKeyedBackend struct {
	gate       chan struct{}
	destroying chan struct{} // one send when a "cold" destroy starts

	mu       sync.Mutex // protects following fields
	total    int
	maxTotal int
	errs     []error
}

func (b *gatedKeyedBackend) create(_ context.Context, key string) (*kconn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total++
	if b.total > b.maxTotal {
		b.errs = append(b.errs, fmt.Errorf("create for %q: %d connections live, MaxTotal %d", key, b.total, b.maxTotal))
	}
	return &kconn{key: key}, nil
}

func (b *gatedKeyedBackend) destroy(_ context.Context, c *kconn) error {
	if c.key == "cold" {
		b.destroying <- struct{}{}
		<-b.gate
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total--
	return nil
}

// TestKeyedEvictForRegistryClaimedVictim: TryAcquire at MaxTotal
// evicts an idle connection whose destroy the registry already runs
// (ReleaseMatching). evictFor keeps its global slot and creates at once,
// before the old connection is destroyed: MaxTotal+1 live.
func TestKeyedEvictForRegistryClaimedVictim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		b := &gatedKeyedBackend{gate: make(chan struct{}), destroying: make(chan struct{}, 1), maxTotal: 1}
		k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 1, MaxTotal: 1, Registry: r})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		l, err := k.Acquire(ctx, "cold")
		if err != nil {
			t.Fatal(err)
		}
		l.Release() // idle, tracked
		matched := make(chan error, 1)
		go func() {
			matched <- r.ReleaseMatching(ctx, func(in resource.Info) bool { return in.Kind == "pool-conn" })
		}()
		<-b.destroying // the registry runs the idle connection's destroy
		hot, err := k.TryAcquire(ctx, "hot")
		b.mu.Lock()
		live := b.total
		b.mu.Unlock()
		if err == nil {
			if live > 1 {
				t.Errorf("TryAcquire at MaxTotal 1 created while the evicted connection was still being destroyed: %d live", live)
			}
			hot.Release()
		} else if !errors.Is(err, ErrExhausted) {
			t.Errorf("TryAcquire: %v; want a lease or ErrExhausted", err)
		}
		close(b.gate)
		if err := <-matched; err != nil {
			t.Errorf("ReleaseMatching: %v", err)
		}
		if err := k.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, err := range b.errs {
			t.Error(err)
		}
		if b.total != 0 {
			t.Errorf("after Close: %d live, want 0", b.total)
		}
	})
}
