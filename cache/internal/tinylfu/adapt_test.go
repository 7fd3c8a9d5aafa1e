package tinylfu

import (
	"testing"

	"pgregory.net/rapid"
)

// fixedConfig returns the defaults without window adaptation, so that a
// test controls the policy's state exactly.
func fixedConfig() config {
	cfg := defaults
	cfg.shadows, cfg.climb = false, false
	return cfg
}

func TestStaleVictimLosesTies(t *testing.T) {
	const capacity = 10
	tests := []struct {
		name      string
		idle      uint32 // requests since the victim's last request
		extraCand int    // extra requests of the candidate's key
		want      bool
	}{
		{name: "tie-recent-victim-stays", idle: 8 * capacity, want: false},
		{name: "tie-stale-victim-goes", idle: 8*capacity + 1, want: true},
		{name: "more-frequent-candidate-wins", idle: 0, extraCand: 1, want: true},
		{name: "less-frequent-candidate-loses-even-if-stale", idle: 1000, extraCand: -1, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPolicy(capacity, fixedConfig())
			victim, cand := uint32(0), uint32(1)
			p.Add(victim, mix(1), 1)
			p.Hit(victim) // frequency 2
			p.Add(cand, mix(2), 1)
			p.Hit(cand) // frequency 2
			switch {
			case tt.extraCand > 0:
				p.Hit(cand)
			case tt.extraCand < 0:
				p.Hit(victim)
			}
			p.ticks = p.nodes[victim].stamp + tt.idle
			if got := p.admit(cand, victim); got != tt.want {
				t.Fatalf("admit(candidate freq %d, victim freq %d idle %d) = %v, want %v",
					p.sketch.frequency(mix(2)), p.sketch.frequency(mix(1)), tt.idle, got, tt.want)
			}
		})
	}
}

func TestStaleTieBreakOff(t *testing.T) {
	cfg := fixedConfig()
	cfg.staleAge = 0
	p := newPolicy(10, cfg)
	p.Add(0, mix(1), 1)
	p.Add(1, mix(2), 1)
	p.ticks += 1 << 20
	if p.admit(1, 0) {
		t.Fatal("admit on a tie with staleAge 0 = true, want false")
	}
}

func TestDampDoublesOnReversal(t *testing.T) {
	tests := []struct {
		name    string
		moves   []int // successive target indexes, starting from 0
		wantMul int
	}{
		{name: "no-moves", moves: nil, wantMul: 1},
		{name: "one-way", moves: []int{1, 2, 3, 4}, wantMul: 1},
		{name: "one-reversal", moves: []int{1, 0}, wantMul: 2},
		{name: "oscillation-caps", moves: []int{1, 0, 1, 0, 1, 0, 1, 0}, wantMul: 8},
		{name: "oscillation-then-trend", moves: []int{1, 0, 1, 0, 1, 2, 3}, wantMul: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults
			var sh shadows
			sh.init(4096, &cfg)
			for _, next := range tt.moves {
				sh.damp(next, &cfg)
				sh.current = next
			}
			if sh.mul != tt.wantMul {
				t.Fatalf("epoch multiplier = %d, want %d", sh.mul, tt.wantMul)
			}
		})
	}
}

// TestShadowCopyIsIndependent checks copyFrom against the original as the
// reference: after the copy, the same requests give the same hits and the
// same victims, and requests to one never change the other.
func TestShadowCopyIsIndependent(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		const capacity = 32
		keys := rapid.Uint64Range(0, 100)
		orig := newShadow(0.25, capacity, fixedConfig())
		for _, k := range rapid.SliceOfN(keys, 0, 300).Draw(rt, "before") {
			orig.access(mix(k), 1)
		}
		var cp shadow
		cp.copyFrom(orig)
		if err := cp.p.check(); err != nil {
			rt.Fatal(err)
		}
		// A request to the original must not reach the copy. The copy then
		// gets the same request, so that the two stay alike (undoing it in
		// the original instead, as this test once did, is not enough: the
		// request may have moved entries between its queues or evicted one).
		probe := mix(1 << 30)
		orig.access(probe, 1)
		if _, ok := cp.slotOf(probe); ok {
			rt.Fatal("a request to the original reached the copy")
		}
		cp.access(probe, 1)
		for i, k := range rapid.SliceOfN(keys, 1, 300).Draw(rt, "after") {
			h0, h1 := orig.hits, cp.hits
			orig.access(mix(k), 1)
			cp.access(mix(k), 1)
			if orig.hits-h0 != cp.hits-h1 {
				rt.Fatalf("request %d (key %d): original hit %v, copy hit %v", i, k, orig.hits > h0, cp.hits > h1)
			}
		}
		if orig.slots.Len() != cp.slots.Len() {
			rt.Fatalf("entries: original %d, copy %d", orig.slots.Len(), cp.slots.Len())
		}
		for h := range orig.keys() {
			if _, ok := cp.slotOf(h); !ok {
				rt.Fatalf("key hash %x cached in the original, not in the copy", h)
			}
		}
		if err := cp.p.check(); err != nil {
			rt.Fatal(err)
		}
	})
}

