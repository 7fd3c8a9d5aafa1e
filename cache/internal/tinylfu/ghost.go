package tinylfu

import "math/bits"

// ghost remembers, approximately, the keys of recently rejected admission
// candidates (2Q's A1out list: Johnson and Shasha, "2Q: A Low Overhead High
// Performance Buffer Management Replacement Algorithm", VLDB 1994). It is a
// pair of Bloom filters of generations: keys are added to the young one;
// when it holds its quota, the old one is cleared and the two swap. A key
// is remembered for between one and two generations of rejections. Four
// bits of one 64-bit word per key, about 10 bits per remembered key.
type ghost struct {
	young, old []uint64
	mask       uint64 // word index mask
	quota      int    // insertions per generation
	n          int    // insertions into young
}

// init sizes the filters for generations of quota keys (none when quota is 0).
func (g *ghost) init(quota int) {
	*g = ghost{}
	if quota <= 0 {
		return
	}
	words := max(1<<bits.Len(uint(quota*10/64)), 1)
	g.young = make([]uint64, words)
	g.old = make([]uint64, words)
	g.mask = uint64(words - 1)
	g.quota = quota
}

// bitsOf returns the word index and the mask of h's four bits.
func (g *ghost) bitsOf(h uint64) (uint64, uint64) {
	r := rehash(h ^ 0x5851f42d4c957f2d)
	m := uint64(1)<<(r&63) | uint64(1)<<((r>>6)&63) | uint64(1)<<((r>>12)&63) | uint64(1)<<((r>>18)&63)
	return (r >> 32) & g.mask, m
}

// add remembers h.
func (g *ghost) add(h uint64) {
	if g.quota == 0 {
		return
	}
	if g.n >= g.quota {
		g.young, g.old = g.old, g.young
		clear(g.young)
		g.n = 0
	}
	i, m := g.bitsOf(h)
	g.young[i] |= m
	g.n++
}

// contains reports whether h was added in the last one or two generations
// (or is a false positive).
func (g *ghost) contains(h uint64) bool {
	if g.quota == 0 {
		return false
	}
	i, m := g.bitsOf(h)
	return g.young[i]&m == m || g.old[i]&m == m
}

// copyFrom makes g a copy of src, reusing g's memory when it fits.
func (g *ghost) copyFrom(src *ghost) {
	y, o := g.young, g.old
	*g = *src
	g.young = append(y[:0], src.young...)
	g.old = append(o[:0], src.old...)
}
