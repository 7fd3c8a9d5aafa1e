package cache

import "github.com/patinox/memory/cache/internal/tinylfu"

// TinyLFU returns the default policy: an adaptive W-TinyLFU (an admission
// window in front of a segmented main area, a frequency sketch deciding
// whether a candidate displaces the main area's victim, and miniature
// simulations of the workload sizing the window; weighted caches use a hill
// climber instead). See cache/internal/tinylfu.
func TinyLFU() Policy {
	return policyFunc(func(capacity int64) Evictor { return tinylfu.New(capacity) })
}
