package tinylfu

import (
	"slices"

	"github.com/patinox/memory/cache/internal/slotweight"
)

// config holds the algorithm's tunables; defaults is what New uses.
type config struct {
	windowPercent    float64   // initial window share of the capacity
	protectedPercent float64   // protected share of the main space
	stepPercent      float64   // climber step, share of the capacity
	stepDecay        float64   // climber step decay per sample
	restartThreshold float64   // hit-rate change that restarts the step
	sampleFactor     int64     // climber sample, in multiples of the capacity
	sketchFactor     int       // sketch aging period, in multiples of its size
	admitThreshold   int       // frequency from which losers may be admitted
	climb            bool      // adapt the window with the hill climber (weighted caches)
	maxWindow        float64   // largest window share
	shadows          bool      // adapt the window to the best miniature simulation
	grid             []float64 // window shares of the simulations
	minShadow        int64     // capacity of a simulation, at least (sets the sampling rate)
	epochFactor      float64   // sampled requests per decision, in simulation capacities
	shadowDecay      float64   // weight of past epochs in a simulation's score
	shadowMargin     float64   // relative score lead needed to switch windows
	shadowZ          float64   // lead needed to switch windows, in square roots of the current score
	shadowStep       bool      // move one grid step toward the best window at a time
	maxEpochMul      int       // longest epoch, in base epochs, after the window oscillates
	staleAge         float64   // on a frequency tie, a victim idle this many capacities loses
	trialEvery       int       // epochs between fresh-sketch trials (0: none)
	trialLen         int       // epochs a trial lasts
	trialMargin      float64   // relative hit lead that makes a trial clear the sketch
	admitMode        uint8     // initial admission mode (admitFrequency, admitGhost, admitAll)
	ghostFactor      float64   // ghost generation, in capacities (0: no ghost)
	otherModes       []uint8   // admission modes simulated beside admitMode (see modes.go)
	modeMargin       float64   // relative score lead needed to switch admission modes
	modeZ            float64   // lead needed to switch admission modes, in square roots of the current score
	allAge           float64   // with admitAll, protected entries idle this many capacities are demoted
	fillAge          float64   // requests after the first fill, in capacities, during which its tie-break applies (see firstfill.go)
	fillProtected    float64   // protected share of its maximum from which the first-fill tie-break applies
}

var defaults = config{
	windowPercent:    0.01,
	protectedPercent: 0.80,
	stepPercent:      0.0625,
	stepDecay:        0.98,
	restartThreshold: 0.05,
	sampleFactor:     10,
	sketchFactor:     10,
	admitThreshold:   6,
	climb:            true,
	maxWindow:        0.99,
	shadows:          true,
	grid:             []float64{0.01, 0.10, 0.25, 0.50, 0.80, 0.99},
	minShadow:        1024,
	epochFactor:      1,
	shadowDecay:      0.9,
	shadowMargin:     0.01,
	shadowZ:          1,
	shadowStep:       true,
	maxEpochMul:      8,
	staleAge:         8,
	trialEvery:       16,
	trialLen:         4,
	trialMargin:      0.05,
	admitMode:        admitFrequency,
	ghostFactor:      0.5,
	otherModes:       []uint8{admitGhost, admitAll},
	modeMargin:       0.01,
	modeZ:            1,
	allAge:           8,
	fillAge:          0.5,
	fillProtected:    0.6,
}

// Policy is an adaptive W-TinyLFU evictor for one cache. It implements the
// cache package's Evictor interface; it is not safe for concurrent use (the
// cache calls it from one goroutine at a time).
type Policy struct {
	cfg     config
	nodes   []node
	weights slotweight.Table

	window, probation, protected queue

	capacity     int64 // maximum total weight
	weight       int64 // current total weight
	count        int   // entries
	weighted     bool  // some entry had a weight other than 1
	windowMax    int64
	protectedMax int64

	sketch sketch
	// shared, in a simulation, is the sketch that all the simulations of
	// a cache share (shadows.sketch: they all see the same requests); the
	// simulation reads it and leaves its increments to the owner. nil: the
	// policy counts in sketch.
	shared  *sketch
	ghost   ghost // recently rejected candidates
	mode    uint8 // admission mode
	climber climber
	shadows shadows
	rng     uint64
	ticks   uint32 // requests (Add and hits), for node.stamp; wraps
	fill    firstFill
	started bool // Add was called (Shrink may empty nodes; see added)

	// Eviction round state (see evict.go).
	round   bool
	cand    uint32
	candQ   uint8
	vic     uint32
	vicQ    uint8
	last    uint32   // slot returned by the previous Victim call
	pending uint32   // first entry moved from the window since the last round
	heavy   []uint32 // tracked slots that weighed more than the capacity (see popHeavy)
}

