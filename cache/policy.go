// Interface note (the eviction-policy boundary shared with cache/internal/tinylfu):
// Policy and Evictor below are fixed. Change them only after telling the engineer
// who owns cache/internal/tinylfu, with a dated note on this line. 2026-11-27: SlotMover
// (optional, below) added with that engineer; tinylfu implements it.

package cache

import "github.com/patinox/memory/cache/internal/evict"

// Policy is a factory of per-cache eviction state: [TinyLFU] (the default),
// [LRU], [LFU], [FIFO], or a user's own implementation.
//
// A Policy may be shared by many caches: each cache calls NewEvictor once, in
// [New], and keeps the Evictor for itself.
type Policy interface {
	// NewEvictor returns the eviction state of one cache. capacity is in
	// entries (Options.MaxEntries) or, when Options.MaxWeight is set, in weight.
	NewEvictor(capacity int64) Evictor
}

// Evictor is one cache's eviction state.
//
// The cache calls it from one goroutine at a time (under its maintenance
// lock), so implementations need no locking; they must not panic either,
// since a panic would leave that lock held. Entries are identified by a
// dense slot number the cache assigns (0 ≤ slot < number of live entries +
// free slots; a slot is reused after Remove), so an Evictor can keep
// per-entry state in slices indexed by slot; hash is a well-mixed 64-bit
// hash of the entry's key.
//
// The cache keeps the bound: after each insertion or resize, while the total
// weight it tracks exceeds the capacity, it asks Victim for an entry, removes
// that entry and calls Remove for it. An Evictor must therefore track the same
// total (the sum of the weights given to Add and Update minus those removed)
// and always return ok while that total exceeds its capacity; a Victim that
// fails to (or names a slot not in the cache) is a policy bug and makes the
// cache panic rather than break its bound silently (it releases its lock
// first: a program that recovers can still use and Close the cache, which
// is then over its bound).
//
// An Evictor of a MaxWeight cache that also has a method Weighted() is told
// so once, before its first Add: its capacity is then a total weight (often
// bytes), not an entry count, and should not size per-entry structures.
type Evictor interface {
	// Add reports that a new entry was inserted in slot with the given weight.
	Add(slot uint32, hash uint64, weight int64)
	// Hit reports a read hit on slot. Hits are buffered, so they may arrive
	// batched and late, and some may be dropped under contention; they are
	// never reported for a slot that is not live.
	Hit(slot uint32)
	// Update reports that the entry in slot had its value replaced; weight is
	// its new weight.
	Update(slot uint32, weight int64)
	// Remove reports that the entry in slot left the cache (delete, expiry or
	// eviction). The slot may be given to a later Add.
	Remove(slot uint32)
	// Victim returns the entry to evict next while the total weight exceeds
	// the capacity. It may be the newest entry (admission rejected it). The
	// cache then removes it and calls Remove(slot). ok is false only when the
	// Evictor tracks no entry.
	Victim() (slot uint32, ok bool)
	// SetCapacity changes the capacity (Cache.Resize).
	SetCapacity(capacity int64)
}

type policyFunc func(capacity int64) Evictor

func (f policyFunc) NewEvictor(capacity int64) Evictor { return f(capacity) }

// LRU returns the least-recently-used policy: the victim is the entry read or
// inserted longest ago. Replacing a value does not refresh an entry.
func LRU() Policy {
	return policyFunc(func(capacity int64) Evictor { return evict.NewLRU(capacity) })
}

// FIFO returns the first-in-first-out policy: the victim is the entry inserted
// longest ago; reads and replacements do not change the order.
func FIFO() Policy {
	return policyFunc(func(capacity int64) Evictor { return evict.NewFIFO(capacity) })
}

// LFU returns a least-frequently-used policy with dynamic aging (LFU-DA): each
// entry has a priority, set to L+1 on insertion and incremented by each hit,
// where L is the priority of the last evicted entry; the victim has the lowest
// priority, the least recently used first among equals. Aging through L lets
// entries that were popular long ago leave the cache without periodic sweeps.
func LFU() Policy {
	return policyFunc(func(capacity int64) Evictor { return evict.NewLFU(capacity) })
}

// SlotMover is an optional interface of an [Evictor]. A cache whose Evictor
// implements it gives memory back after it shrinks (a Resize down, memory
// pressure, Clear, many deletions or expiries): when at most half of its
// slots hold entries, it moves the entries of the highest slots into the
// free lower ones (Move, one call per entry) and then cuts its slot range to
// the number of entries (Shrink), so that its own per-slot storage and the
// Evictor's stay proportional to the entries held rather than to the peak.
// Without it, the cache and the Evictor keep their peak slot range; memory
// is still reused for new entries. The built-in policies implement it.
type SlotMover interface {
	// Move reports that the entry in slot from now lives in slot to, which
	// held no entry. Everything the Evictor keeps about from must follow
	// it: later calls naming to behave as the same calls naming from would
	// have without the move. from then holds no entry, as after Remove,
	// but the entry did not leave: the total weight is unchanged.
	Move(from, to uint32)
	// Shrink reports that no slot at or above n holds an entry any more;
	// the Evictor may give their storage back. Later Adds may again use
	// slots at or above n.
	Shrink(n uint32)
}
