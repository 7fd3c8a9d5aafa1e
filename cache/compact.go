package cache

import (
	"slices"

	"github.com/patinox/memory/cache/internal/evict"
	"github.com/patinox/memory/cache/internal/tinylfu"
	"github.com/patinox/memory/cache/internal/trim"
)

// The built-in policies follow compaction.
var (
	_ SlotMover = (*tinylfu.Policy)(nil)
	_ SlotMover = (*evict.LRU)(nil)
	_ SlotMover = (*evict.FIFO)(nil)
	_ SlotMover = (*evict.LFU)(nil)
)

// compactMinSlots is the slot range below which the cache never compacts:
// two chunks, not worth a pause.
const compactMinSlots = 2 * chunkLen

// compactLocked gives memory back when at most half of the slots hold
// entries and the Evictor is a SlotMover: it moves the entries above the
// first count slots into the free slots below, then cuts every
// slot-indexed structure (the chunk table, the live bitset, weights,
// registrations, the timer wheel and the Evictor's state) to count slots.
// Half, so that the pressure steps (a bound of 50% and 25%) give memory
// back at once.
//
// Its cost is one move per entry above count, each a shard lock, an index
// update and the Evictor's Move: at most count moves, while the cache
// removed at least as many entries since its slot range last grew, each
// removal costing about as much as a move; the work is amortized over
// them. Readers are held up only by the shard lock of each move.
func (c *Cache[K, V]) compactLocked() {
	m := c.mover
	if m == nil || !c.sparseLocked() {
		return
	}
	c.drainLocked() // buffered hits name slots: hand them over before moving
	n := uint32(c.count)
	top := n
	for _, hole := range c.free {
		if hole >= n {
			continue
		}
		for !c.liveLocked(top) {
			top++
		}
		c.moveLocked(top, hole, m)
		top++
	}
	c.shrinkLocked(n, m)
}

// sparseLocked reports whether at most half of at least compactMinSlots
// slots hold entries (with compactEager, whether any slot is free: tests
// use it to move entries as often as possible).
func (c *Cache[K, V]) sparseLocked() bool {
	if c.compactEager {
		return uint32(c.count) < c.slots
	}
	return c.slots >= compactMinSlots && uint32(c.count) <= c.slots/2
}

// moveLocked moves the entry in slot from to the free slot to.
func (c *Cache[K, V]) moveLocked(from, to uint32, m SlotMover) {
	src, i := c.chunkOf(from), from&(chunkLen-1)
	dst, j := c.chunkOf(to), to&(chunkLen-1)
	k := src.kv[i].key
	h := c.hash(k)
	sh := c.shardOf(h)
	c.lockShard(sh)
	dst.kv[j] = src.kv[i]
	dst.setDeadline(j, src.deadline(i))
	sh.index.Remove(h, from)
	sh.index.Insert(h, to)
	src.kv[i] = entry[K, V]{}
	src.setDeadline(i, 0)
	sh.mu.Unlock()
	m.Move(from, to)
	if c.wheel != nil {
		c.wheel.Move(from, to)
	}
	if c.byWeight {
		c.weights[to] = c.weights[from]
	}
	c.tracker.move(from, to)
	c.setLiveLocked(from, false)
	c.setLiveLocked(to, true)
}

// shrinkLocked cuts the slot range to n slots, all of which hold entries.
func (c *Cache[K, V]) shrinkLocked(n uint32, m SlotMover) {
	c.slots = n
	c.free = nil
	c.live = trim.Slice(c.live, int((n+63)/64))
	if c.byWeight {
		c.weights = trim.Slice(c.weights, int(n))
	}
	c.tracker.shrink(n)
	if c.wheel != nil {
		c.wheel.Shrink(n)
	}
	m.Shrink(n)
	// A fresh chunk directory: the old one's array must not be shared,
	// since growLocked appends to the published one in place.
	chunks := c.table.Load().chunks
	c.table.Store(&table[K, V]{chunks: slices.Clone(chunks[:(n+chunkLen-1)/chunkLen])})
}