// New returns a policy for a cache holding at most capacity total weight
// (entries when every weight is 1). A capacity of 0 rejects every entry.
func New(capacity int64) *Policy { return newPolicy(capacity, defaults) }

func newPolicy(capacity int64, cfg config) *Policy {
	p := &Policy{
		cfg:       cfg,
		window:    newQueue(),
		probation: newQueue(),
		protected: newQueue(),
		rng:       0x853c49e6748fea9b,
		cand:      none,
		vic:       none,
		last:      none,
		pending:   none,
	}
	p.mode = cfg.admitMode
	p.SetCapacity(capacity)
	return p
}

// SetCapacity changes the maximum total weight; the cache then evicts with
// Victim while the total exceeds it.
func (p *Policy) SetCapacity(capacity int64) {
	capacity = max(capacity, 0)
	p.capacity = capacity
	p.windowMax = capacity - int64((1-p.cfg.windowPercent)*float64(capacity))
	p.protectedMax = int64(p.cfg.protectedPercent * float64(capacity-p.windowMax))
	p.climber.init(capacity, &p.cfg)
	if p.adaptive() { // simulations never run for a weighted cache
		p.shadows.init(capacity, &p.cfg)
		p.mode = p.shadows.mode(&p.cfg) // a resize restarts the simulations in the initial mode
	}
	p.round = false
	// The ghost and the sketch are sized by capacity (about 8 and 2.5 bytes
	// per unit), down as well as up. Before the first Add they are left for
	// Add to size: the cache calls Weighted after New when the capacity is a
	// weight (often bytes), and sizing them by a capacity of 1 GiB would take
	// 800 MiB.
	if p.added() {
		if !p.weighted {
			p.ghost.init(p.ghostQuota())
			p.sketch.fold(int(min(p.capacity, maxSketchEntries)), p.cfg.sketchFactor) // see sketchfold.go
		}
		p.ensureSketch()
	}
}

// added reports whether Add was ever called, that is whether the ghost and
// the sketch have been sized.
func (p *Policy) added() bool { return p.started }

// ghostQuota is the number of rejected candidates the ghost remembers.
func (p *Policy) ghostQuota() int { return int(p.cfg.ghostFactor * float64(p.capacity)) }

// Weighted tells the policy, before its first Add, that the cache is bounded
// by weight (MaxWeight), so that its capacity is not an entry count: the
// sketch is then sized by the number of entries once the cache is half
// full, instead of by the capacity at once (8 bytes per unit of weight), and
// the window adapts with the hill climber.
func (p *Policy) Weighted() {
	p.weighted = true
	p.sketch = sketch{}
	p.shadows = shadows{}
	p.ghost = ghost{}
	p.mode = admitFrequency
	p.ensureSketch()
}

// ensureSketch sizes the frequency sketch once the cache is half full (as
// Caffeine does): by capacity when entries have unit weight, otherwise by
// the number of entries.
func (p *Policy) ensureSketch() {
	if p.shared != nil {
		return // sized by the owner (shadows.init)
	}
	if !p.weighted {
		p.sketch.ensureCapacity(int(min(p.capacity, maxSketchEntries)), p.cfg.sketchFactor)
		return
	}
	if p.weight >= p.capacity/2 {
		p.sketch.ensureCapacity(p.count, p.cfg.sketchFactor)
	}
}

