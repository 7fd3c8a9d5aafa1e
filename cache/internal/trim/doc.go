// Package trim gives back the memory of the slot-indexed slices that the
// cache and its eviction policies keep, when the cache compacts its slots
// after shrinking (a Resize down, memory pressure, Clear, a burst of
// expiries). Without it a cache that once held many entries would keep
// arrays sized for them for the rest of its life: reslicing keeps the
// backing array alive.
//
// # Caveats
//
//   - Slice either returns s[:n], sharing s's array, or a copy, sharing
//     nothing: callers must use only the result afterwards.
//   - When it keeps the array, the elements past n stay in it, and what
//     they point to stays reachable until they are overwritten: clear them
//     first if they hold pointers that must be released.
//   - A copy costs O(n) time and a new allocation; it is made only when the
//     array is more than twice (plus 64 elements) what is kept, so that
//     repeated small shrinks do not copy each time.
package trim
