package tinylfu

import (
	"math"
	"math/bits"

	"github.com/patinox/memory/cache/internal/hashindex"
	"github.com/patinox/memory/cache/internal/slotweight"
)

// shadow is a miniature simulation of this policy with a fixed window
// share, fed the sampled subset of the requests (spatial sampling by key
// hash, as in SHARDS: Waldspurger et al., "Cache Modeling and Optimization
// using Miniature Simulations", USENIX ATC 2017). Its capacity is the
// cache's scaled by the sampling rate, so its hit ratio estimates what the
// full cache would reach with that window.
type shadow struct {
	window float64
	p      *Policy
	slots  hashindex.Small // key hash → slot (the slot's key hash is p.nodes[slot].hash; at most 2,048 slots)
	free   []uint32
	weight int64
	hits   int     // in the current epoch
	score  float64 // decayed hits over past epochs
}

func newShadow(window float64, capacity int64, cfg config) *shadow {
	cfg.windowPercent = window
	cfg.climb, cfg.shadows = false, false
	return &shadow{window: window, p: newPolicy(capacity, cfg)}
}

// access replays one request: a hit, or a miss followed by an insertion.
func (s *shadow) access(h uint64, weight int64) {
	if slot, ok := s.slotOf(h); ok {
		s.hits++
		if w := s.p.weightOf(slot); w != weight {
			s.weight += weight - w
			s.p.Update(slot, weight)
			s.evict()
		} else {
			s.p.Hit(slot)
		}
		return
	}
	var slot uint32
	if n := len(s.free); n > 0 {
		slot, s.free = s.free[n-1], s.free[:n-1]
	} else {
		slot = uint32(len(s.p.nodes)) // Add grows the nodes to hold it
	}
	s.slots.Insert(h, slot)
	s.weight += weight
	s.p.Add(slot, h, weight)
	s.evict()
}

// slotOf returns the slot of key hash h.
func (s *shadow) slotOf(h uint64) (uint32, bool) {
	return s.slots.Find(h, func(slot uint32) bool { return s.p.nodes[slot].hash == h })
}

func (s *shadow) evict() {
	for s.weight > s.p.capacity {
		v, ok := s.p.Victim()
		if !ok {
			return
		}
		s.remove(v)
	}
}

func (s *shadow) remove(slot uint32) {
	s.slots.Remove(s.p.nodes[slot].hash, slot)
	s.free = append(s.free, slot)
	s.weight -= s.p.weightOf(slot)
	s.p.Remove(slot)
}

// release drops the contents of a simulation that stopped running: it is
// seeded (copyFrom) before it runs again, and until then only its window,
// score and admission mode are read. Its memory, nodes and index, which
// for a small cache is as large as the cache's own, goes back at once.
func (s *shadow) release() {
	p := s.p
	p.nodes, p.heavy = nil, nil
	p.weights = slotweight.Table{}
	p.ghost = ghost{}
	p.window, p.probation, p.protected = newQueue(), newQueue(), newQueue()
	p.count, p.weight = 0, 0
	s.slots = hashindex.Small{}
	s.free = nil
	s.weight, s.hits = 0, 0
}

// fold ends an epoch: the epoch's hits join the decayed score.
func (s *shadow) fold(cfg *config) {
	s.score = cfg.shadowDecay*s.score + float64(s.hits)
	s.hits = 0
}

// invalidate forgets h (deleted or expired from the real cache).
func (s *shadow) invalidate(h uint64) {
	if slot, ok := s.slotOf(h); ok {
		s.remove(slot)
	}
}

// shadows adapts the window and the admission mode of the real cache to
// the best of its miniature simulations.
type shadows struct {
	sims    []*shadow // grid of window shares, for each admission mode (see modes.go)
	rate    uint      // log2 of the sampling divisor
	epoch   int       // sampled requests per base epoch
	mul     int       // epoch length in base epochs (see damp)
	lastDir int       // direction of the last window move: -1, 1, or 0 before any
	n       int
	current int       // index of the simulation whose window the cache uses
	fed     []*shadow // the simulations that run (see runsAt)
	trial   trial
	// sketch is the frequency sketch of every simulation except the
	// trial's copy: they all see the same sampled requests, so their own
	// sketches would hold the same counts (a simulation that starts to run
	// used to copy one from a running one). access counts each request
	// once, before the simulations replay it.
	sketch sketch
}

