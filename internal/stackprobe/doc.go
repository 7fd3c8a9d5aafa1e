// Package stackprobe tells goroutines apart cheaply, so that concurrent
// goroutines can pick different stripes of a striped counter or buffer (the
// cache's read buffer, mmap's pins) without a random number or an atomic
// operation per pick.
//
// Go has no goroutine or processor id for user code. A goroutine's stack is
// its own, so the address of a variable on it is a good stand-in: stacks are
// at least 2 KiB apart, and the address stays the same for one goroutine
// (at one call depth) until its stack grows and moves. [Probe] hashes that
// address into well-mixed bits; [Stripes] sizes a striped structure for the
// current GOMAXPROCS. Both are safe for concurrent use and allocate nothing.
//
// # Caveats
//
//   - Two goroutines share a stripe with a chance of one in the stripe
//     count, for as long as both live: the hash spreads goroutines, it
//     cannot keep them apart. Users size their stripes from GOMAXPROCS to
//     keep that rare.
//   - A stack that grows moves to a larger copy, and the next goroutine may
//     start on the one it left: a probe taken before the move can equal the
//     newcomer's. Users therefore probe again at every pick instead of
//     keeping a probe.
//   - A probe is a hint for spreading load, never an identity: nothing may
//     depend on two goroutines getting different probes, or one goroutine
//     always getting the same one.
//   - Stripes reads GOMAXPROCS when it is called; a structure sized then
//     keeps its stripe count if GOMAXPROCS changes later.
//   - The address is taken with package unsafe (stackprobe.go) and only
//     ever hashed, never turned back into a pointer.
package stackprobe
