package resource

// A registry that once held a burst of resources gives the memory of its
// slot arrays, free lists, timer heap and queues back once the burst is
// over: each shrinks to twice its length when it uses less than a quarter
// of a capacity above shrinkMin. Halving at a quarter keeps every operation
// amortized O(1): a shrink of a slice to 2n elements follows at least n
// removals, and the next growth at least n additions.

// shrinkMin is the capacity at or below which nothing shrinks.
const shrinkMin = 256

// shrunk returns s, moved to a backing array of twice its length if it
// uses less than a quarter of its capacity and the capacity is above
// shrinkMin.
func shrunk[T any](s []T) []T {
	if cap(s) <= shrinkMin || len(s) >= cap(s)/4 {
		return s
	}
	return append(make([]T, 0, 2*len(s)), s...)
}
