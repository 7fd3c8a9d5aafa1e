package tinylfu

// Admission modes: how a candidate leaving the window competes with the
// probation victim.
const (
	admitFrequency uint8 = iota // the higher sketch frequency wins (TinyLFU)
	admitGhost                  // as admitFrequency, but a recently rejected candidate wins (2Q)
	admitAll                    // the candidate always wins (a segmented LRU)
)

// The frequency filter keeps popular entries against scans, but on
// workloads whose reuse is recent rather than frequent (large caches over
// database traces) 2Q and ARC beat it: a candidate with a short history is
// rejected in favour of a victim whose old counts no longer predict
// anything. So the simulations cover every window share for each admission
// mode (the cache's initial one, then otherModes), in blocks of len(grid).
// At the end of an epoch, if the simulation of another mode at the current
// window share beats the current one by modeMargin, the cache switches to
// that mode (and does not move its window in that epoch); otherwise the
// window moves toward the best share of the current mode.

// switchMode switches to the best simulation of another mode at the
// current window share if it leads by the margin; it reports whether the
// mode changed.
func (sh *shadows) switchMode(cfg *config) bool {
	n := len(cfg.grid)
	other := -1
	for i := sh.current % n; i < len(sh.sims); i += n {
		if i != sh.current && (other < 0 || sh.sims[i].score > sh.sims[other].score) {
			other = i
		}
	}
	if other < 0 || sh.sims[other].score <= sh.sims[sh.current].score*(1+cfg.modeMargin) {
		return false
	}
	sh.current = other
	sh.mode = sh.sims[other].p.mode
	return true
}

// bestWindow returns the simulation with the best score among those of
// the current mode.
func (sh *shadows) bestWindow(cfg *config) int {
	n := len(cfg.grid)
	block := sh.current / n * n
	best := block
	for i := block; i < block+n; i++ {
		if sh.sims[i].score > sh.sims[best].score {
			best = i
		}
	}
	return best
}

// ageProtected demotes protected LRU entries idle for more than
// allAge×capacity requests to the LRU end of probation, where they are the
// next victims. Without admission a segmented LRU never demotes
// entries that nothing pushes out of protected: after a phase change they
// stay forever while the new working set cycles through probation.
func (p *Policy) ageProtected() {
	if p.cfg.allAge <= 0 {
		return
	}
	limit := uint32(min(p.cfg.allAge*float64(p.capacity), 1<<31))
	for range 2 {
		s := p.protected.head
		if s == none || p.ticks-p.nodes[s].stamp <= limit {
			return
		}
		p.unlink(&p.protected, s)
		p.pushFront(&p.probation, qProbation, s)
	}
}
