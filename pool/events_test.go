package pool

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/pressure"
)

// TestCloseReportsDestroyErrors: destroy failures during Close come back
// joined in its error, with their causes.
func TestCloseReportsDestroyErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errA := errors.New("close a failed")
		n := 0
		create := func(context.Context) (int, error) { n++; return n, nil }
		destroy := func(_ context.Context, v int) error {
			if v == 1 {
				return errA
			}
			return nil
		}
		p := mustNew(t, create, destroy, &Options[int]{MaxSize: 2})
		l1, _ := p.Acquire(context.Background())
		l2, _ := p.Acquire(context.Background())
		l1.Release()
		l2.Release()
		err := p.Close(context.Background())
		if !errors.Is(err, errA) {
			t.Errorf("Close: %v, want it to wrap %v", err, errA)
		}
		if s := p.Stats(); s.Destroyed.Closed != 2 {
			t.Errorf("Stats.Destroyed.Closed = %d, want 2", s.Destroyed.Closed)
		}
	})
}

// TestCloseCancelsCreatesWithoutOutage: a create that Close cancels did
// not fail because of the backend: Close reports no EventOutage and no
// create failure for it (an alert on outages would fire at every shutdown
// that caught a MinIdle refill or a waiter's create in flight).
func TestCloseCancelsCreatesWithoutOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(2)
		b.block = make(chan struct{}) // never closed: creates end when Close cancels them
		var mu sync.Mutex
		var got []EventType
		obs := ObserverFunc(func(e Event) {
			if e.Type == EventOutage || e.Type == EventCreateFailed {
				mu.Lock()
				got = append(got, e.Type)
				mu.Unlock()
			}
		})
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 2, MinIdle: 2, Observer: obs})
		synctest.Wait() // two refill creates block in the backend
		if err := p.Close(context.Background()); err != nil {
			t.Fatalf("Close: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if s := p.Stats(); len(got) != 0 || s.CreateFailures != 0 || s.Size != 0 {
			t.Errorf("Close with 2 creates in flight: events %v, Stats.CreateFailures %d, size %d; want none, 0, 0", got, s.CreateFailures, s.Size)
		}
		b.verify(t, true)
	})
}

// TestFailingBatchIsOneOutage: creates started together (one per waiter)
// that all fail begin one outage, reported once, not one per create.
func TestFailingBatchIsOneOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(3)
		b.failNext = 3
		var mu sync.Mutex
		got := map[EventType]int{}
		obs := ObserverFunc(func(e Event) {
			mu.Lock()
			got[e.Type]++
			mu.Unlock()
		})
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 3, CreateBackoff: time.Hour, MaxCreateBackoff: time.Hour, Observer: obs})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		b.block = make(chan struct{})
		for range 3 {
			wg.Go(func() { _, _ = p.Acquire(ctx) })
		}
		synctest.Wait() // three creates, one per waiter, wait in the backend
		close(b.block)
		synctest.Wait() // and fail; the next probe is an hour away
		cancel()
		wg.Wait()
		mu.Lock()
		if got[EventCreateFailed] != 3 || got[EventOutage] != 1 {
			t.Errorf("a batch of 3 failing creates: %d create failed, %d outage events; want 3, 1", got[EventCreateFailed], got[EventOutage])
		}
		mu.Unlock()
		if err := p.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}

// TestEvents: the observer sees creates, create failures, outages and
// destroys with their reasons, never under a lock (it calls Stats).
func TestEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(2)
		var mu sync.Mutex
		got := map[string]int{}
		var p *Pool[*fconn]
		obs := ObserverFunc(func(e Event) {
			p.Stats() // would deadlock if called under the pool's lock
			mu.Lock()
			defer mu.Unlock()
			key := e.Type.String()
			if e.Type == EventDestroyed {
				key += "/" + e.Reason.String()
			}
			got[key]++
		})
		p = mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 2, Observer: obs})
		ctx := context.Background()
		l, _ := p.Acquire(ctx)
		l.Destroy()
		b.mu.Lock()
		b.failNext = 1
		b.mu.Unlock()
		if _, err := p.TryAcquire(ctx); !errors.Is(err, errDown) {
			t.Fatalf("TryAcquire: %v", err)
		}
		synctest.Wait()
		p.Close(ctx)
		want := map[string]int{"created": 1, "destroyed/broken": 1, "create failed": 1, "outage": 1}
		mu.Lock()
		defer mu.Unlock()
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%d %q events, want %d (all: %v)", got[k], k, n, got)
			}
		}
	})
}

