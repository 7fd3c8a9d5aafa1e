package tinylfu

// maintain runs after each insertion: it lets the hill climber resize the
// window and moves window overflow to probation.
func (p *Policy) maintain() {
	if p.adaptive() {
		p.rebalance()
	} else if p.cfg.climb {
		p.climb()
	}
	p.pending = none // candidates are those this insertion pushed out
	p.evictFromWindow()
	if p.mode == admitAll {
		p.ageProtected()
	}
}

// evictFromWindow moves the window's LRU entries beyond the window maximum
// to the MRU end of probation; the first one moved becomes the pending
// admission candidate.
func (p *Policy) evictFromWindow() {
	s := p.window.head
	for p.window.weight > p.windowMax && s != none {
		next := p.nodes[s].next
		if p.weightOf(s) != 0 {
			p.unlink(&p.window, s)
			p.pushBack(&p.probation, qProbation, s)
			if p.pending == none {
				p.pending = s
			}
		}
		s = next
	}
}

// Victim returns the next entry to evict; the cache calls it while the total
// weight exceeds the capacity. ok is false only when no entry is tracked.
// The caller must Remove the returned slot
// before calling any other method for the next Victim to continue the same
// round. The algorithm is Caffeine's evictFromMain: admission candidates
// (entries that left the window, then the window itself) compete with
// victims (probation LRU, then protected, then window) by sketch frequency.
func (p *Policy) Victim() (slot uint32, ok bool) {
	if p.count == 0 {
		return 0, false
	}
	if s, ok := p.popHeavy(); ok {
		return p.chosen(s)
	}
	if !p.round {
		p.startRound()
	}
	for {
		if p.cand == none && p.candQ == qProbation {
			p.cand, p.candQ = p.window.head, qWindow
		}
		if p.cand == none && p.vic == none {
			switch p.vicQ {
			case qProbation:
				p.vic, p.vicQ = p.protected.head, qProtected
				continue
			case qProtected:
				p.vic, p.vicQ = p.window.head, qWindow
				continue
			}
			p.round = false
			return p.fallback()
		}
		if p.skipZero() {
			continue
		}
		if s, ok := p.pick(); ok {
			return p.chosen(s)
		}
	}
}

// skipZero advances cursors past zero-weight entries, which evicting would
// not help; it reports whether it moved one.
func (p *Policy) skipZero() bool {
	if p.cand != none && p.weightOf(p.cand) == 0 {
		p.cand = p.nodes[p.cand].next
		return true
	}
	if p.vic != none && p.weightOf(p.vic) == 0 {
		p.vic = p.nodes[p.vic].next
		return true
	}
	return false
}

// pick decides between the current candidate and victim and advances the
// cursors past the loser.
func (p *Policy) pick() (uint32, bool) {
	c, v := p.cand, p.vic
	switch {
	case v == none:
		p.cand = p.nodes[c].next
		return c, true
	case c == none:
		p.vic = p.nodes[v].next
		return v, true
	case c == v:
		p.vic = p.nodes[v].next
		p.cand = none
		return v, true
	case p.weightOf(c) > p.capacity:
		p.cand = p.nodes[c].next
		return c, true
	}
	if p.admit(c, v) {
		p.vic = p.nodes[v].next
		p.cand = p.nodes[c].next
		return v, true
	}
	p.cand = p.nodes[c].next
	p.ghost.add(p.nodes[c].hash)
	return c, true
}

// startRound begins an eviction round with the pending candidate against
// the probation LRU.
func (p *Policy) startRound() {
	p.evictFromWindow()
	p.round = true
	p.cand, p.candQ = none, qProbation
	if p.pending != none && p.nodes[p.pending].queue == qProbation {
		p.cand = p.pending
	}
	p.pending = none
	p.vic, p.vicQ = p.probation.head, qProbation
}

// chosen records s as the slot handed to the cache for eviction.
func (p *Policy) chosen(s uint32) (uint32, bool) {
	p.last = s
	return s, true
}

// fallback returns some entry, preferably one with weight, when the
// cursors ran dry (only zero-weight entries were left in their path): the
// first in queue order, never chosen by slot number, so that moving
// entries between slots (Move) does not change the choice.
func (p *Policy) fallback() (uint32, bool) {
	first := none
	for _, q := range []*queue{&p.probation, &p.protected, &p.window} {
		for s := q.head; s != none; s = p.nodes[s].next {
			if p.weightOf(s) > 0 {
				return p.chosen(s)
			}
			if first == none {
				first = s
			}
		}
	}
	return p.chosen(first)
}

// popHeavy returns an entry whose weight alone exceeds the capacity: such
// an entry is rejected at once. p.heavy names only tracked slots (Remove
// drops a slot's entries), so an entry that a lower capacity made heavy is
// never returned through a stale entry of an earlier occupant of its slot,
// and Move can rename the slots it holds.
func (p *Policy) popHeavy() (uint32, bool) {
	for len(p.heavy) > 0 {
		s := p.heavy[len(p.heavy)-1]
		p.heavy = p.heavy[:len(p.heavy)-1]
		if p.nodes[s].queue != qNone && p.weightOf(s) > p.capacity {
			return s, true
		}
	}
	return 0, false
}

// admit reports whether the candidate slot should replace the victim slot:
// a higher estimated frequency wins; on a tie, the candidate wins if the
// victim has not been requested for staleAge×capacity requests (its count
// is history that no longer predicts, and the candidate was just
// requested) or, shortly after the first fill, since before the cache was
// half full (see firstfill.go); a warm candidate (frequency ≥ 6) that loses
// is still admitted with probability 1/128, so an attacker who raises a
// victim's frequency (hash flooding) cannot lock newcomers out.
func (p *Policy) admit(candidate, victim uint32) bool {
	switch p.mode {
	case admitAll:
		return true
	case admitGhost:
		if p.ghost.contains(p.nodes[candidate].hash) {
			return true
		}
	}
	vf := p.frequency(p.nodes[victim].hash)
	cf := p.frequency(p.nodes[candidate].hash)
	if cf > vf {
		return true
	}
	if cf == vf && (p.stale(victim) || p.firstFillLoses(victim)) {
		return true
	}
	if cf >= p.cfg.admitThreshold {
		return p.random()&127 == 0
	}
	return false
}

// stale reports whether the entry in slot has not been requested for
// staleAge×capacity requests. Ages are modulo 2^32 requests: an entry idle
// for longer may look young again, which only forgoes the tie-break.
func (p *Policy) stale(slot uint32) bool {
	if p.cfg.staleAge <= 0 {
		return false
	}
	age := p.ticks - p.nodes[slot].stamp
	return float64(age) > p.cfg.staleAge*float64(p.capacity)
}

// random is a xorshift64* generator (deterministic, so runs reproduce).
func (p *Policy) random() uint64 {
	p.rng ^= p.rng >> 12
	p.rng ^= p.rng << 25
	p.rng ^= p.rng >> 27
	return p.rng * 0x2545f4914f6cdd1d
}
