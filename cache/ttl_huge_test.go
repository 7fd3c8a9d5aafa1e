package cache

import (
	"math"
	"testing"
	"testing/synctest"
	"time"
)

// TestHugeTTLNeverExpires checks that the longest durations (math.MaxInt64,
// a common "never" in Go) keep entries instead of overflowing the deadline
// into the past, which made every such entry invisible at once.
func TestHugeTTLNeverExpires(t *testing.T) {
	const forever = time.Duration(math.MaxInt64)
	for _, tt := range []struct {
		name string
		opts Options[int, int]
		set  func(c *Cache[int, int])
	}{
		{"SetTTL", Options[int, int]{MaxEntries: 10}, func(c *Cache[int, int]) { c.SetTTL(1, 1, forever) }},
		{"Options.TTL", Options[int, int]{MaxEntries: 10, TTL: forever}, func(c *Cache[int, int]) { c.Set(1, 1) }},
		{"Options.ExpireAfterAccess", Options[int, int]{MaxEntries: 10, ExpireAfterAccess: forever}, func(c *Cache[int, int]) { c.Set(1, 1) }},
		{"hit extends a SetTTL deadline", Options[int, int]{MaxEntries: 10, ExpireAfterAccess: forever}, func(c *Cache[int, int]) {
			c.SetTTL(1, 1, time.Hour) // a first deadline, then a hit moves it to now+forever
			c.Get(1)
		}},
		{"replacement", Options[int, int]{MaxEntries: 10, TTL: time.Hour}, func(c *Cache[int, int]) {
			c.Set(1, 0)
			c.SetTTL(1, 1, forever) // a later deadline: the replacement fast path
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newInt(t, &tt.opts)
				advance(time.Second) // a clock past its start, as in any running process
				tt.set(c)
				for _, wait := range []time.Duration{0, 2 * time.Hour} {
					advance(wait)
					if v, ok := c.Get(1); !ok || v != 1 {
						t.Fatalf("Get(1) %v after the Set = %d, %v; want 1, true", wait, v, ok)
					}
				}
				if got := c.Stats().Evictions[Expired]; got != 0 {
					t.Fatalf("Stats().Evictions[Expired] = %d, want 0", got)
				}
			})
		})
	}
}
