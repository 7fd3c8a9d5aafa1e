package pool

import "time"

// Stats is a snapshot of a pool's state and counters, like database/sql's
// DBStats plus counters per destroy reason. Counters only grow.
//
// Each Acquire or TryAcquire call that returns counts in at most one of
// Acquires (it returned a lease) and CancelledAcquires (it returned its
// context's error); the others failed with ErrClosed, ErrExhausted or a
// create error.
type Stats struct {
	MaxSize  int // the current cap
	Size     int // connections open, being opened or being closed
	Idle     int // connections idle in the pool
	InUse    int // connections held by leases
	Creating int // creates in flight
	Waiting  int // acquires waiting now

	// Acquires counts the leases returned to callers. A connection granted
	// to an acquire that gave up meanwhile (and handed it back), or that
	// failed the acquire-time Check, is not counted.
	Acquires int64
	// Waits counts the acquires counted in Acquires that did not find
	// their connection idle: they waited for a release or a create
	// (TryAcquire for its own create), as pgxpool's EmptyAcquireCount. Each
	// counts once, however often it queued (a failed Check queues it
	// again), so WaitTime/Waits is their mean wait.
	Waits int64
	// WaitTime is the total time the acquires counted in Acquires waited
	// for their connection: queued (all of their queuing, when a failed
	// Check made them queue again), or, for TryAcquire, creating it.
	WaitTime time.Duration
	// CancelledAcquires counts the acquires that returned their context's
	// error: it had ended when they began or while they were queued, or it
	// ended after a grant but before the lease was theirs (a grant racing
	// the cancel, or too late to Check, goes back to the pool; a Check cut
	// short destroys its connection).
	CancelledAcquires int64
	Created           int64     // successful creates
	CreateFailures    int64     // failed creates
	Destroyed         Destroyed // destroys by reason
	Leaks             int64     // leases reported held past LeakThreshold
}

// Destroyed counts destroyed connections by Reason.
type Destroyed struct {
	Lifetime, Idle, Unhealthy, Broken, ResetFailed, Closed int64
	Evicted, Shrunk, Flushed, Unreleased, Trimmed          int64
}

// Total returns the number of connections destroyed for any reason.
func (d Destroyed) Total() int64 {
	return d.Lifetime + d.Idle + d.Unhealthy + d.Broken + d.ResetFailed + d.Closed +
		d.Evicted + d.Shrunk + d.Flushed + d.Unreleased + d.Trimmed
}

func (d *Destroyed) add(o Destroyed) {
	d.Lifetime += o.Lifetime
	d.Idle += o.Idle
	d.Unhealthy += o.Unhealthy
	d.Broken += o.Broken
	d.ResetFailed += o.ResetFailed
	d.Closed += o.Closed
	d.Evicted += o.Evicted
	d.Shrunk += o.Shrunk
	d.Flushed += o.Flushed
	d.Unreleased += o.Unreleased
	d.Trimmed += o.Trimmed
}

type counters struct {
	acquires, waits, cancelled, created, createFailures, leaks int64
	waitTime                                                   time.Duration
	destroyed                                                  [numReasons]int64
}

// Stats is Pool.Stats (and a Keyed sub-pool's).
func (p *core[T]) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statsLocked()
}

// finalStats returns the Stats of a Keyed's sub-pool that leaves it, for
// the Keyed's totals; the counts made later go there too (see count).
func (p *core[T]) finalStats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accounted = true
	return p.statsLocked()
}

func (p *core[T]) statsLocked() Stats {
	d := p.s.destroyed
	return Stats{
		MaxSize: p.maxSize, Size: p.size, Idle: len(p.idle), InUse: p.inUse,
		Creating: p.creating, Waiting: p.waiters.Len(),
		Acquires: p.s.acquires, Waits: p.s.waits, WaitTime: p.s.waitTime,
		CancelledAcquires: p.s.cancelled, Created: p.s.created,
		CreateFailures: p.s.createFailures, Leaks: p.s.leaks,
		Destroyed: Destroyed{
			Lifetime: d[Lifetime], Idle: d[IdleTimeout], Unhealthy: d[Unhealthy],
			Broken: d[Broken], ResetFailed: d[ResetFailed], Closed: d[Closed],
			Evicted: d[Evicted], Shrunk: d[Shrunk], Flushed: d[Flushed], Unreleased: d[Unreleased],
			Trimmed: d[Trimmed],
		},
	}
}

// acquiring is what one acquire call did so far, across the requeues
// after a failed Check and a Keyed's retries on a new sub-pool.
type acquiring struct {
	waited time.Duration // time queued so far
	queued bool          // it waited for a release or a create (Stats.Waits)
	slot   bool          // holds a Keyed's global slot for its create (evictFor)
}

// waits is what st adds to Stats.Waits once its lease is returned.
func (st *acquiring) waits() int64 {
	if st.queued {
		return 1
	}
	return 0
}

// tally is what an acquire counts once it knows how it ends, after its
// grant (an acquire served from idle without a Check counts under the lock
// it took the connection with).
type tally struct {
	acquires, waits, cancelled int64
	waitTime                   time.Duration
}

// count adds t to p's counters or, once p's Keyed has added those to its
// totals (a sub-pool that left it, finalStats), to the Keyed's: an acquire
// may end after its sub-pool was closed through the registry.
func (p *core[T]) count(t tally) {
	p.mu.Lock()
	late := p.countLocked(t)
	p.mu.Unlock()
	if late {
		p.lateCount(t)
	}
}

// countLocked is count for a caller that holds p.mu anyway. It reports
// true when t belongs to the Keyed's totals instead: the caller passes it
// to p.lateCount after unlocking.
func (p *core[T]) countLocked(t tally) (late bool) {
	if p.accounted {
		return true
	}
	p.s.acquires += t.acquires
	p.s.waits += t.waits
	p.s.cancelled += t.cancelled
	p.s.waitTime += t.waitTime
	return false
}
