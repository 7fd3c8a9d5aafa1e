package hashindex

import (
	"testing"
	"unsafe"

	"go.uber.org/goleak"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestIndexModel checks both cell widths against a map, with hashes drawn
// from a small range so that probe chains collide and wrap, and several
// slots share a hash's indexed bits (Find must ask the caller): for Small
// the hashes also differ in bits above the 16 it keeps.
func TestIndexModel(t *testing.T) {
	t.Run("Index", func(t *testing.T) { rapid.Check(t, checkModel[uint64]) })
	t.Run("Small", func(t *testing.T) { rapid.Check(t, checkModel[uint32]) })
}

func checkModel[C Cell](t *rapid.T) {
	var x, cp Table[C]
	model := map[uint32]uint64{} // slot → hash
	hash := func(label string) uint64 {
		return rapid.Uint64Range(0, 1<<12).Draw(t, label)<<8 | rapid.Uint64Range(0, 3).Draw(t, label+" high")<<24
	}
	for range rapid.IntRange(1, 300).Draw(t, "ops") {
		slot := rapid.Uint32Range(0, 60).Draw(t, "slot")
		h := hash("hash") | uint64(slot&0xff)
		if _, ok := model[slot]; ok {
			x.Remove(model[slot], slot)
			delete(model, slot)
		} else {
			x.Insert(h, slot)
			model[slot] = h
		}
		if rapid.IntRange(0, 10).Draw(t, "copy") == 0 {
			cp.CopyFrom(&x)
			x, cp = cp, Table[C]{} // go on with the copy; the original's memory is not shared
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
		probe := hash("probe")
		if s, ok := x.Find(probe, func(c uint32) bool { return model[c] == probe }); ok && model[s] != probe {
			t.Fatalf("Find(%#x) = slot %d, whose hash is %#x", probe, s, model[s])
		}
		n := 0
		x.All(func(uint32) { n++ })
		if n != len(model) {
			t.Fatalf("All visited %d, want %d", n, len(model))
		}
	}
}

// TestCellWidths checks what each cell holds: Index keeps 32 hash bits and
// slots up to 2^32-2, Small 16 bits and slots up to 2^16-2, and a slot that
// does not fit panics instead of aliasing another.
func TestCellWidths(t *testing.T) {
	var small Small
	if got := unsafe.Sizeof(small.cells[0]); got != 4 {
		t.Errorf("Small cell = %d bytes, want 4", got)
	}
	small.Insert(1<<8, 0xfffe)
	if s, ok := small.Find(1<<8, func(uint32) bool { return true }); !ok || s != 0xfffe {
		t.Fatalf("Small.Find = %d, %v; want %d", s, ok, 0xfffe)
	}
	var index Index
	index.Insert(1<<8, 1<<20)
	if s, ok := index.Find(1<<8, func(uint32) bool { return true }); !ok || s != 1<<20 {
		t.Fatalf("Index.Find = %d, %v; want %d", s, ok, 1<<20)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Small.Insert of slot 0xffff did not panic")
		}
	}()
	small.Insert(2<<8, 0xffff)
}
