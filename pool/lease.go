package pool

import (
	"runtime"
	"time"

	"github.com/patinox/memory/resource"
)

type state uint8

const (
	stateIdle     state = iota // in p.idle
	stateLeased                // held by a lease
	stateReturned              // between a lease and the next state
	stateChecking              // taken from idle for a background check
	stateRetired               // being destroyed or destroyed
	stateCreating              // created, not yet in the pool (runCreate)
)

// owed says who frees the slot of a connection that the registry's
// cleanup retired while a retry of that cleanup was pending.
type owed uint8

const (
	owedNone     owed = iota
	owedRetiring      // counted in retiring: the final forget frees the slot
	owedCreating      // retired in creation: runCreate counts it in retiring
)

// conn is one live connection. Its fields are protected by the pool's mu,
// except value and created, which never change, and the fields that only the
// current holder touches (documented).
type conn[T any] struct {
	p       *core[T]
	value   T
	created time.Time
	expires time.Time // zero: no lifetime
	guard   *resource.Guard[T]

	lease     *Lease[T] // the connection's only Lease; nil while leased out
	state     state
	reason    Reason // why it was retired
	epoch     uint64 // the pool's outage epoch when created or last checked
	idleSince time.Time
	checked   time.Time // last successful check
	mustCheck bool      // set under mu when leased; read by the acquirer
	used      bool      // leased before (a fresh connection is not checked)
	keepSlot  bool      // evicted for a Keyed TryAcquire, which takes its global slot
	// regClaimed: retired, but the registry had claimed it: its cleanup
	// frees the slot (forget). regRan: that cleanup has run its final
	// attempt (forget saw it retired). regStarted: an attempt of that
	// cleanup is running.
	regClaimed, regRan, regStarted bool
	// regOwed: forget retired it after an attempt that the registry will
	// retry; the final attempt's forget frees its slot.
	regOwed owed

	acquired time.Time // LeakThreshold > 0: when leased
	leaked   bool      // EventLeak was sent for the current lease
	pcs      [32]uintptr
	npcs     int
}

// Lease is the right to use one connection until Release or Destroy. A
// Lease is used by one goroutine at a time; its holder must call exactly one
// of Release and Destroy, and must not use the lease or its value after.
//
// The pool recycles Lease values (one per connection) so that Acquire does
// not allocate: a stale *Lease kept after Release must not be used.
//
// A Lease that becomes unreachable without Release is detected by the
// garbage collector: its connection, in an unknown state, is destroyed
// (reason Unreleased) and its slot recovered.
type Lease[T any] struct {
	c *conn[T]
}

// Value returns the leased connection.
func (l *Lease[T]) Value() T { return l.c.value }

// Release returns the connection to the pool (after Reset, if configured;
// a failed Reset destroys it). Release after Close destroys it.
func (l *Lease[T]) Release() { l.c.p.release(l, true) }

// Destroy destroys the connection (reason Broken) instead of returning it:
// call it when the connection is broken or in an unknown state. The destroy
// runs in the background; the pool creates a replacement if needed.
func (l *Lease[T]) Destroy() { l.c.p.destroyLeased(l, Broken, nil) }

// newConn wraps a created value with its lease and lifetime, tracks it with
// the registry when one is set, and arms the unreachable-lease detector.
func (p *core[T]) newConn(v T) (*conn[T], error) {
	now := time.Now()
	c := &conn[T]{p: p, value: v, created: now, checked: now, idleSince: now, state: stateCreating}
	if p.o.MaxLifetime > 0 {
		life := p.o.MaxLifetime
		if p.o.LifetimeJitter > 0 {
			life += randDuration(p.o.LifetimeJitter)
		}
		c.expires = now.Add(life)
	}
	if err := p.trackConn(c); err != nil {
		return nil, err
	}
	c.lease = &Lease[T]{c: c}
	// The cleanup's argument c does not reach the lease while it is leased
	// (c.lease is nil then), so the lease can become unreachable exactly
	// when its holder drops it unreleased. While idle, c.lease keeps it
	// alive; once c is retired, c.lease is cleared so both can be freed.
	runtime.AddCleanup(c.lease, (*conn[T]).unreachable, c)
	return c, nil
}

// unreachable runs on the runtime's cleanup goroutine: it only enqueues.
func (c *conn[T]) unreachable() { c.p.leaks.push(c) }