// TestTrialDecides drives a trial directly: the copy with a cleared sketch
// wins only by more than trialMargin, and winning clears every sketch.
func TestTrialDecides(t *testing.T) {
	tests := []struct {
		name      string
		copyHits  int // per epoch
		origHits  int // per epoch
		wantStale bool
	}{
		{name: "copy-better", copyHits: 110, origHits: 100, wantStale: true},
		{name: "within-margin", copyHits: 104, origHits: 100, wantStale: false},
		{name: "copy-worse", copyHits: 90, origHits: 100, wantStale: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults
			var sh shadows
			sh.init(64, &cfg)
			for k := range uint64(200) {
				sh.sketch.increment(mix(k % 40)) // counted once for all, as shadows.access does
				for _, s := range sh.sims {
					s.access(mix(k%40), 1)
				}
			}
			sh.trial.endEpoch(&sh, &cfg) // starts the first trial
			if sh.trial.left != cfg.trialLen {
				t.Fatalf("trial epochs left = %d, want %d", sh.trial.left, cfg.trialLen)
			}
			if n := sh.trial.sim.p.sketch.frequency(mix(1)); n != 0 {
				t.Fatalf("copy's sketch frequency = %d, want 0 (cleared)", n)
			}
			for range cfg.trialLen {
				sh.trial.sim.hits = tt.copyHits
				sh.sims[sh.trial.idx].hits = tt.origHits
				sh.trial.endEpoch(&sh, &cfg)
			}
			if sh.trial.stale != tt.wantStale {
				t.Fatalf("stale = %v, want %v", sh.trial.stale, tt.wantStale)
			}
			cleared := sh.sims[0].p.frequency(mix(1)) == 0
			if cleared != tt.wantStale {
				t.Fatalf("simulations' sketches cleared = %v, want %v", cleared, tt.wantStale)
			}
			if sh.trial.wait != cfg.trialEvery {
				t.Fatalf("epochs to the next trial = %d, want %d", sh.trial.wait, cfg.trialEvery)
			}
			if sh.trial.sim != nil {
				t.Fatal("the decided trial keeps its copy (a simulation and a sketch) until the next one")
			}
			for range cfg.trialEvery + 1 { // the next trial starts with a fresh copy
				sh.trial.endEpoch(&sh, &cfg)
			}
			if sh.trial.left != cfg.trialLen || sh.trial.sim == nil || sh.trial.sim.p.Len() != sh.sims[sh.current].p.Len() {
				t.Fatalf("next trial: %d epochs left, copy %v; want %d and a copy of the current simulation", sh.trial.left, sh.trial.sim != nil, cfg.trialLen)
			}
		})
	}
}

// TestTrialVerdictClearsPolicySketch checks the wiring from a trial that
// found the sketch stale to the policy: its next sampled request clears
// the policy's sketch, once.
func TestTrialVerdictClearsPolicySketch(t *testing.T) {
	const capacity = 256
	h := newHarness(t, capacity)
	var slots []uint32
	for k := range uint64(capacity) {
		slots = append(slots, h.add(mix(k), 1))
	}
	for _, s := range slots[:10] {
		h.p.Hit(s)
	}
	if got := h.p.sketch.frequency(mix(3)); got < 2 {
		t.Fatalf("frequency before = %d, want at least 2", got)
	}
	h.p.shadows.trial.stale = true
	h.p.Hit(slots[5]) // every key is sampled in a cache this small
	if got := h.p.sketch.frequency(mix(3)); got != 0 {
		t.Fatalf("frequency after the verdict = %d, want 0 (sketch cleared)", got)
	}
	if h.p.shadows.trial.stale {
		t.Fatal("verdict still pending after the sketch was cleared")
	}
	h.p.Hit(slots[3])
	if got := h.p.sketch.frequency(mix(3)); got != 1 {
		t.Fatalf("frequency after one more request = %d, want 1 (cleared only once)", got)
	}
	h.verify()
}

func TestSketchClearAndCopy(t *testing.T) {
	var s sketch
	s.ensureCapacity(64, 10)
	for range 5 {
		s.increment(mix(1))
	}
	var c sketch
	c.copyFrom(&s)
	if got := c.frequency(mix(1)); got != 5 {
		t.Fatalf("copy frequency = %d, want 5", got)
	}
	c.increment(mix(1))
	if got := s.frequency(mix(1)); got != 5 {
		t.Fatalf("original frequency after incrementing the copy = %d, want 5", got)
	}
	s.clear()
	if got, size := s.frequency(mix(1)), s.size; got != 0 || size != 0 {
		t.Fatalf("after clear: frequency %d, size %d, want 0 and 0", got, size)
	}
	if got := c.frequency(mix(1)); got != 6 {
		t.Fatalf("copy frequency after clearing the original = %d, want 6", got)
	}
}

// TestShadowCopyOwnsWeights checks that a copy of a weighted simulation
// does not share its weights with the original (simulations run with unit
// weights, but copyFrom must not rely on it).
func TestShadowCopyOwnsWeights(t *testing.T) {
	orig := newShadow(0.25, 32, fixedConfig())
	for k := range uint64(10) {
		orig.access(mix(k), 2)
	}
	var cp shadow
	cp.copyFrom(orig)
	slot, _ := orig.slotOf(mix(3))
	orig.access(mix(3), 5) // a new weight for the original only
	if cs, _ := cp.slotOf(mix(3)); cp.p.weightOf(cs) != 2 {
		got := cp.p.weightOf(cs)
		t.Errorf("copy's weight of key 3 = %d after the original changed it, want 2", got)
	}
	if got := orig.p.weightOf(slot); got != 5 {
		t.Errorf("original's weight of key 3 = %d, want 5", got)
	}
	if err := cp.p.check(); err != nil {
		t.Error(err)
	}
}

// keys returns the simulation's key hashes and their slots.
func (s *shadow) keys() map[uint64]uint32 {
	m := make(map[uint64]uint32, s.slots.Len())
	s.slots.All(func(slot uint32) { m[s.p.nodes[slot].hash] = slot })
	return m
}
