// Package hashindex is an index from 64-bit key hashes to slots (dense
// numbers under which the caller stores its keys): open addressing with
// linear probing over cells that each hold part of the hash (from bit 8
// up: the home position and a filter) and slot+1 (0: an empty cell).
// Keys live with the caller, so a key costs one cell instead of a Go map
// entry (≈36 bytes). Deletion shifts the following cells back, so there
// are no tombstones, and the table halves when it is less than 1/8 full.
//
// Index has 8-byte cells (32 hash bits, slots below 2^32-1: ≈11-16 bytes
// per key at the load factors used); Small has 4-byte cells (16 hash bits,
// slots below 2^16-1: half the memory, for tables of at most 2^16 cells,
// where a hash's 16 bits still filter beyond its home position).
//
// The cache's shards index their keys with an Index, and the TinyLFU
// policy's miniature simulations (at most 2,048 entries each) with a Small.
// The low 8 bits of a hash are skipped: the cache picks a key's shard with
// them.
//
// A Table is not safe for concurrent use (a cache shard guards its own
// with the shard lock); its zero value is an empty index.
//
// # Caveats
//
//   - The index stores only part of each hash: Find calls its is function
//     for every slot whose stored bits match, and the caller must compare
//     the keys themselves. Hashes that agree in those bits cost one
//     comparison each.
//   - The caller keeps the index consistent: Insert of a key already
//     present adds a second cell, Remove of a slot under another hash than
//     it was inserted with panics, and so does Insert of a slot too large
//     for the cell.
//   - Hashes must be well mixed in bits 8 and up: they pick the home
//     positions, and clustered hashes make long probe runs.
//   - Growing (past 3/4 full) and shrinking (below 1/8) rehash every cell:
//     the Insert or Remove that triggers it costs O(n).
//   - All visits slots in table order, which is neither insertion nor slot
//     order.
package hashindex
