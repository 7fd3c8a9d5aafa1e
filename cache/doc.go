// Package cache is a bounded, concurrent, multi-policy key-value cache with
// expiry, loaders, statistics, eviction callbacks and resource-aware
// eviction.
//
//	c, err := cache.New(&cache.Options[string, []byte]{
//		MaxEntries: 10_000,      // or MaxWeight with a Weigher
//		Policy:     cache.LRU(), // default: cache.TinyLFU()
//		TTL:        time.Minute,
//	})
//	if err != nil { ... }
//	defer c.Close()
//	c.Set("k", v)
//	v, ok := c.Get("k")
//	v, err = c.GetOrLoad(ctx, "k", fetch) // one fetch per key at a time
//
// # Design
//
// Entries live in a slot table (fixed-size chunks of keys, values and
// deadlines) indexed by sharded open-addressing hash indexes: a key costs one
// 8-byte index cell plus its key and value, with no allocation per entry
// (about 69 bytes per uint64 entry at 1M entries with the default policy,
// otter's is about 89). Readers take only a shard's read lock, or no lock
// at all once the shard has been read many times without a write (reader
// bias, as in BRAVO: a reader announces itself in its own stripe instead of
// adding to the lock's shared reader count, and the next writer to the
// shard waits for such readers to leave), and record the hit, by slot
// number, in a striped, lossy read buffer (as Caffeine and otter do). A
// Set that replaces the value of a live entry, in a cache
// bounded by MaxEntries and without a Registry, cannot change the bound: it
// swaps the value (and moves the deadline later, if it has one: the timer
// wheel files an entry again when it finds its deadline moved) under the
// shard's write lock alone and sends the policy an Update through the same
// buffer (Caffeine treats such a put as a read), so such writes scale like
// reads. Every other write takes the cache's maintenance lock, which owns
// the eviction policy (an Evictor, see Policy), the timer wheel of deadlines
// and the slot table; it applies buffered accesses, inserts, and evicts
// synchronously, so the bound is strict: when Set returns, Len (or Weight)
// is within MaxEntries (or MaxWeight) — a cache of 2 never holds 3. Expiry
// is by a hierarchical timer wheel (no scan of all entries), advanced by
// writes and by one time.AfterFunc armed only while something is scheduled;
// Get checks the deadline itself, so an expired entry is never returned.
//
// There is no long-lived goroutine. When a reader (or a replacing writer)
// finds its stripe of the buffer full, it starts one short-lived goroutine
// that applies the buffered accesses to the policy and exits (at most one at
// a time); GetOrLoad
// runs each load on its own goroutine. Close waits for all of them (but not
// for an OnEvict call one of them is making: OnEvict may call Close). An idle
// cache has no goroutine. The expiry and grow-back timers and the
// Options.Pressure subscription hold the cache weakly, and a runtime
// cleanup ends the subscription, so an unclosed cache that its owner drops
// is collected with its values; only values tracked in Options.Registry
// keep it reachable (their registrations) until they are released: Close
// it.
//
// # Callbacks and resources
//
// Options.OnEvict is called once for every removed entry (and every replaced
// value) with a Reason, after the locks are released, so it may call back
// into the cache. With Options.Registry, values that are io.Closer or
// Cleaner are registered in the resource registry when set and released
// through its scheduler when they leave the cache (a value the registry
// refuses, as it does once it shuts down, is closed at once and not
// stored, unless another Set of it is still on its way: one value is
// closed once, however many Sets and keys it had); values the registry
// releases on its own (Reclaim,
// ReleaseMatching, Shutdown) leave the cache with Reason Pressure. Only
// values with a known size (a Weigher's weight > 0, taken as bytes) are
// Reclaimable: the registry's Reclaim, which releases resources until
// their sizes reach a target, would otherwise release every sizeless value
// on its way, emptying the cache for one signal. An entry-bounded cache
// gives memory back through Options.Pressure instead.
//
// # Memory pressure
//
// With Options.Pressure set, the cache shrinks its bound to 80%, 50% and
// 25% of the configured one at Moderate, High and Critical pressure
// (evicting with Reason Pressure through the policy's own victim order) and
// grows back by a quarter of it per monitor interval once the level is
// Normal again. An operator can do the same by hand with ResizeForPressure.
//
// # Caveats
//
//   - Inserts (and replacements that add, remove or advance a deadline, or
//     in a MaxWeight cache or one with a Registry) are serialized on one
//     maintenance lock and evict synchronously: the price of the strict
//     bound and of exact callbacks. Reads and plain replacements scale;
//     insert-heavy workloads on many cores do not.
//   - Hits and plain replacements reach the policy through a lossy buffer:
//     under contention some are dropped, so LRU/LFU order (and TinyLFU's
//     frequencies) are approximate for concurrent goroutines (exact for one
//     goroutine whose accesses are drained before each insert). An access
//     buffered just before its slot is reused may be credited to the slot's
//     new entry. With TinyLFU, hits on a cache less than half full are
//     counted but not given to the policy at all (as in Caffeine and otter:
//     nothing can be evicted before the cache fills), so a cold cache's
//     reads cost no buffering.
//   - A plain replacement keeps the key object first stored (an equal one:
//     this shows only for float keys +0 and -0).
//   - The timer wheel's resolution is about one second: OnEvict(Expired) may
//     come up to ≈1 s after the deadline (Get already misses at the deadline).
//     Len counts expired entries not yet collected.
//   - GetOrLoad does not lock the key against Set, Delete or Clear: a load
//     that finishes after a concurrent Set of the same key overwrites it, and
//     a load that started before a Delete of its key or a Clear stores its
//     (possibly stale) value after it (Caffeine leaves invalidateAll during
//     a load undefined). To drop such values too, Delete or Clear once the
//     loads have returned. A loader must not call GetOrLoad for its own key
//     (it would wait for itself).
//   - Values are returned by copy of V: mutating a pointed-to value is not
//     seen by the cache's Weigher.
//   - With Options.Registry the cache owns tracked values, and releases one
//     as soon as it leaves the cache: a value that Get or GetOrLoad returned
//     may be closed while the caller still uses it, if a concurrent write
//     evicts it meanwhile (a value that GetOrLoad's own store evicts at
//     once fails with ErrTooHeavy or ErrRejected instead). Where that
//     matters, cache handles whose cleanup waits for their users (a
//     reference count).
//   - Registry.Reclaim never takes values of a MaxEntries cache (nor of
//     weight 0): they have no size to count against its target. Use
//     Options.Pressure (or ResizeForPressure) for such a cache.
//   - Memory is given back when the cache shrinks only once at most half
//     of its slots (at least 2048) hold entries: then the entries above the
//     first Len slots move down and every per-slot structure is cut to Len
//     (see SlotMover). The maintenance operation that crosses that line (a
//     Resize, a pressure step, a Delete, an expiry) pays for at most Len
//     moves, each costing about as much as a removal, while at least as
//     many entries were removed since the slots last grew. Until then freed
//     slots are reused first. With a user Evictor that is not a SlotMover,
//     the slot range keeps its high-water mark.
//   - Small caches cost more per entry with TinyLFU: below 2,048 entries its
//     10-15 running miniature simulations are each as large as the cache, so
//     a full cache of 1,000 uint64 entries takes about 480 KiB (otter's about
//     90; LRU about 50). Many small caches are cheaper with LRU, or as one
//     larger shared cache.
package cache
