package cache

import "runtime"

// Reader bias (BRAVO, Dice and Kogan, "BRAVO — Biased Locking for
// Reader-Writer Locks", USENIX ATC 2019), on each shard's RWMutex.
//
// RLock and RUnlock add to a reader count in the shard, so readers on
// different cores take turns at that cache line even though they never
// exclude each other: with two goroutines reading, the adds took most of a
// Get's time. While a shard is biased, a reader does not touch the shard's
// lock. It announces itself in its own stripe instead (a line it writes on
// every Get anyway), by a compare-and-swap of the stripe's reading word from
// 0 to the shard's number, checks that the bias still holds, reads, and
// stores 0 again. Readers on different cores then write only their own
// lines.
//
// A writer takes the write lock as before (which waits for readers on the
// slow path) and, if the shard is biased, revokes the bias and waits until no
// stripe names the shard. Both sides use sequentially consistent atomics, so
// a reader either sees the bias cleared (and takes the read lock) or is seen
// by the writer (which waits for it). A reader that finds its stripe taken
// by another goroutine takes the read lock. A biased reader never blocks,
// so the writer's wait is short, except when the reader's goroutine is
// descheduled inside: the writer then yields (runtime.Gosched) until it has
// run again.
//
// Revoking costs the writer a look at every stripe, so the bias is granted
// only to a shard that has had biasAfter reads on the slow path without a
// write in between: read-mostly shards become biased, shards with frequent
// writes never pay for it.

// biasAfter returns how many consecutive slow-path reads a shard needs
// before it is biased: 32 per stripe a revocation will look at, so that the
// look is paid for by reads that no longer contend.
func (c *Cache[K, V]) biasAfter() uint32 { return 32 * uint32(len(c.stripes)) }

// tryBiased reports whether a reader on stripe st may read sh without its
// read lock: sh is biased and the reader announced itself in st. If so, it
// must call leaveBiased when done; if not, it takes the read lock, and calls
// countSlow before RUnlock. (The read path is spelt out in Cache.lookup so
// that RLock and RUnlock stay inlined.)
func (sh *shard[K]) tryBiased(st *stripe) bool { return sh.biased.Load() && sh.enter(st) }

// enter announces a reader of biased shard sh in st, and reports whether
// the bias still held after (if not, the reader takes the read lock).
func (sh *shard[K]) enter(st *stripe) bool {
	if !st.reading.CompareAndSwap(0, sh.id) {
		return false // another goroutine on this stripe is reading
	}
	if sh.biased.Load() {
		return true
	}
	st.reading.Store(0) // revoked meanwhile: the writer may be waiting for us
	return false
}

// leaveBiased ends a read that tryBiased admitted.
func leaveBiased(st *stripe) { st.reading.Store(0) }

// countSlow counts a read under sh's read lock and grants the bias to the
// after-th since the last write (after is Cache.biasAfter). Under the read
// lock no writer is inside, and the next one to take the write lock will
// see the bias.
func (sh *shard[K]) countSlow(after uint32) {
	if !sh.biased.Load() && sh.slowReads.Add(1)-sh.lastWrite == after {
		sh.biased.Store(true)
	}
}

// lockShard takes sh's write lock and revokes its bias: when it returns, no
// reader is inside sh on either path.
func (c *Cache[K, V]) lockShard(sh *shard[K]) {
	sh.mu.Lock()
	sh.lastWrite = sh.slowReads.Load() // a load, not a store: no locked instruction
	if sh.biased.Load() {
		c.revoke(sh)
	}
}

// revoke clears sh's bias and waits until no stripe names sh. Called with
// sh's write lock held.
func (c *Cache[K, V]) revoke(sh *shard[K]) {
	sh.biased.Store(false)
	for i := range c.stripes {
		for c.stripes[i].reading.Load() == sh.id {
			runtime.Gosched() // a reader inside never blocks: it will leave
		}
	}
}
