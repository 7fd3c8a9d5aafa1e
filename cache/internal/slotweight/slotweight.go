package slotweight

import "github.com/patinox/memory/cache/internal/trim"

// Table is the weight of each slot: 1 unless Set said otherwise.
type Table struct {
	w        []int64 // per slot; nil while every weight set was 1
	weighted bool    // some weight other than 1 was set
}

// Of returns the weight of slot.
func (t *Table) Of(slot uint32) int64 {
	if int(slot) >= len(t.w) {
		return 1
	}
	return t.w[slot]
}

// Set records the weight of slot. The first weight other than 1 allocates
// the table, up to that slot.
func (t *Table) Set(slot uint32, w int64) {
	if !t.weighted {
		if w == 1 {
			return
		}
		t.weighted = true
	}
	for len(t.w) <= int(slot) {
		t.w = append(t.w, 1)
	}
	t.w[slot] = w
}

// Weighted reports whether some weight other than 1 was ever set.
func (t *Table) Weighted() bool { return t.weighted }

// CopyFrom makes t a copy of src, reusing t's memory when it fits.
func (t *Table) CopyFrom(src *Table) {
	t.weighted = src.weighted
	t.w = append(t.w[:0], src.w...)
}

// Move gives slot to the weight of slot from, which becomes 1 (the cache
// moved the entry from one slot to the other).
func (t *Table) Move(from, to uint32) {
	if !t.weighted {
		return
	}
	t.Set(to, t.Of(from))
	if int(from) < len(t.w) {
		t.w[from] = 1
	}
}

// Shrink forgets the weights of slots n and above (no entry lives there any
// more), giving their memory back; the table stays weighted.
func (t *Table) Shrink(n uint32) { t.w = trim.Slice(t.w, int(n)) }
