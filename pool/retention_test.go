package pool_test

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/patinox/memory/pool"
	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/pressure/pressuretest"
	"github.com/patinox/memory/resource"
)

// Tests that drop a lease unreleased run outside synctest: the runtime
// cleanup that detects it runs outside any bubble.

// rconn is a connection with some weight, so that keeping destroyed ones
// would matter.
type rconn struct{ buf []byte }

func createRconn(context.Context) (*rconn, error) { return &rconn{buf: make([]byte, 4<<10)}, nil }
func destroyRconn(context.Context, *rconn) error  { return nil }

// destroyedEvents returns an observer that reports every EventDestroyed.
func destroyedEvents() (pool.Observer, <-chan pool.Reason) {
	ch := make(chan pool.Reason, 16)
	return pool.ObserverFunc(func(e pool.Event) {
		if e.Type == pool.EventDestroyed {
			ch <- e.Reason
		}
	}), ch
}

// gcUntilUnreachable runs the garbage collector until w's object is gone,
// a bounded number of times (a goroutine that just finished with the object
// may still need to return), and reports whether it went.
func gcUntilUnreachable[T any](w weak.Pointer[T]) bool {
	for range 200 {
		runtime.GC()
		if w.Value() == nil {
			return true
		}
		runtime.Gosched()
	}
	return false
}

// TestDestroyedConnectionIsCollected: however a connection is destroyed,
// its value becomes collectable while the pool, which lives for the whole
// process, stays open. A destroyed connection (a socket with its buffers, a
// client with its caches) that the pool still pointed to would be retained
// for as long as the pool lives.
func TestDestroyedConnectionIsCollected(t *testing.T) {
	ends := []struct {
		name string
		want pool.Reason
		// end ends the connection of l (the pool's only lease) and returns
		// what has to stay alive until the check.
		end func(t *testing.T, p *pool.Pool[*rconn], l *pool.Lease[*rconn], r *resource.Registry, mon *pressure.Monitor)
	}{
		{"Destroy", pool.Broken, func(t *testing.T, _ *pool.Pool[*rconn], l *pool.Lease[*rconn], _ *resource.Registry, _ *pressure.Monitor) {
			l.Destroy()
		}},
		{"Unreleased", pool.Unreleased, func(*testing.T, *pool.Pool[*rconn], *pool.Lease[*rconn], *resource.Registry, *pressure.Monitor) {
			// the lease is dropped: the garbage collector finds it
		}},
		{"Resize", pool.Shrunk, func(t *testing.T, p *pool.Pool[*rconn], l *pool.Lease[*rconn], _ *resource.Registry, _ *pressure.Monitor) {
			l2, err := p.Acquire(context.Background())
			mustOK(t, err)
			l.Release() // the older idle connection: the one Resize destroys
			l2.Release()
			mustOK(t, p.Resize(1))
		}},
		{"PressureTrim", pool.Trimmed, func(t *testing.T, _ *pool.Pool[*rconn], l *pool.Lease[*rconn], _ *resource.Registry, mon *pressure.Monitor) {
			l.Release()
			mustOK(t, mon.Set(pressure.High))
		}},
		{"Registry.ReleaseMatching", pool.Closed, func(t *testing.T, _ *pool.Pool[*rconn], l *pool.Lease[*rconn], r *resource.Registry, _ *pressure.Monitor) {
			l.Release()
			mustOK(t, r.ReleaseMatching(context.Background(), func(i resource.Info) bool { return i.Kind == "pool-conn" }))
		}},
	}
	for _, end := range ends {
		for _, withRegistry := range []bool{false, true} {
			name := end.name
			if withRegistry {
				name += "/registry"
			} else if end.want == pool.Closed {
				continue // the registry case needs one
			}
			t.Run(name, func(t *testing.T) {
				r := newRegistry(t)
				mon := pressuretest.Manual(t)
				obs, destroyed := destroyedEvents()
				o := &pool.Options[*rconn]{MaxSize: 2, Observer: obs, Pressure: mon, LeakThreshold: time.Hour}
				if withRegistry {
					o.Registry = r
				}
				p, err := pool.New(createRconn, destroyRconn, o)
				mustOK(t, err)
				w := acquireAndEnd(t, p, func(l *pool.Lease[*rconn]) { end.end(t, p, l, r, mon) })
				waitDestroyed(t, destroyed, end.want)
				if !gcUntilUnreachable(w) {
					t.Errorf("a connection destroyed by %s is still reachable while its pool is open", end.name)
				}
				mustOK(t, p.Close(context.Background()))
			})
		}
	}
}

