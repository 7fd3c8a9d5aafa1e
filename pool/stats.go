package pool

import "time"

// Stats is a snapshot of a pool's state and counters, like database/sql's
// DBStats plus counters per destroy reason. Counters only grow.
type Stats struct {
	MaxSize  int // the current cap
	Size     int // connections open, being opened or being closed
	Idle     int // connections idle in the pool
	InUse    int // connections held by leases
	Creating int // creates in flight
	Waiting  int // acquires waiting now

	Acquires          int64         // leases handed out
	Waits             int64         // acquires that had to queue
	WaitTime          time.Duration // total time queued by acquires that got a lease
	CancelledAcquires int64         // acquires that gave up (context ended) while queued
	Created           int64         // successful creates
	CreateFailures    int64         // failed creates
	Destroyed         Destroyed     // destroys by reason
	Leaks             int64         // leases reported held past LeakThreshold
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
