package cache

import (
	"runtime"
	"testing"
)

// TestWeightedCacheSmallAtCreation: a MaxWeight cache with the default
// policy must not allocate per unit of weight (a 64 MiB byte budget once
// cost a 512 MiB frequency sketch at creation).
func TestWeightedCacheSmallAtCreation(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	c, err := New(&Options[string, []byte]{MaxWeight: 64 << 20, Weigher: func(_ string, v []byte) int64 { return int64(len(v)) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	grew := int64(heap()) - int64(before)
	runtime.KeepAlive(c)
	if grew > 4<<20 {
		t.Errorf("New with MaxWeight 64 MiB grew the heap by %d KiB, want under 4 MiB", grew>>10)
	}
}
