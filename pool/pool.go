package pool

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/patinox/memory/pool/internal/waitq"
)

var (
	// ErrClosed is returned by acquires on, and waiters of, a closed pool.
	ErrClosed = errors.New("pool: closed")
	// ErrExhausted is returned by TryAcquire when no connection is idle and
	// none can be created without waiting.
	ErrExhausted = errors.New("pool: exhausted")
)

// Pool is a pool of connections of type T. It is safe for concurrent use.
// Waiters are served strictly first in, first out, by direct hand-off.
//
// A Pool with a background goroutine (any of MaxLifetime, MaxIdleTime,
// CheckInterval, LeakThreshold) that its owner drops without Close is
// closed by that goroutine at its first tick after the garbage collector
// finds the Pool unreachable (as by Close with a context that never ends:
// leases still held are awaited), so that the goroutine and the idle
// connections do not outlive it. Close it all the same: that is
// deterministic, returns the destroy errors, and is the only way for a Pool
// without such options.
type Pool[T any] struct {
	*core[T] // the connections, leases and goroutines refer to this, never to the Pool
	// Methods that may block keep the Pool reachable until they return
	// (runtime.KeepAlive), so that a Pool in use is never taken for dropped.
	_ noCopy // a copy would not keep the original reachable: go vet reports copies
}

// noCopy makes go vet's copylocks check report copies of the struct that
// holds it (see sync.noCopy).
type noCopy struct{}

// Lock is a no-op used by go vet's copylocks check.
func (*noCopy) Lock() {}

// Unlock is a no-op used by go vet's copylocks check.
func (*noCopy) Unlock() {}

// core is the pool itself; see Pool.
type core[T any] struct {
	create  func(context.Context) (T, error)
	destroy func(context.Context, T) error
	o       Options[T]
	stamp   bool          // acquire/release need time.Now (lifetimes, idle times)
	global  *globalCap[T] // set for the sub-pools of a Keyed
	reg     *registration
	// owner reports whether the Pool or Keyed handed to the caller became
	// unreachable, and if so starts its Close; the sweep goroutine then
	// returns (maintain.go).
	owner func(*core[T]) (dropped bool)

	ctx    context.Context // cancelled by Close: bounds creates and background checks
	cancel context.CancelFunc
	stop   chan struct{} // closed by Close: stops background goroutines
	done   chan struct{} // closed when Close (whoever called it) has finished
	wg     sync.WaitGroup
	leaks  leakQueue[T]
	unsub  func() // ends the pressure subscription
	// onEmpty, set for a Keyed's sub-pool before its registration, is
	// called when the sub-pool became empty (reap.go).
	onEmpty func()
	// onClosed, set for a Keyed's sub-pool before its registration, is
	// called once the sub-pool is closed, by whoever closed it (reap.go).
	onClosed func()
	// lateCount, set for a Keyed's sub-pool before its registration,
	// receives the counts made after the Keyed added the sub-pool's
	// counters to its totals (accounted).
	lateCount func(tally)

	mu        sync.Mutex // protects following fields
	idle      []*conn[T] // a stack: the most recently used is on top
	all       map[*conn[T]]struct{}
	waiters   waitq.Queue[grant[T]]
	maxSize   int
	frozenAt  int // > 0 under Critical pressure: the pool does not grow past it
	size      int // live + creating + destroying
	creating  int
	checking  int // idle connections out for a background check (sweep → checkIdle)
	retiring  int // destroys in flight (counted in size)
	inUse     int
	closed    bool
	retired   bool          // an empty Keyed sub-pool being removed (reap.go)
	drained   chan struct{} // closed once closed && inUse == 0
	closeErrs []error

	// regPending counts the connections being destroyed by the registry's
	// cleanup after the pool retired them (runDestroy); regRunning, those
	// of them whose cleanup has begun (it needs no registry worker any
	// more). Close waits for them (awaitRegistryDestroys).
	regPending, regRunning countdown
	// regLeft holds the retired connections whose destroy is left to the
	// registry's cleanup (runDestroy's regClaimed, forget's regOwed): Close
	// destroys those whose cleanup a Shutdown dropped (reclaimAbandoned).
	regLeft map[*conn[T]]struct{}

	failures  int // consecutive failed creates
	lastErr   error
	retryAt   time.Time
	retrying  bool   // a retry timer goroutine is armed
	epoch     uint64 // bumped by each outage
	lastUse   time.Time
	wantSlot  bool // queued in global.wanting
	accounted bool // in its Keyed's totals: count goes to lateCount (stats.go)
	s         counters
}

