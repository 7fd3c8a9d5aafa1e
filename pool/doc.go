// Package pool is a generic connection pool: Pool[T] for one backend and
// Keyed[K, T] for many backends under a global cap.
//
// A pool opens connections with a create function, closes them with a
// destroy function, and lends them out as leases:
//
//	p, err := pool.New(dial, closeConn, &pool.Options[*Conn]{MaxSize: 16, Check: ping})
//	l, err := p.Acquire(ctx) // FIFO with other waiters; bounded by ctx
//	use(l.Value())
//	l.Release()              // or l.Destroy() if the connection is broken
//	err = p.Close(ctx)       // waits for leases until ctx ends
//
// # Fairness
//
// Waiters are served strictly first in, first out, by direct hand-off: a
// released (or newly created) connection goes straight to the oldest waiter,
// on that waiter's own one-slot channel (the scheme of
// golang.org/x/sync/semaphore). A connection is never idle while someone
// waits, and a goroutine that releases and at once acquires again queues
// behind the waiters instead of barging ahead of them. When nobody waits,
// Acquire and Release take one short critical section each and do not
// allocate. The price of strict hand-off under contention is one goroutine
// switch per release (puddle#46); the benchmarks in the bench module measure
// it against puddle, a channel pool and database/sql.
//
// # Cancellation
//
// Creates run on goroutines owned by the pool, bounded by CreateTimeout and
// by Close, never by the acquiring context: an acquire that gives up while
// its create runs leaves the connection to the next waiter or to idle. A
// grant that races a cancel is handed back. The pool never exceeds MaxSize
// (connections being created and being destroyed count).
//
// # Health
//
// Check validates connections on acquire (optionally only after they were
// idle for CheckIdleAfter) and in the background (CheckInterval); Reset
// recycles them on release. A failed Check or create begins an outage (a
// failed Reset only destroys its connection): the connections from before
// it are validated on their next acquire (without a Check, the idle ones are
// flushed) rather than pinged one by one. A Check cut short by the
// acquire's own context (done, or its deadline passed) destroys the
// connection (reason Broken) without an outage. A background check is not
// a use: it does not restart MaxIdleTime; it is bounded by CheckTimeout, or
// else by CheckInterval, and no waiter waits for it. A sweep starts no
// check once CheckInterval has passed since it began (the connections left
// go back unchecked, for the next sweep), so stalled checks delay it by
// about one bound, not one per connection. A connection whose MaxLifetime
// ended during its check is destroyed, not handed out. While creates fail, the pool
// makes a single probing create at a time (Acquire's or TryAcquire's),
// after an exponential backoff with jitter; an acquire that times out
// meanwhile returns an error wrapping both its context's error (and cause)
// and the last create error. Creates that Close cancels are not failures.
//
// # Leaks
//
// With LeakThreshold set, a lease held longer produces EventLeak with the
// stack of its Acquire, and EventLeakReturned when it comes back. A lease
// that becomes unreachable without Release is always detected (through
// runtime.AddCleanup): its connection, in an unknown state, is destroyed
// (reason Unreleased) and its slot recovered.
//
// # Registry
//
// With Options.Registry set, the pool is a tracked resource and each live
// connection a tracked resource that depends on it, so Registry.Shutdown
// destroys connections before it closes the pool, and each destroy runs
// exactly once whoever starts it. Each key's sub-pool of a Keyed is one
// tracked resource: when the registry closes one (Release,
// ReleaseMatching, Shutdown), the Keyed drops it, and that key's waiters
// and next acquires get a new sub-pool, as a new key would (after
// Shutdown, its registration fails: they get that error). Keyed.Close
// waits for the sub-pools the registry is closing.
//
// When the registry destroys a connection (Shutdown, Release of its ID)
// and the destroy fails with an error it will retry (resource.Retry, up to
// its MaxAttempts), the connection is still open: it leaves service at
// once but keeps its slot (MaxSize, a Keyed's MaxTotal, Stats.Size) until
// the retry destroys it or the registry gives up (resource.AttemptFrom
// tells the pool which attempt is the final one). If a Shutdown whose
// context ended drops that retry, Close destroys the connection. A
// TryAcquire whose new connection the registry began to destroy so does
// not wait for the retry to free the slot: it returns ErrExhausted, or a
// Keyed one at MaxTotal evicts another key's idle connection as usual.
//
// # Memory pressure
//
// With Options.Pressure set, High or Critical pressure trims the idle
// connections down to MinIdle (reason Trimmed); MinIdle refills as usual.
// At Critical the pool also stops growing: until the level drops, Acquire
// waits for a released connection rather than creating one past the size
// left after the trim.
//
// # Caveats
//
//   - Acquire waits while creates fail (with backoff) until its context
//     ends: give it a deadline. TryAcquire fails fast instead.
//   - Lease values are recycled (one per connection, so that Acquire does
//     not allocate): using a *Lease after Release or Destroy is a bug the
//     pool detects only when the connection is idle (Release then panics).
//   - Destroys run in the background (except during Close); their slot is
//     freed, and a replacement may be created, only once destroy returns.
//   - When Close's context ends with leases out, their connections are
//     destroyed under their holders; those holders' Release does nothing.
//   - create, destroy, Check, Reset and Observers must not Close their own
//     Pool or Keyed on their own goroutine: Close waits for them (for
//     creates and background destroys, whatever its context), so it would
//     wait for itself. Call it on another goroutine (go p.Close(ctx)).
//     The same holds for the Observer of the resource.Registry the pool
//     uses: once a Shutdown has returned, Close waits for the registry to
//     decide what follows a failed destroy attempt, and that decision
//     waits for the Observer's handling of the failure.
//   - Creates do not see the acquiring context's values (they outlive it).
//   - Expiry of idle connections (MaxLifetime, MaxIdleTime) is checked by a
//     background sweep every half of the smallest such duration, and on
//     acquire; a pool with none of those options and no CheckInterval or
//     LeakThreshold runs no background goroutine.
//   - The unreleased-lease detector runs on the runtime's cleanup goroutine,
//     outside any testing/synctest bubble: a lease leaked inside a bubble
//     crashes the test (WaitGroup used across the bubble boundary).
//   - Keyed keeps a key's sub-pool (and, with time-based options, its sweep
//     goroutine) while the key has connections, waiters or failing creates:
//     a key whose backend is down keeps its sub-pool, and its backoff,
//     until a create succeeds or Close. Connections that never expire (no
//     MaxLifetime or MaxIdleTime) keep their key's sub-pool until MaxTotal
//     evicts them.
//   - A Pool or Keyed dropped without Close is closed only by its sweep
//     goroutine, one tick after the garbage collector finds it unreachable
//     (see Pool): without time-based options, or while a create function or
//     Observer still refers to it, it stays open with its idle connections.
package pool
