package belady

import (
	"slices"
	"testing"

	"go.uber.org/goleak"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNextUse(t *testing.T) {
	got := NextUse([]uint64{1, 2, 1, 3, 2, 1})
	want := []int32{2, 4, 5, never, never, never}
	if !slices.Equal(got, want) {
		t.Fatalf("NextUse = %v, want %v", got, want)
	}
}

// TestHitsHandChecked uses the textbook string
// 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1 with 3 frames: OPT that must
// insert every miss has 9 faults (11 hits); with bypass, 4 and the second 7
// (never requested again) are not inserted, so 0 stays and hits at request
// 10 too: 12 hits (checked by hand). The loop 1 2 3 ×3 in 2 frames keeps
// 1 and 2 and bypasses 3: 4 hits.
func TestHitsHandChecked(t *testing.T) {
	tests := []struct {
		name     string
		keys     []uint64
		capacity int
		want     int
	}{
		{name: "textbook-3", keys: []uint64{7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1}, capacity: 3, want: 12},
		{name: "loop-larger-than-cache", keys: []uint64{1, 2, 3, 1, 2, 3, 1, 2, 3}, capacity: 2, want: 4},
		{name: "fits", keys: []uint64{1, 2, 1, 2, 1}, capacity: 2, want: 3},
		{name: "zero", keys: []uint64{1, 1, 1}, capacity: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hits(tt.keys, NextUse(tt.keys), tt.capacity); got != tt.want {
				t.Fatalf("Hits = %d, want %d", got, tt.want)
			}
		})
	}
}

// bruteForce returns the best hit count over every eviction choice
// (including bypass), by exhaustive search.
func bruteForce(keys []uint64, capacity int, cache []uint64) int {
	if len(keys) == 0 {
		return 0
	}
	k, rest := keys[0], keys[1:]
	if slices.Contains(cache, k) {
		return 1 + bruteForce(rest, capacity, cache)
	}
	best := bruteForce(rest, capacity, cache) // bypass
	if len(cache) < capacity {
		return max(best, bruteForce(rest, capacity, append(slices.Clone(cache), k)))
	}
	for i := range cache {
		c := slices.Clone(cache)
		c[i] = k
		best = max(best, bruteForce(rest, capacity, c))
	}
	return best
}

func TestHitsOptimal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOfN(rapid.Uint64Range(0, 5), 0, 11).Draw(t, "keys")
		capacity := rapid.IntRange(1, 3).Draw(t, "capacity")
		got := Hits(keys, NextUse(keys), capacity)
		if want := bruteForce(keys, capacity, nil); got != want {
			t.Fatalf("Hits = %d, brute force = %d", got, want)
		}
	})
}

func TestHitsCompacts(t *testing.T) {
	// Many hits on a tiny cache exercise the heap compaction.
	keys := make([]uint64, 20000)
	for i := range keys {
		keys[i] = uint64(i % 3)
	}
	if got, want := Hits(keys, NextUse(keys), 2), 20000-3-(20000-3)/3; got < want {
		t.Fatalf("Hits = %d, want at least %d", got, want)
	}
}

// naiveHits is Bélády with bypass by linear search for the cached key
// needed farthest in the future (ties to the smallest key; a tie can only
// be between keys never requested again, which changes no hit count).
func naiveHits(keys []uint64, capacity int) int {
	next := NextUse(keys)
	cached := map[uint64]int32{}
	hits := 0
	for i, k := range keys {
		if _, ok := cached[k]; ok {
			hits++
			cached[k] = next[i]
			continue
		}
		if len(cached) >= capacity {
			var vk uint64
			vn := int32(-1)
			for ck, cn := range cached {
				if cn > vn || cn == vn && ck < vk {
					vk, vn = ck, cn
				}
			}
			if vn <= next[i] {
				continue
			}
			delete(cached, vk)
		}
		cached[k] = next[i]
	}
	return hits
}

// TestHitsMatchesNaiveLong compares Hits with a linear-search reference on
// traces long enough (thousands of requests, many hits) to make Hits
// compact its heap of stale next uses several times, which the brute-force
// comparison above never reaches.
func TestHitsMatchesNaiveLong(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOfN(rapid.Uint64Range(0, 60), 2000, 6000).Draw(t, "keys")
		capacity := rapid.IntRange(1, 25).Draw(t, "capacity")
		if got, want := Hits(keys, NextUse(keys), capacity), naiveHits(keys, capacity); got != want {
			t.Fatalf("Hits = %d, reference = %d", got, want)
		}
	})
}
