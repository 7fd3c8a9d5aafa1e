package cache

// index is one shard's hash index from keys to slots: open addressing with
// linear probing over 8-byte cells, each holding 32 bits of the key's hash
// (bits 8..39: the home position and a filter) and slot+1 (0: empty cell).
// Keys themselves live in the slot table, so a key costs one cell (≈11-16
// bytes at the load factors used) instead of a Go map entry (≈36 bytes).
// Deletion shifts the following cells back, so there are no tombstones.
// An index is guarded by its shard's lock.
type index struct {
	cells []uint64
	count int
}

const minCells = 8

// fp returns the 32 hash bits stored in a cell; the low 8 bits of the hash
// pick the shard, so they are skipped.
func fp(h uint64) uint32 { return uint32(h >> 8) }

// insert adds slot for hash h; the key must not be present.
func (x *index) insert(h uint64, slot uint32) {
	if (x.count+1)*4 > len(x.cells)*3 {
		x.resize(max(2*len(x.cells), minCells))
	}
	x.place(uint64(fp(h))<<32 | uint64(slot+1))
	x.count++
}

func (x *index) place(e uint64) {
	mask := uint32(len(x.cells) - 1)
	i := uint32(e>>32) & mask
	for x.cells[i] != 0 {
		i = (i + 1) & mask
	}
	x.cells[i] = e
}

// remove deletes the cell of slot (hash h), which must be present.
func (x *index) remove(h uint64, slot uint32) {
	f := fp(h)
	mask := uint32(len(x.cells) - 1)
	want := uint64(f)<<32 | uint64(slot+1)
	i := f & mask
	for x.cells[i] != want {
		if x.cells[i] == 0 {
			panic("cache: index entry not found (inconsistent key hash)")
		}
		i = (i + 1) & mask
	}
	for j := i; ; { // backward-shift deletion
		j = (j + 1) & mask
		e := x.cells[j]
		if e == 0 {
			break
		}
		// e stays unless its home lies cyclically outside (i, j]
		if home := uint32(e>>32) & mask; (j-home)&mask >= (j-i)&mask {
			x.cells[i] = e
			i = j
		}
	}
	x.cells[i] = 0
	x.count--
	x.shrinkIfSparse()
}

// shrinkIfSparse halves the table when it is less than 1/8 full.
func (x *index) shrinkIfSparse() {
	if len(x.cells) > minCells && x.count*8 < len(x.cells) {
		x.resize(len(x.cells) / 2)
	}
}

func (x *index) resize(n int) {
	old := x.cells
	x.cells = make([]uint64, n)
	for _, e := range old {
		if e != 0 {
			x.place(e)
		}
	}
}

// all calls f for every slot in the index.
func (x *index) all(f func(slot uint32)) {
	for _, e := range x.cells {
		if e != 0 {
			f(uint32(e) - 1)
		}
	}
}

// slotOf returns the slot of k (hash h) in shard sh, whose lock (read or
// write) the caller holds.
func (c *Cache[K, V]) slotOf(sh *shard[K], h uint64, k K) (uint32, bool) {
	x := &sh.index
	if len(x.cells) == 0 {
		return 0, false
	}
	t := c.table.Load()
	f := fp(h)
	mask := uint32(len(x.cells) - 1)
	for i := f & mask; ; i = (i + 1) & mask {
		e := x.cells[i]
		if e == 0 {
			return 0, false
		}
		if uint32(e>>32) == f {
			s := uint32(e) - 1
			if t.chunks[s>>chunkBits].kv[s&(chunkLen-1)].key == k {
				return s, true
			}
		}
	}
}
