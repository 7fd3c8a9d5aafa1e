package tinylfu

import (
	"testing"
)

// tb is the part of testing.TB the harness needs (rapid.T has it too).
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// harness drives a Policy the way the cache does: slots from a free list,
// Add then Victim/Remove while over capacity.
type harness struct {
	t        tb
	p        *Policy
	capacity int64
	live     map[uint32]int64 // slot → weight
	weight   int64            // sum of live
	free     []uint32
	next     uint32
	evicted  []uint32
}

func newHarness(t tb, capacity int64) *harness {
	return &harness{t: t, p: New(capacity), capacity: capacity, live: map[uint32]int64{}}
}

func (h *harness) total() int64 { return h.weight }

// setWeight records slot's new weight in the model.
func (h *harness) setWeight(s uint32, w int64) {
	h.weight += w - h.live[s]
	h.live[s] = w
}

// sum recomputes the total from the live map (the check of weight).
func (h *harness) sum() int64 {
	var w int64
	for _, x := range h.live {
		w += x
	}
	return w
}

// add inserts an entry with the given key hash and weight and evicts; it
// returns the entry's slot.
func (h *harness) add(hash uint64, weight int64) uint32 {
	var s uint32
	if n := len(h.free); n > 0 {
		s, h.free = h.free[n-1], h.free[:n-1]
	} else {
		s = h.next
		h.next++
	}
	h.setWeight(s, weight)
	h.p.Add(s, hash, weight)
	h.evict()
	return s
}

func (h *harness) remove(s uint32) {
	h.weight -= h.live[s]
	delete(h.live, s)
	h.free = append(h.free, s)
	h.p.Remove(s)
}

func (h *harness) evict() {
	h.evicted = h.evicted[:0]
	for h.total() > h.capacity {
		s, ok := h.p.Victim()
		if !ok {
			h.t.Fatalf("Victim() ok = false with total %d > capacity %d", h.total(), h.capacity)
		}
		if _, live := h.live[s]; !live {
			h.t.Fatalf("Victim() = %d, not a live slot", s)
		}
		h.evicted = append(h.evicted, s)
		h.remove(s)
	}
}

func (h *harness) verify() {
	h.t.Helper()
	if err := h.p.check(); err != nil {
		h.t.Fatal(err)
	}
	if h.sum() != h.weight {
		h.t.Fatalf("harness total %d, live entries sum to %d", h.weight, h.sum())
	}
	if got, want := h.p.Weight(), h.total(); got != want {
		h.t.Fatalf("Weight() = %d, want %d", got, want)
	}
	if got, want := h.p.Len(), len(h.live); got != want {
		h.t.Fatalf("Len() = %d, want %d", got, want)
	}
	if h.total() > h.capacity {
		h.t.Fatalf("total weight %d exceeds capacity %d", h.total(), h.capacity)
	}
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func TestCapacityNeverExceeded(t *testing.T) {
	tests := []struct {
		name     string
		capacity int64
		keys     int
		weight   func(i int) int64
	}{
		{name: "unit/small", capacity: 1, keys: 50, weight: func(int) int64 { return 1 }},
		{name: "unit/medium", capacity: 100, keys: 1000, weight: func(int) int64 { return 1 }},
		{name: "weighted", capacity: 500, keys: 1000, weight: func(i int) int64 { return int64(i%37 + 1) }},
		{name: "with-zero-weights", capacity: 50, keys: 400, weight: func(i int) int64 { return int64(i % 3) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.capacity)
			slots := map[int]uint32{}
			for i := range 20 * tt.keys {
				k := (i * 7919) % tt.keys
				if i%3 == 0 {
					k = i % 17 // a hot set
				}
				if s, ok := slots[k]; ok {
					if _, live := h.live[s]; live {
						h.p.Hit(s)
						continue
					}
				}
				slots[k] = h.add(mix(uint64(k)), tt.weight(k))
				h.verify()
			}
		})
	}
}

