package cache

import "sync/atomic"

// Entries are stored by slot in fixed-size chunks rather than one heap node
// each: a key costs its map entry (key → slot) plus its key and value in a
// chunk, with no per-entry allocation or pointer for the GC to chase.

const (
	chunkBits = 10
	chunkLen  = 1 << chunkBits
)

// chunk holds chunkLen slots. kv[i].key is written under Cache.mu and the
// write lock of the key's shard, and read under either. kv[i].value is
// written under that shard's write lock (and Cache.mu, except by the
// replacement fast path, replace.go) and read under the shard's lock only.
type chunk[K comparable, V any] struct {
	kv        [chunkLen]entry[K, V]
	deadlines atomic.Pointer[[chunkLen]atomic.Int64] // nil until a slot here gets a deadline
}

// entry is one slot's key and value, side by side so that a lookup that
// compares the key finds the value in the same cache line (for small K and
// V); the price is padding when V is smaller than K's alignment.
type entry[K comparable, V any] struct {
	key   K
	value V
}

// table is the chunk directory. The chunks a published table lists never
// change, so readers load it without a lock; growing publishes a new table.
type table[K comparable, V any] struct {
	chunks []*chunk[K, V]
}

// deadline returns slot i's deadline (clock ns; 0: never).
func (ch *chunk[K, V]) deadline(i uint32) int64 {
	if d := ch.deadlines.Load(); d != nil {
		return d[i].Load()
	}
	return 0
}

// setDeadline sets slot i's deadline, allocating the chunk's deadlines on
// first use. Called under Cache.mu (readers may store concurrently into an
// existing array, never allocate).
func (ch *chunk[K, V]) setDeadline(i uint32, d int64) {
	p := ch.deadlines.Load()
	if p == nil {
		if d == 0 {
			return
		}
		p = new([chunkLen]atomic.Int64)
		ch.deadlines.Store(p)
	}
	p[i].Store(d)
}

// setDeadlineIfPresent sets slot i's deadline if the chunk has deadlines
// (it does once any of its slots had one). Safe without Cache.mu.
func (ch *chunk[K, V]) setDeadlineIfPresent(i uint32, d int64) {
	if p := ch.deadlines.Load(); p != nil {
		p[i].Store(d)
	}
}

// chunkOf returns the chunk of slot s from the published table.
func (c *Cache[K, V]) chunkOf(s uint32) *chunk[K, V] {
	return c.table.Load().chunks[s>>chunkBits]
}

// growLocked makes room for slot s. Called under c.mu.
func (c *Cache[K, V]) growLocked(s uint32) {
	t := c.table.Load()
	if int(s>>chunkBits) < len(t.chunks) {
		return
	}
	// append may write past the old table's length in a shared array:
	// readers of the old table never look there.
	chunks := append(t.chunks, new(chunk[K, V]))
	c.table.Store(&table[K, V]{chunks: chunks})
}

// liveLocked reports whether slot s holds an entry. Called under c.mu.
func (c *Cache[K, V]) liveLocked(s uint32) bool {
	w := int(s / 64)
	return w < len(c.live) && c.live[w]&(1<<(s%64)) != 0
}

func (c *Cache[K, V]) setLiveLocked(s uint32, on bool) {
	w := int(s / 64)
	for len(c.live) <= w {
		c.live = append(c.live, 0)
	}
	if on {
		c.live[w] |= 1 << (s % 64)
	} else {
		c.live[w] &^= 1 << (s % 64)
	}
}

// slotOf returns the slot of k (hash h) in shard sh, whose lock (read or
// write) the caller holds.
func (c *Cache[K, V]) slotOf(sh *shard[K], h uint64, k K) (uint32, bool) {
	t := c.table.Load()
	return sh.index.Find(h, func(s uint32) bool { return t.chunks[s>>chunkBits].kv[s&(chunkLen-1)].key == k })
}
