package resource

import (
	"context"
	"errors"
	"runtime"
)

// Guard owns one tracked value and its cleanup; Guards come from Track
// (the zero Guard is not usable). Whoever holds the Guard must release it
// (Release, Close, ReleaseAsync) or Detach it; a Guard that becomes
// unreachable while still live is a leak: the leak detector reports it
// (unless LeaksOff) and runs its cleanup on the registry's workers. All
// methods are safe for concurrent use; the cleanup runs exactly once
// whatever mix of them races.
type Guard[T any] struct {
	b *box[T]
}

// box is the entry of a typed resource with its value and cleanup. It
// implements runner, so the entry needs no closure.
type box[T any] struct {
	entry
	v       T
	fn      func(context.Context, T) error
	cleanup runtime.Cleanup // the leak detector's; stopped when the Guard releases
}

func (b *box[T]) run(ctx context.Context) error { return b.fn(ctx, b.v) }

// guardBox puts a Guard and its box in one allocation (LeaksOff only: the
// registry then keeps the Guard reachable, which leak detection forbids).
type guardBox[T any] struct {
	g Guard[T]
	b box[T]
}

// Track registers v with its cleanup in r and returns the Guard that owns
// it. The cleanup is called exactly once with v: on Guard.Release (or
// Close), ReleaseAsync, expiry, Reclaim, the leak safety net or Shutdown.
// Track fails with ErrShuttingDown once Shutdown has begun, and on invalid
// options (then the cleanup is not called and v stays the caller's).
func Track[T any](r *Registry, v T, cleanup func(context.Context, T) error, opts ...Option) (*Guard[T], error) {
	if r == nil {
		return nil, errors.New("resource: Track: nil Registry")
	}
	if cleanup == nil {
		return nil, errors.New("resource: Track: nil cleanup")
	}
	if r.cfg.leaks == LeaksOff {
		gb := &guardBox[T]{}
		gb.g.b = &gb.b
		if err := gb.b.init(r, v, cleanup, opts, nil); err != nil {
			return nil, err
		}
		return &gb.g, nil
	}
	var stack []uintptr
	if r.sampleStack() {
		stack = captureStack()
	}
	g := &Guard[T]{b: &box[T]{}}
	g.b.leaky = true
	if err := g.b.init(r, v, cleanup, opts, stack); err != nil {
		return nil, err
	}
	g.b.cleanup = runtime.AddCleanup(g, leakFound, &g.b.entry)
	return g, nil
}

func (b *box[T]) init(r *Registry, v T, cleanup func(context.Context, T) error, opts []Option, stack []uintptr) error {
	b.v, b.fn = v, cleanup
	b.entry.run = b
	if err := b.entry.apply(opts); err != nil {
		return err
	}
	if stack != nil {
		b.ext().stack = stack
	}
	return r.insert(&b.entry)
}

// Value returns the tracked value. Keep the Guard reachable while you use
// the value (hold it, or defer its Close): once the Guard is unreachable the
// leak detector may run the cleanup.
func (g *Guard[T]) Value() T { return g.b.v }

// ID returns the resource's ID in its registry.
func (g *Guard[T]) ID() ID { return g.b.id }

// Release runs the cleanup now on the caller's goroutine (after the live
// resources that depend on it) and returns its result; see
// Registry.Release. A second Release returns an error matching ErrReleased.
func (g *Guard[T]) Release(ctx context.Context) error {
	e := &g.b.entry
	if !e.claim(rsExplicit, stRunning) {
		return errReleased(e.id)
	}
	g.stopLeakCheck()
	return e.reg.releaseClaimed(ctx, e)
}

// stopLeakCheck cancels the runtime cleanup once the Guard has won its
// release: cheaper than letting it run after the Guard is collected.
func (g *Guard[T]) stopLeakCheck() {
	if g.b.leaky {
		g.b.cleanup.Stop()
		runtime.KeepAlive(g) // Stop is reliable only while g is reachable
	}
}

// Close is Release(context.Background()); it makes a Guard an io.Closer.
func (g *Guard[T]) Close() error { return g.Release(context.Background()) }

// ReleaseAsync hands the cleanup to the registry's scheduler at the
// Guard's priority and returns at once (the Go form of a destructor).
// Failures are reported through Failures, Stats and events. It does
// nothing if the resource was already released.
func (g *Guard[T]) ReleaseAsync() {
	if g.b.reg.releaseAsync(&g.b.entry, rsAsync) == nil {
		g.stopLeakCheck()
	}
}

// Detach stops tracking: the cleanup will never run and the caller owns
// the value again. It fails with ErrReleased if the resource was already
// released or detached.
func (g *Guard[T]) Detach() (T, error) {
	err := g.b.reg.detach(&g.b.entry)
	if err == nil {
		g.stopLeakCheck()
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return g.b.v, nil
}

// Touch marks the resource as used now, restarting its idle timeout
// (WithIdleTimeout). It costs one atomic store.
func (g *Guard[T]) Touch() { g.b.touch() }

func (e *entry) touch() {
	if x := e.x; x != nil && x.idle > 0 {
		x.touched.Store(e.reg.now())
	}
}
