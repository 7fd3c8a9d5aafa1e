package tinylfu

import (
	"testing"

	"pgregory.net/rapid"
)

// TestSlotMapModel checks slotMap against a Go map through random puts and
// deletes. Hashes are drawn from a small range (many share a home cell, so
// probing and backward-shift deletion are exercised) and the slot of a
// deleted key is reused, as the simulations do.
func TestSlotMapModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var m slotMap
		var hashes []uint64
		var free []uint32
		model := map[uint64]uint32{}
		for i := range rapid.IntRange(1, 2000).Draw(t, "ops") {
			h := rapid.Uint64Range(0, 300).Draw(t, "h") << rapid.UintRange(0, 40).Draw(t, "shift")
			if slot, ok := model[h]; ok {
				m.del(h, hashes)
				delete(model, h)
				free = append(free, slot)
			} else {
				var slot uint32
				if n := len(free); n > 0 {
					slot, free = free[n-1], free[:n-1]
					hashes[slot] = h
				} else {
					slot = uint32(len(hashes))
					hashes = append(hashes, h)
				}
				m.put(h, slot, hashes)
				model[h] = slot
			}
			if m.n != len(model) {
				t.Fatalf("op %d: n = %d, want %d", i, m.n, len(model))
			}
			probe := rapid.Uint64Range(0, 300).Draw(t, "probe") << rapid.UintRange(0, 40).Draw(t, "pshift")
			got, ok := m.get(probe, hashes)
			want, wantOK := model[probe]
			if ok != wantOK || (ok && got != want) {
				t.Fatalf("op %d: get(%#x) = %d, %v; want %d, %v", i, probe, got, ok, want, wantOK)
			}
		}
		for h, slot := range model {
			if got, ok := m.get(h, hashes); !ok || got != slot {
				t.Fatalf("get(%#x) = %d, %v; want %d", h, got, ok, slot)
			}
		}
	})
}
