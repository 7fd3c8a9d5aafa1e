package cache

import (
	"fmt"
	"time"

	"github.com/patinox/memory/cache/internal/wheel"
)

// This file holds the maintenance side of the cache: everything that runs
// under c.mu (slots, the Evictor, the timer wheel) and the reporting of
// removed entries after c.mu is released.

// setLocked inserts or replaces k and evicts down to the bound.
func (c *Cache[K, V]) setLocked(k K, v V, h uint64, w, ttl int64, rec *registration) []removal[K, V] {
	c.drainLocked()
	var now, deadline int64
	if ttl > 0 || c.wheel != nil {
		now = c.now()
	}
	if ttl > 0 {
		deadline = after(now, ttl)
	}
	var pending []removal[K, V]
	if c.wheel != nil {
		pending = c.expireLocked(now, pending)
	}
	sh := c.shardOf(h)
	c.lockShard(sh)
	s, existed := c.slotOf(sh, h, k)
	if !existed {
		s = c.allocLocked()
		sh.index.Insert(h, s)
	}
	ch, i := c.chunkOf(s), s&(chunkLen-1)
	old := ch.kv[i].value
	why := Replaced
	if existed && c.expired(s, now) {
		why = Expired
	}
	ch.kv[i].key, ch.kv[i].value = k, v
	ch.setDeadline(i, deadline)
	sh.mu.Unlock()
	if existed {
		pending = c.replaceTrackedLocked(pending, s, k, old, v, why, rec)
		c.ev.Update(s, w)
		c.setWeightLocked(s, w)
	} else {
		c.addLocked(s, w)
		if drop := c.tracker.adopt(s, v, rec); drop != noRelease {
			pending = append(pending, removal[K, V]{detach: drop, reason: numReasons})
		}
		c.ev.Add(s, h, w)
	}
	c.scheduleLocked(s, deadline, now)
	if w > c.capacity {
		pending = c.removeLocked(s, Capacity, now, pending)
	}
	pending = c.evictLocked(Capacity, now, pending)
	c.publishLocked()
	return pending
}

// replaceTrackedLocked reports the replaced value old of slot s and
// settles the registrations of old and of its replacement v (new rec).
func (c *Cache[K, V]) replaceTrackedLocked(pending []removal[K, V], s uint32, k K, old, v V, why Reason, rec *registration) []removal[K, V] {
	oldID := c.tracker.get(s)
	var drop, release releaseID
	if oldID == noRelease || !same(old, v) {
		// A new value (or the same one, untracked until now): the old
		// value's registration is released if no other entry holds it.
		release = c.tracker.take(s)
		drop = c.tracker.adopt(s, v, rec)
	} else if rec != nil { // the same object again: its registration stays, rec's is dropped
		rec.shared, drop = true, rec.id
	}
	pending = c.report(pending, k, old, why, release)
	if drop != noRelease {
		pending = append(pending, removal[K, V]{detach: drop, reason: numReasons})
	}
	return pending
}

// forget is the start of a tracked value's cleanup, which the registry runs
// when it releases the value's registration rec (after the cache asked it
// to, or on its own: Reclaim, ReleaseMatching, Shutdown), on a registry
// goroutine or the caller of the registry's method. It removes every entry
// holding the value under rec (Reason Pressure), and reports whether the
// cleanup is to close the value: not if another registration holds it.
func (c *Cache[K, V]) forget(rec *registration, v V) (closeValue bool) {
	c.mu.Lock()
	rec.gone = true
	var pending []removal[K, V]
	switch {
	case rec.shared: // dropped for another registration of v
	case rec.orphan:
		// Its Set panicked in Register (Cache.track); it closes v if it
		// is the last registration to, as a stored one does (below).
		c.tracker.unorphanLocked(rec, v)
		closeValue = !c.tracker.closesLater(v) && !c.tracker.inFlightLocked(v)
	case rec.stored:
		c.tracker.closed(rec.id) // if released by take
		pending = c.forgetLocked(rec.id, nil)
		// Closed now unless a Set of v stored it again under another
		// registration (which closes it, as does the pending release of
		// one whose last entry left too), or one is still in flight: the
		// last of them closes it if none stores it.
		closeValue = !c.tracker.closesLater(v) && !c.tracker.inFlightLocked(v)
	case c.tracker.tracks(v):
		// The Set that registered v has not stored it yet, and v is cached
		// under another registration: the Set will share that one.
		rec.shared = true
	default:
		// The Set that registered v has not stored it yet: it finds rec
		// gone and removes v again (Cache.insert). If Sets of v are in
		// flight (that one, at least, unless it gave v up), the last of
		// them closes v, unless one stored it under a live registration
		// (inflight.go).
		closeValue = !c.tracker.inFlightLocked(v)
	}
	c.publishLocked()
	c.mu.Unlock()
	c.notify(pending)
	return closeValue
}

