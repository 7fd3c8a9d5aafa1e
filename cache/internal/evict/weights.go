package evict

import "github.com/patinox/memory/cache/internal/slotweight"

// weights tracks the weight of each slot (nothing per slot while every
// weight is 1: slotweight.Table) and their total.
type weights struct {
	slotweight.Table
	total int64
}

// add records a new entry in slot.
func (ws *weights) add(slot uint32, w int64) {
	ws.total += w
	ws.Set(slot, w)
}

// update replaces the weight of slot.
func (ws *weights) update(slot uint32, w int64) {
	ws.total += w - ws.Of(slot)
	ws.Set(slot, w)
}

// remove forgets slot.
func (ws *weights) remove(slot uint32) {
	ws.total -= ws.Of(slot)
}
