package mmap

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// TestFitsAgreesWithCheckBounds checks ViewOf's division-free fast check
// against checkBounds, the explained reference, including offsets and
// counts near the overflow limits.
func TestFitsAgreesWithCheckBounds(t *testing.T) {
	buf := make([]byte, 4096+16)
	rapid.Check(t, func(rt *rapid.T) {
		start := rapid.IntRange(0, 15).Draw(rt, "start")
		d := buf[start : start+rapid.IntRange(0, 4096).Draw(rt, "len")]
		off := rapid.OneOf(rapid.Int64Range(-2, 4100), rapid.SampledFrom([]int64{math.MinInt64, math.MaxInt64})).Draw(rt, "off")
		n := rapid.OneOf(rapid.IntRange(-2, 5000), rapid.SampledFrom([]int{math.MinInt, math.MaxInt, math.MaxInt / 8})).Draw(rt, "n")
		size := uintptr(rapid.SampledFrom([]int{0, 1, 2, 4, 8, 12, 16, 24}).Draw(rt, "size"))
		align := uintptr(rapid.SampledFrom([]int{1, 2, 4, 8}).Draw(rt, "align"))
		got := fits(d, off, n, size, align)
		want := checkBounds(d, off, n, size, align) == nil
		if got != want {
			rt.Fatalf("fits(len %d, off %d, n %d, size %d, align %d) = %v, checkBounds says %v",
				len(d), off, n, size, align, got, want)
		}
	})
}

// TestPrefetchNeverFaults checks the promise ViewOf, ReadAt and WriteAt rely
// on when they prefetch before checking anything: a prefetch of any address,
// however invalid, and of any size, however large, is harmless (a load of
// these addresses would kill the process).
func TestPrefetchNeverFaults(t *testing.T) {
	addrs := []uintptr{0, 1, 4095, 1 << 47, 0xffff_8000_0000_0000, ^uintptr(0) - 63, ^uintptr(0)}
	sizes := []uintptr{0, 1, 64, 1 << 30, ^uintptr(0) >> 1, ^uintptr(0)}
	for _, a := range addrs {
		for _, n := range sizes {
			prefetch(a, n)
		}
	}
	var m Map // as for a zero-length file: no mapping at all
	m.cur.Store(&mapping{})
	for _, off := range []int64{math.MinInt64, -1, 0, 1 << 40, math.MaxInt64} {
		m.warm(off, 64)
	}
}
