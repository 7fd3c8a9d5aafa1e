package hashindex

import "math/bits"

// Cell is the type of a table's cells: its upper half holds the hash bits,
// its lower half slot+1.
type Cell interface{ ~uint32 | ~uint64 }

// Table maps hashes to slots; see the package doc.
type Table[C Cell] struct {
	cells []C
	count int
}

// Index is a table of 8-byte cells: slots up to 2^32-2.
type Index = Table[uint64]

// Small is a table of 4-byte cells: slots up to 2^16-2.
type Small = Table[uint32]

const minCells = 8

// half returns the number of bits in each half of a cell.
func half[C Cell]() uint { return uint(bits.Len64(uint64(^C(0)))) / 2 }

// low returns the mask of a cell's lower half.
func low[C Cell]() C { return ^C(0) >> half[C]() }

// fp returns the hash bits a cell of type C stores for h.
func fp[C Cell](h uint64) C { return C(h>>8) & low[C]() }

// home returns the home position of cell e in a table with the given mask.
func home[C Cell](e C, mask C) C { return e >> half[C]() & mask }

// Len returns the number of slots in the index.
func (x *Table[C]) Len() int { return x.count }

// Find returns the slot of the key with hash h: the first slot stored for
// h's indexed bits for which is (comparing the caller's keys) reports
// true.
func (x *Table[C]) Find(h uint64, is func(slot uint32) bool) (uint32, bool) {
	if len(x.cells) == 0 {
		return 0, false
	}
	f := fp[C](h)
	mask := C(len(x.cells) - 1)
	for i := f & mask; ; i = (i + 1) & mask {
		e := x.cells[i]
		if e == 0 {
			return 0, false
		}
		if e>>half[C]() == f && is(uint32(e&low[C]())-1) {
			return uint32(e&low[C]()) - 1, true
		}
	}
}

// Insert adds slot for hash h; the key must not be present. It panics if
// slot does not fit a cell (2^16-2 for Small).
func (x *Table[C]) Insert(h uint64, slot uint32) {
	if C(slot) >= low[C]() {
		panic("hashindex: slot too large for the cell")
	}
	if (x.count+1)*4 > len(x.cells)*3 {
		x.resize(max(2*len(x.cells), minCells))
	}
	x.place(fp[C](h)<<half[C]() | C(slot+1))
	x.count++
}

func (x *Table[C]) place(e C) {
	mask := C(len(x.cells) - 1)
	i := home(e, mask)
	for x.cells[i] != 0 {
		i = (i + 1) & mask
	}
	x.cells[i] = e
}

// Remove deletes the cell of slot (hash h), which must be present.
func (x *Table[C]) Remove(h uint64, slot uint32) {
	mask := C(len(x.cells) - 1)
	want := fp[C](h)<<half[C]() | C(slot+1)
	i := home(want, mask)
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
		if (j-home(e, mask))&mask >= (j-i)&mask {
			x.cells[i] = e
			i = j
		}
	}
	x.cells[i] = 0
	x.count--
	x.shrinkIfSparse()
}

// shrinkIfSparse halves the table when it is less than 1/8 full.
func (x *Table[C]) shrinkIfSparse() {
	if len(x.cells) > minCells && x.count*8 < len(x.cells) {
		x.resize(len(x.cells) / 2)
	}
}

func (x *Table[C]) resize(n int) {
	old := x.cells
	x.cells = make([]C, n)
	for _, e := range old {
		if e != 0 {
			x.place(e)
		}
	}
}

// All calls f for every slot in the index.
func (x *Table[C]) All(f func(slot uint32)) {
	for _, e := range x.cells {
		if e != 0 {
			f(uint32(e&low[C]()) - 1)
		}
	}
}

// CopyFrom makes x a copy of src, reusing x's memory when it fits.
func (x *Table[C]) CopyFrom(src *Table[C]) {
	x.cells = append(x.cells[:0], src.cells...)
	x.count = src.count
}
