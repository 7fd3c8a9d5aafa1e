// Package wheel is a hierarchical timer wheel (after Caffeine's TimerWheel)
// that schedules the expiry of cache entries identified by dense slot numbers.
//
// Five levels of buckets cover ≈1.07 s, ≈1.14 min, ≈1.22 h, ≈1.63 d and
// ≈6.5 d; an entry is placed in the finest level whose span covers its
// remaining time and cascades down as the wheel advances. Scheduling,
// rescheduling and cancelling are O(1); advancing visits only the buckets
// whose time has come, so expiry never scans every entry. Buckets are
// circular doubly-linked lists threaded through two uint32 slices, so an
// entry costs 8 bytes and no allocation.
//
// # Caveats
//
// A Wheel is not safe for concurrent use (the cache calls it under its
// maintenance lock). Expiry is coarse: an entry is reported by the Advance
// that passes the end of its ≈1.07 s bucket, so up to about a second after
// its deadline; callers that must never return an expired entry check the
// deadline themselves. Deadlines may change lazily: Advance asks for each
// visited slot's current deadline and reschedules the ones not yet due.
package wheel
