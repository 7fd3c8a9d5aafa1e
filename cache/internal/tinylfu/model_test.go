package tinylfu

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// model is the reference: the set of live slots and their weights, and the
// bound the cache keeps. The policy must agree on count and total weight,
// only ever name live slots as victims, and let the cache get under its
// capacity.
type model struct {
	h *harness
}

func (m *model) liveSlots() []uint32 {
	var out []uint32
	for s := range m.h.live {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		capacity := rapid.Int64Range(0, 40).Draw(rt, "capacity")
		m := &model{h: newHarness(rt, capacity)}
		keys := rapid.Uint64Range(0, 60)
		weights := rapid.Int64Range(0, 12)
		rt.Repeat(map[string]func(*rapid.T){
			"add": func(rt *rapid.T) {
				m.h.add(mix(keys.Draw(rt, "key")), weights.Draw(rt, "weight"))
			},
			"hit": func(rt *rapid.T) {
				live := m.liveSlots()
				if len(live) == 0 {
					rt.Skip("empty")
				}
				m.h.p.Hit(rapid.SampledFrom(live).Draw(rt, "slot"))
			},
			"update": func(rt *rapid.T) {
				live := m.liveSlots()
				if len(live) == 0 {
					rt.Skip("empty")
				}
				s := rapid.SampledFrom(live).Draw(rt, "slot")
				w := weights.Draw(rt, "weight")
				m.h.setWeight(s, w)
				m.h.p.Update(s, w)
				m.h.evict()
			},
			"remove": func(rt *rapid.T) {
				live := m.liveSlots()
				if len(live) == 0 {
					rt.Skip("empty")
				}
				m.h.remove(rapid.SampledFrom(live).Draw(rt, "slot"))
			},
			"resize": func(rt *rapid.T) {
				c := rapid.Int64Range(0, 40).Draw(rt, "capacity")
				m.h.capacity = c
				m.h.p.SetCapacity(c)
				m.h.evict()
			},
			"": func(rt *rapid.T) { m.h.verify() },
		})
	})
}

// FuzzOps interprets the input as a sequence of operations on a small
// cache and checks the invariants after each one.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 200, 0, 201, 1, 0, 2, 0, 3, 0, 4, 50})
	f.Add(slices.Repeat([]byte{0, 7, 1, 1}, 50))
	f.Fuzz(func(t *testing.T, ops []byte) {
		h := newHarness(t, 16)
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%5, ops[i+1]
			live := (&model{h: h}).liveSlots()
			switch {
			case op == 0:
				h.add(mix(uint64(arg%64)), int64(arg>>6)*3)
			case op == 1 && len(live) > 0:
				h.p.Hit(live[int(arg)%len(live)])
			case op == 2 && len(live) > 0:
				s, w := live[int(arg)%len(live)], int64(arg%20)
				h.setWeight(s, w)
				h.p.Update(s, w)
				h.evict()
			case op == 3 && len(live) > 0:
				h.remove(live[int(arg)%len(live)])
			case op == 4:
				h.capacity = int64(arg % 32)
				h.p.SetCapacity(h.capacity)
				h.evict()
			}
			h.verify()
		}
	})
}