// TestExpiredIdleConnectionIsCollected: the background sweep that destroys
// an expired idle connection leaves nothing of it in the idle list, even
// when a connection it keeps sat before it.
func TestExpiredIdleConnectionIsCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs, destroyed := destroyedEvents()
		p, err := pool.New(createRconn, destroyRconn, &pool.Options[*rconn]{MaxSize: 2, MaxLifetime: 10 * time.Minute, Observer: obs})
		mustOK(t, err)
		defer p.Close(context.Background())
		ctx := context.Background()
		older, err := p.Acquire(ctx)
		mustOK(t, err)
		advance(5 * time.Minute)
		newer, err := p.Acquire(ctx)
		mustOK(t, err)
		wOlder, wNewer := weak.Make(older.Value()), weak.Make(newer.Value())
		newer.Release()
		older.Release() // idle: [newer, older]; older expires first
		advance(5 * time.Minute)
		synctest.Wait()
		if got := <-destroyed; got != pool.Lifetime {
			t.Fatalf("destroyed with reason %v, want %v", got, pool.Lifetime)
		}
		if s := p.Stats(); s.Idle != 1 {
			t.Fatalf("%d idle after the sweep, want 1", s.Idle)
		}
		// The lease's cleanup (runtime.AddCleanup) holds the connection
		// until it has run, on the runtime's goroutine: under load that can
		// take more than a few collections.
		if !gcUntilUnreachable(wOlder) {
			t.Error("the expired connection is still reachable while its pool is open")
		}
		if wNewer.Value() == nil {
			t.Fatal("the idle connection the sweep kept was collected")
		}
	})
}

func advance(d time.Duration) { <-time.After(d) }

// acquireAndEnd acquires a lease, lets end finish it and returns a weak
// pointer to its value; the lease is not used after end.
func acquireAndEnd(t *testing.T, p *pool.Pool[*rconn], end func(*pool.Lease[*rconn])) weak.Pointer[rconn] {
	t.Helper()
	l, err := p.Acquire(context.Background())
	mustOK(t, err)
	w := weak.Make(l.Value())
	end(l)
	return w
}

// waitDestroyed waits for a destroy with reason want, collecting garbage
// meanwhile so that an unreleased lease is found.
func waitDestroyed(t *testing.T, destroyed <-chan pool.Reason, want pool.Reason) {
	t.Helper()
	for {
		select {
		case got := <-destroyed:
			if got != want {
				t.Fatalf("connection destroyed with reason %v, want %v", got, want)
			}
			return
		default:
			runtime.GC()
			runtime.Gosched()
		}
	}
}

// TestClosedPoolIsCollected: once closed, a pool (and so every connection
// value, lease and option it holds) can be collected while the registry and
// the pressure monitor it used, which outlive it in a service, stay alive;
// whatever happened to its leases: released, destroyed, dropped
// unreleased, or still held when Close gave up waiting and released late.
func TestClosedPoolIsCollected(t *testing.T) {
	for _, tt := range []struct {
		name     string
		registry bool
		pressure bool
		maintain bool // options that start the maintenance goroutine
	}{
		{name: "plain"},
		{name: "registry", registry: true},
		{name: "pressure", pressure: true},
		{name: "all", registry: true, pressure: true, maintain: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRegistry(t)
			mon := pressuretest.Manual(t)
			o := &pool.Options[*rconn]{MaxSize: 4, MinIdle: 1}
			if tt.registry {
				o.Registry = r
			}
			if tt.pressure {
				o.Pressure = mon
			}
			if tt.maintain {
				o.MaxLifetime, o.CheckInterval, o.LeakThreshold = time.Hour, time.Hour, time.Hour
				o.Check = func(context.Context, *rconn) error { return nil }
			}
			wp, wv := useAndClose(t, o)
			if !gcUntilUnreachable(wp) {
				t.Error("a closed pool is still reachable")
			}
			if !gcUntilUnreachable(wv) {
				t.Error("a connection of a closed pool is still reachable")
			}
			if n := r.Len(); n != 0 {
				t.Errorf("registry holds %d resources after Close, want 0", n)
			}
			runtime.KeepAlive(r)
			runtime.KeepAlive(mon)
		})
	}
}

