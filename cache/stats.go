package cache

import "time"

// Stats is a snapshot of a cache's counters, returned by Cache.Stats.
// Counters only grow (Clear does not reset them); Entries and Weight are
// current values.
type Stats struct {
	Hits   uint64 // Get and GetOrLoad calls that found a live entry
	Misses uint64 // Get and GetOrLoad calls that did not

	LoadSuccesses uint64        // loader calls that returned a value
	LoadFailures  uint64        // loader calls that returned an error (or panicked)
	LoadTime      time.Duration // total time spent in loader calls

	// Evictions counts removed entries by Reason: Evictions[cache.Capacity], ...
	// Replaced counts replaced values.
	Evictions [numReasons]uint64

	Entries int   // live entries (including expired ones not yet collected)
	Weight  int64 // their total weight (= Entries without MaxWeight)
}

// HitRatio returns Hits / (Hits + Misses), or 0 before any lookup.
func (s Stats) HitRatio() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// Stats returns a snapshot of the counters. It is safe for concurrent use
// and costs O(GOMAXPROCS); counters updated concurrently may be caught
// mid-operation.
func (c *Cache[K, V]) Stats() Stats {
	var s Stats
	var replaced uint64
	for i := range c.stripes {
		h, r := c.stripes[i].counts()
		s.Hits += h
		replaced += r
		s.Misses += c.stripes[i].misses.Load()
	}
	s.LoadSuccesses = c.loadOK.Load()
	s.LoadFailures = c.loadErr.Load()
	s.LoadTime = time.Duration(c.loadNanos.Load())
	c.mu.Lock()
	s.Evictions = c.evictions
	s.Evictions[Replaced] += replaced
	s.Entries = c.count
	s.Weight = c.total
	c.mu.Unlock()
	return s
}
