//go:build amd64 || arm64

package mmap

// prefetch asks the CPU to start loading the cache lines holding the first
// and the last of the size bytes at addr (only the first when size is 0):
// PREFETCHT0 on amd64, PRFM PLDL1KEEP on arm64 (prefetch_amd64.s,
// prefetch_arm64.s). A prefetch is only a hint: it never faults, whatever the
// address (unmapped, PROT_NONE, garbage), and it is not ordered by the locked
// instructions of atomic operations.
//
//go:noescape
func prefetch(addr, size uintptr)
