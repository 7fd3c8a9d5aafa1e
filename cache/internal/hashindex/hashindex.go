// Package hashindex is an index from 64-bit key hashes to slots (dense
// numbers under which the caller stores its keys): open addressing with
// linear probing over 8-byte cells, each holding 32 bits of the hash (bits
// 8..39: the home position and a filter) and slot+1 (0: an empty cell).
// Keys live with the caller, so a key costs one cell (≈11-16 bytes at the
// load factors used) instead of a Go map entry (≈36 bytes). Deletion
// shifts the following cells back, so there are no tombstones, and the
// table halves when it is less than 1/8 full.
//
// The cache's shards index their keys with it, and so do the TinyLFU
// policy's miniature simulations. The low 8 bits of a hash are skipped: the
// cache picks a key's shard with them.
//
// An Index is not safe for concurrent use (a cache shard guards its own
// with the shard lock); its zero value is an empty index.
package hashindex

// Index maps hashes to slots; see the package doc.
type Index struct {
	cells []uint64
	count int
}

const minCells = 8

// fp returns the 32 hash bits stored in a cell.
func fp(h uint64) uint32 { return uint32(h >> 8) }

// Len returns the number of slots in the index.
func (x *Index) Len() int { return x.count }

// Find returns the slot of the key with hash h: the first slot stored for
// h's 32 indexed bits for which is (comparing the caller's keys) reports
// true.
func (x *Index) Find(h uint64, is func(slot uint32) bool) (uint32, bool) {
	if len(x.cells) == 0 {
		return 0, false
	}
	f := fp(h)
	mask := uint32(len(x.cells) - 1)
	for i := f & mask; ; i = (i + 1) & mask {
		e := x.cells[i]
		if e == 0 {
			return 0, false
		}
		if uint32(e>>32) == f && is(uint32(e)-1) {
			return uint32(e) - 1, true
		}
	}
}

// Insert adds slot for hash h; the key must not be present.
func (x *Index) Insert(h uint64, slot uint32) {
	if (x.count+1)*4 > len(x.cells)*3 {
		x.resize(max(2*len(x.cells), minCells))
	}
	x.place(uint64(fp(h))<<32 | uint64(slot+1))
	x.count++
}

func (x *Index) place(e uint64) {
	mask := uint32(len(x.cells) - 1)
	i := uint32(e>>32) & mask
	for x.cells[i] != 0 {
		i = (i + 1) & mask
	}
	x.cells[i] = e
}

// Remove deletes the cell of slot (hash h), which must be present.
func (x *Index) Remove(h uint64, slot uint32) {
	f := fp(h)
	mask := uint32(len(x.cells) - 1)
	want := uint64(f)<<32 | uint64(slot+1)
	i := f & mask
	for x.cells[i] != want {
		if x.cells[i] == 0 {
			panic("hashindex: entry not found (inconsistent key hash)")
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
func (x *Index) shrinkIfSparse() {
	if len(x.cells) > minCells && x.count*8 < len(x.cells) {
		x.resize(len(x.cells) / 2)
	}
}

func (x *Index) resize(n int) {
	old := x.cells
	x.cells = make([]uint64, n)
	for _, e := range old {
		if e != 0 {
			x.place(e)
		}
	}
}

// All calls f for every slot in the index.
func (x *Index) All(f func(slot uint32)) {
	for _, e := range x.cells {
		if e != 0 {
			f(uint32(e) - 1)
		}
	}
}

// CopyFrom makes x a copy of src, reusing x's memory when it fits.
func (x *Index) CopyFrom(src *Index) {
	x.cells = append(x.cells[:0], src.cells...)
	x.count = src.count
}