type grant[T any] struct {
	l    *Lease[T]
	err  error
	wait time.Duration // how long the waiter was queued for l
}

// New returns a pool that opens connections with create and closes them
// with destroy. Both are called without any pool lock held, create on a
// background goroutine. opts may be nil. The caller must Close the pool
// (see Pool for one dropped without Close).
func New[T any](create func(ctx context.Context) (T, error), destroy func(ctx context.Context, v T) error, opts *Options[T]) (*Pool[T], error) {
	if create == nil {
		return nil, errors.New("pool: New: create must not be nil")
	}
	if destroy == nil {
		return nil, errors.New("pool: New: destroy must not be nil")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	h := new(Pool[T])
	w := weak.Make(h)
	c, err := newPool(create, destroy, o, nil, func(p *core[T]) bool {
		if w.Value() != nil {
			return false
		}
		go p.Close(context.Background()) // it waits for the sweep goroutine
		return true
	}, nil)
	if err != nil {
		return nil, err
	}
	h.core = c
	return h, nil
}

// newPool returns a pool; owner is its owner check (see core.owner). setup,
// if not nil, is called first, before the pool can be used or closed.
func newPool[T any](create func(context.Context) (T, error), destroy func(context.Context, T) error, o Options[T], g *globalCap[T], owner func(*core[T]) bool, setup func(*core[T])) (*core[T], error) {
	p := &core[T]{
		create: create, destroy: destroy, o: o, global: g, owner: owner,
		stamp:   o.MaxLifetime > 0 || o.MaxIdleTime > 0 || o.CheckIdleAfter > 0 || o.CheckInterval > 0 || g != nil,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		all:     make(map[*conn[T]]struct{}),
		maxSize: o.MaxSize,
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if setup != nil {
		setup(p)
	}
	p.leaks.init(p)
	if err := p.register(); err != nil {
		p.cancel()
		return nil, err
	}
	// From here on the registry may close p at any time (a ReleaseMatching
	// running meanwhile): what Close would stop is started only if it has
	// not begun.
	var unsub func()
	if m := o.Pressure; m != nil {
		unsub = m.Subscribe(p.onPressure)
	}
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.unsub = unsub
		if d := o.tick(); d > 0 {
			p.wg.Add(1)
			go p.maintain(d)
		}
		p.fillLocked()
	}
	p.mu.Unlock()
	if closed && unsub != nil {
		unsub()
	}
	return p, nil
}

// Acquire returns a lease on a connection: an idle one, a new one, or the
// next one released, in FIFO order with other waiters. It blocks until then
// or until ctx ends; if creates are failing meanwhile, the error wraps both
// ctx.Err() and the last create error. The caller must call Release or
// Destroy on the lease exactly once.
func (p *Pool[T]) Acquire(ctx context.Context) (*Lease[T], error) {
	var st acquiring
	l, err := p.acquire(ctx, true, &st)
	runtime.KeepAlive(p) // a waiting Acquire keeps p from counting as dropped
	return l, err
}

// TryAcquire is Acquire without waiting for a release: it returns an idle
// connection or creates one (waiting only for that create, and returning its
// error), and returns ErrExhausted when the pool is at MaxSize with nothing
// idle, when others are already waiting, or while creates are failing and
// their backoff runs (once it has passed, TryAcquire makes the probing
// create itself).
func (p *Pool[T]) TryAcquire(ctx context.Context) (*Lease[T], error) {
	var st acquiring
	l, err := p.acquire(ctx, false, &st)
	runtime.KeepAlive(p)
	return l, err
}

// Close closes the pool. New acquires fail with ErrClosed at once and
// waiters are woken with ErrClosed; idle connections are destroyed; leases
// in use are awaited until ctx ends, after which their connections are
// destroyed under their holders (whose Release then does nothing). Close
// waits for in-flight creates (cancelled) and destroys and for the pool's
// goroutines, and returns every destroy error joined, plus an error wrapping
// ctx's if leases were still out. A destroy through the Registry is not
// cut short by ctx: Close waits for its retries. Close does not wait for
// the connections the registry has claimed (Shutdown, ReleaseAsync) but
// not begun to destroy (a Close in another resource's cleanup could hold
// the worker they need): the registry destroys them, reports their
// errors, and Stats.Size counts them until then. Those whose destroy (or
// its retry) a Shutdown whose ctx ended left unrun by the time Close ends
// are the pool's again: Close destroys them (after such a Shutdown has
// returned, Close first waits, until ctx ends, for the registry to finish
// the attempts it still runs and drop or end their retries). Closing a
// closed pool returns ErrClosed, once the close under way (another
// Close's, or the registry's) has finished or ctx has ended.
func (p *Pool[T]) Close(ctx context.Context) error {
	err := p.core.Close(ctx)
	runtime.KeepAlive(p) // else the sweep could find p dropped and close it first
	return err
}

// Resize changes MaxSize at run time. Growing starts the creates waiters
// need; shrinking destroys idle connections beyond the new cap at once and
// leased ones as they are released. It is safe for concurrent use.
func (p *Pool[T]) Resize(maxSize int) error { return p.core.Resize(maxSize) }

// Stats returns a snapshot of the pool's state and counters. It is safe for
// concurrent use.
func (p *Pool[T]) Stats() Stats { return p.core.Stats() }

// acquire is Acquire (wait) or TryAcquire. Only a lease it returns counts
// in Stats.Acquires (with the time this acquire queued in WaitTime, and in
// Waits if it queued), only an end of ctx in CancelledAcquires: a grant
// that is handed back, or whose Check fails, counts in neither.
func (p *core[T]) acquire(ctx context.Context, wait bool, st *acquiring) (*Lease[T], error) {
	for {
		if ctx.Err() != nil {
			p.count(tally{cancelled: 1})
			return nil, ctxErr(ctx)
		}
		l, err := p.acquireOnce(ctx, wait, st)
		if err != nil {
			return nil, err
		}
		if p.o.LeakThreshold > 0 {
			p.recordAcquire(l.c)
		}
		if !l.c.mustCheck {
			return l, nil // counted by acquireOnce or await
		}
		if ended(ctx) {
			// Too late to check it, but it is untouched: it goes back
			// (destroying it would lose a connection to a cancel).
			p.putBack(l)
			p.count(tally{cancelled: 1})
			return nil, ctxErr(ctx)
		}
		ok, err := p.checkOnAcquire(ctx, l, st)
		if err != nil {
			return nil, err
		}
		if ok {
			return l, nil
		}
	}
}

// acquireOnce leases a connection. It counts the lease in Stats (with st,
// what the acquire did before) if it needs no Check, and adds to st.
func (p *core[T]) acquireOnce(ctx context.Context, wait bool, st *acquiring) (*Lease[T], error) {
	p.mu.Lock()
	if p.retired {
		p.mu.Unlock()
		return nil, errRetired
	}
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if p.waiters.Len() == 0 {
		if c := p.popIdleLocked(); c != nil {
			l := p.leaseLocked(c, time.Time{})
			if !c.mustCheck {
				p.s.acquires++
				p.s.waits += st.waits()
				p.s.waitTime += st.waited
			}
			if len(p.idle) < p.o.MinIdle {
				p.fillLocked()
			}
			p.mu.Unlock()
			return l, nil
		}
	}
	if !wait {
		return p.tryCreateLocked(ctx, st)
	}
	w := p.waiters.Enqueue()
	w.Since = time.Now()
	p.fillLocked()
	p.mu.Unlock()
	return p.await(ctx, w, st)
}

// tryCreateLocked is TryAcquire's path when nothing is idle. It unlocks p.mu.
// While creates fail, it may start the single probing create once the
// backoff has passed (else a pool used only with TryAcquire would never
// probe again).
func (p *core[T]) tryCreateLocked(ctx context.Context, st *acquiring) (*Lease[T], error) {
	backingOff := p.failures > 0 && (p.creating > 0 || time.Now().Before(p.retryAt))
	if p.waiters.Len() > 0 || p.size >= p.capLocked() || backingOff {
		err := ErrExhausted
		if p.failures > 0 {
			err = fmt.Errorf("%w (creates failing: %w)", ErrExhausted, p.lastErr)
		}
		p.mu.Unlock()
		return nil, err
	}
	if st.slot {
		st.slot = false // a Keyed's slot, evicted for this TryAcquire
	} else if !p.tryTakeGlobalLocked() {
		p.mu.Unlock()
		return nil, errNoSlot // a Keyed at MaxTotal: it may evict (evictFor)
	}
	w := p.waiters.Enqueue()
	w.Since, w.FailFast = time.Now(), true
	p.startCreateLocked(w)
	p.mu.Unlock()
	return p.await(ctx, w, st)
}

// await waits for w's grant or for ctx to end. Of a lease granted, it adds
// the time queued to st and, if it needs no Check, counts it in Stats.
func (p *core[T]) await(ctx context.Context, w *waitq.Waiter[grant[T]], st *acquiring) (*Lease[T], error) {
	st.queued = true
	select {
	case g := <-w.C():
		p.recycle(w)
		if g.l != nil {
			st.waited += g.wait
			if !g.l.c.mustCheck {
				p.count(tally{acquires: 1, waits: st.waits(), waitTime: st.waited})
			}
		}
		return g.l, g.err
	case <-ctx.Done():
	}
	cancelled := tally{cancelled: 1}
	p.mu.Lock()
	late := p.countLocked(cancelled)
	removed := p.waiters.Remove(w)
	err := p.timeoutErrLocked(ctx)
	empty := removed && p.emptyLocked()
	p.mu.Unlock()
	if late {
		p.lateCount(cancelled)
	}
	if removed {
		p.recycle(w)
		p.noteEmpty(empty)
		return nil, err
	}
	// The grant raced the cancel and is already in the channel (or is
	// being sent): hand the connection back so that it goes to the next
	// waiter or to idle.
	g := <-w.C()
	p.recycle(w)
	if g.l != nil {
		p.putBack(g.l)
	}
	return nil, err
}

// recycle reuses w unless a create goroutine still holds it (FailFast
// waiters of TryAcquire are left to the garbage collector).
func (p *core[T]) recycle(w *waitq.Waiter[grant[T]]) {
	if !w.FailFast {
		p.waiters.Recycle(w)
	}
}

func (p *core[T]) timeoutErrLocked(ctx context.Context) error {
	err := ctxErr(ctx)
	if p.failures > 0 && p.lastErr != nil {
		return fmt.Errorf("pool: acquire: %w (creates failing: %w)", err, p.lastErr)
	}
	return err
}

// ctxErr returns the error of ctx, which has ended: ctx.Err(), wrapping
// also its cause when that is another error (context.WithTimeoutCause), so
// that errors.Is matches both.
func ctxErr(ctx context.Context) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if err == nil {
		return context.DeadlineExceeded // its deadline passed, its timer not yet run
	}
	if cause == nil || cause == err {
		return err
	}
	return fmt.Errorf("%w: %w", err, cause)
}

