package tinylfu

import "math/bits"

// sketch is a 4-bit count-min sketch in the layout of Caffeine's
// FrequencySketch: the table is split into 64-byte blocks of eight words;
// an item's four counters all live in one block (one cache line), each in a
// different pair of words. When the number of increments reaches
// sampleSize (by default 10× the capacity), every counter is halved ("aging"), so the
// sketch estimates recent popularity.
type sketch struct {
	table      []uint64
	blockMask  uint64
	sampleSize int
	size       int
}

const (
	resetMask = 0x7777777777777777
	oneMask   = 0x1111111111111111
	// maxSketchEntries bounds the table (8 bytes per expected entry).
	maxSketchEntries = 1 << 26
)

// ensureCapacity sizes the sketch for about n distinct entries. It never
// shrinks (see fold). Growing keeps every estimate: a key's block in the
// larger table is its old block number plus a multiple of the old block
// count, so each new block starts as a copy of the old block it came from
// (after a pressure step shrank the sketch, growing back keeps what it
// knew). The sketch stays as far into its aging period as it was.
func (s *sketch) ensureCapacity(n, factor int) {
	n = min(max(n, 1), maxSketchEntries)
	size := max(1<<bits.Len(uint(n-1)), 8)
	if size <= len(s.table) {
		return
	}
	t := make([]uint64, size)
	if old := len(s.table); old > 0 {
		for i := range t {
			t[i] = s.table[i&(old-1)]
		}
	}
	sample := factor * n
	if s.sampleSize > 0 {
		s.size = int(int64(s.size) * int64(sample) / int64(s.sampleSize))
	}
	s.table = t
	s.blockMask = uint64(size>>3) - 1
	s.sampleSize = sample
}

// initialized reports whether ensureCapacity has been called.
func (s *sketch) initialized() bool { return s.table != nil }

// indexes returns the block base and the counter selector hash of h.
func (s *sketch) indexes(h uint64) (block uint64, counter uint64) {
	counter = rehash(h)
	return (h & s.blockMask) << 3, counter
}

// frequency returns the estimated count of h, 0..15.
func (s *sketch) frequency(h uint64) int {
	if s.table == nil {
		return 0
	}
	block, ch := s.indexes(h)
	freq := uint64(15)
	for i := range uint64(4) {
		c := ch >> (i << 3)
		index := (c >> 1) & 15
		slot := block + (c & 1) + (i << 1)
		freq = min(freq, (s.table[slot]>>(index<<2))&0xf)
	}
	return int(freq)
}

// increment adds one to h's counters (those below 15) and ages the sketch
// when the sample is complete.
func (s *sketch) increment(h uint64) {
	if s.table == nil {
		return
	}
	block, ch := s.indexes(h)
	added := false
	for i := range uint64(4) {
		c := ch >> (i << 3)
		index := (c >> 1) & 15
		slot := block + (c & 1) + (i << 1)
		offset := index << 2
		mask := uint64(0xf) << offset
		if s.table[slot]&mask != mask {
			s.table[slot] += 1 << offset
			added = true
		}
	}
	if added {
		s.size++
		if s.size >= s.sampleSize {
			s.reset()
		}
	}
}

// reset halves every counter.
func (s *sketch) reset() {
	count := 0
	for i, w := range s.table {
		count += bits.OnesCount64(w & oneMask)
		s.table[i] = (w >> 1) & resetMask
	}
	s.size = max(0, (s.size-(count>>2))>>1)
}

// rehash derives the counter selector from an already mixed hash.
func rehash(h uint64) uint64 {
	h *= 0x9e3779b97f4a7c15
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

// clear zeroes every counter: the sketch forgets all history.
func (s *sketch) clear() {
	clear(s.table)
	s.size = 0
}

// copyFrom makes s a copy of src, reusing s's table when it is big enough.
func (s *sketch) copyFrom(src *sketch) {
	table := s.table
	if cap(table) < len(src.table) {
		table = make([]uint64, len(src.table))
	}
	table = table[:len(src.table)]
	copy(table, src.table)
	*s = *src
	s.table = table
}
