package cache

import "runtime"

// Readers (and writers that take the replacement fast path) never run the
// policy themselves: when one finds its stripe of the access buffer full, it
// starts one short-lived goroutine that applies the buffered accesses under
// the maintenance lock and exits (at most one at a time; while it runs,
// accesses that find their stripe full are dropped). Writers that take the
// maintenance lock drain the buffer too, inline. So an idle cache has no
// goroutine, a busy one at most one, and Close waits for it.

// scheduleDrain starts the drain goroutine unless one is running.
func (c *Cache[K, V]) scheduleDrain() {
	if c.draining.Load() || !c.draining.CompareAndSwap(false, true) {
		return
	}
	c.drainWG.Add(1)
	go c.drainAsync()
}

// drainAsync applies the buffered reads one stripe per lock hold, so a
// writer waiting for the maintenance lock waits for at most one stripe's
// worth of policy work (≤ stripeLen hits) and rarely has to sleep.
func (c *Cache[K, V]) drainAsync() {
	defer c.drainWG.Done()
	for i := range c.stripes {
		st := &c.stripes[i]
		if st.tail.Load() == st.head.Load() {
			continue
		}
		c.mu.Lock()
		st.drain(c.hitLocked, c.updateLocked)
		c.mu.Unlock()
	}
	c.draining.Store(false)
}

// stopDrains keeps drain goroutines from starting and waits for the running
// one: it takes the draining flag for good.
func (c *Cache[K, V]) stopDrains() {
	for !c.draining.CompareAndSwap(false, true) {
		runtime.Gosched() // a drain is running: it clears the flag when done
	}
	c.drainWG.Wait()
}
