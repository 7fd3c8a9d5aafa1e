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
	e   *entry
	inc uint32 // the incarnation of e this Guard owns
	id  ID
	v   T
	// fn is the cleanup with LeaksOff, where the Guard itself is e's runner
	// (the registry may keep it reachable). With leak detection fn is nil
	// and e is the entry of a separate box, so that the Guard can become
	// unreachable.
	fn   func(context.Context, T) error
	actx attemptCtx // e's attempt context with LeaksOff
}

func (g *Guard[T]) run(ctx context.Context) error { return g.fn(ctx, g.v) }

// box is the entry of a leak-watched resource with its value and cleanup.
// It implements runner, so the entry needs no closure.
type box[T any] struct {
	entry
	actx    attemptCtx
	v       T
	fn      func(context.Context, T) error
	cleanup runtime.Cleanup // the leak detector's; stopped when the Guard releases
}

func (b *box[T]) run(ctx context.Context) error { return b.fn(ctx, b.v) }

// stopLeakCheck cancels the leak detector's runtime cleanup; finish calls
// it whichever way the resource ended. Left in place it would keep its
// argument, the entry and so the value, reachable as long as the Guard is:
// forever, if the value points back to its Guard.
func (b *box[T]) stopLeakCheck() { b.cleanup.Stop() }

// leakWatched is implemented by the runner of every leak-watched entry (a
// box).
type leakWatched interface{ stopLeakCheck() }

// Track registers v with its cleanup in r and returns the Guard that owns
// it. The cleanup is called exactly once with v: on Guard.Release (or
// Close), ReleaseAsync, expiry, Reclaim, the leak safety net or Shutdown.
// Track fails with ErrShuttingDown once Shutdown has begun, and on invalid
// options (then the cleanup is not called and v stays the caller's).
func Track[T any](r *Registry, v T, cleanup func(context.Context, T) error, opts ...Option) (*Guard[T], error) {
	if r == nil || r.shards == nil {
		return nil, r.unusable("Track")
	}
	if cleanup == nil {
		return nil, errors.New("resource: Track: nil cleanup")
	}
	if r.cfg.leaks == LeaksOff {
		return trackPlain(r, v, cleanup, opts)
	}
	var stack []uintptr
	if r.sampleStack() {
		stack = captureStack()
	}
	b := &box[T]{v: v, fn: cleanup, actx: newAttemptCtx()}
	b.entry.run, b.entry.ac, b.entry.leaky = b, &b.actx, true
	if err := b.entry.apply(opts); err != nil {
		return nil, err
	}
	if stack != nil {
		b.ext().stack = stack
	}
	g := &Guard[T]{v: v}
	// Attached before the entry is published, so that whoever finishes it
	// (finish, on any goroutine) sees b.cleanup and stops it.
	b.cleanup = runtime.AddCleanup(g, leakFound, &b.entry)
	if err := g.insert(r, &b.entry); err != nil {
		b.cleanup.Stop()
		runtime.KeepAlive(g)
		return nil, err
	}
	return g, nil
}

// trackPlain is Track with LeaksOff: the Guard is e's runner, and the
// entry is a recycled one when the options allow it (see recycle.go).
func trackPlain[T any](r *Registry, v T, cleanup func(context.Context, T) error, opts []Option) (*Guard[T], error) {
	g := &Guard[T]{v: v, fn: cleanup, actx: newAttemptCtx()}
	p, plain, err := parsePlain(opts)
	if err != nil {
		return nil, err
	}
	if plain {
		if g.e, g.inc, g.id, err = r.insertRecycled(g, &g.actx, p, shardFor(g, r.mask)); err != nil {
			return nil, err
		}
		return g, nil
	}
	e := &entry{}
	e.run, e.ac = g, &g.actx
	if err := e.applyParsed(p, false, opts); err != nil {
		return nil, err
	}
	if err := g.insert(r, e); err != nil {
		return nil, err
	}
	return g, nil
}

// insert registers e as g's entry and records its incarnation and ID in g
// (Guard methods never read e's plain fields: a recycled entry belongs to
// another resource).
func (g *Guard[T]) insert(r *Registry, e *entry) error {
	g.e, g.inc = e, e.inc
	if err := r.insert(e, shardFor(g, r.mask)); err != nil {
		return err
	}
	g.id = e.id // stable: only this Guard's Release recycles e
	return nil
}

// Value returns the tracked value. Keep the Guard reachable while you use
// the value (hold it, or defer its Close): once the Guard is unreachable the
// leak detector may run the cleanup.
func (g *Guard[T]) Value() T { return g.v }

// ID returns the resource's ID in its registry.
func (g *Guard[T]) ID() ID { return g.id }

// Release runs the cleanup now on the caller's goroutine (after the live
// resources that depend on it) and returns its result; see
// Registry.Release. A second Release returns an error matching ErrReleased.
func (g *Guard[T]) Release(ctx context.Context) error {
	e := g.e
	if !e.claimInc(g.inc, rsExplicit, stRunning) {
		return errClaimed(e, g.inc, g.id)
	}
	e.recycle = e.pooled
	err := e.reg.releaseClaimed(ctx, e) // finish stops the leak check
	runtime.KeepAlive(g)                // which is reliable only while g is reachable
	return err
}

// Close is Release(context.Background()); it makes a Guard an io.Closer.
func (g *Guard[T]) Close() error { return g.Release(context.Background()) }

// ReleaseAsync hands the cleanup to the registry's scheduler at the
// Guard's priority and returns at once (the Go form of a destructor).
// Failures are reported through Failures, Stats and events. It does
// nothing if the resource was already released.
func (g *Guard[T]) ReleaseAsync() {
	g.e.reg.releaseAsync(g.e, g.inc, g.id, rsAsync)
	runtime.KeepAlive(g) // as in Release: the leak check must not claim e first
}

// Detach stops tracking: the cleanup will never run and the caller owns
// the value again. It fails with ErrReleased if the resource was already
// released or detached.
func (g *Guard[T]) Detach() (T, error) {
	if err := g.e.reg.detach(g.e, g.inc, g.id); err != nil {
		var zero T
		return zero, err
	}
	runtime.KeepAlive(g) // finish has stopped the leak check
	return g.v, nil
}

// Touch marks the resource as used now, restarting its idle timeout
// (WithIdleTimeout). It costs one atomic store.
func (g *Guard[T]) Touch() { g.e.touch() }

// touch restarts e's idle timeout. An entry with an idle timeout has
// options (e.x), so it is never recycled and e.x never changes.
func (e *entry) touch() {
	if x := e.x; x != nil && x.idle > 0 {
		x.touched.Store(e.reg.now())
	}
}
