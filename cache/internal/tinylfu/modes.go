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
// mode (the cache's initial one, then otherModes), in blocks of len(grid),
// though not all of them run (see runsAt).
// At the end of an epoch, if the simulation of another mode at the current
// window share beats the current one by modeMargin and by modeZ square
// roots of its score (see leads), the cache switches to that mode (and does
// not move its window in that epoch); otherwise the window moves toward the
// best share of the current mode.

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
	if other < 0 || !leads(sh.sims[other].score, sh.sims[sh.current].score, cfg.modeMargin, cfg.modeZ) {
		return false
	}
	sh.seedMode(other, cfg)
	sh.current = other
	sh.refeed(cfg)
	sh.trial.left = 0 // its reference may stop running
	return true
}

// Only the simulations that take part in a decision run (are fed
// requests): the grid of the current mode, which decides the window; the
// simulations of the other modes within nearShares grid steps of the
// current window share, which decide the mode now and after the next
// window move; and the grid of the frequency mode, the default, so that
// the cache returns to it with its history intact. With the default grid
// and modes, in the frequency mode that is 6+2×2 = 10 simulations at the
// smallest or largest share and 12 elsewhere (of 18); in another mode 14
// or 15. The others keep their state as of when they stopped and are
// seeded again (copied from a running one of their mode) before they run,
// so a simulation that stops gives its memory back at once (see release)
// and keeps only its score.

// runs reports whether simulation i runs.
func (sh *shadows) runs(i int, cfg *config) bool { return sh.runsAt(i, sh.current, cfg) }

// runsAt reports whether simulation i runs when cur is the current one.
func (sh *shadows) runsAt(i, cur int, cfg *config) bool {
	n := len(cfg.grid)
	d := i%n - cur%n
	return i/n == cur/n || (d >= -nearShares && d <= nearShares) || sh.sims[i].p.mode == admitFrequency
}

// refeed rebuilds the list of the simulations that run.
func (sh *shadows) refeed(cfg *config) {
	sh.fed = sh.fed[:0]
	for i, s := range sh.sims {
		if sh.runs(i, cfg) {
			sh.fed = append(sh.fed, s)
		} else {
			s.release()
		}
	}
}

// seed makes simulation i, which did not run, a copy of simulation from (of
// the same mode, which ran) at its own window share, with from's score
// scaled by rel.
func (sh *shadows) seed(i, from int, rel float64, cfg *config) {
	s, src := sh.sims[i], sh.sims[from]
	s.copyFrom(src)
	s.window = cfg.grid[i%len(cfg.grid)]
	s.p.resizeWindow(int64(s.window * float64(s.p.capacity)))
	s.score = src.score * rel
}

// seedMode prepares the grid of the mode of simulation other (at the
// current window share) before the cache switches to it: unless that is
// the frequency mode, whose grid always runs, every other share of the
// grid becomes a copy of other at its window share, scored relative to it
// as the current mode's grid scores relative to the current simulation, so
// that the window decision keeps what it had learned. (Keeping the
// neighbours that ran, with their own scores, mixes two scales and cost
// 4 points on LIRS's zigzag trace.)
func (sh *shadows) seedMode(other int, cfg *config) {
	n := len(cfg.grid)
	block := other / n * n
	for j := range n {
		i := block + j
		if i == other || sh.sims[i].p.mode == admitFrequency {
			continue
		}
		rel := ratio(sh.sims[sh.current/n*n+j].score, sh.sims[sh.current].score)
		sh.seed(i, other, rel, cfg)
	}
}

// follow prepares a move of the window from the current simulation to
// next (of the same mode): the simulations of the other modes that start
// to run (nearShares steps beyond next) become copies of the nearest
// running one of their mode, scored relative to it as their shares score
// in the current mode.
func (sh *shadows) follow(next int, cfg *config) {
	n := len(cfg.grid)
	cb := sh.current / n * n
	for i := range sh.sims {
		if sh.runs(i, cfg) || !sh.runsAt(i, next, cfg) {
			continue
		}
		from := i/n*n + next%n
		if !sh.runs(from, cfg) {
			from = i/n*n + sh.current%n
		}
		sh.seed(i, from, ratio(sh.sims[cb+i%n].score, sh.sims[cb+from%n].score), cfg)
	}
}

// nearShares is how many grid steps on each side of the current window
// share the other modes' simulations run. With 0 (only the current share)
// a window move makes the mode decision compare a just-seeded copy with
// the current mode's history, which cost 1.2 points on ARC's P3 trace.
const nearShares = 1

// ratio returns a/b, or 1 if b is not positive.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 1
	}
	return a / b
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
