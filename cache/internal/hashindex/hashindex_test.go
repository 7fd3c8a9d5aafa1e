package hashindex

import (
	"testing"

	"go.uber.org/goleak"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestIndexModel checks the index against a map, with hashes drawn from a
// small range so that probe chains collide and wrap, and several slots
// share a hash's indexed bits (Find must ask the caller).
func TestIndexModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var x, cp Index
		model := map[uint32]uint64{} // slot → hash
		for range rapid.IntRange(1, 300).Draw(t, "ops") {
			slot := rapid.Uint32Range(0, 60).Draw(t, "slot")
			h := rapid.Uint64Range(0, 1<<12).Draw(t, "hash")<<8 | uint64(slot&0xff)
			if _, ok := model[slot]; ok {
				x.Remove(model[slot], slot)
				delete(model, slot)
			} else {
				x.Insert(h, slot)
				model[slot] = h
			}
			if rapid.IntRange(0, 10).Draw(t, "copy") == 0 {
				cp.CopyFrom(&x)
				x, cp = cp, Index{} // go on with the copy; the original's memory is not shared
			}
			if x.Len() != len(model) {
				t.Fatalf("Len = %d, want %d", x.Len(), len(model))
			}
			for s, h := range model {
				got, ok := x.Find(h, func(c uint32) bool { return model[c] == h })
				if !ok || got != s {
					t.Fatalf("Find(%#x) = %d, %v; want slot %d", h, got, ok, s)
				}
			}
			probe := rapid.Uint64Range(0, 1<<12).Draw(t, "probe") << 8
			if s, ok := x.Find(probe, func(c uint32) bool { return model[c] == probe }); ok && model[s] != probe {
				t.Fatalf("Find(%#x) = slot %d, whose hash is %#x", probe, s, model[s])
			}
			n := 0
			x.All(func(uint32) { n++ })
			if n != len(model) {
				t.Fatalf("All visited %d, want %d", n, len(model))
			}
		}
	})
}
