package cache_test

import (
	"fmt"

	"github.com/patinox/memory/cache"
)

// mru is a user-defined policy: evict the most recently inserted or read
// entry (useful for cyclic scans larger than the cache).
type mru struct{}

func (mru) NewEvictor(capacity int64) cache.Evictor { return &mruEvictor{} }

// mruEvictor keeps a stack of live slots; per-slot state lives in slices
// indexed by slot, as the Evictor contract allows.
type mruEvictor struct {
	stack []uint32 // most recent last
}

func (e *mruEvictor) Add(slot uint32, _ uint64, _ int64) { e.stack = append(e.stack, slot) }
func (e *mruEvictor) Hit(slot uint32)                    { e.Remove(slot); e.stack = append(e.stack, slot) }
func (e *mruEvictor) Update(uint32, int64)               {}
func (e *mruEvictor) SetCapacity(int64)                  {}

func (e *mruEvictor) Remove(slot uint32) {
	for i, s := range e.stack {
		if s == slot {
			e.stack = append(e.stack[:i], e.stack[i+1:]...)
			return
		}
	}
}

func (e *mruEvictor) Victim() (uint32, bool) {
	if len(e.stack) == 0 {
		return 0, false
	}
	return e.stack[len(e.stack)-1], true
}

func ExamplePolicy() {
	c, err := cache.New(&cache.Options[string, int]{
		MaxEntries: 2,
		Policy:     mru{},
		OnEvict:    func(k string, _ int, why cache.Reason) { fmt.Println("evicted", k, why) },
	})
	if err != nil {
		panic(err)
	}
	c.Set("a", 1)
	c.Set("b", 2)
	c.Set("c", 3) // the newest entry is the victim: c itself
	_, ok := c.Get("a")
	fmt.Println("a cached:", ok)
	c.Close()
	// Output:
	// evicted c capacity
	// a cached: true
	// evicted a deleted
	// evicted b deleted
}
