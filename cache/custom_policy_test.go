package cache_test

import (
	"fmt"
	"testing"

	"github.com/patinox/memory/cache"
)

// mru is a user-defined policy: evict the most recently inserted or read
// entry (useful for cyclic scans larger than the cache).
type mru struct{}

func (mru) NewEvictor(capacity int64) cache.Evictor { return &mruEvictor{} }

// mruOf is mru, keeping the Evictor it made for the test to inspect.
type mruOf struct{ ev *mruEvictor }

func (m *mruOf) NewEvictor(capacity int64) cache.Evictor {
	m.ev = &mruEvictor{}
	return m.ev
}

// mruEvictor keeps a stack of live slots; per-slot state lives in slices
// indexed by slot, as the Evictor contract allows.
type mruEvictor struct {
	stack []uint32 // most recent last
	moves int      // Move calls (for TestUserSlotMover)
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

// Move and Shrink make mruEvictor a cache.SlotMover (optional), so that a
// cache that shrinks can move its entries to low slots and give memory
// back. The stack names slots, so Move renames one; nothing here is indexed
// by slot, so Shrink has nothing to cut.
func (e *mruEvictor) Move(from, to uint32) {
	e.moves++
	for i, s := range e.stack {
		if s == from {
			e.stack[i] = to
			return
		}
	}
}

func (e *mruEvictor) Shrink(uint32) {}

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

// TestUserSlotMover checks the SlotMover contract from a user's side: a
// user Evictor that implements it is told about the moves when most
// entries are deleted, and the cache still finds every remaining entry and
// evicts by the user's order.
func TestUserSlotMover(t *testing.T) {
	const n = 8192
	p := &mruOf{}
	c := cache.NewShrunk(t, p, n, 10)
	if p.ev.moves == 0 {
		t.Fatal("no Move after deleting all but 10 of 8192 entries")
	}
	left := map[int]int{}
	for k, v := range c.All() { // All does not tell the policy
		left[k] = v
	}
	if len(left) != 10 {
		t.Fatalf("%d entries left, want 10: %v", len(left), left)
	}
	for k := n - 10; k < n; k++ {
		if v, ok := left[k]; !ok || v != -k {
			t.Fatalf("entry %d = %d, %v; want %d, true", k, v, ok, -k)
		}
	}
	// The moved entries keep their MRU order: the newest nine leave.
	if err := c.Resize(1, 0); err != nil {
		t.Fatal(err)
	}
	if v, ok := c.Get(n - 10); !ok || v != -(n-10) {
		t.Fatalf("after Resize(1), Get(%d) = %d, %v; want the oldest entry, %d", n-10, v, ok, -(n - 10))
	}
}