func TestOversizedEntryRejected(t *testing.T) {
	h := newHarness(t, 100)
	for k := range 100 {
		h.add(mix(uint64(k)), 1)
	}
	s := h.add(mix(1000), 101)
	if len(h.evicted) != 1 || h.evicted[0] != s {
		t.Fatalf("evicted %v after adding an entry heavier than the cache, want only its slot %d", h.evicted, s)
	}
	h.verify()
	if got := h.p.Len(); got != 100 {
		t.Fatalf("Len() = %d, want 100", got)
	}
}

func TestUpdateWeight(t *testing.T) {
	h := newHarness(t, 10)
	a := h.add(mix(1), 2)
	b := h.add(mix(2), 3)
	h.setWeight(a, 6)
	h.p.Update(a, 6)
	h.verify()
	if got := h.p.Weight(); got != 9 {
		t.Fatalf("Weight() after Update = %d, want 9", got)
	}
	h.setWeight(b, 5)
	h.p.Update(b, 5) // 11 > 10
	h.evict()
	if len(h.evicted) != 1 {
		t.Fatalf("evicted %v after growing past capacity, want one entry", h.evicted)
	}
	h.verify()
}

func TestRemoveThenReuseSlot(t *testing.T) {
	h := newHarness(t, 4)
	var slots []uint32
	for k := range 4 {
		slots = append(slots, h.add(mix(uint64(k)), 1))
	}
	h.remove(slots[1])
	h.p.Hit(slots[1]) // a late hit for a removed slot is ignored
	h.verify()
	s := h.add(mix(99), 1)
	if s != slots[1] {
		t.Fatalf("reused slot = %d, want %d", s, slots[1])
	}
	h.verify()
	h.remove(s)
	h.remove(slots[0])
	h.verify()
	if got := h.p.Len(); got != 2 {
		t.Fatalf("Len() = %d, want 2", got)
	}
}

func TestFrequentKeysSurviveScan(t *testing.T) {
	const capacity = 100
	h := newHarness(t, capacity)
	var hot []uint32
	for k := range 50 {
		s := h.add(mix(uint64(k)), 1)
		hot = append(hot, s)
		for range 5 {
			h.p.Hit(s)
		}
	}
	for k := range 20 * capacity { // a scan of one-hit wonders, the hot set still read
		h.add(mix(uint64(1000+k)), 1)
		if _, ok := h.live[hot[k%len(hot)]]; !ok {
			t.Fatalf("hot slot %d was evicted by a scan after %d scan entries", hot[k%len(hot)], k)
		}
		h.p.Hit(hot[k%len(hot)])
	}
	h.verify()
}

func TestSetCapacityShrinks(t *testing.T) {
	h := newHarness(t, 100)
	for k := range 100 {
		h.add(mix(uint64(k)), 1)
	}
	h.capacity = 10
	h.p.SetCapacity(10)
	h.evict()
	h.verify()
	if got := h.p.Len(); got != 10 {
		t.Fatalf("Len() after SetCapacity(10) = %d, want 10", got)
	}
	h.capacity = 0
	h.p.SetCapacity(0)
	h.evict()
	h.verify()
	if got := h.p.Len(); got != 0 {
		t.Fatalf("Len() after SetCapacity(0) = %d, want 0", got)
	}
}

func TestVictimEmpty(t *testing.T) {
	p := New(10)
	if s, ok := p.Victim(); ok {
		t.Fatalf("Victim() on an empty policy = %d, true; want false", s)
	}
}

// TestWeightedSizesSketchByEntries: a policy told it is weighted does not
// size its sketch by the capacity (a weight, often bytes) but by the
// entries it holds, once half full.
func TestWeightedSizesSketchByEntries(t *testing.T) {
	p := New(64 << 20)
	p.Weighted()
	if n := len(p.sketch.table); n != 0 {
		t.Fatalf("empty weighted policy: sketch of %d words, want none until half full", n)
	}
	for i := range 100 {
		p.Add(uint32(i), uint64(i)*0x9e3779b97f4a7c15, 400<<10) // 100 × 400 KiB > half of 64 MiB
	}
	if n := len(p.sketch.table); n == 0 || n > 1024 {
		t.Errorf("half-full weighted policy with 100 entries: sketch of %d words, want sized by entries (≤ 1024)", n)
	}
}
