package tinylfu

import "github.com/patinox/memory/cache/internal/trim"

// Slot compaction. After the cache shrinks, its live entries are spread over
// the slot range of its peak, and so are the policy's per-slot slices. The
// cache then moves entries from high slots to free low ones (Move) and
// tells the policy that nothing is left above some slot (Shrink).
//
// The fields that name cache slots are: the nodes' links (prev and next)
// and the queues' heads and tails; the eviction round's cursors (cand, vic,
// last, pending); the heavy list; and the weights. The sketch and the ghost
// are keyed by hash, and the simulations (shadow.go, trial.go) by hash too,
// each with slots of its own that the cache never names: Move leaves them
// alone. An eviction round in progress continues: its cursors are renamed,
// so that the next Victim returns what it would have without the move (a
// victim that the cache moves before removing it is still recognized as
// the victim by Remove, which then does not report a deletion to the
// simulations). Renaming the heavy list is enough because it names only
// tracked slots (Remove drops its slot): a stale entry would otherwise
// name a slot that the move's target reuses, or that Shrink released.
// Nothing else depends on slot numbers: fallback picks by queue order.

// Move reports that the entry in slot from now lives in slot to: every
// later call naming to behaves exactly as the same call naming from would
// have without the move (same victims in the same order, same weights and
// totals, same frequency and recency state, same adaptation), and from
// becomes untracked, as after Remove, though nothing counts as removed.
// It may come between any two calls: an eviction round in progress
// continues, and a victim moved before the cache removes it is removed as
// a victim. Move does nothing unless from is tracked and to is not. Like
// every method of Policy, it is not safe for concurrent use.
func (p *Policy) Move(from, to uint32) {
	if from == to || to == none || int(from) >= len(p.nodes) || p.nodes[from].queue == qNone {
		return
	}
	p.grow(to)
	if p.nodes[to].queue != qNone {
		return
	}
	n := p.nodes[from]
	p.nodes[to] = n
	p.nodes[from] = node{prev: none, next: none}
	q := p.queueOf(n.queue)
	if n.prev == none {
		q.head = to
	} else {
		p.nodes[n.prev].next = to
	}
	if n.next == none {
		q.tail = to
	} else {
		p.nodes[n.next].prev = to
	}
	p.weights.Move(from, to)
	p.renameCursors(from, to)
}

// renameCursors makes the eviction state that named from name to.
func (p *Policy) renameCursors(from, to uint32) {
	for _, c := range []*uint32{&p.cand, &p.vic, &p.last, &p.pending} {
		if *c == from {
			*c = to
		}
	}
	for i, s := range p.heavy {
		if s == from {
			p.heavy[i] = to
		}
	}
}

// Shrink reports that no slot at or above n is tracked any more (the cache
// moved or removed those entries): the per-slot state beyond n is
// released, copied to a smaller array when the old one is more than about
// twice as large (see trim.Slice), and a weighted policy's sketch, sized by
// the entry count, is folded down to the entries left (see sketch.fold).
// A slot at or above n that is still tracked is kept, with everything
// below it. Later Adds of any slot work as before; the slices grow again
// as needed.
func (p *Policy) Shrink(n uint32) {
	top := len(p.nodes)
	for top > int(n) && p.nodes[top-1].queue == qNone {
		top--
	}
	p.nodes = trim.Slice(p.nodes, top)
	p.weights.Shrink(uint32(top))
	p.heavy = trim.Slice(p.heavy, len(p.heavy))
	if p.weighted && p.shared == nil {
		// A weighted policy's sketch follows its entry count (ensureSketch),
		// not its capacity (SetCapacity folds that one): fold it down too.
		p.sketch.fold(p.count, p.cfg.sketchFactor)
	}
}

// grow extends the nodes to hold slot. The array grows as append would,
// except that it stops at capacity+1 nodes, the most a cache of unit
// weights tracks at once (an entry over the bound is evicted before the
// next is added): a full cache, or simulation, wastes no slack. Beyond
// that (zero weights, or a cache that moved entries to high slots) it
// grows on.
func (p *Policy) grow(slot uint32) {
	need := int(slot) + 1
	if need <= len(p.nodes) {
		return
	}
	if need > cap(p.nodes) {
		c := cap(p.nodes)
		switch {
		case c < 16:
			c = 16
		case c < 256:
			c *= 2
		default:
			c += (c + 768) / 4
		}
		if bound := p.capacity + 1; int64(need) <= bound && bound < int64(c) {
			c = int(bound)
		}
		nodes := make([]node, len(p.nodes), max(c, need))
		copy(nodes, p.nodes)
		p.nodes = nodes
	}
	for len(p.nodes) < need {
		p.nodes = append(p.nodes, node{prev: none, next: none})
	}
}
