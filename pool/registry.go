package pool

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/patinox/memory/resource"
)

// registration is the pool's entry in a resource.Registry.
type registration struct {
	r  *resource.Registry
	id resource.ID
}

// register tracks the pool itself; its cleanup closes the pool. Connections
// are tracked by trackConn and depend on it, so Registry.Shutdown destroys
// them first.
func (p *core[T]) register() error {
	r := p.o.Registry
	if r == nil {
		return nil
	}
	id, err := r.Register(func(ctx context.Context) error {
		err, first := p.close(ctx, true)
		if !first { // closed by its owner: done when that Close is
			if err := p.awaitDone(ctx); err != nil {
				return fmt.Errorf("pool: close by its owner still in progress: %w", err)
			}
		}
		return err
	}, resource.WithKind(p.o.Kind), resource.WithPriority(p.o.Priority))
	if err != nil {
		return err
	}
	p.reg = &registration{r: r, id: id}
	return nil
}

// unregister releases the pool's registry entry after a direct Close (its
// cleanup then finds the pool closed and does nothing).
func (p *core[T]) unregister(ctx context.Context) error {
	if p.reg == nil {
		return nil
	}
	p.mu.Lock()
	queued := p.regPending.n > 0 // claimed, still waiting for a registry worker
	p.mu.Unlock()
	var err error
	if queued { // Release would wait for them too, maybe on the worker they need
		err = p.reg.r.ReleaseAsync(p.reg.id)
	} else {
		err = p.reg.r.Release(ctx, p.reg.id)
	}
	if errors.Is(err, resource.ErrReleased) || errors.Is(err, resource.ErrNotFound) || errors.Is(err, resource.ErrShuttingDown) {
		return nil
	}
	return err
}

// trackConn makes c a tracked resource that depends on the pool. Its
// cleanup is the pool's destroy: it runs exactly once, whether the pool
// destroys c (through destroyValue) or the registry does (Shutdown,
// ReleaseMatching), in which case the pool forgets c.
func (p *core[T]) trackConn(c *conn[T]) error {
	if p.reg == nil {
		return nil
	}
	g, err := resource.Track(p.reg.r, c.value, func(ctx context.Context, v T) (err error) {
		p.regStart(c)
		final := true                              // a panic is never retried
		defer func() { p.forget(c, err, final) }() // even if destroy panics
		err = p.destroy(ctx, v)
		if err != nil && resource.StrategyOf(err) == resource.Retry {
			// c stays live until the retry: its slot stays taken.
			_, final = resource.AttemptFrom(ctx)
		}
		return err
	}, resource.WithKind(p.o.Kind+"-conn"), resource.WithPriority(p.o.Priority), resource.DependsOn(p.reg.id))
	if err != nil {
		return err
	}
	c.guard = g
	return nil
}

// regStart notes that an attempt of the registry's cleanup of c has begun;
// if the pool had retired c and left its destroy to that cleanup
// (runDestroy), Close may now wait for it even during a Shutdown
// (awaitRegistryDestroys). Between a failed attempt and its retry c is not
// counted in regRunning: the retry may need a registry worker.
func (p *core[T]) regStart(c *conn[T]) {
	p.mu.Lock()
	c.regStarted = true
	if c.regClaimed {
		p.regRunning.inc()
	}
	p.mu.Unlock()
}

// destroyValue runs destroy for c exactly once. claimed reports that the
// registry had claimed c first: its cleanup runs (or ran) the destroy.
func (p *core[T]) destroyValue(ctx context.Context, c *conn[T]) (err error, claimed bool) {
	if c.guard == nil {
		return p.destroy(ctx, c.value), false
	}
	// Not ctx's end: Release would hand a retry to the scheduler and
	// return, leaving c live while the pool counts it destroyed.
	err = c.guard.Release(context.WithoutCancel(ctx))
	switch {
	case errors.Is(err, resource.ErrReleased):
		return nil, true
	case errors.Is(err, resource.ErrShuttingDown) && !p.regRanFinal(c):
		// A Shutdown whose ctx ended dropped c's destroy, which the
		// registry will never run: it is the pool's again. (Not when the
		// destroy ran and its own error wraps ErrShuttingDown.)
		return p.destroy(ctx, c.value), false
	}
	return err, false
}

