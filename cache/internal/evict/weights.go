package evict

// weights tracks the weight of each slot and their total. While every weight
// is 1 (entry-bounded caches) it stores nothing per slot.
type weights struct {
	w     []int64 // per slot; nil while every weight is 1
	n     int     // slots seen (len the table must have once allocated)
	total int64
}

// of returns the weight of slot.
func (ws *weights) of(slot uint32) int64 {
	if ws.w == nil {
		return 1
	}
	return ws.w[slot]
}

// add records a new entry in slot.
func (ws *weights) add(slot uint32, w int64) {
	if int(slot) >= ws.n {
		ws.n = int(slot) + 1
	}
	ws.total += w
	ws.store(slot, w)
}

// update replaces the weight of slot.
func (ws *weights) update(slot uint32, w int64) {
	ws.total += w - ws.of(slot)
	ws.store(slot, w)
}

// remove forgets slot.
func (ws *weights) remove(slot uint32) {
	ws.total -= ws.of(slot)
}

func (ws *weights) store(slot uint32, w int64) {
	if ws.w == nil {
		if w == 1 {
			return
		}
		ws.w = make([]int64, ws.n)
		for i := range ws.w {
			ws.w[i] = 1
		}
	}
	for len(ws.w) <= int(slot) {
		ws.w = append(ws.w, 1)
	}
	ws.w[slot] = w
}
