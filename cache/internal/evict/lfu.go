package evict

import "github.com/patinox/memory/cache/internal/trim"

// LFU evicts by LFU with dynamic aging (LFU-DA): an entry's priority is L+1
// when inserted and grows by one per hit, where L is the priority of the last
// victim; the victim has the lowest priority, and among equals the one used
// least recently. A binary min-heap keeps the order: O(log n) per operation.
type LFU struct {
	prio     []uint64 // per slot
	used     []uint64 // per slot: clock value at insertion or last hit
	pos      []int32  // per slot: index in heap, -1 when absent
	heap     []uint32 // slots, heap-ordered by less
	age      uint64   // L: priority of the last victim
	clock    uint64
	weights  weights
	capacity int64
}

// NewLFU returns an empty LFU-DA evictor for the given capacity.
func NewLFU(capacity int64) *LFU { return &LFU{capacity: capacity} }

// Add records a new entry with priority L+1.
func (p *LFU) Add(slot uint32, _ uint64, weight int64) {
	p.grow(slot)
	p.weights.add(slot, weight)
	p.clock++
	p.prio[slot], p.used[slot] = p.age+1, p.clock
	p.pos[slot] = int32(len(p.heap))
	p.heap = append(p.heap, slot)
	p.up(len(p.heap) - 1)
}

// Hit raises the priority of slot by one.
func (p *LFU) Hit(slot uint32) {
	p.clock++
	p.prio[slot]++
	p.used[slot] = p.clock
	p.down(int(p.pos[slot]))
}

// Update records a new weight for slot.
func (p *LFU) Update(slot uint32, weight int64) { p.weights.update(slot, weight) }

// Remove forgets slot.
func (p *LFU) Remove(slot uint32) {
	p.weights.remove(slot)
	i := int(p.pos[slot])
	last := len(p.heap) - 1
	if i != last {
		p.swap(i, last)
	}
	p.heap = p.heap[:last]
	p.pos[slot] = -1
	if i != last {
		p.down(i)
		p.up(i)
	}
}

// Move records that the entry in slot from now lives in slot to (free
// until now), with the same priority, recency, place in the heap and
// weight.
func (p *LFU) Move(from, to uint32) {
	p.grow(to)
	p.prio[to], p.used[to], p.pos[to] = p.prio[from], p.used[from], p.pos[from]
	p.heap[p.pos[to]] = to
	p.pos[from] = -1
	p.weights.Move(from, to)
}

// Shrink gives back the per-slot memory of slots n and above, which hold
// no entry.
func (p *LFU) Shrink(n uint32) {
	p.prio = trim.Slice(p.prio, int(n))
	p.used = trim.Slice(p.used, int(n))
	p.pos = trim.Slice(p.pos, int(n))
	p.heap = trim.Slice(p.heap, len(p.heap))
	p.weights.Shrink(n)
}

// grow makes room for slot's state.
func (p *LFU) grow(slot uint32) {
	for len(p.prio) <= int(slot) {
		p.prio = append(p.prio, 0)
		p.used = append(p.used, 0)
		p.pos = append(p.pos, -1)
	}
}

// Victim returns the entry with the lowest priority and ages the cache to it.
func (p *LFU) Victim() (uint32, bool) {
	if len(p.heap) == 0 {
		return 0, false
	}
	s := p.heap[0]
	p.age = p.prio[s]
	return s, true
}

// SetCapacity changes the capacity.
func (p *LFU) SetCapacity(capacity int64) { p.capacity = capacity }

// Weight returns the total weight tracked.
func (p *LFU) Weight() int64 { return p.weights.total }

func (p *LFU) less(i, j int) bool {
	a, b := p.heap[i], p.heap[j]
	if p.prio[a] != p.prio[b] {
		return p.prio[a] < p.prio[b]
	}
	return p.used[a] < p.used[b]
}

func (p *LFU) swap(i, j int) {
	p.heap[i], p.heap[j] = p.heap[j], p.heap[i]
	p.pos[p.heap[i]] = int32(i)
	p.pos[p.heap[j]] = int32(j)
}

func (p *LFU) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !p.less(i, parent) {
			return
		}
		p.swap(i, parent)
		i = parent
	}
}

func (p *LFU) down(i int) {
	n := len(p.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && p.less(r, l) {
			m = r
		}
		if !p.less(m, i) {
			return
		}
		p.swap(i, m)
		i = m
	}
}
