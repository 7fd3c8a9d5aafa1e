package pool

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// retireLocked takes c, which is no longer idle nor leased, out of service:
// it stays counted in size until its destroy finishes.
func (p *core[T]) retireLocked(c *conn[T], r Reason) *conn[T] {
	c.state = stateRetired
	c.reason = r
	c.lease = nil // lets the lease, and then c, be collected
	delete(p.all, c)
	p.retiring++
	return c
}

// destroyAsyncLocked destroys a retired connection on a goroutine owned by
// p.wg. It is called with p.mu held so that the wg.Add happens before Close
// can see the pool drained and reach wg.Wait.
func (p *core[T]) destroyAsyncLocked(c *conn[T]) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.runDestroy(context.WithoutCancel(p.ctx), c)
	}()
}

// destroyEach destroys retired connections on the calling goroutine.
func (p *core[T]) destroyEach(cs []*conn[T]) {
	for _, c := range cs {
		p.runDestroy(context.WithoutCancel(p.ctx), c)
	}
}

// errDestroyPanicked is the error counted for a destroy that panicked (the
// panic itself goes on to the caller of runDestroy).
var errDestroyPanicked = errors.New("pool: destroy panicked")

// runDestroy destroys a retired connection, then frees its slot. If the
// registry claimed the connection first (a Shutdown or ReleaseMatching
// under way), the registry's cleanup destroys it and then frees the slot
// (forget), which Close waits for.
func (p *core[T]) runDestroy(ctx context.Context, c *conn[T]) error {
	returned := false
	defer func() {
		if !returned { // destroy panicked: free the slot, let the panic go on
			p.mu.Lock()
			c.keepSlot = false // the caller that would keep it never gets it
			p.destroyedLocked(c, errDestroyPanicked)
		}
	}()
	err, claimed := p.destroyValue(ctx, c)
	returned = true
	p.mu.Lock()
	if claimed && !c.regRan {
		c.regClaimed = true
		c.keepSlot = false // not destroyed yet: forget frees the slot once it is
		p.leaveToRegistryLocked(c)
		p.regPending.inc()
		if c.regStarted {
			p.regRunning.inc()
		}
		p.mu.Unlock()
		return nil
	}
	p.destroyedLocked(c, err)
	return err
}

// destroyedLocked frees the slot of c, destroyed (destroy returned err).
// Called with p.mu held, it unlocks it.
func (p *core[T]) destroyedLocked(c *conn[T], err error) {
	p.size--
	p.retiring--
	p.s.destroyed[c.reason]++
	if err != nil && p.closed && !c.regClaimed { // else the registry reports it
		p.closeErrs = append(p.closeErrs, err)
	}
	p.fillLocked()
	empty := p.emptyLocked()
	p.mu.Unlock()
	if !c.keepSlot {
		p.putGlobal()
	}
	p.emit(Event{Type: EventDestroyed, Reason: c.reason, Err: err, Age: time.Since(c.created)})
	p.noteEmpty(empty)
}

// destroyLeased destroys the connection of a lease its holder gave up on.
func (p *core[T]) destroyLeased(l *Lease[T], r Reason, cause error) {
	c := l.c
	p.mu.Lock()
	if c.state != stateLeased {
		p.mu.Unlock()
		return
	}
	leak := p.unleaseLocked(c, l)
	p.destroyAsyncLocked(p.retireLocked(c, r))
	if r == Unhealthy {
		for _, f := range p.outageLocked() {
			p.destroyAsyncLocked(f)
		}
	}
	p.signalDrainedLocked()
	p.mu.Unlock()
	p.emitLeakReturned(leak)
	if r == Unhealthy {
		p.emit(Event{Type: EventOutage, Err: cause})
	}
}

// outageLocked starts an outage: connections created or checked before it
// are suspect. With a Check they are validated on their next acquire (not
// pinged one by one now); without one, the idle ones are flushed.
func (p *core[T]) outageLocked() []*conn[T] {
	p.epoch++
	if p.o.Check != nil || len(p.idle) == 0 {
		return nil
	}
	flushed := make([]*conn[T], 0, len(p.idle))
	for i, c := range p.idle {
		p.idle[i] = nil
		flushed = append(flushed, p.retireLocked(c, Flushed))
	}
	p.idle = p.idle[:0]
	return flushed
}

// backoff returns the delay before the next create after n consecutive
// failures: exponential, capped, with "equal jitter" (half fixed, half random).
func (p *core[T]) backoff(n int) time.Duration {
	d := p.o.CreateBackoff
	for i := 1; i < n && d < p.o.MaxCreateBackoff; i++ {
		d *= 2
	}
	d = min(d, p.o.MaxCreateBackoff)
	return d/2 + randDuration(d/2+1)
}

func randDuration(n time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(n))) }

// armRetryLocked wakes fillLocked after d, on a goroutine owned by p.wg.
func (p *core[T]) armRetryLocked(d time.Duration) {
	if p.retrying {
		return
	}
	p.retrying = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-p.stop:
			return
		}
		p.mu.Lock()
		p.retrying = false
		p.fillLocked()
		p.mu.Unlock()
	}()
}