// useAndClose uses a pool made with o in every way a lease can end, closes
// it with a lease still out, releases that one late and returns weak
// pointers to the pool and to a released connection.
func useAndClose(t *testing.T, o *pool.Options[*rconn]) (weak.Pointer[pool.Pool[*rconn]], weak.Pointer[rconn]) {
	t.Helper()
	p, err := pool.New(createRconn, destroyRconn, o)
	mustOK(t, err)
	ctx := context.Background()
	released, err := p.Acquire(ctx)
	mustOK(t, err)
	wv := weak.Make(released.Value())
	broken, err := p.Acquire(ctx)
	mustOK(t, err)
	func() {
		_, err := p.Acquire(ctx) // dropped unreleased
		mustOK(t, err)
	}()
	late, err := p.Acquire(ctx)
	mustOK(t, err)
	released.Release()
	broken.Destroy()
	for p.Stats().Destroyed.Unreleased == 0 {
		runtime.GC()
		runtime.Gosched()
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel() // Close gives up on late at once and destroys its connection
	if err := p.Close(cctx); err == nil {
		t.Error("Close with a lease out and its context ended returned nil")
	}
	late.Release() // after Close: its connection is gone already
	return weak.Make(p), wv
}

// TestClosedKeyedIsCollected: a closed keyed pool and its sub-pools can be
// collected while the registry and monitor they used stay alive.
func TestClosedKeyedIsCollected(t *testing.T) {
	r := newRegistry(t)
	mon := pressuretest.Manual(t)
	wk := func() weak.Pointer[pool.Keyed[string, *rconn]] {
		k, err := pool.NewKeyed(func(ctx context.Context, _ string) (*rconn, error) { return createRconn(ctx) }, destroyRconn,
			&pool.KeyedOptions[string, *rconn]{MaxPerKey: 2, MaxTotal: 2, Registry: r, Pressure: mon, MaxIdleTime: time.Hour})
		mustOK(t, err)
		ctx := context.Background()
		for _, key := range []string{"a", "b", "c"} { // MaxTotal 2: "c" evicts an idle connection
			l, err := k.Acquire(ctx, key)
			mustOK(t, err)
			l.Release()
		}
		mustOK(t, k.Close(ctx))
		return weak.Make(k)
	}()
	if !gcUntilUnreachable(wk) {
		t.Error("a closed keyed pool is still reachable")
	}
	if n := r.Len(); n != 0 {
		t.Errorf("registry holds %d resources after Close, want 0", n)
	}
	runtime.KeepAlive(mon)
}

func newRegistry(t *testing.T) *resource.Registry {
	t.Helper()
	r, err := resource.NewRegistry(&resource.Options{Leaks: resource.LeaksAll})
	mustOK(t, err)
	t.Cleanup(func() { mustOK(t, r.Shutdown(context.Background())) })
	return r
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDroppedPoolIsClosed: a Pool or Keyed with a background goroutine
// that its owner drops without Close is closed at that goroutine's next
// tick: its idle connection is destroyed (reason Closed) and every
// goroutine of the pool ends (synctest.Test fails if one is left in the
// bubble). One still referenced is not closed.
func TestDroppedPoolIsClosed(t *testing.T) {
	const life = 10 * time.Hour // tick: 5 h; nothing expires in this test
	ctx := context.Background()
	kinds := []struct {
		name string
		open func(t *testing.T, obs pool.Observer) (handle, func() bool)
	}{
		{"Pool", func(t *testing.T, obs pool.Observer) (handle, func() bool) {
			p, err := pool.New(createRconn, destroyRconn, &pool.Options[*rconn]{MaxSize: 2, MaxLifetime: life, Observer: obs})
			mustOK(t, err)
			w := weak.Make(p)
			return p, func() bool { return gcUntilUnreachable(w) }
		}},
		{"Keyed", func(t *testing.T, obs pool.Observer) (handle, func() bool) {
			k, err := pool.NewKeyed(func(ctx context.Context, _ string) (*rconn, error) { return createRconn(ctx) }, destroyRconn,
				&pool.KeyedOptions[string, *rconn]{MaxLifetime: life, Observer: func(_ string, e pool.Event) { obs.Observe(e) }})
			mustOK(t, err)
			w := weak.Make(k)
			return keyedHandle{k}, func() bool { return gcUntilUnreachable(w) }
		}},
	}
	for _, kind := range kinds {
		// open returns the pool, holding one idle connection, and a
		// function that drops it and reports whether it was collected.
		open := func(t *testing.T) (handle, func() bool, <-chan pool.Reason) {
			obs, destroyed := destroyedEvents()
			p, collected := kind.open(t, obs)
			l, err := p.Acquire(ctx)
			mustOK(t, err)
			l.Release()
			return p, collected, destroyed
		}
		t.Run(kind.name+"/dropped", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, collected, destroyed := open(t)
				if !collected() {
					t.Fatal("the dropped pool is still reachable")
				}
				advance(life / 2)
				synctest.Wait()
				select {
				case got := <-destroyed:
					if got != pool.Closed {
						t.Errorf("idle connection destroyed with reason %v, want %v", got, pool.Closed)
					}
				default:
					t.Error("the idle connection of the dropped pool was not destroyed")
				}
			})
		})
		t.Run(kind.name+"/kept", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p, _, destroyed := open(t)
				runtime.GC()
				advance(life / 2)
				synctest.Wait()
				select {
				case got := <-destroyed:
					t.Errorf("a pool still referenced lost its idle connection (reason %v)", got)
				default:
				}
				l, err := p.Acquire(ctx)
				mustOK(t, err)
				l.Release()
				mustOK(t, p.Close(ctx))
			})
		})
	}
}