// forgetLocked removes, with Reason Pressure, every entry holding the
// value registered as id, which the registry is releasing on its own.
func (c *Cache[K, V]) forgetLocked(id releaseID, pending []removal[K, V]) []removal[K, V] {
	for _, hs := range c.tracker.forgetAll(id) {
		pending = c.removeLocked(hs, Pressure, 0, pending)
	}
	return pending
}

// allocLocked returns a free slot, growing the table if needed.
func (c *Cache[K, V]) allocLocked() uint32 {
	if k := len(c.free); k > 0 {
		s := c.free[k-1]
		c.free = c.free[:k-1]
		return s
	}
	s := c.slots
	c.slots++
	c.growLocked(s)
	return s
}

// addLocked accounts for a new entry in slot s with weight w.
func (c *Cache[K, V]) addLocked(s uint32, w int64) {
	c.setLiveLocked(s, true)
	c.count++
	if !c.byWeight {
		c.total++
		return
	}
	for len(c.weights) <= int(s) {
		c.weights = append(c.weights, 0)
	}
	c.weights[s] = 0
	c.setWeightLocked(s, w)
}

func (c *Cache[K, V]) setWeightLocked(s uint32, w int64) {
	if c.byWeight {
		c.total += w - c.weights[s]
		c.weights[s] = w
	}
}

// removeLocked removes the entry in slot s, reporting it with why (or
// Expired when it has expired; now may be 0 if not yet read).
func (c *Cache[K, V]) removeLocked(s uint32, why Reason, now int64, pending []removal[K, V]) []removal[K, V] {
	if c.expired(s, now) {
		why = Expired
	}
	ch, i := c.chunkOf(s), s&(chunkLen-1)
	k := ch.kv[i].key
	h := c.hash(k)
	sh := c.shardOf(h)
	c.lockShard(sh)
	sh.index.Remove(h, s)
	v := ch.kv[i].value
	var zk K
	var zv V
	ch.kv[i].key, ch.kv[i].value = zk, zv // drop references for the GC
	ch.setDeadline(i, 0)
	sh.mu.Unlock()
	c.ev.Remove(s)
	if c.wheel != nil {
		c.wheel.Cancel(s)
	}
	c.count--
	if c.byWeight {
		c.total -= c.weights[s]
	} else {
		c.total--
	}
	c.setLiveLocked(s, false)
	c.free = append(c.free, s)
	return c.report(pending, k, v, why, c.tracker.take(s))
}

// report counts a removal and queues it for OnEvict and release.
func (c *Cache[K, V]) report(pending []removal[K, V], k K, v V, why Reason, id releaseID) []removal[K, V] {
	c.evictions[why]++
	if c.onEvict == nil && id == noRelease {
		return pending
	}
	return append(pending, removal[K, V]{key: k, value: v, reason: why, id: id})
}

