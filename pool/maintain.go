package pool

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// maintain runs the periodic sweep (lifetimes, idle times, background
// checks, leak reports). It exists only when an option needs it and stops
// when Close closes p.stop.
func (p *core[T]) maintain(d time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if p.owner(p) {
				return // dropped: owner started Close, which waits for us
			}
			p.sweep()
		}
	}
}

// sweep destroys expired idle connections (keeping MinIdle against idle
// timeouts), takes the ones due for a check out of idle, and reports leases
// held past LeakThreshold.
func (p *core[T]) sweep() {
	now := time.Now()
	var due []*conn[T]
	p.mu.Lock()
	kept := p.idle[:0]
	for i, c := range p.idle { // oldest first
		r, dead := p.expiredLocked(c, now)
		if dead && r == IdleTimeout && len(p.idle)-i+len(kept) <= p.o.MinIdle {
			dead = false
		}
		switch {
		case dead:
			p.destroyAsyncLocked(p.retireLocked(c, r))
		case p.o.CheckInterval > 0 && now.Sub(c.checked) >= p.o.CheckInterval:
			c.state = stateChecking
			p.checking++ // still idle for fillLocked: it comes back unless the check fails
			due = append(due, c)
		default:
			kept = append(kept, c)
		}
	}
	clear(p.idle[len(kept):])
	p.idle = kept
	leaks := p.leaksLocked(now)
	p.fillLocked()
	p.mu.Unlock()
	for _, e := range leaks {
		e.Stack = formatStack(e.pcs)
		p.emit(e.Event)
	}
	// Each check is bounded (CheckTimeout, else CheckInterval); so is the
	// sweep: after CheckInterval it starts no more checks, so that stalled
	// connections (N half-open ones) cannot hold it, its next run and the
	// healthy connections queued for a check for N bounds.
	deadline := now.Add(p.o.CheckInterval)
	for _, c := range due {
		p.checkIdle(c, deadline)
	}
}

type leakReport struct {
	Event
	pcs []uintptr
}

func (p *core[T]) leaksLocked(now time.Time) []leakReport {
	if p.o.LeakThreshold <= 0 {
		return nil
	}
	var out []leakReport
	for c := range p.all {
		if c.state != stateLeased || c.leaked || c.acquired.IsZero() {
			continue
		}
		if held := now.Sub(c.acquired); held >= p.o.LeakThreshold {
			c.leaked = true
			p.s.leaks++
			out = append(out, leakReport{
				Event: Event{Type: EventLeak, Time: now, Held: held, Age: now.Sub(c.created)},
				pcs:   append([]uintptr(nil), c.pcs[:c.npcs]...),
			})
		}
	}
	return out
}

// recordAcquire notes when and where a lease was taken (LeakThreshold > 0).
func (p *core[T]) recordAcquire(c *conn[T]) {
	var pcs [32]uintptr
	n := runtime.Callers(4, pcs[:])
	now := time.Now()
	p.mu.Lock()
	c.pcs, c.npcs = pcs, n
	c.acquired, c.leaked = now, false
	p.mu.Unlock()
}

func (p *core[T]) emitLeakReturned(held time.Duration) {
	if held > 0 {
		p.emit(Event{Type: EventLeakReturned, Held: held})
	}
}

// checkIdle runs the background check of c, taken out of idle by sweep,
// unless the sweep's deadline has passed: then c goes back unchecked, due
// for the next sweep.
func (p *core[T]) checkIdle(c *conn[T], deadline time.Time) {
	var err error
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	skip := !time.Now().Before(deadline)
	if !closed && !skip {
		ctx := p.ctx
		if p.o.CheckTimeout == 0 { // bounded all the same: see CheckTimeout
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, p.o.CheckInterval)
			defer cancel()
		}
		err = p.runCheck(ctx, c)
	}
	var h handoff[T]
	outage := false
	p.mu.Lock()
	p.checking--
	switch {
	case c.state != stateChecking: // the registry destroyed it meanwhile
	case p.closed:
		p.destroyAsyncLocked(p.retireLocked(c, Closed))
	case err != nil:
		p.destroyAsyncLocked(p.retireLocked(c, Unhealthy))
		p.outageLocked() // with a Check, flushing only marks the others suspect
		outage = true
	default:
		now := time.Now()
		// Its lifetime may have ended during the check (not its idle
		// time: c is not idle, and a check is not a use).
		if r, dead := p.expiredLocked(c, now); dead {
			p.destroyAsyncLocked(p.retireLocked(c, r))
			break
		}
		if !skip {
			c.checked, c.epoch = now, p.epoch
		}
		c.state = stateReturned
		since := c.idleSince
		if h = p.putLocked(c); h.w == nil {
			c.idleSince = since // a check is not a use: MaxIdleTime still counts
		}
	}
	p.fillLocked() // what it was counted for may now be missing
	p.mu.Unlock()
	h.send()
	if outage { // not a check that Close cut short
		p.emit(Event{Type: EventOutage, Err: err})
	}
}

