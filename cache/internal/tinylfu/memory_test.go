package tinylfu

import "testing"

// TestFullPolicyKeepsNoSlack checks that a full policy of unit weights,
// and each of its simulations, holds exactly capacity+1 nodes (the most it
// tracks at once), not the slack of append's growth: for a cache of 1,000
// entries that slack was a quarter of the memory of a dozen simulations.
func TestFullPolicyKeepsNoSlack(t *testing.T) {
	for _, capacity := range []int64{100, 1000, 5000} {
		h := newHarness(t, capacity)
		for k := range uint64(8 * capacity) {
			h.add(mix(k), 1)
		}
		h.verify()
		if got, want := cap(h.p.nodes), int(capacity)+1; got != want {
			t.Errorf("capacity %d: the policy holds %d nodes, want %d", capacity, got, want)
		}
		for i, s := range h.p.shadows.fed {
			if got, want := cap(s.p.nodes), int(s.p.capacity)+1; got != want {
				t.Errorf("capacity %d: simulation %d (capacity %d) holds %d nodes, want %d",
					capacity, i, s.p.capacity, got, want)
			}
		}
	}
}

// TestNodesGrowPastCapacity checks that the node array still grows past
// capacity+1 when more entries are tracked (zero weights).
func TestNodesGrowPastCapacity(t *testing.T) {
	h := newHarness(t, 10)
	for k := range uint64(100) {
		h.add(mix(k), 0)
	}
	h.verify()
	if got := h.p.Len(); got != 100 {
		t.Fatalf("Len = %d with 100 zero-weight entries, want 100", got)
	}
}

// TestStoppedSimulationsReleaseMemory checks that a simulation that stops
// running gives its nodes and index back and keeps its score, and that it
// is a consistent, filled copy again when it runs again.
func TestStoppedSimulationsReleaseMemory(t *testing.T) {
	cfg := defaults
	var sh shadows
	sh.init(1000, &cfg)
	n := len(cfg.grid)
	feed := func(from, to uint64) {
		for k := from; k < to; k++ {
			for _, s := range sh.fed {
				s.access(mix(k%1500), 1)
			}
		}
	}
	// decide ends an epoch in which the simulation at want leads.
	decide := func(lead int, want float64) {
		t.Helper()
		for _, s := range sh.sims {
			s.score, s.hits = 100, 0
		}
		sh.sims[lead].score = 200
		sh.n = sh.epoch*sh.mul - 1
		if w, ok := sh.access(mix(1<<40), 1, &cfg); !ok || w != want {
			t.Fatalf("window decision = %v, %v; want %v, true", w, ok, want)
		}
	}
	feed(0, 4000)
	decide(n-1, cfg.grid[1]) // frequency mode, window share 0 → 1
	feed(4000, 8000)
	decide(n-1, cfg.grid[2]) // 1 → 2: the other modes at share 0 stop
	for b := n; b < len(sh.sims); b += n {
		s := sh.sims[b]
		if sh.runs(b, &cfg) {
			t.Fatalf("simulation %d (another mode at share 0) still runs", b)
		}
		if len(s.p.nodes) != 0 || s.slots.Len() != 0 || s.p.Len() != 0 || s.p.Weight() != 0 {
			t.Fatalf("stopped simulation %d keeps %d nodes, %d indexed keys, %d entries",
				b, len(s.p.nodes), s.slots.Len(), s.p.Len())
		}
		if want := 100 * cfg.shadowDecay; abs(s.score-want) > 1e-9 { // its last epoch: no hits
			t.Fatalf("stopped simulation %d: score %v, want %v (kept)", b, s.score, want)
		}
	}
	feed(8000, 12000)
	decide(0, cfg.grid[1]) // back to 1: they run again, seeded
	for b := n; b < len(sh.sims); b += n {
		s := sh.sims[b]
		if !sh.runs(b, &cfg) || s.p.Len() == 0 || s.slots.Len() != s.p.Len() {
			t.Fatalf("restarted simulation %d: runs %v, %d entries, %d indexed", b, sh.runs(b, &cfg), s.p.Len(), s.slots.Len())
		}
		if err := s.p.check(); err != nil {
			t.Fatalf("restarted simulation %d: %v", b, err)
		}
		for h, slot := range s.keys() {
			if got, ok := s.slotOf(h); !ok || got != slot {
				t.Fatalf("restarted simulation %d: key %x at slot %d, found %d, %v", b, h, slot, got, ok)
			}
		}
	}
}
