package stackprobe

import (
	"math/bits"
	"runtime"
	"unsafe"
)

// Probe returns 24 well-mixed bits derived from the calling goroutine's
// stack address: the same for one goroutine until its stack moves, usually
// different between goroutines. Use its low bits to pick among a power of
// two of stripes. It is small enough to inline; the address is never turned
// back into a pointer.
func Probe() uint32 {
	var x byte
	return uint32((uint64(uintptr(unsafe.Pointer(&x))>>11) * 0x9e3779b97f4a7c15) >> 40)
}

// Stripes returns how many stripes a striped structure should have: the
// smallest power of two that gives at least perP stripes to each P
// (runtime.GOMAXPROCS at the call). Pick a stripe with
// Probe()&uint32(n-1).
func Stripes(perP int) int {
	return 1 << bits.Len(uint(max(perP*runtime.GOMAXPROCS(0), 1)-1))
}
