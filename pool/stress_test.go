package pool

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"pgregory.net/rapid"
)

// TestCancelStorm: thousands of acquires cancelled at random points (while
// queued, while their create runs, racing their grant) lose no connection
// and never exceed MaxSize.
func TestCancelStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxSize, n = 4, 3000
		b := newBackend(maxSize)
		create := func(ctx context.Context) (*fconn, error) {
			for range rand.IntN(4) {
				runtime.Gosched()
			}
			return b.create(ctx)
		}
		p := mustNew(t, create, b.destroy, &Options[*fconn]{MaxSize: maxSize})
		var wg sync.WaitGroup
		var got, gaveUp atomic.Int64 // what the callers saw
		for i := range n {
			wg.Go(func() {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go func() {
					for range rand.IntN(64) {
						runtime.Gosched()
					}
					cancel()
				}()
				l, err := p.Acquire(ctx)
				if err != nil {
					gaveUp.Add(1)
					if !errors.Is(err, context.Canceled) {
						t.Errorf("Acquire: %v", err)
					}
					return
				}
				got.Add(1)
				runtime.Gosched()
				if i%10 == 0 {
					l.Destroy()
				} else {
					l.Release()
				}
			})
		}
		wg.Wait()
		synctest.Wait()
		s := p.Stats()
		created, destroyed, live := b.counts()
		if s.InUse != 0 || s.Waiting != 0 || s.Creating != 0 {
			t.Errorf("after the storm: in use %d, waiting %d, creating %d; want 0", s.InUse, s.Waiting, s.Creating)
		}
		if created != destroyed+s.Idle || live != s.Idle || int64(created) != s.Created {
			t.Errorf("lost connections: created %d (stats %d), destroyed %d, idle %d, live %d", created, s.Created, destroyed, s.Idle, live)
		}
		if s.CancelledAcquires == 0 || s.Acquires == 0 {
			t.Errorf("storm did not exercise both paths: cancelled %d, acquired %d", s.CancelledAcquires, s.Acquires)
		}
		// Grants that raced their cancel were handed back: not acquires.
		if s.Acquires != got.Load() || s.CancelledAcquires != gaveUp.Load() {
			t.Errorf("Stats: %d acquires, %d cancelled; callers got %d leases and %d context errors",
				s.Acquires, s.CancelledAcquires, got.Load(), gaveUp.Load())
		}
		if err := p.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.verify(t, true)
	})
}

// poolMachine is a rapid state machine: a pool against a model of it.
type poolMachine struct {
	t       *rapid.T
	b       *backend
	p       *Pool[*fconn]
	max     int
	held    []*Lease[*fconn]
	waiters []*waiter // FIFO, as the model expects them served
	idle    int       // model
	size    int       // model: live connections
}

type waiter struct {
	cancel context.CancelFunc
	res    chan *Lease[*fconn]
	err    chan error
}

func (m *poolMachine) check() {
	synctest.Wait()
	// Waiters served meanwhile must be served in FIFO order.
	for len(m.waiters) > 0 {
		select {
		case l := <-m.waiters[0].res:
			m.held = append(m.held, l)
			m.waiters[0].cancel()
			m.waiters = m.waiters[1:]
			continue
		default:
		}
		break
	}
	for i, w := range m.waiters[min(1, len(m.waiters)):] {
		select {
		case <-w.res:
			m.t.Fatalf("waiter %d served before the head of the queue", i+1)
		default:
		}
	}
	s := m.p.Stats()
	_, _, live := m.b.counts()
	if s.Size > m.max || live > m.max {
		m.t.Fatalf("size %d, live %d, want <= %d", s.Size, live, m.max)
	}
	if s.Waiting > 0 && s.Idle > 0 {
		m.t.Fatalf("%d waiting while %d idle", s.Waiting, s.Idle)
	}
	if s.Idle != m.idle || s.InUse != len(m.held) || s.Waiting != len(m.waiters) || live != m.size {
		m.t.Fatalf("pool idle %d in use %d waiting %d live %d; model %d %d %d %d",
			s.Idle, s.InUse, s.Waiting, live, m.idle, len(m.held), len(m.waiters), m.size)
	}
}

