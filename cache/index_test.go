package cache

import (
	"testing"

	"pgregory.net/rapid"
)

// TestIndexModel checks the open-addressing index against a map, with
// hashes drawn from a small range so that probe chains collide and wrap.
func TestIndexModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var x index
		model := map[uint32]uint64{} // slot → hash
		for range rapid.IntRange(1, 300).Draw(t, "ops") {
			slot := rapid.Uint32Range(0, 60).Draw(t, "slot")
			h := rapid.Uint64Range(0, 1<<12).Draw(t, "hash") << 8
			if _, ok := model[slot]; ok {
				x.remove(model[slot], slot)
				delete(model, slot)
			} else {
				x.insert(h, slot)
				model[slot] = h
			}
			if x.count != len(model) {
				t.Fatalf("count = %d, want %d", x.count, len(model))
			}
			for s, h := range model {
				if !x.has(h, s) {
					t.Fatalf("slot %d (hash %#x) not found", s, h)
				}
			}
			n := 0
			x.all(func(uint32) { n++ })
			if n != len(model) {
				t.Fatalf("all() visited %d, want %d", n, len(model))
			}
		}
	})
}

// has reports whether slot is reachable from h's home position.
func (x *index) has(h uint64, slot uint32) bool {
	mask := uint32(len(x.cells) - 1)
	want := uint64(fp(h))<<32 | uint64(slot+1)
	for i := fp(h) & mask; x.cells[i] != 0; i = (i + 1) & mask {
		if x.cells[i] == want {
			return true
		}
	}
	return false
}
