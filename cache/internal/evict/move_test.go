package evict

import (
	"testing"

	"pgregory.net/rapid"
)

// mover is what the cache's slot compaction uses.
type mover interface {
	evictor
	Move(from, to uint32)
	Shrink(n uint32)
}

// movers are the policies under the model tests, each with a constructor.
var movers = []struct {
	name string
	new  func() mover
}{
	{"lru", func() mover { return NewLRU(1 << 20) }},
	{"fifo", func() mover { return NewFIFO(1 << 20) }},
	{"lfu", func() mover { return NewLFU(1 << 20) }},
}

// TestMoveModel runs two evictors of a policy through the same random
// operations; the second also sees its entries moved between slots and its
// slot range shrunk, as the cache's compaction does. Every victim of the
// second, mapped back through the moves, must be the first's victim, and
// the total weights must agree.
func TestMoveModel(t *testing.T) {
	for _, tc := range movers {
		t.Run(tc.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) { checkMoves(t, tc.new(), tc.new()) })
		})
	}
}

func checkMoves(t *rapid.T, ref, moved mover) {
	const slots = 48
	where := map[uint32]uint32{} // ref slot → moved slot
	owner := map[uint32]uint32{} // moved slot → ref slot
	free := func(used func(uint32) bool) uint32 {
		return rapid.Uint32Range(0, slots-1).Filter(func(s uint32) bool { return !used(s) }).Draw(t, "free")
	}
	tracked := func() uint32 {
		keys := make([]uint32, 0, len(where))
		for s := range uint32(slots) {
			if _, ok := where[s]; ok {
				keys = append(keys, s)
			}
		}
		return rapid.SampledFrom(keys).Draw(t, "slot")
	}
	for range rapid.IntRange(1, 200).Draw(t, "ops") {
		op := rapid.IntRange(0, 6).Draw(t, "op")
		if len(where) == 0 || (len(where) < slots-1 && op == 0) {
			a := free(func(s uint32) bool { _, ok := where[s]; return ok })
			b := free(func(s uint32) bool { _, ok := owner[s]; return ok })
			w := rapid.Int64Range(1, 5).Draw(t, "w")
			ref.Add(a, uint64(a), w)
			moved.Add(b, uint64(a), w)
			where[a], owner[b] = b, a
			continue
		}
		switch op {
		case 1:
			a := tracked()
			ref.Hit(a)
			moved.Hit(where[a])
		case 2:
			a := tracked()
			w := rapid.Int64Range(1, 5).Draw(t, "w")
			ref.Update(a, w)
			moved.Update(where[a], w)
		case 3:
			a, ok := ref.Victim()
			b, ok2 := moved.Victim()
			if ok != ok2 || where[a] != b {
				t.Fatalf("victim: reference %d (%v, moved to %d), moved %d (%v)", a, ok, where[a], b, ok2)
			}
			ref.Remove(a)
			moved.Remove(b)
			delete(where, a)
			delete(owner, b)
		case 4:
			a := tracked()
			ref.Remove(a)
			moved.Remove(where[a])
			delete(owner, where[a])
			delete(where, a)
		case 5:
			a := tracked()
			to := free(func(s uint32) bool { _, ok := owner[s]; return ok })
			moved.Move(where[a], to)
			delete(owner, where[a])
			where[a], owner[to] = to, a
		case 6:
			n := uint32(0)
			for b := range owner {
				n = max(n, b+1)
			}
			moved.Shrink(n)
		}
		if ref.Weight() != moved.Weight() {
			t.Fatalf("weight: reference %d, moved %d", ref.Weight(), moved.Weight())
		}
	}
	for len(where) > 0 { // the whole remaining order agrees
		a, _ := ref.Victim()
		if b, ok := moved.Victim(); !ok || where[a] != b {
			t.Fatalf("final victim: reference %d (moved to %d), moved %d (%v)", a, where[a], b, ok)
		}
		ref.Remove(a)
		moved.Remove(where[a])
		delete(owner, where[a])
		delete(where, a)
	}
}
