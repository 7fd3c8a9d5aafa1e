package evict

// LRU evicts the least recently used entry. Hits and insertions refresh an
// entry; value replacements do not.
type LRU struct {
	order    list // front: least recently used
	weights  weights
	capacity int64
}

// NewLRU returns an empty LRU evictor for the given capacity.
func NewLRU(capacity int64) *LRU {
	return &LRU{order: newList(), capacity: capacity}
}

// Add records a new entry as the most recently used.
func (p *LRU) Add(slot uint32, _ uint64, weight int64) {
	p.weights.add(slot, weight)
	p.order.pushBack(slot)
}

// Hit makes slot the most recently used.
func (p *LRU) Hit(slot uint32) { p.order.moveToBack(slot) }

// Update records a new weight for slot.
func (p *LRU) Update(slot uint32, weight int64) { p.weights.update(slot, weight) }

// Remove forgets slot.
func (p *LRU) Remove(slot uint32) {
	p.weights.remove(slot)
	p.order.remove(slot)
}

// Move records that the entry in slot from now lives in slot to (free
// until now), in the same place of the order and with the same weight.
func (p *LRU) Move(from, to uint32) {
	p.weights.Move(from, to)
	p.order.move(from, to)
}

// Shrink gives back the per-slot memory of slots n and above, which hold
// no entry.
func (p *LRU) Shrink(n uint32) {
	p.weights.Shrink(n)
	p.order.shrink(n)
}

// Victim returns the least recently used entry.
func (p *LRU) Victim() (uint32, bool) { return p.order.front() }

// SetCapacity changes the capacity.
func (p *LRU) SetCapacity(capacity int64) { p.capacity = capacity }

// Weight returns the total weight tracked.
func (p *LRU) Weight() int64 { return p.weights.total }

// FIFO evicts the entry inserted first; hits do not change the order.
type FIFO struct {
	LRU
}

// NewFIFO returns an empty FIFO evictor for the given capacity.
func NewFIFO(capacity int64) *FIFO {
	return &FIFO{LRU{order: newList(), capacity: capacity}}
}

// Hit does nothing: FIFO ignores reads.
func (p *FIFO) Hit(uint32) {}
