package resource

// A registry that once held a burst of resources gives the memory of its
// slot arrays, free lists, timer heap and queues back once the burst is
// over, without reallocating at every burst of a workload whose bursts
// recur. Each structure keeps a gate: it shrinks only after a whole window
// of removals (as many as its capacity) in which it never held more than a
// quarter of its capacity, and then to twice that window's peak. A burst
// that recurs within every window keeps its memory; one that is over is
// given back within two windows of later removals. Every operation stays
// amortized O(1): a window of c removals pays for one copy of at most c/4
// elements.

// shrinkMin is the capacity at or below which nothing shrinks.
const shrinkMin = 256

// gate is one structure's shrink decision (see above).
type gate struct {
	peak int // most held since the window began
	ops  int // removals since the window began
}

// removed notes a removal that left n held in a structure of capacity c;
// it returns the capacity to shrink to, or 0 to keep c.
func (g *gate) removed(n, c int) int {
	g.peak = max(g.peak, n+1) // what was held just before this removal
	if g.ops++; g.ops < c {
		return 0
	}
	peak := g.peak
	g.peak, g.ops = n, 0
	if c <= shrinkMin || peak > c/4 {
		return 0
	}
	return max(2*peak, shrinkMin/4)
}

// now is the gate's decision without waiting for a window (memory pressure
// at High or Critical, Registry.compact): the capacity to shrink to if a
// structure of capacity c holding n uses under a quarter of it, or 0. It
// starts a new window.
func (g *gate) now(n, c int) int {
	g.peak, g.ops = n, 0
	if c <= shrinkMin || n >= c/4 {
		return 0
	}
	return max(2*n, shrinkMin/4)
}

// compact gives back at once what the shrink gates would give back after
// their windows: memory pressure reached High or Critical (pressure.go).
func (r *Registry) compact() {
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		if c := sh.t.shrink.now(sh.t.n, len(sh.t.slots)); c > 0 {
			sh.t.truncate(c)
		}
		sh.mu.Unlock()
	}
	r.timers.compact()
	r.sched.compact()
}

// shrunk returns s in a new backing array of capacity c (at least len(s)).
func shrunk[T any](s []T, c int) []T {
	return append(make([]T, 0, max(c, len(s))), s...)
}