// regRanFinal reports whether the registry's cleanup of c has run its
// final attempt (forget saw c retired).
func (p *core[T]) regRanFinal(c *conn[T]) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return c.regRan
}

// forget handles the end of an attempt of the registry's cleanup of c,
// which returned err; final: no retry follows. A connection destroyed by
// the registry rather than by the pool leaves the pool: if the pool still
// counts it, it stops counting it now. While a retry is pending the
// connection is still live: it is taken out of service but keeps its slot
// (regOwed) until the final attempt.
func (p *core[T]) forget(c *conn[T], err error, final bool) {
	p.mu.Lock()
	c.regStarted = false
	if c.regClaimed {
		p.regRunning.dec()
	}
	switch c.state {
	case stateIdle:
		if i := slices.Index(p.idle, c); i >= 0 {
			p.idle = slices.Delete(p.idle, i, i+1)
		}
	case stateLeased:
		p.unleaseLocked(c, nil)
	case stateChecking:
	case stateCreating:
		// Not in the pool yet: runCreate finds it retired and does the
		// accounting instead of adding it (or, while a retry is pending,
		// counts it as retiring for the final forget).
		c.state, c.reason = stateRetired, Closed
		if !final {
			c.regOwed = owedCreating
		}
		p.mu.Unlock()
		return
	default: // retired
		p.forgetRetiredLocked(c, err, final)
		return
	}
	p.retireLocked(c, Closed)
	if !final {
		c.regOwed = owedRetiring
		p.leaveToRegistryLocked(c)
		p.signalDrainedLocked()
		p.mu.Unlock()
		return
	}
	p.forgottenLocked(c, err)
}

// forgetRetiredLocked is forget for a retired connection. Called with p.mu
// held, it unlocks it.
func (p *core[T]) forgetRetiredLocked(c *conn[T], err error, final bool) {
	if !final {
		p.mu.Unlock()
		return // the final attempt does the accounting
	}
	c.regRan = true
	delete(p.regLeft, c)
	switch {
	case c.regOwed == owedRetiring: // retired by an earlier attempt's forget
		c.regOwed = owedNone
		p.forgottenLocked(c, err)
	case c.regOwed == owedCreating || !c.regClaimed:
		// runCreate does the accounting, or runDestroy (now, or once
		// Release tells it that the registry claimed c).
		p.mu.Unlock()
	default:
		// runDestroy left it to us: the slot is free only now.
		p.regPending.dec()
		p.destroyedLocked(c, err)
	}
}

// forgottenLocked frees the slot of c, which forget retired and the
// registry destroyed. Called with p.mu held, it unlocks it.
func (p *core[T]) forgottenLocked(c *conn[T], err error) {
	p.size--
	p.retiring--
	p.s.destroyed[Closed]++
	p.fillLocked()
	p.signalDrainedLocked()
	empty := p.emptyLocked()
	p.mu.Unlock()
	p.putGlobal()
	p.emit(Event{Type: EventDestroyed, Reason: Closed, Err: err})
	p.noteEmpty(empty)
}

// leaveToRegistryLocked notes that c's destroy (and the freeing of its
// slot) is left to the registry's cleanup of c.
func (p *core[T]) leaveToRegistryLocked(c *conn[T]) {
	if p.regLeft == nil {
		p.regLeft = make(map[*conn[T]]struct{})
	}
	p.regLeft[c] = struct{}{}
}

