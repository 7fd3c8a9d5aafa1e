package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/patinox/memory/cache"
)

func Example() {
	c, err := cache.New(&cache.Options[string, int]{
		MaxEntries: 2,
		Policy:     cache.LRU(),
		OnEvict: func(k string, v int, why cache.Reason) {
			fmt.Printf("evicted %s=%d (%v)\n", k, v, why)
		},
	})
	if err != nil {
		panic(err)
	}

	c.Set("a", 1)
	c.Set("b", 2)
	c.Get("a")    // a is now more recent than b
	c.Set("c", 3) // evicts b
	_, ok := c.Get("b")
	fmt.Println("b cached:", ok, "len:", c.Len())
	c.Close() // reports what is left
	// Output:
	// evicted b=2 (capacity)
	// b cached: false len: 2
	// evicted a=1 (deleted)
	// evicted c=3 (deleted)
}

func ExampleCache_GetOrLoad() {
	c, err := cache.New(&cache.Options[string, string]{MaxEntries: 100, TTL: time.Minute})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	fetch := func(ctx context.Context, prompt string) (string, error) {
		return "answer to " + prompt, nil // e.g. a call to an LLM provider
	}
	for range 3 {
		v, err := c.GetOrLoad(context.Background(), "2+2?", fetch)
		fmt.Println(v, err)
	}
	s := c.Stats()
	fmt.Printf("hits=%d misses=%d loads=%d ratio=%.2f\n", s.Hits, s.Misses, s.LoadSuccesses, s.HitRatio())
	// Output:
	// answer to 2+2? <nil>
	// answer to 2+2? <nil>
	// answer to 2+2? <nil>
	// hits=2 misses=1 loads=1 ratio=0.67
}

func ExampleOptions_weight() {
	c, err := cache.New(&cache.Options[string, []byte]{
		MaxWeight: 10, // bytes
		Weigher:   func(_ string, v []byte) int64 { return int64(len(v)) },
		Policy:    cache.FIFO(),
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Set("x", make([]byte, 4))
	c.Set("y", make([]byte, 4))
	c.Set("z", make([]byte, 4)) // 12 > 10: x, the oldest, goes
	_, x := c.Get("x")
	fmt.Println("x cached:", x, "weight:", c.Weight())
	// Output:
	// x cached: false weight: 8
}
