package pool

import (
	"context"
	"errors"
	"slices"

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
		err, _ := p.close(ctx)
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
	err := p.reg.r.Release(ctx, p.reg.id)
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
	g, err := resource.Track(p.reg.r, c.value, func(ctx context.Context, v T) error {
		err := p.destroy(ctx, v)
		p.forget(c)
		return err
	}, resource.WithKind(p.o.Kind+"-conn"), resource.WithPriority(p.o.Priority), resource.DependsOn(p.reg.id))
	if err != nil {
		return err
	}
	c.guard = g
	return nil
}

// destroyValue runs destroy for c exactly once.
func (p *core[T]) destroyValue(ctx context.Context, c *conn[T]) error {
	if c.guard == nil {
		return p.destroy(ctx, c.value)
	}
	err := c.guard.Release(ctx)
	if errors.Is(err, resource.ErrReleased) {
		return nil // the registry destroyed it first
	}
	return err
}

// forget handles a connection destroyed by the registry rather than by the
// pool: if the pool still counts it, it stops counting it now.
func (p *core[T]) forget(c *conn[T]) {
	p.mu.Lock()
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
		// accounting instead of adding it.
		c.state, c.reason = stateRetired, Closed
		p.mu.Unlock()
		return
	default:
		p.mu.Unlock()
		return // retired by the pool: runDestroy does the accounting
	}
	p.retireLocked(c, Closed)
	p.size--
	p.retiring--
	p.s.destroyed[Closed]++
	p.fillLocked()
	p.signalDrainedLocked()
	empty := p.emptyLocked()
	p.mu.Unlock()
	p.putGlobal()
	p.emit(Event{Type: EventDestroyed, Reason: Closed})
	p.noteEmpty(empty)
}
