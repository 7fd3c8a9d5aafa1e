// Package evict implements the simple eviction policies of package cache:
// LRU, FIFO and LFU with dynamic aging (LFU-DA).
//
// Each policy keeps per-entry state in slices indexed by the dense slot
// number the cache assigns, so an entry costs a few bytes and no allocation.
// The types implement cache.Evictor structurally (this package cannot import
// package cache, which imports it).
//
// # Caveats
//
// None of the types is safe for concurrent use: the cache calls them under
// its maintenance lock. Weights are stored only once some entry has a weight
// other than 1, so entry-bounded caches pay nothing for them.
package evict
