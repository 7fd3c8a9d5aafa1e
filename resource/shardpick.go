package resource

// This is the only file of the package that uses unsafe.

import "unsafe"

// shardFor picks the shard of a new entry from its address: the page it
// was allocated in. The allocator gives each P its own spans, so
// goroutines on different Ps register into different shards and the hot
// path shares no cache line between them, without any per-P API. The
// address is only hashed, never converted back to a pointer.
func shardFor(e *entry, mask uint64) uint64 {
	return uint64(uintptr(unsafe.Pointer(e))>>13) & mask
}