func (m *poolMachine) TryAcquire(t *rapid.T) {
	l, err := m.p.TryAcquire(context.Background())
	switch {
	case len(m.waiters) == 0 && m.idle > 0:
		m.idle--
	case len(m.waiters) == 0 && m.size < m.max:
		m.size++
	default:
		if !errors.Is(err, ErrExhausted) {
			t.Fatalf("TryAcquire: %v, want ErrExhausted", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("TryAcquire: %v", err)
	}
	m.held = append(m.held, l)
}

func (m *poolMachine) Acquire(t *rapid.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &waiter{cancel: cancel, res: make(chan *Lease[*fconn], 1), err: make(chan error, 1)}
	go func() {
		l, err := m.p.Acquire(ctx)
		if err != nil {
			w.err <- err
			return
		}
		w.res <- l
	}()
	if len(m.waiters) == 0 && m.idle > 0 {
		m.idle--
	} else if len(m.waiters) == 0 && m.size < m.max {
		m.size++
	}
	m.waiters = append(m.waiters, w) // check() moves it to held if served
}

func (m *poolMachine) Cancel(t *rapid.T) {
	if len(m.waiters) == 0 {
		t.Skip("no waiter")
	}
	i := rapid.IntRange(0, len(m.waiters)-1).Draw(t, "waiter")
	w := m.waiters[i]
	w.cancel()
	select {
	case err := <-w.err:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Acquire: %v", err)
		}
	case l := <-w.res:
		t.Fatalf("cancelled waiter %d got connection %d", i, l.Value().id)
	}
	m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
}

func (m *poolMachine) Release(t *rapid.T) {
	if len(m.held) == 0 {
		t.Skip("nothing held")
	}
	i := rapid.IntRange(0, len(m.held)-1).Draw(t, "lease")
	l := m.held[i]
	m.held = append(m.held[:i], m.held[i+1:]...)
	if rapid.Bool().Draw(t, "destroy") {
		l.Destroy()
		m.size--
		if len(m.waiters) > 0 {
			m.size++ // a replacement is created for the head waiter
		}
		return
	}
	l.Release()
	if len(m.waiters) == 0 {
		m.idle++
	}
}

func (m *poolMachine) Resize(t *rapid.T) {
	if len(m.waiters) > 0 {
		t.Skip("resizing with waiters is not modelled")
	}
	n := rapid.IntRange(1, 5).Draw(t, "max")
	if n < len(m.held) {
		t.Skip("shrinking below the leases held lets size exceed MaxSize until they return")
	}
	if err := m.p.Resize(n); err != nil {
		t.Fatal(err)
	}
	m.max = n
	shrink := min(m.idle, max(0, m.size-n))
	m.idle -= shrink
	m.size -= shrink
}

// finish releases everything, closes the pool and checks that every
// connection created was destroyed exactly once.
func (m *poolMachine) finish() {
	for _, w := range m.waiters {
		w.cancel()
	}
	synctest.Wait()
	for _, w := range m.waiters {
		select {
		case l := <-w.res:
			l.Release()
		case <-w.err:
		}
	}
	for _, l := range m.held {
		l.Release()
	}
	if err := m.p.Close(context.Background()); err != nil {
		m.t.Error(err)
	}
	m.b.verify(m.t, true)
	if created, destroyed, _ := m.b.counts(); created != destroyed {
		m.t.Errorf("created %d, destroyed %d", created, destroyed)
	}
}

// inBubble hides the *testing.T from rapid, which would otherwise ask for
// its deadline (not allowed inside a synctest bubble).
type inBubble struct{ rapid.TB }

func TestStateMachine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rapid.Check(inBubble{t}, func(rt *rapid.T) {
			b := newBackend(0)
			max := rapid.IntRange(1, 4).Draw(rt, "maxSize")
			p, err := New(b.create, b.destroy, &Options[*fconn]{MaxSize: max})
			if err != nil {
				rt.Fatal(err)
			}
			m := &poolMachine{t: rt, b: b, p: p, max: max}
			// rapid may abandon a test case half-way (by panicking): clean up
			// in a defer so no pool or lease outlives its case.
			defer m.finish()
			rt.Repeat(map[string]func(*rapid.T){
				"TryAcquire": m.TryAcquire, "Acquire": m.Acquire, "Cancel": m.Cancel,
				"Release": m.Release, "Resize": m.Resize,
				"": func(*rapid.T) { m.check() },
			})
		})
	})
}