// ended reports whether ctx is done or its deadline has passed. A socket
// deadline taken from ctx (a Check's ping) can fire before the context's
// own timer has cancelled it.
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// popIdleLocked pops the most recently used idle connection that has not
// expired; expired ones it meets are destroyed in the background.
func (p *core[T]) popIdleLocked() *conn[T] {
	var now time.Time
	if p.stamp {
		now = time.Now()
	}
	for n := len(p.idle); n > 0; n = len(p.idle) {
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		if r, dead := p.expiredLocked(c, now); dead {
			p.destroyAsyncLocked(p.retireLocked(c, r))
			continue
		}
		return c
	}
	return nil
}

// expiredLocked reports whether c must be destroyed rather than used.
func (p *core[T]) expiredLocked(c *conn[T], now time.Time) (Reason, bool) {
	switch {
	case !c.expires.IsZero() && !now.Before(c.expires):
		return Lifetime, true
	case p.o.MaxIdleTime > 0 && c.state == stateIdle && now.Sub(c.idleSince) >= p.o.MaxIdleTime:
		return IdleTimeout, true
	case p.size-p.retiring > p.maxSize:
		return Shrunk, true
	}
	return 0, false
}

// leaseLocked marks c leased and returns its lease. now may be zero. The
// lease is counted in Stats only once its acquirer returns it.
func (p *core[T]) leaseLocked(c *conn[T], now time.Time) *Lease[T] {
	if p.stamp && now.IsZero() {
		now = time.Now()
	}
	c.mustCheck = p.o.Check != nil && c.used && (c.epoch < p.epoch || p.o.CheckIdleAfter == 0 ||
		(p.o.CheckIdleAfter > 0 && now.Sub(c.idleSince) > p.o.CheckIdleAfter && now.Sub(c.checked) > p.o.CheckIdleAfter))
	c.used = true
	c.state = stateLeased
	l := c.lease
	c.lease = nil
	p.inUse++
	p.lastUse = now
	return l
}