// init builds the simulations for a cache of the given capacity.
func (sh *shadows) init(capacity int64, cfg *config) {
	*sh = shadows{}
	if capacity <= 0 {
		return
	}
	// Sample 1 in 2^rate keys so each simulation holds about minShadow.
	rate := 0
	if capacity > cfg.minShadow {
		rate = bits.Len64(uint64(capacity/cfg.minShadow)) - 1
	}
	sh.rate = uint(rate)
	sh.mul = 1
	miniCap := max(capacity>>rate, 1)
	sh.epoch = max(int(cfg.epochFactor*float64(miniCap)), 16)
	for _, w := range cfg.grid {
		sh.sims = append(sh.sims, newShadow(w, miniCap, *cfg))
	}
	for _, m := range cfg.otherModes {
		c := *cfg
		c.admitMode = m
		for _, w := range cfg.grid {
			sh.sims = append(sh.sims, newShadow(w, miniCap, c))
		}
	}
	sh.sketch.ensureCapacity(int(min(miniCap, maxSketchEntries)), cfg.sketchFactor)
	for _, s := range sh.sims {
		s.p.shared = &sh.sketch
	}
	sh.current = 0
	for i, w := range cfg.grid { // start with the simulation closest to the initial window
		if abs(w-cfg.windowPercent) < abs(cfg.grid[sh.current]-cfg.windowPercent) {
			sh.current = i
		}
	}
	sh.refeed(cfg)
}

// mode returns the admission mode of the current simulation, which the
// cache uses (the initial one when there is none: capacity 0).
func (sh *shadows) mode(cfg *config) uint8 {
	if len(sh.sims) == 0 {
		return cfg.admitMode
	}
	return sh.sims[sh.current].p.mode
}

// sampled reports whether requests for h feed the simulations.
func (sh *shadows) sampled(h uint64) bool {
	return len(sh.sims) > 0 && h>>(64-sh.rate) == 0
}

// access feeds a sampled request to every simulation and, at the end of an
// epoch, returns the window share of the best one (ok false otherwise).
func (sh *shadows) access(h uint64, weight int64, cfg *config) (window float64, ok bool) {
	sh.sketch.increment(h)
	for _, s := range sh.fed {
		s.access(h, weight)
	}
	sh.trial.access(h, weight)
	sh.n++
	if sh.n < sh.epoch*sh.mul {
		return 0, false
	}
	sh.n = 0
	sh.trial.endEpoch(sh, cfg)
	for _, s := range sh.fed {
		s.fold(cfg)
	}
	if sh.switchMode(cfg) {
		return 0, false
	}
	best := sh.bestWindow(cfg)
	if !leads(sh.sims[best].score, sh.sims[sh.current].score, cfg.shadowMargin, cfg.shadowZ) {
		best = sh.current
	}
	if best == sh.current {
		return 0, false
	}
	if cfg.shadowStep { // one grid step toward the best
		if best > sh.current {
			best = sh.current + 1
		} else {
			best = sh.current - 1
		}
	}
	sh.damp(best, cfg)
	sh.follow(best, cfg)
	sh.current = best
	sh.refeed(cfg)
	return sh.sims[best].window, true
}

// damp adapts the epoch length to a move from the current window to
// next: a move back against the previous one (the scores chase a workload
// that alternates faster than they average) doubles the epoch, up to
// maxEpochMul base epochs, so the scores average over more of the cycle; a
// move that continues the previous one halves it back toward one base
// epoch. This is Rprop's step rule applied to the decision period.
func (sh *shadows) damp(next int, cfg *config) {
	if cfg.maxEpochMul <= 1 {
		return
	}
	dir := 1
	if next < sh.current {
		dir = -1
	}
	if sh.lastDir != 0 && dir != sh.lastDir {
		sh.mul = min(sh.mul*2, cfg.maxEpochMul)
	} else {
		sh.mul = max(sh.mul/2, 1)
	}
	sh.lastDir = dir
}

func (sh *shadows) invalidate(h uint64) {
	for _, s := range sh.fed {
		s.invalidate(h)
	}
	sh.trial.invalidate(h)
}

// simulate feeds a request to the miniature simulations when its key is
// sampled, and adopts the window share of the best one when it changes.
func (p *Policy) simulate(h uint64, weight int64) {
	if !p.adaptive() || !p.shadows.sampled(h) {
		return
	}
	if share, ok := p.shadows.access(h, weight, &p.cfg); ok {
		p.resizeWindow(int64(share * float64(p.capacity)))
	}
	p.mode = p.shadows.mode(&p.cfg)
	if p.shadows.trial.stale {
		p.shadows.trial.stale = false
		p.sketch.clear()
	}
}

// adaptive reports whether the miniature simulations size the window: they
// do for caches of unit weights; weighted caches use the hill climber, as
// sampling keys says little about weights.
func (p *Policy) adaptive() bool { return p.cfg.shadows && !p.weighted }

// leads reports whether score beats the current score cur by the relative
// margin and by z×√cur. Scores count hits (decayed), so √cur is about the
// spread of cur from chance alone: in the first epochs, or with few hits
// per epoch, a lead of 1% is noise, and acting on it costs the cache a
// transition (a mode switch or a window move) that the simulations, which
// have always run in their own configuration, never pay. On LIRS's multi1
// trace at 500 entries a 2% lead after three epochs switched the mode and
// the window away from what served best, which cost 2 points.
func leads(score, cur, margin, z float64) bool {
	return score > cur*(1+margin) && score > cur+z*math.Sqrt(max(cur, 0))
}