// checkOnAcquire validates a just-acquired connection. It returns true if
// the lease is good (and counts it in Stats, with st, what its acquire
// did before); false (and no error) if the connection was bad and
// destroyed, so the caller tries again; an error if ctx ended, in which case
// the connection, whose check was interrupted, is destroyed too.
func (p *core[T]) checkOnAcquire(ctx context.Context, l *Lease[T], st *acquiring) (bool, error) {
	err := p.runCheck(ctx, l.c)
	if err == nil {
		got := tally{acquires: 1, waits: st.waits(), waitTime: st.waited}
		p.mu.Lock()
		l.c.checked, l.c.epoch = time.Now(), p.epoch
		late := p.countLocked(got)
		p.mu.Unlock()
		if late {
			p.lateCount(got)
		}
		return true, nil
	}
	if ended(ctx) {
		// The check was cut short: the connection may hold half an exchange
		// (a ping sent, its answer unread), so it is not reused. That says
		// nothing about the backend: no outage.
		p.destroyLeased(l, Broken, nil)
		p.count(tally{cancelled: 1})
		return false, ctxErr(ctx)
	}
	p.destroyLeased(l, Unhealthy, err)
	return false, nil
}

func (p *core[T]) runCheck(ctx context.Context, c *conn[T]) error {
	if p.o.CheckTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.o.CheckTimeout)
		defer cancel()
	}
	return p.o.Check(ctx, c.value)
}

func (p *core[T]) runReset(c *conn[T]) error {
	ctx := context.Background()
	if p.o.CheckTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.o.CheckTimeout)
		defer cancel()
	}
	return p.o.Reset(ctx, c.value)
}

// leakQueue receives connections whose lease became unreachable. The
// runtime cleanup only enqueues (and starts the drainer if none runs); the
// drainer, owned by p.wg, recovers the slots.
type leakQueue[T any] struct {
	p       *core[T]
	mu      sync.Mutex // protects following fields
	q       []*conn[T]
	running bool
	closed  bool
}

func (lq *leakQueue[T]) init(p *core[T]) { lq.p = p }

func (lq *leakQueue[T]) push(c *conn[T]) {
	// Most cleanups are for the leases of destroyed connections: ignore
	// them here, touching nothing but mutexes (this runs outside any
	// synctest bubble the pool may live in).
	lq.p.mu.Lock()
	leased := c.state == stateLeased
	lq.p.mu.Unlock()
	if !leased {
		return
	}
	lq.mu.Lock()
	defer lq.mu.Unlock()
	if lq.closed {
		return // Close already destroyed everything
	}
	lq.q = append(lq.q, c)
	if !lq.running {
		lq.running = true
		lq.p.wg.Add(1)
		go lq.drain()
	}
}

func (lq *leakQueue[T]) drain() {
	defer lq.p.wg.Done()
	for {
		lq.mu.Lock()
		if len(lq.q) == 0 {
			lq.running = false
			lq.mu.Unlock()
			return
		}
		c := lq.q[0]
		// Clear the slot: the backing array outlives the slice header
		// (even at length 0), and would keep the recovered connection,
		// its value and its Guard reachable for as long as the pool lives.
		lq.q[0] = nil
		lq.q = lq.q[1:]
		lq.mu.Unlock()
		lq.p.recoverUnreleased(c)
	}
}

// close stops new drainers; call it before p.wg.Wait.
func (lq *leakQueue[T]) close() {
	lq.mu.Lock()
	lq.closed = true
	lq.mu.Unlock()
}

// recoverUnreleased destroys the connection of a lease that was dropped
// unreleased (its state is unknown) and frees its slot.
func (p *core[T]) recoverUnreleased(c *conn[T]) {
	p.mu.Lock()
	if c.state != stateLeased {
		p.mu.Unlock()
		return // retired meanwhile (Close, registry)
	}
	p.unleaseLocked(c, nil)
	p.retireLocked(c, Unreleased)
	pcs := append([]uintptr(nil), c.pcs[:c.npcs]...)
	p.signalDrainedLocked()
	p.mu.Unlock()
	p.emit(Event{Type: EventUnreleased, Age: time.Since(c.created), Stack: formatStack(pcs)})
	p.runDestroy(context.WithoutCancel(p.ctx), c)
}
