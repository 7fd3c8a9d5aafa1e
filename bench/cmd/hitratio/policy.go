package main

import (
	"github.com/patinox/memory/bench/internal/zipf"
	"github.com/patinox/memory/cache"
)

// simCache is one cache under simulation: Get reports a hit, Set inserts
// after a miss. Close releases the cache's goroutines.
type simCache interface {
	Get(key uint64) bool
	Set(key uint64)
	Close()
}

// policy is a named factory of simulated caches. peer marks other
// libraries (compared against); ours marks this repository's policies.
type policy struct {
	name string
	kind kind
	new  func(capacity int) simCache
}

type kind int

const (
	ours kind = iota
	peer
	optimum
)

// allPolicies lists every policy the simulator knows, in table order.
func allPolicies() []policy {
	return []policy{
		{"tinylfu", ours, evictorFactory(cache.TinyLFU(), true)},
		{"lru", ours, evictorFactory(cache.LRU(), false)},
		{"lfu", ours, evictorFactory(cache.LFU(), false)},
		{"fifo", ours, evictorFactory(cache.FIFO(), false)},
		{"otter", peer, newOtter},
		{"theine", peer, newTheine},
		{"ristretto", peer, newRistretto},
		{"hlru", peer, newHashicorpLRU},
		{"h2q", peer, newHashicorp2Q},
		{"harc", peer, newHashicorpARC},
		{"belady", optimum, nil},
	}
}

// evictorFactory drives a cache.Policy the way the cache does: a map from
// key to a dense slot, Hit on a read hit, Add on insertion, then Victim and
// Remove while the total weight exceeds the capacity. With skipCold, read
// hits on a cache less than half full are not given to the policy, as
// cache.Get does for TinyLFU (and Caffeine and otter do).
func evictorFactory(p cache.Policy, skipCold bool) func(int) simCache {
	return func(capacity int) simCache {
		return &evictorSim{
			ev:       p.NewEvictor(int64(capacity)),
			slots:    make(map[uint64]uint32, capacity),
			capacity: int64(capacity),
			skipCold: skipCold,
		}
	}
}

type evictorSim struct {
	ev       cache.Evictor
	slots    map[uint64]uint32
	keys     []uint64 // slot → key
	free     []uint32
	capacity int64
	weight   int64
	skipCold bool
}

func (s *evictorSim) Get(key uint64) bool {
	slot, ok := s.slots[key]
	if ok && (!s.skipCold || s.weight >= s.capacity/2) {
		s.ev.Hit(slot)
	}
	return ok
}

func (s *evictorSim) Set(key uint64) {
	var slot uint32
	if n := len(s.free); n > 0 {
		slot, s.free = s.free[n-1], s.free[:n-1]
		s.keys[slot] = key
	} else {
		slot = uint32(len(s.keys))
		s.keys = append(s.keys, key)
	}
	s.slots[key] = slot
	s.ev.Add(slot, zipf.Scramble(key), 1)
	s.weight++
	for s.weight > s.capacity {
		v, ok := s.ev.Victim()
		if !ok {
			panic("hitratio: Victim returned !ok while over capacity")
		}
		delete(s.slots, s.keys[v])
		s.free = append(s.free, v)
		s.weight--
		s.ev.Remove(v)
	}
}

func (s *evictorSim) Close() {}