// TestKeyedFIFOPerKey: waiters of one key are served in arrival order.
func TestKeyedFIFOPerKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &keyedBackend{live: map[string]int{}, maxTotal: 2}
		k, err := NewKeyed(b.create, b.destroy, &KeyedOptions[string, *kconn]{MaxPerKey: 1, MaxTotal: 2})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		held, _ := k.Acquire(ctx, "a")
		order := make(chan int, 10)
		for i := range 10 {
			go func() {
				l, err := k.Acquire(ctx, "a")
				if err != nil {
					t.Error(err)
					return
				}
				order <- i
				l.Release()
			}()
			synctest.Wait()
		}
		held.Release()
		for want := range 10 {
			if got := <-order; got != want {
				t.Fatalf("waiter %d served in position %d", got, want)
			}
		}
		if err := k.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPressureTrimsIdle: High memory pressure trims idle connections to
// MinIdle.
func TestPressureTrimsIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := pressure.NewMonitor(&pressure.Options{Interval: time.Second, Limit: 1 << 40, Disable: pressure.SourcePSI | pressure.SourceCgroup}) // no blocking syscalls in the bubble
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		b := newBackend(4)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 4, MinIdle: 1, Pressure: m})
		ctx := context.Background()
		var ls []*Lease[*fconn]
		for range 4 {
			l, _ := p.Acquire(ctx)
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Release()
		}
		if err := m.Set(pressure.High); err != nil {
			t.Fatal(err)
		}
		advance(2 * time.Second)
		synctest.Wait()
		if s := p.Stats(); s.Idle != 1 || s.Destroyed.Trimmed != 3 {
			t.Errorf("after High pressure: idle %d, trimmed %d; want 1, 3", s.Idle, s.Destroyed.Trimmed)
		}
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}

// TestPressureCriticalStopsGrowth: at Critical the pool does not create past
// its current size (Acquire waits instead), and grows again once the level
// drops.
func TestPressureCriticalStopsGrowth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := pressure.NewMonitor(&pressure.Options{Interval: time.Second, Calm: time.Hour, Limit: 1 << 40, Disable: pressure.SourcePSI | pressure.SourceCgroup})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		b := newBackend(4)
		p := mustNew(t, b.create, b.destroy, &Options[*fconn]{MaxSize: 4, Pressure: m})
		ctx := context.Background()
		l1, _ := p.Acquire(ctx)
		l2, _ := p.Acquire(ctx)
		m.Set(pressure.Critical)
		synctest.Wait()

		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if l, err := p.Acquire(short); err == nil {
			l.Release()
			t.Fatalf("Acquire at Critical created a connection past the frozen size; want it to wait")
		}
		if s := p.Stats(); s.Size != 2 || s.Created != 2 {
			t.Fatalf("at Critical: size %d created %d, want 2 and 2", s.Size, s.Created)
		}
		waited := make(chan *Lease[*fconn])
		go func() { l, _ := p.Acquire(ctx); waited <- l }()
		synctest.Wait()
		l1.Release() // the waiter gets the released connection
		l3 := <-waited

		advance(time.Second) // one notification per interval
		m.Set(pressure.Normal)
		synctest.Wait()
		l4, err := p.Acquire(ctx)
		if err != nil {
			t.Fatalf("Acquire after the level dropped: %v", err)
		}
		if s := p.Stats(); s.Size != 3 {
			t.Errorf("after Normal: size %d, want 3 (growth allowed again)", s.Size)
		}
		for _, l := range []*Lease[*fconn]{l2, l3, l4} {
			l.Release()
		}
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}