// TestWaitingAcquireKeepsPool: a goroutine waiting in Acquire on a Pool
// (or Keyed) that nothing else refers to keeps it open: it gets the
// connection released later, not ErrClosed.
func TestWaitingAcquireKeepsPool(t *testing.T) {
	const life = 10 * time.Hour // tick: 5 h
	ctx := context.Background()
	opens := map[string]func(t *testing.T) handle{
		"Pool": func(t *testing.T) handle {
			p, err := pool.New(createRconn, destroyRconn, &pool.Options[*rconn]{MaxSize: 1, MaxLifetime: life})
			mustOK(t, err)
			return p
		},
		"Keyed": func(t *testing.T) handle {
			k, err := pool.NewKeyed(func(ctx context.Context, _ string) (*rconn, error) { return createRconn(ctx) }, destroyRconn,
				&pool.KeyedOptions[string, *rconn]{MaxPerKey: 1, MaxLifetime: life})
			mustOK(t, err)
			return keyedHandle{k}
		},
	}
	for name, open := range opens {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				held, got := func() (*pool.Lease[*rconn], chan error) {
					p := open(t)
					held, err := p.Acquire(ctx)
					mustOK(t, err)
					got := make(chan error, 1)
					go func() {
						l, err := p.Acquire(ctx) // waits: the only connection is held
						if err == nil {
							l.Release()
						}
						got <- err
					}()
					return held, got
				}()
				synctest.Wait() // the goroutine waits in Acquire
				runtime.GC()
				runtime.GC()
				advance(life / 2)
				synctest.Wait()
				held.Release()
				if err := <-got; err != nil {
					t.Fatalf("the waiting Acquire failed: %v", err)
				}
				// Now nothing refers to the pool: it closes at the next
				// tick, and its goroutines end with the bubble.
				runtime.GC()
				advance(life / 2)
				synctest.Wait()
			})
		})
	}
}

// handle is what the tests of dropped pools use of a Pool or a Keyed.
type handle interface {
	Acquire(context.Context) (*pool.Lease[*rconn], error)
	Close(context.Context) error
}

// keyedHandle is a Keyed seen as one pool, of key "k".
type keyedHandle struct{ k *pool.Keyed[string, *rconn] }

func (h keyedHandle) Acquire(ctx context.Context) (*pool.Lease[*rconn], error) {
	return h.k.Acquire(ctx, "k")
}
func (h keyedHandle) Close(ctx context.Context) error { return h.k.Close(ctx) }
