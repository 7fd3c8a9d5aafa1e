package cache

import (
	"runtime"
	"strconv"
	"testing"
)

// TestWeightedCacheSmallAtCreation: a MaxWeight cache with the default
// policy must not allocate per unit of weight, at creation or when resized
// (a 64 MiB byte budget once cost a 512 MiB frequency sketch at creation;
// then, once that was dropped after New, still a transient 768 MiB for a
// 128 MiB budget, garbage at once but counted against a memory limit).
// TotalAlloc counts every allocation, kept or not.
func TestWeightedCacheSmallAtCreation(t *testing.T) {
	allocated := func() uint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.TotalAlloc
	}
	const budget = 128 << 20
	before := allocated()
	c, err := New(&Options[string, []byte]{MaxWeight: budget, Weigher: func(_ string, v []byte) int64 { return int64(len(v)) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := allocated() - before; n > 4<<20 {
		t.Errorf("New with MaxWeight %d MiB allocated %d KiB, want under 4 MiB", budget>>20, n>>10)
	}
	v := make([]byte, 64<<10)
	for i := range 2 * budget / len(v) { // past the bound: the sketch is sized by entries
		c.Set(strconv.Itoa(i), v)
	}
	for _, w := range []int64{budget / 4, budget, 2 * budget} {
		before = allocated()
		if err := c.ResizeForPressure(0, w); err != nil {
			t.Fatal(err)
		}
		if n := allocated() - before; n > 4<<20 {
			t.Errorf("Resize to MaxWeight %d MiB allocated %d KiB, want under 4 MiB", w>>20, n>>10)
		}
	}
}
