package pool

import (
	"context"
	"slices"
	"sync"
)

// globalCap is the cap on connections shared by the sub-pools of a Keyed.
// Lock order: a sub-pool's mu, then g.mu; never the reverse (put calls into
// a sub-pool only after unlocking g.mu).
type globalCap[T any] struct {
	kick chan struct{} // wakes the evictor: a sub-pool is waiting for a slot

	mu       sync.Mutex // protects following fields
	max      int
	used     int
	wanting  []*core[T] // sub-pools waiting for a slot, FIFO
	evicting int        // evictions started and not yet turned into slots
}

// take takes a slot for p (whose mu is held), or queues p for the next one
// and wakes the evictor.
func (g *globalCap[T]) take(p *core[T]) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.used < g.max {
		g.used++
		return true
	}
	if !p.wantSlot {
		p.wantSlot = true
		g.wanting = append(g.wanting, p)
	}
	select {
	case g.kick <- struct{}{}:
	default:
	}
	return false
}

// put frees a slot: it goes to the first sub-pool waiting for one, if any.
func (g *globalCap[T]) put() {
	for {
		g.mu.Lock()
		// Any freed slot may be the one an eviction was started for: err
		// towards evicting again rather than waiting for a slot that came
		// and went.
		g.evicting = max(0, g.evicting-1)
		if len(g.wanting) == 0 {
			g.used--
			g.mu.Unlock()
			return
		}
		q := g.wanting[0]
		g.wanting[0] = nil
		g.wanting = g.wanting[1:]
		g.mu.Unlock()
		if q.slotGranted() {
			return
		}
	}
}

// needsEviction reports whether a sub-pool waits for a slot that no
// eviction in progress will provide, and counts one more eviction if so.
func (g *globalCap[T]) needsEviction() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.wanting) > g.evicting && g.used >= g.max {
		g.evicting++
		return true
	}
	return false
}

// idleAdded wakes the evictor when a connection went idle while a sub-pool
// waits for a slot (called with the sub-pool's mu held).
func (g *globalCap[T]) idleAdded() {
	g.mu.Lock()
	wanting := len(g.wanting) > 0
	g.mu.Unlock()
	if wanting {
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
}

// tryTake takes a slot if one is free, without queuing (TryAcquire).
func (g *globalCap[T]) tryTake() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.used < g.max {
		g.used++
		return true
	}
	return false
}

// stillWanted reports whether a sub-pool waiting for a slot would still use
// one (see slotGranted): its waiters may have been served meanwhile.
func (g *globalCap[T]) stillWanted() bool {
	g.mu.Lock()
	wanting := slices.Clone(g.wanting)
	g.mu.Unlock()
	for _, q := range wanting {
		if q.needsSlot() {
			return true
		}
	}
	return false
}

func (g *globalCap[T]) evictionFailed() {
	g.mu.Lock()
	g.evicting--
	g.mu.Unlock()
}

func (p *core[T]) takeGlobalLocked() bool {
	return p.global == nil || p.global.take(p)
}

func (p *core[T]) tryTakeGlobalLocked() bool {
	return p.global == nil || p.global.tryTake()
}

func (p *core[T]) putGlobal() {
	if p.global != nil {
		p.global.put()
	}
}

// needsSlotLocked reports whether p would use a global slot now.
func (p *core[T]) needsSlotLocked() bool {
	need := p.waiters.Len() + p.o.MinIdle - len(p.idle) - p.creating
	return !p.closed && need > 0 && p.size < p.capLocked() && p.failures == 0
}

func (p *core[T]) needsSlot() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.needsSlotLocked()
}

// slotGranted receives a global slot; it reports false (keeping nothing)
// if p no longer needs it.
func (p *core[T]) slotGranted() bool {
	p.mu.Lock()
	p.wantSlot = false
	if !p.needsSlotLocked() {
		empty := p.emptyLocked() // the waiter that wanted the slot left
		p.mu.Unlock()
		p.noteEmpty(empty)
		return false
	}
	p.startCreateLocked(nil)
	p.fillLocked()
	p.mu.Unlock()
	return true
}

// evictIdle destroys p's oldest idle connection (reason Evicted) and
// reports whether there was one.
func (p *core[T]) evictIdle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 || p.closed {
		return false
	}
	c := p.idle[0]
	p.idle = slices.Delete(p.idle, 0, 1)
	p.destroyAsyncLocked(p.retireLocked(c, Evicted))
	return true
}

// evictIdleKeepingSlot destroys p's oldest idle connection (reason
// Evicted) on the calling goroutine, without freeing its global slot: the
// caller owns that slot then. It reports whether it evicted one and kept
// its slot (false if the registry was destroying it already).
func (p *core[T]) evictIdleKeepingSlot() bool {
	p.mu.Lock()
	if len(p.idle) == 0 || p.closed {
		p.mu.Unlock()
		return false
	}
	c := p.idle[0]
	p.idle = slices.Delete(p.idle, 0, 1)
	p.retireLocked(c, Evicted)
	c.keepSlot = true
	p.wg.Add(1) // Close waits for this destroy as for the others
	p.mu.Unlock()
	defer p.wg.Done()
	p.runDestroy(context.WithoutCancel(p.ctx), c)
	// The registry claimed c first and destroys it still: its slot is
	// free only when that destroy is done (forget), not for the caller.
	p.mu.Lock()
	kept := c.keepSlot
	p.mu.Unlock()
	return kept
}

// coldness returns when p was last used and whether it has idle connections.
func (p *core[T]) coldness() (lastUse int64, hasIdle bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastUse.UnixNano(), len(p.idle) > 0
}
