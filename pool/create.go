package pool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patinox/memory/pool/internal/waitq"
)

// fillLocked starts the creates needed to serve the waiters not already
// covered by creates in flight and to keep MinIdle idle, within MaxSize.
// While creates are failing it allows a single probing create at a time,
// after a backoff, so a down backend does not get a reconnect storm.
func (p *core[T]) fillLocked() {
	if p.closed {
		return
	}
	// Connections out for a background check come back unless it fails:
	// they count towards MinIdle, but waiters do not wait for a check
	// (which may stall on a half-open connection).
	need := p.waiters.Len() + max(p.o.MinIdle-p.checking, 0) - len(p.idle) - p.creating
	n := min(need, p.capLocked()-p.size)
	if n <= 0 {
		return
	}
	if p.failures > 0 {
		if p.creating > 0 {
			return
		}
		if d := time.Until(p.retryAt); d > 0 {
			p.armRetryLocked(d)
			return
		}
		n = 1
	}
	for range n {
		if !p.takeGlobalLocked() {
			return
		}
		p.startCreateLocked(nil)
	}
}

// startCreateLocked reserves a slot and creates a connection on a goroutine
// owned by p.wg. The result goes to the head waiter or to idle, whoever
// asked for it: a create is never abandoned when its requester gives up.
// w, if not nil, is a FailFast waiter that hears about a failure.
func (p *core[T]) startCreateLocked(w *waitq.Waiter[grant[T]]) {
	p.size++
	p.creating++
	p.wg.Add(1)
	go p.runCreate(w, p.failures)
}

// runCreate creates one connection. gen is the failure count when it
// started: only the first failure of a batch started together counts as a
// new consecutive failure (and lengthens the backoff).
func (p *core[T]) runCreate(w *waitq.Waiter[grant[T]], gen int) {
	defer p.wg.Done()
	ctx, cancel := p.ctx, context.CancelFunc(func() {})
	if p.o.CreateTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, p.o.CreateTimeout)
	}
	v, err := p.create(ctx)
	cancel()
	var c *conn[T]
	var lost error // destroying a value that could not join the pool failed
	if err == nil {
		c, err = p.newConn(v)
		if err != nil {
			if derr := p.destroy(context.WithoutCancel(p.ctx), v); derr != nil {
				lost = fmt.Errorf("pool: destroy of a connection that could not be tracked: %w", derr)
				err = errors.Join(err, lost)
			}
		}
	}
	if err != nil {
		p.createFailed(w, gen, err, lost)
		return
	}
	p.mu.Lock()
	p.creating--
	p.s.created++
	p.failures, p.lastErr = 0, nil
	if c.state == stateRetired { // the registry destroyed it meanwhile (forget)
		if c.regOwed == owedCreating && !c.regRan { // a retry is pending: still live
			c.regOwed = owedRetiring
			p.leaveToRegistryLocked(c)
			c.lease = nil
			p.retiring++
			if w != nil && w.FailFast && w.Queued() {
				// A TryAcquire waits for its create, not for the
				// registry's retry to free the slot (MaxSize, or a
				// Keyed's MaxTotal).
				switch {
				case p.size >= p.capLocked():
					p.waiters.GrantTo(w, grant[T]{err: ErrExhausted})
				case p.tryTakeGlobalLocked():
					p.startCreateLocked(w)
				case p.waiters.Len() > 1:
					// A Keyed at MaxTotal with others waiting: its
					// retry would fail so after evicting for nothing.
					p.waiters.GrantTo(w, grant[T]{err: ErrExhausted})
				default: // a Keyed at MaxTotal: it may evict (evictFor)
					p.waiters.GrantTo(w, grant[T]{err: errNoSlot})
				}
			}
			p.fillLocked() // its requester, if still waiting, still waits
			p.mu.Unlock()
			p.emit(Event{Type: EventCreated})
			return
		}
		p.createForgotten(c)
		return
	}
	if p.closed {
		c = p.retireLocked(c, Closed)
		p.mu.Unlock()
		p.emit(Event{Type: EventCreated})
		p.runDestroy(context.WithoutCancel(p.ctx), c)
		return
	}
	p.all[c] = struct{}{}
	c.epoch = p.epoch
	c.state = stateReturned
	h := p.putLocked(c)
	p.fillLocked()
	p.mu.Unlock()
	h.send()
	p.emit(Event{Type: EventCreated})
}

// createForgotten frees the slot of a connection that the registry
// destroyed before it joined the pool. Called with p.mu held; it unlocks it.
func (p *core[T]) createForgotten(c *conn[T]) {
	c.lease = nil // lets the lease, and then c, be collected
	p.size--
	p.s.destroyed[Closed]++
	p.fillLocked()
	empty := p.emptyLocked()
	p.mu.Unlock()
	p.putGlobal()
	p.emit(Event{Type: EventCreated})
	p.emit(Event{Type: EventDestroyed, Reason: Closed, Age: time.Since(c.created)})
	p.noteEmpty(empty)
}

// createFailed ends a failed create. lost, if not nil, is the error of
// destroying the value created (a failed registry Track): err wraps it, and
// Close returns it if the pool is closed.
func (p *core[T]) createFailed(w *waitq.Waiter[grant[T]], gen int, err, lost error) {
	p.mu.Lock()
	p.creating--
	p.size--
	if p.closed { // cancelled by Close: not a failure of the backend
		if lost != nil {
			p.closeErrs = append(p.closeErrs, lost)
		}
		p.mu.Unlock()
		p.putGlobal()
		return
	}
	p.s.createFailures++
	p.lastErr = err
	counted := gen == p.failures // the first failure of its batch
	if counted {
		p.failures++
		p.retryAt = time.Now().Add(p.backoff(p.failures))
	}
	first := counted && p.failures == 1
	var flushed []*conn[T]
	if first {
		flushed = p.outageLocked()
	}
	if w != nil && w.FailFast && w.Queued() {
		p.waiters.GrantTo(w, grant[T]{err: fmt.Errorf("pool: create: %w", err)})
	}
	p.fillLocked()
	p.mu.Unlock()
	p.putGlobal()
	p.emit(Event{Type: EventCreateFailed, Err: err})
	if first {
		p.emit(Event{Type: EventOutage, Err: err})
	}
	p.destroyEach(flushed)
}
