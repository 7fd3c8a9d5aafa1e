package tinylfu

import (
	"fmt"
	"testing"
	"unsafe"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNodeSize keeps the per-entry state at 24 bytes (cache memory per
// entry, README "Memory"): weights live apart, only in weighted caches.
func TestNodeSize(t *testing.T) {
	if n := unsafe.Sizeof(node{}); n != 24 {
		t.Errorf("node is %d bytes, want 24", n)
	}
}

// check verifies the policy's internal invariants: every queue is a
// well-formed list whose nodes carry its id, queue weights and lengths match
// their nodes, the totals match the queues, and only weighted policies
// store weights.
func (p *Policy) check() error {
	var weight int64
	count := 0
	for _, id := range []uint8{qWindow, qProbation, qProtected} {
		w, n, err := p.checkQueue(id)
		if err != nil {
			return err
		}
		weight += w
		count += n
	}
	if err := p.checkWeights(); err != nil {
		return err
	}
	if weight != p.weight || count != p.count {
		return fmt.Errorf("totals: weight %d count %d, queues hold %d and %d", p.weight, p.count, weight, count)
	}
	if p.windowMax < 0 || p.protectedMax < 0 || p.windowMax+p.protectedMax > p.capacity {
		return fmt.Errorf("maxima: window %d protected %d capacity %d", p.windowMax, p.protectedMax, p.capacity)
	}
	return nil
}

// checkWeights checks that only weighted policies store weights.
func (p *Policy) checkWeights() error {
	if p.weights.Weighted() && !p.weighted {
		return fmt.Errorf("weights stored for a policy that is not weighted")
	}
	return nil
}

func (p *Policy) checkQueue(id uint8) (int64, int, error) {
	q := p.queueOf(id)
	var w int64
	n := 0
	prev := none
	for s := q.head; s != none; s = p.nodes[s].next {
		nd := p.nodes[s]
		if nd.queue != id || nd.prev != prev {
			return 0, 0, fmt.Errorf("queue %d: slot %d has queue %d prev %d, want %d and %d", id, s, nd.queue, nd.prev, id, prev)
		}
		w += p.weightOf(s)
		n++
		if n > len(p.nodes) {
			return 0, 0, fmt.Errorf("queue %d: cycle", id)
		}
		prev = s
	}
	if prev != q.tail || w != q.weight || n != q.len {
		return 0, 0, fmt.Errorf("queue %d: tail %d weight %d len %d, walked %d, %d, %d", id, q.tail, q.weight, q.len, prev, w, n)
	}
	return w, n, nil
}
