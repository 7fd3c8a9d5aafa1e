// Package cache benchmarks patinox/memory's cache against peer caches (otter
// v2, theine, ristretto v2, golang-lru v2) side by side in one process:
//
//   - BenchmarkGetPut: Caffeine's GetPutBenchmark shape — a prepopulated
//     cache, scrambled Zipf keys, 100/75/50/25/0 % reads, at 1, 2 and 8
//     goroutines. Every write replaces the value of a present key.
//   - BenchmarkSetEvict: every Set inserts a new key into a full cache (an
//     insertion plus an eviction), at 1, 2 and 8 goroutines.
//   - BenchmarkMemory: bytes per entry of 1M uint64→uint64 entries after
//     runtime.GC (HeapAlloc delta / entries), with a bare map as baseline.
//   - BenchmarkShrunkMemory: the memory a cache of 1M such entries still
//     holds after all but 10,000 of them were deleted (a bare map as
//     baseline, which never shrinks).
//
// Each peer has its own adapter file implementing Cache.
//
// # Caveats
//
// Numbers are only comparable within one run on one machine. Ristretto's
// Set is asynchronous and may drop writes, so its write throughput measures
// less work than the others'.
package cache

// Cache is the common shape of the caches compared: uint64 keys and values.
type Cache interface {
	Get(k uint64) (uint64, bool)
	Set(k, v uint64)
	Delete(k uint64)
	Close()
}

// Factory builds one kind of cache with room for capacity entries.
type Factory struct {
	Name string
	New  func(capacity int) Cache
}

// Factories lists the caches compared, ours first.
func Factories() []Factory {
	return []Factory{
		{"patinox", newOurs},
		{"otter", newOtter},
		{"theine", newTheine},
		{"ristretto", newRistretto},
		{"golang-lru", newLRU},
	}
}
