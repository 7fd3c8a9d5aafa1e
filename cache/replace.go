package cache

// Replacing the value of an existing key is the most common write of a warm
// cache (Caffeine's GetPut benchmark writes nothing else), and when it keeps
// the entry's weight and does not bring its expiry forward it needs neither
// the policy's eviction nor the timer wheel at once.
// So, like Caffeine (which treats such a put as a read), the cache does it
// without the maintenance lock: the value is swapped under the key's shard
// lock and the policy hears of it through the lossy access buffer (as
// Evictor.Update(slot, 1), applied later by whoever drains; under contention
// it may be dropped, as hits are). Writes that can change the bound or
// need the maintenance lock's state go the slow way (setLocked): a new key,
// an expired entry, a deadline added, removed or brought forward (the timer
// wheel), a MaxWeight cache (the total weight), a Registry (the value's
// registration).

// replace stores v as k's value (hash h) and returns the value it replaced
// if k holds an entry the fast path may replace; ok is false, with nothing
// changed, otherwise. ttl is the new entry's time to live (0: none). Only for
// caches with fastReplace. Called with no lock held.
//
// The fast path takes an entry without deadline to none, or an unexpired
// entry to a deadline no earlier than its own: the timer wheel finds the
// entry at its old deadline and, seeing a later one, files it again
// (expireLocked re-checks under the shard lock, so an expiry decided just
// before the replacement does not remove the new value). Anything else
// (adding, removing or advancing a deadline, an expired entry) needs the
// wheel and goes the slow way.
func (c *Cache[K, V]) replace(k K, v V, h uint64, ttl int64) (old V, ok bool) {
	sh := c.shardOf(h)
	c.lockShard(sh)
	s, ok := c.slotOf(sh, h, k)
	if ok {
		// Deadlines change only under the shard's write lock, except that
		// readers extend a live one (ExpireAfterAccess): a deadline of 0
		// stays 0 here, and one in the future stays in the future. The
		// clock is read under the lock: expireLocked, which read its own
		// clock before taking this lock to check a deadline, then sees
		// either our new deadline or one that we find due, too.
		ch, i := c.chunkOf(s), s&(chunkLen-1)
		d := ch.deadline(i)
		var now int64
		if ttl == 0 {
			ok = d == 0
		} else {
			now = c.now()
			ok = d > now && now+ttl >= d
		}
		if ok {
			old = ch.kv[i].value
			// The stored key stays: the maintenance lock reads keys without
			// the shard lock (removeLocked), so they change only under both.
			// It equals k (it differs only for ±0 float keys, or in strings'
			// backing arrays).
			ch.kv[i].value = v
			if ttl > 0 {
				ch.setDeadlineIfPresent(i, now+ttl)
			}
		}
	}
	sh.mu.Unlock()
	if ok && !pick(c.stripes).pushUpdate(s) {
		c.scheduleDrain()
	}
	return old, ok
}
