package pool

import (
	"context"
	"errors"
	"fmt"

	"github.com/patinox/memory/pressure"
)

// Close is Pool.Close (and a Keyed sub-pool's).
func (p *core[T]) Close(ctx context.Context) error {
	err, first := p.close(ctx, false)
	if !first {
		_ = p.awaitDone(ctx) // ErrClosed either way
		return ErrClosed
	}
	return errors.Join(err, p.unregister(ctx))
}

// close closes p (first: its first call). fromRegistry: the registry's
// cleanup of the pool calls it.
func (p *core[T]) close(ctx context.Context, fromRegistry bool) (err error, first bool) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, false
	}
	p.closed = true
	if p.unsub != nil {
		p.unsub()
	}
	p.cancel()
	close(p.stop)
	for {
		if _, ok := p.waiters.Grant(grant[T]{err: ErrClosed}); !ok {
			break
		}
	}
	idle := p.idle
	p.idle = nil
	for _, c := range idle {
		p.retireLocked(c, Closed)
	}
	drained := make(chan struct{})
	if p.inUse == 0 {
		close(drained)
	} else {
		p.drained = drained
	}
	p.mu.Unlock()

	for _, c := range idle {
		p.runDestroy(ctx, c)
	}
	var errs []error
	select {
	case <-drained:
	case <-ctx.Done():
		if n := p.forceClose(context.WithoutCancel(ctx)); n > 0 {
			errs = append(errs, fmt.Errorf("pool: close: %d leases still in use when the context ended (their connections were destroyed): %w", n, ctxErr(ctx)))
		}
	}
	p.leaks.close()
	p.wg.Wait()
	if err := p.awaitRegistryDestroys(ctx, fromRegistry); err != nil {
		errs = append(errs, err)
	}
	if err := p.reclaimAbandoned(ctx); err != nil {
		errs = append(errs, err)
	}
	p.mu.Lock()
	errs = append(errs, p.closeErrs...)
	p.closeErrs = nil
	p.mu.Unlock()
	if p.onClosed != nil {
		p.onClosed()
	}
	close(p.done)
	return errors.Join(errs...), true
}

// awaitClosed waits until the Close that someone else began (the registry)
// has finished. If ctx ends first, it destroys the connections still
// leased, as that Close does when its own context ends, and reports them.
func (p *core[T]) awaitClosed(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
	}
	var err error
	if n := p.forceClose(context.WithoutCancel(ctx)); n > 0 {
		err = fmt.Errorf("pool: close: %d leases still in use when the context ended (their connections were destroyed): %w", n, ctxErr(ctx))
	}
	<-p.done
	return err
}

// awaitDone waits until the close that someone else began (the registry,
// a concurrent Close) has finished, or returns ctx's error if ctx ends
// first.
func (p *core[T]) awaitDone(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctxErr(ctx)
	}
}

// isClosed reports whether p's Close has begun.
func (p *core[T]) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// forceClose destroys the connections still leased and returns how many;
// a Close waiting for them goes on.
func (p *core[T]) forceClose(ctx context.Context) int {
	var forced []*conn[T]
	p.mu.Lock()
	for c := range p.all {
		if c.state == stateLeased {
			p.inUse--
			forced = append(forced, p.retireLocked(c, Closed))
		}
	}
	if p.drained != nil {
		close(p.drained)
		p.drained = nil
	}
	p.mu.Unlock()
	for _, c := range forced {
		p.runDestroy(ctx, c)
	}
	return len(forced)
}

// Resize is Pool.Resize.
func (p *core[T]) Resize(maxSize int) error {
	if maxSize <= 0 {
		return fmt.Errorf("pool: Resize: maxSize must be > 0, got %d", maxSize)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.maxSize = maxSize
	n := 0
	for ; n < len(p.idle) && p.size-p.retiring > maxSize; n++ {
		p.destroyAsyncLocked(p.retireLocked(p.idle[n], Shrunk)) // oldest first
	}
	p.idle = append(p.idle[:0], p.idle[n:]...)
	clear(p.idle[len(p.idle) : len(p.idle)+n])
	p.fillLocked()
	return nil
}

// capLocked is how many connections the pool may hold now: MaxSize, or
// under Critical pressure the size it had when the pressure began (at least
// one), so acquires wait for a connection instead of creating one.
func (p *core[T]) capLocked() int {
	if p.frozenAt > 0 {
		return min(p.maxSize, p.frozenAt)
	}
	return p.maxSize
}

// onPressure trims idle connections, oldest first, down to MinIdle when
// memory pressure is High or Critical, and at Critical stops the pool from
// growing past the size left after the trim until the level drops. It runs
// on the monitor's goroutine.
func (p *core[T]) onPressure(l pressure.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if l >= pressure.High {
		n := max(0, len(p.idle)-p.o.MinIdle)
		for _, c := range p.idle[:n] {
			p.destroyAsyncLocked(p.retireLocked(c, Trimmed))
		}
		p.idle = append(p.idle[:0], p.idle[n:]...)
		clear(p.idle[len(p.idle) : len(p.idle)+n])
	}
	switch {
	case l == pressure.Critical && p.frozenAt == 0:
		p.frozenAt = max(p.size-p.retiring, 1)
	case l < pressure.Critical && p.frozenAt > 0:
		p.frozenAt = 0
		p.fillLocked() // waiters held back by the freeze may create now
	}
}