// evictLocked asks the Evictor for victims while the cache is over its bound.
func (c *Cache[K, V]) evictLocked(why Reason, now int64, pending []removal[K, V]) []removal[K, V] {
	for c.total > c.capacity {
		s, ok := c.ev.Victim()
		if !ok || !c.liveLocked(s) {
			c.policyBug(s, ok)
		}
		pending = c.removeLocked(s, why, now, pending)
	}
	return pending
}

// policyBug panics for an Evictor whose Victim broke its contract (see
// Evictor), leaving the cache over its bound. It releases the maintenance
// lock first (evictLocked's callers hold it without defer), so that a
// program that recovers can still read, Clear and Close the cache instead
// of deadlocking on it. Removals already made by the failing operation are
// not reported to OnEvict; their tracked values stay registered until the
// registry shuts down.
func (c *Cache[K, V]) policyBug(s uint32, ok bool) {
	msg := fmt.Sprintf("cache: Evictor.Victim() = (%d, %v) with total weight %d over capacity %d", s, ok, c.total, c.capacity)
	v, closeValue := func() (V, bool) {
		defer c.mu.Unlock() // even if the broken Evictor panics in Remove
		return c.abandonStoreLocked()
	}()
	if closeValue {
		func() {
			defer func() {
				if p := recover(); p != nil { // a panicking Close must not hide the policy bug
					msg += fmt.Sprintf("; closing the value being stored panicked too: %v", p)
				}
			}()
			dispose(v)
		}()
	}
	panic(msg)
}

// expired reports whether slot s's deadline has passed; now is read if 0.
func (c *Cache[K, V]) expired(s uint32, now int64) bool {
	d := c.deadlineOf(s)
	if d == 0 {
		return false
	}
	if now == 0 {
		now = c.now()
	}
	return d <= now
}

// drainLocked hands buffered accesses to the Evictor.
func (c *Cache[K, V]) drainLocked() {
	for i := range c.stripes {
		c.stripes[i].drain(c.hitLocked, c.updateLocked)
	}
}

// hit reports a buffered read of slot s if s still holds an entry (it may
// hold another key than the one read, if the slot was reused meanwhile: a
// rare, harmless misattribution).
func (c *Cache[K, V]) hit(s uint32) {
	if c.liveLocked(s) {
		c.ev.Hit(s)
	}
}

// update reports a buffered fast-path replacement of slot s (weight 1: the
// fast path serves entry-bounded caches only) if s still holds an entry,
// with the same caveat as hit.
func (c *Cache[K, V]) update(s uint32) {
	if c.liveLocked(s) {
		c.ev.Update(s, 1)
	}
}

func (c *Cache[K, V]) deadlineOf(s uint32) int64 { return c.chunkOf(s).deadline(s & (chunkLen - 1)) }

// scheduleLocked puts slot s on the timer wheel for deadline (0: none).
func (c *Cache[K, V]) scheduleLocked(s uint32, deadline, now int64) {
	if deadline == 0 {
		if c.wheel != nil {
			c.wheel.Cancel(s)
		}
		return
	}
	if c.wheel == nil {
		c.wheel = wheel.New(now)
	}
	c.wheel.Schedule(s, deadline)
	c.armLocked(c.wheel.Due(deadline), now)
}

// expireLocked advances the wheel to now and removes the expired entries.
// An entry whose deadline moved past now since the wheel read it (a
// replacement or a read on the fast path, which change deadlines under the
// shard lock only) is scheduled again instead.
func (c *Cache[K, V]) expireLocked(now int64, pending []removal[K, V]) []removal[K, V] {
	c.expiredBuf = c.wheel.Advance(now, c.deadlineOfF, c.expiredBuf[:0])
	for _, s := range c.expiredBuf {
		ch, i := c.chunkOf(s), s&(chunkLen-1)
		sh := c.shardOf(c.hash(ch.kv[i].key))
		// A replacement on the fast path changes a deadline under the
		// shard's write lock, reading its clock there: once we have seen
		// the deadline due under the lock, the fast path finds it due too
		// and takes the slow way (c.mu, which we hold). A read extending
		// the deadline (ExpireAfterAccess) may still race with the removal:
		// it saw the entry live at its own, earlier, instant.
		sh.mu.RLock()
		d := ch.deadline(i)
		sh.mu.RUnlock()
		if d > now {
			c.wheel.Schedule(s, d)
			continue
		}
		pending = c.removeLocked(s, Expired, now, pending)
	}
	return pending
}

