// Package slotweight keeps the weight of each slot of an eviction policy,
// storing nothing per slot while every weight is 1, as in caches bounded by
// an entry count. The cache's policies (cache/internal/evict and
// cache/internal/tinylfu) keep their per-slot state in slices indexed by
// slot; this is their weight column. A cache bounded by a count pays no
// memory for weights; one with a Weigher pays 8 bytes per slot.
//
// A Table is not safe for concurrent use; its zero value holds no weight
// other than 1.
//
// # Caveats
//
//   - Once a weight other than 1 has been set, the table stays weighted and
//     keeps a slice as long as the highest slot set, even if every weight
//     returns to 1; only Shrink gives memory back.
//   - Weights are stored as given: the table checks nothing (the cache
//     clamps a Weigher's negative weights to 0 before they reach it).
//   - Of returns 1 for a slot that was never set, or that lies past the
//     end of a shrunk table.
package slotweight