// handoff is a grant decided under p.mu and delivered after unlocking it.
type handoff[T any] struct {
	w    *waitq.Waiter[grant[T]]
	l    *Lease[T]
	wait time.Duration
}

// send delivers the grant, if any. Call it after unlocking p.mu.
func (h handoff[T]) send() {
	if h.w != nil {
		h.w.Send(grant[T]{l: h.l, wait: h.wait})
	}
}

// putLocked gives c, which is not idle and not leased, to the head waiter or
// makes it idle. A connection is never idle while someone waits. The caller
// must call send on the result after unlocking p.mu.
func (p *core[T]) putLocked(c *conn[T]) handoff[T] {
	if w := p.waiters.Take(); w != nil {
		now := time.Now()
		return handoff[T]{w: w, l: p.leaseLocked(c, now), wait: now.Sub(w.Since)}
	}
	c.state = stateIdle
	if p.stamp {
		c.idleSince = time.Now()
	}
	p.idle = append(p.idle, c)
	if p.global != nil {
		p.global.idleAdded()
	}
	return handoff[T]{}
}

// release returns a leased connection to the pool (Lease.Release).
func (p *core[T]) release(l *Lease[T], reset bool) {
	c := l.c
	if reset && p.o.Reset != nil && p.leased(c) {
		if err := p.runReset(c); err != nil {
			p.destroyLeased(l, ResetFailed, err)
			return
		}
	}
	p.mu.Lock()
	if c.state != stateLeased {
		st := c.state
		p.mu.Unlock()
		if st == stateIdle {
			panic("pool: Release of a lease that was already released")
		}
		return // destroyed meanwhile (Close after its deadline)
	}
	leak := p.unleaseLocked(c, l)
	var now time.Time
	if p.stamp {
		now = time.Now()
	}
	if r, dead := p.expiredLocked(c, now); dead || p.closed {
		if p.closed {
			r = Closed
		}
		p.destroyAsyncLocked(p.retireLocked(c, r))
		p.signalDrainedLocked()
		p.mu.Unlock()
		p.emitLeakReturned(leak)
		return
	}
	since := c.idleSince
	if reset {
		// In use until now: a waiter it goes to at once gets a connection
		// that was not idle (CheckIdleAfter).
		c.idleSince = now
	}
	h := p.putLocked(c)
	if !reset && h.w == nil {
		// putBack: its acquirer gave it back unused (a grant that raced a
		// cancel, or too late to Check), so it has been idle all along:
		// MaxIdleTime and CheckIdleAfter still count from before.
		c.idleSince = since
	}
	p.signalDrainedLocked()
	p.mu.Unlock()
	h.send()
	p.emitLeakReturned(leak)
}

