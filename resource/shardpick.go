package resource

// This is the only file of the package that uses unsafe.

import "unsafe"

// shardFor picks the shard of a new resource from the address of an object
// just allocated for it (its Guard, or its entry when it has no Guard): the
// page it was allocated in. The allocator gives each P its own spans, so
// goroutines on different Ps register into different shards and the hot
// path shares no cache line between them, without any per-P API. (A
// recycled entry's own address would not do: the few entries a busy
// registry recycles were allocated together and share a page.) The address
// is only hashed, never converted back to a pointer.
func shardFor[P any](fresh *P, mask uint64) uint64 {
	return uint64(uintptr(unsafe.Pointer(fresh))>>13) & mask
}
