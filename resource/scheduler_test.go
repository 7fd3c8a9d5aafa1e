package resource_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
	"go.uber.org/goleak"
)

// advance moves a synctest bubble's clock forward by d.
func advance(d time.Duration) { <-time.After(d) }

// TestPriorityOrderFIFO: with one worker, queued cleanups run in strict
// priority order and FIFO inside a priority.
func TestPriorityOrderFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{Workers: 1})
		gate := make(chan struct{})
		blocker := mustRegister(t, r, func(context.Context) error { <-gate; return nil }, resource.WithPriority(resource.Low))
		if err := r.ReleaseAsync(blocker); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the only worker is now busy
		var mu sync.Mutex
		var ran []string
		type item struct {
			p   resource.Priority
			seq int
		}
		var want []item
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 60; i++ {
			p := resource.Priority(rng.IntN(4))
			name := fmt.Sprintf("%v-%d", p, i)
			id := mustRegister(t, r, func(context.Context) error {
				mu.Lock()
				ran = append(ran, name)
				mu.Unlock()
				return nil
			}, resource.WithPriority(p))
			if err := r.ReleaseAsync(id); err != nil {
				t.Fatal(err)
			}
			want = append(want, item{p, i})
		}
		if s := r.Stats(); s.Running != 1 || s.Queued[0]+s.Queued[1]+s.Queued[2]+s.Queued[3] != 60 {
			t.Errorf("Stats running %d queued %v; want 1 and 60 in all", s.Running, s.Queued)
		}
		close(gate)
		synctest.Wait()
		slices.SortStableFunc(want, func(a, b item) int { return int(b.p) - int(a.p) })
		var wantNames []string
		for _, w := range want {
			wantNames = append(wantNames, fmt.Sprintf("%v-%d", w.p, w.seq))
		}
		if !slices.Equal(ran, wantNames) {
			t.Errorf("run order\n got %v\nwant %v", ran, wantNames)
		}
	})
}

// TestEventDriven: a queued cleanup starts as soon as a worker is free,
// without any clock advancing (no polling), and an idle registry has no
// worker goroutine.
func TestEventDriven(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{Workers: 2})
		start := time.Now()
		var at atomic.Int64
		id := mustRegister(t, r, func(context.Context) error { at.Store(int64(time.Since(start))); return nil })
		if err := r.ReleaseAsync(id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := time.Duration(at.Load()); got != 0 {
			t.Errorf("queued cleanup started after %v of (fake) time, want 0", got)
		}
		if s := r.Stats(); s.Workers != 0 || s.Running != 0 || s.Succeeded != 1 {
			t.Errorf("idle Stats: workers %d running %d succeeded %d; want 0 0 1", s.Workers, s.Running, s.Succeeded)
		}
	})
}

// TestWorkerBound: never more than Options.Workers cleanups at once.
func TestWorkerBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers = 3
		r := newRegistry(t, &resource.Options{Workers: workers})
		gate := make(chan struct{})
		var cur, peak atomic.Int32
		for i := 0; i < 10; i++ {
			id := mustRegister(t, r, func(context.Context) error {
				n := cur.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				<-gate
				cur.Add(-1)
				return nil
			})
			if err := r.ReleaseAsync(id); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if s := r.Stats(); s.Running != workers || s.Workers != workers {
			t.Errorf("running %d, workers %d; want %d", s.Running, s.Workers, workers)
		}
		h := r.Health()
		if h.QueueDepth != 10-workers || h.Running != workers || h.Phase != resource.PhaseRunning {
			t.Errorf("Health = %+v; want depth %d, running %d, running phase", h, 10-workers, workers)
		}
		advance(time.Second)
		if h := r.Health(); h.OldestQueued != time.Second {
			t.Errorf("OldestQueued = %v, want 1s", h.OldestQueued)
		}
		close(gate)
		synctest.Wait()
		if p := peak.Load(); p != workers {
			t.Errorf("peak concurrency %d, want %d", p, workers)
		}
	})
}

// TestIdleRegistryHasNoGoroutines: after asynchronous work and an expiry,
// an idle registry that was never shut down leaves no goroutine behind.
func TestIdleRegistryHasNoGoroutines(t *testing.T) {
	r, err := resource.NewRegistry(&resource.Options{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 20)
	for i := 0; i < 20; i++ {
		opts := []resource.Option{}
		if i%2 == 0 {
			opts = append(opts, resource.WithTTL(time.Millisecond))
		}
		id := mustRegister(t, r, func(context.Context) error { done <- struct{}{}; return nil }, opts...)
		if i%2 == 1 {
			if err := r.ReleaseAsync(id); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 20; i++ {
		<-done
	}
	goleak.VerifyNone(t)
	if r.Len() != 0 {
		t.Errorf("Len = %d, want 0", r.Len())
	}
}
