package tinylfu

import (
	"testing"

	"pgregory.net/rapid"
)

// TestSketchFold checks that folding a sketch to a smaller capacity keeps
// every key's estimate or raises it, sizes the table for the new capacity,
// and leaves a sketch alone unless it halves at least.
func TestSketchFold(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		big := rapid.IntRange(8, 1<<13).Draw(rt, "capacity")
		s, before := randomSketch(rt, big)
		old := len(s.table)
		n := rapid.IntRange(0, big).Draw(rt, "folded capacity")
		s.fold(n, 10)
		want := max(1, n)
		size := 8
		for size < want {
			size *= 2
		}
		if old < 2*size {
			size = old // not worth it
		}
		if len(s.table) != size || s.blockMask != uint64(size/8-1) {
			rt.Fatalf("fold(%d) of %d words: %d words, block mask %d; want %d and %d",
				n, old, len(s.table), s.blockMask, size, size/8-1)
		}
		for k, b := range before {
			if got := s.frequency(mix(uint64(k))); got < b {
				rt.Fatalf("key %d: estimate %d after fold(%d), %d before", k, got, n, b)
			}
		}
		if size != old && s.size >= s.sampleSize {
			rt.Fatalf("after fold: %d increments toward a sample of %d", s.size, s.sampleSize)
		}
	})
}

// randomSketch returns a sketch sized for capacity after random
// increments of up to 3×capacity keys, and every key's estimate (key k
// hashed as mix(k)).
func randomSketch(rt *rapid.T, capacity int) (*sketch, []int) {
	s := new(sketch)
	s.ensureCapacity(capacity, 10)
	keys := rapid.IntRange(1, 3*capacity).Draw(rt, "keys")
	for range rapid.IntRange(0, 20*capacity).Draw(rt, "increments") {
		s.increment(mix(uint64(rapid.IntRange(0, keys).Draw(rt, "key"))))
	}
	estimates := make([]int, keys+1)
	for k := range estimates {
		estimates[k] = s.frequency(mix(uint64(k)))
	}
	return s, estimates
}

// TestSetCapacityFoldsSketch checks that a unit-weight policy's sketch
// follows its capacity down, keeping what it knew, and that a weighted
// policy's (sized by its entries) does not.
func TestSetCapacityFoldsSketch(t *testing.T) {
	const peak, small = 100_000, 1_000
	p := New(peak)
	for s := range uint32(peak) {
		p.Add(s, mix(uint64(s)), 1)
	}
	for range 5 {
		p.Hit(7)
	}
	hot := p.sketch.frequency(mix(7))
	p.SetCapacity(small)
	if got, want := len(p.sketch.table), 1024; got != want {
		t.Errorf("after SetCapacity(%d): sketch of %d words, want %d", small, got, want)
	}
	if got := p.sketch.frequency(mix(7)); got < hot {
		t.Errorf("hot key's estimate %d after SetCapacity(%d), %d before", got, small, hot)
	}
	if got, want := p.sketch.sampleSize, 10*small; got != want {
		t.Errorf("aging sample %d, want %d", got, want)
	}

	w := New(peak)
	w.Weighted()
	for s := range uint32(peak / 10) {
		w.Add(s, mix(uint64(s)), 10)
	}
	words := len(w.sketch.table)
	w.SetCapacity(small)
	if got := len(w.sketch.table); got != words {
		t.Errorf("weighted: sketch of %d words after SetCapacity(%d), want %d (sized by entries)", got, small, words)
	}
}

// TestSketchGrowKeepsEstimates checks that growing a sketch (a Resize up,
// the bound growing back after memory pressure) keeps every key's estimate
// exactly, and its place in the aging period.
func TestSketchGrowKeepsEstimates(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		small := rapid.IntRange(8, 1<<10).Draw(rt, "capacity")
		s, before := randomSketch(rt, small)
		progress := float64(s.size) / float64(s.sampleSize)
		big := rapid.IntRange(small, 1<<14).Draw(rt, "grown capacity")
		s.ensureCapacity(big, 10)
		for k, b := range before {
			if got := s.frequency(mix(uint64(k))); got != b {
				rt.Fatalf("key %d: estimate %d after growing to %d, %d before", k, got, big, b)
			}
		}
		if got := float64(s.size) / float64(s.sampleSize); got > progress+0.01 || got < progress-0.01 {
			rt.Fatalf("aging progress %.3f after growing, %.3f before", got, progress)
		}
	})
}
