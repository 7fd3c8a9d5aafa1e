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
