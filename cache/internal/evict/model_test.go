package evict

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// refPolicy is the obvious, slow version of a policy: the live slots in a
// slice, the victim found by a linear scan.
type refPolicy struct {
	kind   string // "lru", "fifo" or "lfu"
	order  []uint32
	prio   map[uint32]uint64
	used   map[uint32]uint64
	weight map[uint32]int64
	age    uint64
	clock  uint64
}

func newRef(kind string) *refPolicy {
	return &refPolicy{kind: kind, prio: map[uint32]uint64{}, used: map[uint32]uint64{}, weight: map[uint32]int64{}}
}

func (r *refPolicy) Add(slot uint32, w int64) {
	r.order = append(r.order, slot)
	r.clock++
	r.prio[slot], r.used[slot], r.weight[slot] = r.age+1, r.clock, w
}

func (r *refPolicy) Hit(slot uint32) {
	r.clock++
	r.prio[slot]++
	r.used[slot] = r.clock
	if r.kind == "lru" {
		i := slices.Index(r.order, slot)
		r.order = append(slices.Delete(r.order, i, i+1), slot)
	}
}

func (r *refPolicy) Remove(slot uint32) {
	i := slices.Index(r.order, slot)
	r.order = slices.Delete(r.order, i, i+1)
	delete(r.prio, slot)
	delete(r.used, slot)
	delete(r.weight, slot)
}

func (r *refPolicy) Move(from, to uint32) {
	r.order[slices.Index(r.order, from)] = to
	r.prio[to], r.used[to], r.weight[to] = r.prio[from], r.used[from], r.weight[from]
	delete(r.prio, from)
	delete(r.used, from)
	delete(r.weight, from)
}

func (r *refPolicy) Victim() (uint32, bool) {
	if len(r.order) == 0 {
		return 0, false
	}
	v := r.order[0]
	if r.kind == "lfu" {
		for _, s := range r.order {
			if r.prio[s] < r.prio[v] || r.prio[s] == r.prio[v] && r.used[s] < r.used[v] {
				v = s
			}
		}
		r.age = r.prio[v]
	}
	return v, true
}

func (r *refPolicy) Weight() int64 {
	var total int64
	for _, w := range r.weight {
		total += w
	}
	return total
}

// TestPolicyModel checks each policy against refPolicy through random
// Adds, Hits, Updates (weights of 0, 1 and huge ones included), Removes,
// evictions, Moves and Shrinks: the victim and the total weight must agree
// after every step.
func TestPolicyModel(t *testing.T) {
	for _, tc := range movers {
		t.Run(tc.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				p, ref := tc.new(), newRef(tc.name)
				const slots = 40
				live := func() []uint32 { return slices.Sorted(slices.Values(ref.order)) }
				free := func() (uint32, bool) {
					var fs []uint32
					for s := range uint32(slots) {
						if _, ok := ref.prio[s]; !ok {
							fs = append(fs, s)
						}
					}
					if len(fs) == 0 {
						return 0, false
					}
					return rapid.SampledFrom(fs).Draw(t, "free"), true
				}
				weight := func() int64 {
					return rapid.SampledFrom([]int64{0, 1, 1, 1, 2, 7, 1 << 40}).Draw(t, "weight")
				}
				for range rapid.IntRange(1, 300).Draw(t, "ops") {
					op := rapid.IntRange(0, 7).Draw(t, "op")
					if len(ref.order) == 0 && op != 6 {
						op = 0
					}
					switch op {
					case 0:
						if s, ok := free(); ok {
							w := weight()
							p.Add(s, uint64(s), w)
							ref.Add(s, w)
						}
					case 1, 2:
						s := rapid.SampledFrom(live()).Draw(t, "hit")
						p.Hit(s)
						ref.Hit(s)
					case 3:
						s, w := rapid.SampledFrom(live()).Draw(t, "update"), weight()
						p.Update(s, w)
						ref.weight[s] = w
					case 4:
						s := rapid.SampledFrom(live()).Draw(t, "remove")
						p.Remove(s)
						ref.Remove(s)
					case 5:
						got, ok := p.Victim()
						want, wantOK := ref.Victim()
						if got != want || ok != wantOK {
							t.Fatalf("Victim() = %d, %v; want %d, %v", got, ok, want, wantOK)
						}
						if ok {
							p.Remove(got)
							ref.Remove(got)
						}
					case 6:
						n := uint32(0)
						for _, s := range ref.order {
							n = max(n, s+1)
						}
						p.Shrink(n)
					case 7:
						from := rapid.SampledFrom(live()).Draw(t, "from")
						if to, ok := free(); ok {
							p.Move(from, to)
							ref.Move(from, to)
						}
					}
					if got, want := p.Weight(), ref.Weight(); got != want {
						t.Fatalf("Weight() = %d, want %d", got, want)
					}
				}
				for len(ref.order) > 0 {
					got, ok := p.Victim()
					want, _ := ref.Victim()
					if !ok || got != want {
						t.Fatalf("draining: Victim() = %d, %v; want %d", got, ok, want)
					}
					p.Remove(got)
					ref.Remove(got)
				}
				if s, ok := p.Victim(); ok || p.Weight() != 0 {
					t.Fatalf("empty: Victim() = %d, %v, Weight() = %d", s, ok, p.Weight())
				}
			})
		})
	}
}
