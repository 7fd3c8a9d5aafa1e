package cache

import "testing"

// buffered is the number of accesses ever buffered for the policy.
func (c *Cache[K, V]) buffered() (n uint64) {
	for i := range c.stripes {
		n += c.stripes[i].tail.Load()
	}
	return n
}

// TestColdCacheSkipsBuffer: a TinyLFU cache less than half full counts
// hits without buffering them for the policy; from half full on, hits are
// buffered again, also after Resize moves the threshold. Other policies
// always buffer.
func TestColdCacheSkipsBuffer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy Policy
		skips  bool
	}{
		{"tinylfu", nil, true},
		{"lru", LRU(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(&Options[int, int]{MaxEntries: 100, Policy: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for k := range 49 {
				c.Set(k, k)
			}
			for range 3 {
				for k := range 49 {
					if v, ok := c.Get(k); !ok || v != k {
						t.Fatalf("Get(%d) = %d, %v", k, v, ok)
					}
				}
			}
			if got, want := c.buffered() == 0, tc.skips; got != want {
				t.Errorf("49 of 100 entries: no hit buffered = %v, want %v", got, want)
			}
			if s := c.Stats(); s.Hits != 3*49 {
				t.Errorf("Stats.Hits = %d, want %d", s.Hits, 3*49)
			}
			c.Set(49, 49) // half full
			c.Get(0)
			if c.buffered() == 0 {
				t.Error("half full: the hit was not buffered")
			}
			if err := c.Resize(1000, 0); err != nil {
				t.Fatal(err)
			}
			before := c.buffered()
			c.Get(1)
			if got, want := c.buffered() == before, tc.skips; got != want {
				t.Errorf("50 of 1000 entries: hit not buffered = %v, want %v", got, want)
			}
		})
	}
}
