package tinylfu

import "math/bits"

// fold shrinks the sketch to about n distinct entries when its table is at
// least twice what n needs (the capacity went down: a Resize, memory
// pressure), so that its memory and its aging period follow the capacity.
// A key's counters keep their place in a block (the low bits of its hash
// pick the block, its rehash the counters inside it), so each counter of
// the smaller table becomes the largest of the counters that map to it:
// no key's estimate drops, and a key that shared no counter keeps its
// estimate. The sketch is as far into its new aging period as it was into
// the old one. Growing again (ensureCapacity) keeps the estimates.
func (s *sketch) fold(n, factor int) {
	n = min(max(n, 1), maxSketchEntries)
	size := max(1<<bits.Len(uint(n-1)), 8)
	if len(s.table) < 2*size {
		return
	}
	t := make([]uint64, size)
	for i, w := range s.table {
		j := i & (size - 1) // the same word of block i/8 modulo the new block count
		t[j] = maxNibbles(t[j], w)
	}
	s.table = t
	s.blockMask = uint64(size>>3) - 1
	sample := factor * n
	if s.sampleSize > 0 { // keep the point reached in the aging period
		s.size = int(int64(s.size) * int64(sample) / int64(s.sampleSize))
	}
	s.sampleSize = sample
}

// maxNibbles returns the 4-bit counters of a and b, each the larger one.
func maxNibbles(a, b uint64) uint64 {
	var r uint64
	for i := 0; i < 64; i += 4 {
		r |= max(a>>i&0xf, b>>i&0xf) << i
	}
	return r
}