// Add records a new entry in slot with the key's hash and weight.
func (p *Policy) Add(slot uint32, hash uint64, weight int64) {
	if !p.added() && !p.weighted { // the first Add sizes the ghost (see SetCapacity)
		p.ghost.init(p.ghostQuota())
	}
	p.started = true
	p.round = false
	p.grow(slot)
	if p.nodes[slot].queue != qNone {
		p.Remove(slot)
	}
	weight = max(weight, 0)
	n := &p.nodes[slot]
	n.hash = hash
	p.ticks++
	n.stamp = p.ticks
	p.setWeight(slot, weight)
	p.pushBack(&p.window, qWindow, slot)
	p.weight += weight
	p.count++
	p.noteFill()
	p.ensureSketch()
	if weight > p.capacity {
		p.heavy = append(p.heavy, slot)
	}
	p.record(hash)
	p.climber.miss()
	p.simulate(hash, weight)
	p.maintain()
}

// Hit records a read of the entry in slot. Hits for empty slots (entries
// removed before a late, batched hit arrived) are ignored.
func (p *Policy) Hit(slot uint32) {
	if int(slot) >= len(p.nodes) || p.nodes[slot].queue == qNone {
		return
	}
	p.round = false
	p.access(slot)
	p.climber.hit()
	p.simulate(p.nodes[slot].hash, p.weightOf(slot))
}

// access increments the entry's frequency and reorders it: window and
// protected entries move to their queue's MRU end, probation entries are
// promoted to protected.
func (p *Policy) access(slot uint32) {
	n := &p.nodes[slot]
	p.ticks++
	n.stamp = p.ticks
	p.record(n.hash)
	switch n.queue {
	case qWindow:
		p.moveToBack(&p.window, slot)
	case qProbation:
		p.unlink(&p.probation, slot)
		p.pushBack(&p.protected, qProtected, slot)
		p.demoteProtected()
	case qProtected:
		p.moveToBack(&p.protected, slot)
	}
}

// Update records a new weight for the entry in slot (its value was
// replaced); it also counts as an access.
func (p *Policy) Update(slot uint32, weight int64) {
	if int(slot) >= len(p.nodes) || p.nodes[slot].queue == qNone {
		return
	}
	p.round = false
	weight = max(weight, 0)
	n := &p.nodes[slot]
	delta := weight - p.weightOf(slot)
	p.setWeight(slot, weight)
	p.queueOf(n.queue).weight += delta
	p.weight += delta
	if weight > p.capacity {
		p.heavy = append(p.heavy, slot)
	}
	p.access(slot)
	p.simulate(n.hash, weight)
}

// Remove forgets the entry in slot (deleted, expired or evicted).
func (p *Policy) Remove(slot uint32) {
	if int(slot) >= len(p.nodes) || p.nodes[slot].queue == qNone {
		return
	}
	if slot != p.last {
		p.round = false
		if h := p.nodes[slot].hash; p.shadows.sampled(h) {
			p.shadows.invalidate(h)
		}
	}
	p.last = none
	if slot == p.pending {
		p.pending = none
	}
	if len(p.heavy) > 0 { // keep only live slots there (see popHeavy)
		p.heavy = slices.DeleteFunc(p.heavy, func(s uint32) bool { return s == slot })
	}
	n := &p.nodes[slot]
	if p.cand == slot {
		p.cand = n.next
	}
	if p.vic == slot {
		p.vic = n.next
	}
	p.unlink(p.queueOf(n.queue), slot)
	p.weight -= p.weightOf(slot)
	p.count--
	if p.weight <= p.capacity {
		p.round = false
	}
}

// demoteProtected moves protected entries beyond the protected maximum to
// the MRU end of probation.
func (p *Policy) demoteProtected() {
	for p.protected.weight > p.protectedMax && p.protected.head != none {
		s := p.protected.head
		p.unlink(&p.protected, s)
		p.pushBack(&p.probation, qProbation, s)
	}
}

// Len returns the number of entries the policy tracks.
func (p *Policy) Len() int { return p.count }

// Weight returns the total weight of the tracked entries.
func (p *Policy) Weight() int64 { return p.weight }

// record counts a request for h in the policy's sketch (a simulation's
// shared sketch is counted once by its owner, shadows.access).
func (p *Policy) record(h uint64) {
	if p.shared == nil {
		p.sketch.increment(h)
	}
}

// frequency returns the sketch's estimate for h.
func (p *Policy) frequency(h uint64) int {
	if p.shared != nil {
		return p.shared.frequency(h)
	}
	return p.sketch.frequency(h)
}
