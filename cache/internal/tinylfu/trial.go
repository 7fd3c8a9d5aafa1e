package tinylfu

// trial tests whether the history in the frequency sketch has gone stale.
// At the end of the first epoch, and trialEvery epochs after each trial
// ends, it copies the simulation of the cache's current window and clears
// the copy's sketch; both then run for trialLen epochs.
// If the copy, which judges candidates by recent requests only, scores
// trialMargin more hits than the original, the counts the sketch carries
// from the past (for example from a warm-up phase whose keys are no longer
// requested, but whose counts keep newcomers out) hurt: every simulation
// and the cache clear their sketches. Halving, the sketch's periodic aging,
// keeps the order of old counts; only clearing lets newcomers in again.
type trial struct {
	sim   *shadow // the copy with a cleared sketch while a trial runs (nil otherwise)
	idx   int     // index of the simulation it was copied from
	left  int     // epochs left in the running trial (0: none running)
	wait  int     // epochs until the next trial starts
	hits  int     // the copy's hits during the trial
	ref   int     // the original's hits during the trial
	stale bool    // the trial won: the cache must clear its sketch
}

// access feeds a sampled request to the copy while a trial runs.
func (t *trial) access(h uint64, weight int64) {
	if t.left > 0 {
		t.sim.access(h, weight)
	}
}

// invalidate forgets h in the copy (deleted or expired from the cache).
func (t *trial) invalidate(h uint64) {
	if t.left > 0 {
		t.sim.invalidate(h)
	}
}

// endEpoch runs at the end of every epoch, before the simulations' hits
// are folded into their scores: it adds up a running trial and decides it
// when it ends, or starts the next one when it is due.
func (t *trial) endEpoch(sh *shadows, cfg *config) {
	if cfg.trialEvery == 0 {
		return
	}
	if t.left > 0 {
		t.hits += t.sim.hits
		t.ref += sh.sims[t.idx].hits
		t.sim.hits = 0
		t.left--
		if t.left > 0 {
			return
		}
		if float64(t.hits) > float64(t.ref)*(1+cfg.trialMargin) {
			t.stale = true
			sh.sketch.clear()
		}
		t.sim = nil // decided: its memory (a simulation and a sketch) goes back until the next trial
		return
	}
	if t.wait > 0 {
		t.wait--
		return
	}
	t.wait = cfg.trialEvery
	t.sim = &shadow{}
	t.idx = sh.current
	t.sim.copyFrom(sh.sims[sh.current])
	t.sim.p.shared = nil // the copy counts in a sketch of its own, cleared
	t.sim.p.sketch.copyFrom(&sh.sketch)
	t.sim.p.sketch.clear()
	t.left = cfg.trialLen
	t.hits, t.ref = 0, 0
}

// copyFrom makes s a copy of src (window, admission mode, entries, sketch,
// ghost), reusing s's memory; the copy's hit counts start at zero.
func (s *shadow) copyFrom(src *shadow) {
	if s.p == nil {
		s.p = &Policy{}
	}
	p, q := s.p, src.p
	nodes, weights, heavy, sk, gh := p.nodes[:0], p.weights, p.heavy[:0], p.sketch, p.ghost
	*p = *q
	p.ghost = gh
	p.ghost.copyFrom(&q.ghost)
	p.nodes = append(nodes, q.nodes...)
	p.weights = weights // simulations have unit weights, but a copy never shares them
	p.weights.CopyFrom(&q.weights)
	p.heavy = append(heavy, q.heavy...)
	p.sketch = sk
	p.sketch.copyFrom(&q.sketch)
	p.climber.cfg = &p.cfg
	s.slots.CopyFrom(&src.slots)
	s.free = append(s.free[:0], src.free...)
	s.window, s.weight, s.hits, s.score = src.window, src.weight, 0, 0
}
