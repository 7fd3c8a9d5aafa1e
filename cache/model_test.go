package cache

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// refModel is the reference implementation of LRU, FIFO and LFU-DA: a map
// plus a list (or priorities), with victims found by linear search.
type refModel struct {
	policy string
	cap    int
	vals   map[int]int
	order  []int             // LRU/FIFO: front is the victim
	prio   map[int][2]uint64 // LFU: priority, last use
	age    uint64
	clock  uint64
	weigh  func(v int) int // nil: every entry weighs 1
}

func newRefModel(policy string, capacity int) *refModel {
	return &refModel{policy: policy, cap: capacity, vals: map[int]int{}, prio: map[int][2]uint64{}}
}

func (m *refModel) weight(v int) int {
	if m.weigh == nil {
		return 1
	}
	return m.weigh(v)
}

func (m *refModel) total() int {
	t := 0
	for _, v := range m.vals {
		t += m.weight(v)
	}
	return t
}

func (m *refModel) set(k, v int) (events []event) {
	if old, ok := m.vals[k]; ok {
		m.vals[k] = v
		events = []event{{k, old, Replaced}}
	} else {
		m.vals[k] = v
		m.order = append(m.order, k)
		m.clock++
		m.prio[k] = [2]uint64{m.age + 1, m.clock}
	}
	if m.weight(v) > m.cap { // heavier than the cache: leaves at once
		events = append(events, event{k, v, Capacity})
		m.remove(k)
	}
	return append(events, m.evict(Capacity)...)
}

func (m *refModel) get(k int) (int, bool) {
	v, ok := m.vals[k]
	if !ok {
		return 0, false
	}
	switch m.policy {
	case "lru":
		m.remove(k)
		m.order = append(m.order, k)
		m.vals[k] = v
	case "lfu":
		m.clock++
		m.prio[k] = [2]uint64{m.prio[k][0] + 1, m.clock}
	}
	return v, true
}

func (m *refModel) remove(k int) {
	delete(m.vals, k)
	m.order = slices.DeleteFunc(m.order, func(x int) bool { return x == k })
	delete(m.prio, k)
}

func (m *refModel) victim() int {
	if m.policy != "lfu" {
		return m.order[0]
	}
	best, first := 0, true
	for k, p := range m.prio {
		b := m.prio[best]
		if first || p[0] < b[0] || (p[0] == b[0] && p[1] < b[1]) {
			best, first = k, false
		}
	}
	m.age = m.prio[best][0]
	return best
}

func (m *refModel) evict(why Reason) (events []event) {
	for m.total() > m.cap {
		k := m.victim()
		events = append(events, event{k, m.vals[k], why})
		m.remove(k)
	}
	return events
}

func (m *refModel) clear() (events []event) {
	for k, v := range m.vals {
		events = append(events, event{k, v, Deleted})
	}
	weigh := m.weigh
	*m = *newRefModel(m.policy, m.cap)
	m.weigh = weigh
	return events
}

func byKey(a, b event) int { return cmp.Compare(a.key, b.key) }

// TestModel checks LRU, FIFO and LFU exactly against refModel for one
// goroutine, draining the read buffer after every Get. The cache compacts
// its slots whenever it may (see compactLocked), so entries move between
// slots all the time.
func TestModel(t *testing.T) {
	for _, p := range []namedPolicy{{"lru", LRU()}, {"fifo", FIFO()}, {"lfu", LFU()}} {
		for _, weighted := range []bool{false, true} {
			t.Run(fmt.Sprintf("policy=%s/weighted=%v", p.name, weighted), func(t *testing.T) {
				rapid.Check(t, func(t *rapid.T) { checkModel(t, p, weighted) })
			})
		}
	}
}

func checkModel(t *rapid.T, p namedPolicy, weighted bool) {
	capacity := rapid.IntRange(1, 8).Draw(t, "capacity")
	var r recorder
	o := &Options[int, int]{MaxEntries: capacity, Policy: p.policy, OnEvict: r.onEvict}
	m := newRefModel(p.name, capacity)
	if weighted {
		m.weigh = func(v int) int { return v%4 + 1 }
		o.MaxEntries, o.MaxWeight = 0, int64(capacity)
		o.Weigher = func(_, v int) int64 { return int64(m.weigh(v)) }
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer c.Close()
	c.compactEager = true // move entries whenever a slot is free
	key := rapid.IntRange(0, 12)
	expect := func(op string, want []event, sortBoth bool) {
		got := r.events
		r.events = nil
		if sortBoth {
			slices.SortFunc(got, byKey)
			slices.SortFunc(want, byKey)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: OnEvict calls %v, want %v", op, got, want)
		}
		if c.Len() != len(m.vals) || c.Weight() != int64(m.total()) {
			t.Fatalf("%s: Len() = %d, Weight() = %d, want %d, %d", op, c.Len(), c.Weight(), len(m.vals), m.total())
		}
	}
	t.Repeat(map[string]func(*rapid.T){
		"Set": func(t *rapid.T) {
			k, v := key.Draw(t, "k"), rapid.IntRange(0, 99).Draw(t, "v")
			c.Set(k, v)
			expect("Set", m.set(k, v), false)
		},
		"Get": func(t *rapid.T) {
			k := key.Draw(t, "k")
			got, ok := c.Get(k)
			c.drain()
			want, wok := m.get(k)
			if got != want || ok != wok {
				t.Fatalf("Get(%d) = %d, %v, want %d, %v", k, got, ok, want, wok)
			}
		},
		"Delete": func(t *rapid.T) {
			k := key.Draw(t, "k")
			v, present := m.vals[k]
			if got := c.Delete(k); got != present {
				t.Fatalf("Delete(%d) = %v, want %v", k, got, present)
			}
			var want []event
			if present {
				want = []event{{k, v, Deleted}}
				m.remove(k)
			}
			expect("Delete", want, false)
		},
		"Resize": func(t *rapid.T) {
			n := rapid.IntRange(1, 8).Draw(t, "n")
			err := c.Resize(n, 0)
			if weighted {
				err = c.Resize(0, int64(n))
			}
			if err != nil {
				t.Fatalf("Resize(%d): %v", n, err)
			}
			m.cap = n
			expect("Resize", m.evict(Capacity), false)
		},
		"Clear": func(t *rapid.T) {
			c.Clear()
			expect("Clear", m.clear(), true)
		},
		"": func(t *rapid.T) {
			got := map[int]int{}
			for k, v := range c.All() {
				got[k] = v
			}
			if len(got) != len(m.vals) {
				t.Fatalf("All() = %v, want %v", got, m.vals)
			}
			for k, v := range m.vals {
				if got[k] != v {
					t.Fatalf("All() = %v, want %v", got, m.vals)
				}
			}
		},
	})
}
