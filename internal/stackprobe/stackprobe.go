// Package stackprobe tells goroutines apart cheaply, so that concurrent
// goroutines can pick different stripes of a striped counter or buffer (the
// cache's read buffer, mmap's pins) without a random number or an atomic
// operation per pick.
//
// Go has no goroutine or processor id for user code. A goroutine's stack is
// its own, so the address of a variable on it is a good stand-in: stacks are
// at least 2 KiB apart, and the address stays the same for one goroutine
// (at one call depth) until its stack grows and moves.
//
// # Caveats
//
// Two goroutines share a stripe with a chance of one in the stripe count,
// for as long as both live: the hash spreads goroutines, it cannot keep
// them apart. Users size their stripes from GOMAXPROCS to keep that rare.
// A stack that grows moves to a larger copy, and the next goroutine may
// start on the one it left: a probe taken before the move can equal the
// newcomer's. Users therefore probe again at every pick instead of keeping
// a probe.
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