// armLocked makes the expiry timer fire by clock time due.
func (c *Cache[K, V]) armLocked(due, now int64) {
	if c.closed || (c.timerAt != 0 && c.timerAt <= due) {
		return
	}
	c.timerAt = due
	d := time.Duration(max(due-now, 1))
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.weakly((*Cache[K, V]).onTimer))
		return
	}
	c.timer.Reset(d)
}

// onTimer runs on the timer's goroutine when something may be due.
func (c *Cache[K, V]) onTimer() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	now := c.now()
	c.timerAt = 0
	pending := c.expireLocked(now, nil)
	if next, ok := c.wheel.Next(); ok {
		c.armLocked(next, now)
	}
	c.publishLocked()
	c.mu.Unlock()
	c.notify(pending)
}

// clearLocked removes every entry with Reason Deleted.
func (c *Cache[K, V]) clearLocked() []removal[K, V] {
	c.drainLocked()
	var pending []removal[K, V]
	for s := range c.slots {
		if c.liveLocked(s) {
			pending = c.removeLocked(s, Deleted, 0, pending)
		}
	}
	c.publishLocked()
	return pending
}

func (c *Cache[K, V]) resize(maxEntries int, maxWeight int64, why Reason) error {
	switch {
	case c.byWeight && (maxWeight <= 0 || maxEntries != 0):
		return fmt.Errorf("cache: Resize of a MaxWeight cache needs maxWeight > 0 and maxEntries 0, got %d, %d", maxEntries, maxWeight)
	case !c.byWeight && (maxEntries <= 0 || maxEntries > 1<<31 || maxWeight != 0):
		return fmt.Errorf("cache: Resize of a MaxEntries cache needs 0 < maxEntries <= 2^31 and maxWeight 0, got %d, %d", maxEntries, maxWeight)
	}
	c.rebound(why, func() { c.base = max(maxWeight, int64(maxEntries)) })
	return nil
}

// rebound applies change (to the configured bound or the pressure share)
// under the maintenance lock and enforces the resulting bound, evicting with
// why; OnEvict runs after the lock is released. It does nothing and reports
// false on a closed cache.
func (c *Cache[K, V]) rebound(why Reason, change func()) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.drainLocked()
	change()
	c.capacity = c.boundLocked()
	c.setColdLocked()
	c.ev.SetCapacity(c.capacity)
	pending := c.evictLocked(why, 0, nil)
	c.publishLocked()
	c.mu.Unlock()
	c.notify(pending)
	return true
}

// publishLocked ends a maintenance operation: it compacts the slots if few
// hold entries (compactLocked) and makes count and total visible to Len and
// Weight.
func (c *Cache[K, V]) publishLocked() {
	c.compactLocked()
	c.count0.Store(int64(c.count))
	c.weight0.Store(c.total)
}

// notify reports removals: OnEvict, then the release of tracked values.
// Called with no lock held. If OnEvict panics, the values not yet released
// are released before the panic goes on.
func (c *Cache[K, V]) notify(pending []removal[K, V]) {
	i := 0
	defer func() {
		for _, r := range pending[i:] { // only after a panic
			c.tracker.release(r.id)
			c.tracker.detach(r.detach)
		}
	}()
	for ; i < len(pending); i++ {
		r := pending[i]
		if r.reason == numReasons { // not a removal
			c.tracker.detach(r.detach)
			continue
		}
		if c.onEvict != nil {
			c.onEvict(r.key, r.value, r.reason)
		}
		c.tracker.release(r.id)
	}
}
