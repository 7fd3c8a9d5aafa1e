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