// leased reports whether c is still leased (not destroyed under its holder
// by Close or the registry).
func (p *core[T]) leased(c *conn[T]) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return c.state == stateLeased
}

// putBack returns a lease that was granted to a waiter that gave up, or
// that came too late to be checked: unused, so its idle time goes on.
func (p *core[T]) putBack(l *Lease[T]) { p.release(l, false) }

// signalDrainedLocked tells a Close waiting for leases that none is left.
// Callers call it last before unlocking, after any p.wg.Add, so that Close
// reaches wg.Wait only after those Adds.
func (p *core[T]) signalDrainedLocked() {
	if p.closed && p.inUse == 0 && p.drained != nil {
		close(p.drained)
		p.drained = nil
	}
}

// unleaseLocked ends c's lease. It returns a non-zero held duration if the
// lease had been reported as a leak.
func (p *core[T]) unleaseLocked(c *conn[T], l *Lease[T]) time.Duration {
	c.lease = l
	c.state = stateReturned
	p.inUse--
	acquired := c.acquired
	// Zero until the next acquirer records its own time: the sweep must
	// not measure that lease from this one's acquire (leaksLocked).
	c.acquired = time.Time{}
	if !c.leaked {
		return 0
	}
	c.leaked = false
	return max(time.Since(acquired), 1)
}
