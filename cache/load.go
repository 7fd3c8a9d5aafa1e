package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// loader holds the loads in flight of GetOrLoad: at most one per key.
type loader[K comparable, V any] struct {
	closing context.Context // cancelled by Close: cancels running loads
	cancel  context.CancelFunc
	wg      sync.WaitGroup // one per running load; Close waits

	mu     sync.Mutex // protects following fields
	calls  map[K]*call[V]
	closed bool
}

// call is one load; val and err are written before done is closed.
type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

func (l *loader[K, V]) init(ctx context.Context) {
	l.closing, l.cancel = context.WithCancel(ctx)
	l.calls = make(map[K]*call[V])
}

// close refuses new loads, cancels running ones and waits for them.
func (l *loader[K, V]) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
}

// GetOrLoad returns the value for k, calling load on a miss and storing its
// result (with the default expiry) before returning it. The key is not
// locked against other writes: the store overwrites a value Set meanwhile,
// and stores after a Delete or Clear that came during the load.
//
// At most one load per key runs at a time: callers that miss while a load of
// k is running wait for it and share its result, error included. Errors are
// not cached: the next call after a failed load loads again. A panic in load
// is returned as an error, and so is a load that calls runtime.Goexit (as
// t.FailNow does in a test).
//
// The load runs on its own goroutine, with a context that carries ctx's
// values but not its cancellation or deadline, so that one caller giving up
// does not fail the others: a caller whose ctx ends returns ctx.Err() at once
// while the load goes on and its result is still stored. Close cancels the
// loads' context and waits for them (a load that then fails fails with an
// error matching ErrClosed, and its own); GetOrLoad on a closed cache returns
// ErrClosed. A loaded value that holds a resource (Options.Registry) and
// cannot be stored, because Close came first (ErrClosed), the registry
// refused it (resource.ErrShuttingDown) or released it before the store
// (resource.ErrReleased), or that its own store evicts at once because it
// weighs more than the bound (ErrTooHeavy, naming the weight and
// Options.MaxWeight, or the bound Resize or memory pressure set) or
// because the Policy turned it away (ErrRejected; an Evictor may choose
// the newest entry), is released (unless another entry holds the same
// value), never handed out: GetOrLoad fails, for each of its waiters, with
// an error matching the one in parentheses. Without a Registry a value its
// store evicts at once is not closed by the cache, and is returned (not
// cached). load must honour its
// context or finish on its own, and must not call Close (Close would wait
// for it).
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, k K, load func(ctx context.Context, k K) (V, error)) (V, error) {
	if v, ok := c.Get(k); ok {
		return v, nil
	}
	l := &c.loads
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		var zero V
		return zero, ErrClosed
	}
	cl, running := l.calls[k]
	if !running {
		if v, ok := c.peek(k); ok { // a load finished since our miss
			l.mu.Unlock()
			return v, nil
		}
		cl = &call[V]{done: make(chan struct{})}
		if k == k { // a NaN key could never be deleted again (nor shared)
			l.calls[k] = cl
		}
		l.wg.Add(1)
		go c.runLoad(context.WithoutCancel(ctx), k, cl, load)
	}
	l.mu.Unlock()
	select {
	case <-cl.done:
		return cl.val, cl.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// errGoexit is the error of a load whose loader called runtime.Goexit.
var errGoexit = errors.New("cache: loader called runtime.Goexit")

// runLoad runs one load on its own goroutine (owned by c.loads.wg). The
// call ends (its waiters are woken, the key can load again) even if load
// ends the goroutine with runtime.Goexit. The callbacks of the store of
// the loaded value run once the key can load again and Close no longer
// waits for this goroutine, so that OnEvict may call GetOrLoad for the key
// or Close, as it may anywhere else; the call's waiters return after them.
func (c *Cache[K, V]) runLoad(ctx context.Context, k K, cl *call[V], load func(context.Context, K) (V, error)) {
	l := &c.loads
	returned := false
	var pending []removal[K, V]
	var old V
	var replaced bool
	defer func() {
		if !returned { // load called runtime.Goexit (a panic is an error already)
			cl.err = errGoexit
			c.loadErr.Add(1)
		}
		l.mu.Lock()
		delete(l.calls, k)
		l.mu.Unlock()
		defer close(cl.done)
		l.wg.Done()
		c.announce(k, old, replaced, pending)
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(l.closing, cancel)
	defer stop()
	start := time.Now()
	cl.val, cl.err = callLoad(ctx, k, load)
	returned = true
	c.loadNanos.Add(uint64(time.Since(start)))
	if cl.err == nil {
		c.loadOK.Add(1)
		var err error
		if pending, old, replaced, err = c.store(k, cl.val, c.ttl+c.idle); err != nil {
			// v was released instead of stored: the caller must not get it.
			var zero V
			cl.val, cl.err = zero, err
		}
	} else {
		c.loadErr.Add(1)
		if l.closing.Err() != nil { // Close cancelled the load (or came as it failed)
			cl.err = fmt.Errorf("%w: load: %w", ErrClosed, cl.err)
		}
	}
}

// callLoad calls load, turning a panic into an error.
func callLoad[K comparable, V any](ctx context.Context, k K, load func(context.Context, K) (V, error)) (v V, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache: loader panicked: %v", p)
		}
	}()
	return load(ctx, k)
}
