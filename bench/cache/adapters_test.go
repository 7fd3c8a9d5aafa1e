package cache

import "testing"

// TestAdapters checks that every adapter stores and returns values, so the
// benchmarks compare caches that work. Ristretto may drop writes (its Set is
// asynchronous and admission-filtered), so for it only wrong values fail.
func TestAdapters(t *testing.T) {
	for _, f := range Factories() {
		t.Run("cache="+f.Name, func(t *testing.T) {
			c := f.New(1000)
			defer c.Close()
			for k := range uint64(100) {
				c.Set(k, k*3)
			}
			hits := 0
			for k := range uint64(100) {
				v, ok := c.Get(k)
				if ok && v != k*3 {
					t.Fatalf("Get(%d) = %d, want %d", k, v, k*3)
				}
				if ok {
					hits++
				}
			}
			if f.Name != "ristretto" && hits != 100 {
				t.Fatalf("%d of 100 keys found, want all", hits)
			}
		})
	}
}
