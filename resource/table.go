package resource

import (
	"errors"
	"slices"
)

// table is one shard's live set: a slot array with a free list, so that
// insert, lookup and delete are a few array operations (no hashing). An ID
// encodes its slot and the slot's generation, which changes every time the
// slot is freed, so IDs are never reused:
//
//	ID = (generation << slotBits | slot) << shift | shard
//
// Generations start at 0, so the first IDs are small; a slot whose 32-bit
// generation is exhausted is retired. Slot 0 is never used, so no ID is 0.
// A table holds fewer than 1<<slotBits live entries. The shard's mutex
// protects the table.
//
// After a burst the table drops its free slots above the highest used one
// (truncate, when its shrink gate says so: shrink.go). A slot created again
// later starts at floor, a generation above that of every dropped slot, so
// that no ID issued before matches it.
type table struct {
	slots  []slot
	free   []uint32 // LIFO: the slot freed last is reused first (it is in cache)
	n      int
	floor  uint32 // generation of new slots: above every dropped slot's
	shrink gate   // when the table gives a burst's memory back
}

type slot struct {
	e   *entry
	gen uint32
}

const slotBits = 24

var errTableFull = errors.New("resource: too many live resources in one shard (16M)")

// add stores e and returns its slot and generation.
func (t *table) add(e *entry) (uint64, uint32, error) {
	var s uint32
	if n := len(t.free); n > 0 {
		s = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		if len(t.slots) == 0 {
			t.slots = append(t.slots, slot{}) // slot 0 is never used: no ID is 0
		}
		if len(t.slots) == 1<<slotBits {
			return 0, 0, errTableFull
		}
		t.slots = append(t.slots, slot{gen: t.floor})
		s = uint32(len(t.slots) - 1)
	}
	t.slots[s].e = e
	t.n++
	return uint64(s), t.slots[s].gen, nil
}

// get returns the entry with the given slot and generation, or nil.
func (t *table) get(s uint64, gen uint32) *entry {
	if s >= uint64(len(t.slots)) || t.slots[s].gen != gen {
		return nil
	}
	return t.slots[s].e
}

// remove frees slot s if it holds e.
func (t *table) remove(s uint64, e *entry) {
	if s >= uint64(len(t.slots)) || t.slots[s].e != e {
		return
	}
	sl := &t.slots[s]
	sl.e = nil
	sl.gen++
	t.n--
	if sl.gen != 0 {
		t.free = append(t.free, uint32(s))
	}
	if c := t.shrink.removed(t.n, len(t.slots)); c > 0 {
		t.truncate(c)
	}
}

// truncate drops the free slots above the highest used (or retired) one,
// down to capacity c at the least, and gives their memory back: the shrink
// gate's decision (shrink.go). It does nothing when used slots are spread
// up to the top.
func (t *table) truncate(c int) {
	keep := len(t.slots)
	for keep > c && t.slots[keep-1].e == nil && t.slots[keep-1].gen != 0 {
		keep--
	}
	if keep == len(t.slots) {
		return
	}
	for _, sl := range t.slots[keep:] {
		t.floor = max(t.floor, sl.gen)
	}
	t.free = slices.DeleteFunc(t.free, func(s uint32) bool { return int(s) >= keep })
	t.free = shrunk(t.free, 2*len(t.free))
	t.slots = shrunk(t.slots[:keep], c)
}

func (t *table) appendTo(dst []*entry) []*entry {
	for i := range t.slots {
		if e := t.slots[i].e; e != nil {
			dst = append(dst, e)
		}
	}
	return dst
}

// ID layout helpers.

func (r *Registry) makeID(s uint64, gen uint32, shard uint64) ID {
	return ID((uint64(gen)<<slotBits|s)<<r.shift | shard)
}

// sampled picks one ID in eight (mixing slot and generation, as the hot
// path reuses one slot over and over).
func (r *Registry) sampled(id ID) bool {
	v := uint64(id) >> r.shift
	return (v^v>>slotBits)&7 == 0
}

func (r *Registry) slotOf(id ID) (uint64, uint32) {
	v := uint64(id) >> r.shift
	return v & (1<<slotBits - 1), uint32(v >> slotBits)
}