// reclaimAbandoned, for Close, destroys the connections whose destroy the
// pool left to the registry (regLeft) and that a Shutdown whose context
// ended left unfinished: the registry will never run their cleanup (or its
// promised retry), so they are the pool's again. A connection whose
// cleanup the registry still owns (queued, retrying) stays its own; once
// Shutdown has returned, one whose cleanup is still between an attempt and
// the registry's next step is awaited (regDeciding) until ctx ends.
func (p *core[T]) reclaimAbandoned(ctx context.Context) error {
	p.mu.Lock()
	left := slices.Collect(maps.Keys(p.regLeft))
	p.mu.Unlock()
	var err error
	for _, c := range left {
		for wait := time.Microsecond; ; wait = min(2*wait, time.Millisecond) {
			// c is claimed: Release only reports whether it was abandoned.
			if rerr := c.guard.Release(ctx); errors.Is(rerr, resource.ErrShuttingDown) {
				p.destroyAbandoned(ctx, c)
				break
			}
			if err != nil || !p.regDeciding(c) {
				break // once ctx has ended, the others are only looked at
			}
			select {
			case <-ctx.Done():
				err = fmt.Errorf("pool: close: a connection's destroy still running in the stopped registry when the context ended: %w", ctxErr(ctx))
			case <-time.After(wait):
			}
		}
	}
	return err
}

// regDeciding reports whether c, left to the registry, may still be
// dropped by it although Shutdown has returned: an attempt of its cleanup
// runs on a worker, or has failed with a retry promised and the registry
// is about to find its scheduler stopped and drop that retry (or a caller
// of Release retries it at once). Either ends within an attempt (and the
// registry Observer's handling of its failure), never after a backoff.
func (p *core[T]) regDeciding(c *conn[T]) bool {
	p.mu.Lock()
	_, left := p.regLeft[c]
	p.mu.Unlock()
	return left && p.reg.r.Health().Phase == resource.PhaseStopped
}

// destroyAbandoned destroys c, whose registry cleanup was abandoned, and
// frees its slot (even if destroy panics).
func (p *core[T]) destroyAbandoned(ctx context.Context, c *conn[T]) {
	err := errDestroyPanicked
	defer func() {
		p.mu.Lock()
		delete(p.regLeft, c)
		if c.regClaimed {
			c.regClaimed = false // destroyedLocked: the pool reports err
			p.regPending.dec()
		}
		c.regOwed = owedNone
		p.destroyedLocked(c, err)
	}()
	err = p.destroy(ctx, c.value)
}

// awaitRegistryDestroys waits, for Close, until the registry has destroyed
// the connections it claimed before the pool could (see runDestroy), or
// ctx ends. Unless the registry's own cleanup of the pool calls it, it
// waits only for the destroys that have begun: the queued ones need a
// registry worker, and a Close that waited for them could hold the very
// worker they need (a Close called from another resource's cleanup, in
// any phase); the scheduler (or Shutdown) runs them, forget frees their
// slots.
func (p *core[T]) awaitRegistryDestroys(ctx context.Context, fromRegistry bool) error {
	cd := &p.regRunning
	if fromRegistry {
		cd = &p.regPending
	}
	p.mu.Lock()
	n, zero := cd.wait()
	p.mu.Unlock()
	if zero == nil {
		return nil
	}
	select {
	case <-zero:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pool: close: %d connections still being destroyed by the registry when the context ended: %w", n, ctxErr(ctx))
	}
}

// countdown counts work in progress that someone may wait for to end. Its
// owner's mutex protects it.
type countdown struct {
	n    int
	zero chan struct{} // made by wait, closed (and dropped) when n drops to 0
}

func (c *countdown) inc() { c.n++ }

func (c *countdown) dec() {
	if c.n--; c.n == 0 && c.zero != nil {
		close(c.zero)
		c.zero = nil
	}
}

// wait returns the count and a channel closed once it is 0 (nil if it is
// 0 now).
func (c *countdown) wait() (int, <-chan struct{}) {
	if c.n == 0 {
		return 0, nil
	}
	if c.zero == nil {
		c.zero = make(chan struct{})
	}
	return c.n, c.zero
}
