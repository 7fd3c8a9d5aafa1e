package tinylfu_test

import (
	"fmt"

	"github.com/patinox/memory/cache/internal/tinylfu"
)

// Example drives a policy the way the cache does: slots are assigned by the
// caller, and after each insertion Victim names the entries to remove while
// the cache is over capacity.
func Example() {
	p := tinylfu.New(2)
	hash := func(k uint64) uint64 { return k * 0x9e3779b97f4a7c15 }
	p.Add(0, hash(1), 1)
	p.Hit(0)
	p.Hit(0)
	p.Add(1, hash(2), 1)
	p.Add(2, hash(3), 1) // over capacity: one entry must go
	for p.Weight() > 2 {
		slot, _ := p.Victim()
		p.Remove(slot)
		fmt.Println("evicted slot", slot)
	}
	fmt.Println("entries:", p.Len())
	// Output:
	// evicted slot 1
	// entries: 2
}
